/* Small behaviours any page can ask for with a data-* attribute, so that no template needs an inline handler
   (the Content-Security-Policy allows only script files from this site; see web/headers.py). Loaded by base.html
   and by the few pages that do not extend it, in the head and not deferred, so that a button is never clickable
   before its confirmation is wired. One listener per event on the document covers every page.

   data-confirm="text"      on a form: asks before it is submitted; on a submit button: asks before that click.
   data-submit-once         on a submit button: disabled right after the click, so a second tap sends nothing.
   data-submit-on-change    on a field: its form is submitted as soon as the value changes.
   data-select-on-click     on an input: a tap selects its whole text (a link to copy).
   data-print               on a button: opens the print dialog.
   data-history-back        on a link: goes back one page instead of following the link.
   A touchstart listener on the body lets iOS Safari show :active styles on tap (what an empty ontouchstart did). */
(function () {
  'use strict';

  function closest(target, selector) {
    return target && target.closest ? target.closest(selector) : null;
  }

  document.addEventListener('click', function (event) {
    var confirming = closest(event.target, 'button[data-confirm], input[data-confirm]');
    if (confirming && !window.confirm(confirming.getAttribute('data-confirm'))) {
      event.preventDefault();
      return;
    }
    var once = closest(event.target, '[data-submit-once]');
    if (once) {
      // After the click has started the submission: a disabled button would not submit, nor send its name.
      setTimeout(function () { once.disabled = true; }, 0);
    }
    if (closest(event.target, '[data-print]')) {
      window.print();
    }
    var selectable = closest(event.target, '[data-select-on-click]');
    if (selectable) {
      selectable.select();
    }
    if (closest(event.target, 'a[data-history-back]')) {
      event.preventDefault();
      window.history.back();
    }
  });

  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (form.hasAttribute('data-confirm') && !window.confirm(form.getAttribute('data-confirm'))) {
      event.preventDefault();
    }
  });

  document.addEventListener('change', function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute('data-submit-on-change') && event.target.form) {
      event.target.form.submit();
    }
  });

  function listenForTouch() {
    document.body.addEventListener('touchstart', function () {}, { passive: true });
  }
  if (document.body) { listenForTouch(); } else { document.addEventListener('DOMContentLoaded', listenForTouch); }
}());
