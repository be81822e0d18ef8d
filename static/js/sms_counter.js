/* The SMS body's live counter: 已用 N / 70 字, counting the signature 【…】 and the 回T退订 tail as the member's
   phone will, in UTF-16 units like domain.outreach.sms_length (an emoji is two), and typing or pasting beyond the
   limit is cut back. The server checks the same rule again; this only saves the merchant a round trip.
   The textarea carries data-sms-counter (the id of the counter), data-signature, data-tail, data-max and the
   texts data-used-text ("{n}" and "{max}" filled in) and data-full-text. */
(function () {
  'use strict';
  var fields = document.querySelectorAll('textarea[data-sms-counter]');

  function codePoints(text) { return Array.from(text); }

  function attach(field) {
    var out = document.getElementById(field.getAttribute('data-sms-counter'));
    if (!out) { return; }
    var fixed = (field.getAttribute('data-signature') || '') + (field.getAttribute('data-tail') || '');
    var max = parseInt(field.getAttribute('data-max'), 10) || 70;
    var usedText = field.getAttribute('data-used-text') || '{n} / {max}';
    var fullText = field.getAttribute('data-full-text') || '';
    var last = field.value;
    var composing = false;

    function used(text) { return fixed.length + text.trim().length; }

    function show(cut) {
      var n = used(field.value);
      out.textContent = usedText.replace('{n}', n).replace('{max}', max) + (cut || n > max ? ' ' + fullText : '');
      out.classList.toggle('bo-field-error', n > max);
    }

    function fit() {
      var value = field.value;
      if (used(value) <= max || used(value) <= used(last)) {
        last = value;
        show(false);
        return;
      }
      // Keep what was there, and as much of the newly typed or pasted text as fits.
      var start = 0;
      while (start < last.length && start < value.length && last[start] === value[start]) { start++; }
      var end = 0;
      while (end < last.length - start && end < value.length - start &&
             last[last.length - 1 - end] === value[value.length - 1 - end]) { end++; }
      var before = value.slice(0, start);
      var after = value.slice(value.length - end);
      var added = codePoints(value.slice(start, value.length - end));
      while (added.length && used(before + added.join('') + after) > max) { added.pop(); }
      var kept = added.join('');
      field.value = before + kept + after;
      var caret = (before + kept).length;
      field.setSelectionRange(caret, caret);
      last = field.value;
      show(true);
    }

    field.addEventListener('compositionstart', function () { composing = true; });
    field.addEventListener('compositionend', function () { composing = false; fit(); });
    field.addEventListener('input', function () { if (!composing) { fit(); } });
    show(false);
  }

  Array.prototype.forEach.call(fields, attach);
}());
