/* 招募推广: a button with data-copy="<input id>" puts that field's link on the clipboard and says so with its
   data-copied-text for two seconds. Outside a secure context (plain http on a phone) the field is selected and
   copied with execCommand, and left selected, so a long press copies it by hand if that fails too. */
(function () {
  'use strict';

  function copied(button) {
    var label = button.textContent;
    button.textContent = button.getAttribute('data-copied-text') || label;
    setTimeout(function () { button.textContent = label; }, 2000);
  }

  document.addEventListener('click', function (event) {
    var button = event.target.closest ? event.target.closest('[data-copy]') : null;
    if (!button) { return; }
    var field = document.getElementById(button.getAttribute('data-copy'));
    if (!field) { return; }
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(function () { copied(button); }, function () {
        document.execCommand('copy');
        copied(button);
      });
    } else {
      document.execCommand('copy');
      copied(button);
    }
  });
})();
