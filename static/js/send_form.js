/* The send form shows the fields of the chosen message kind ([data-kinds]) and channel ([data-channels]); the
   others stay in the form but hidden, and the server ignores what the choice does not use. Without script every
   field shows. */
(function () {
  'use strict';
  var form = document.getElementById('send-form');
  if (!form) { return; }

  function chosen(name) {
    var picked = form.querySelector('input[name="' + name + '"]:checked');
    return picked ? picked.value : '';
  }

  function apply() {
    var kind = chosen('content_kind');
    var channel = chosen('channel');
    Array.prototype.forEach.call(form.querySelectorAll('[data-kinds]'), function (part) {
      part.hidden = channel === 'sms' || part.getAttribute('data-kinds').split(' ').indexOf(kind) === -1;
    });
    Array.prototype.forEach.call(form.querySelectorAll('[data-channels]'), function (part) {
      part.hidden = part.getAttribute('data-channels').split(' ').indexOf(channel) === -1;
    });
  }

  form.addEventListener('change', apply);
  apply();
}());
