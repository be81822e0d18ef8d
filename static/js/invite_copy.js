/* 邀请好友: the copy button puts the member's invite link on the clipboard and says 已复制 for two seconds. Outside a
   secure context (plain http in a webview) the field is selected and copied with execCommand, and stays selected,
   so a long press copies it by hand if that fails too. */
(function () {
  'use strict';
  var button = document.getElementById('invite-copy');
  var field = document.getElementById('invite-url');
  if (!button || !field) { return; }
  var label = button.textContent;

  function done() {
    button.textContent = button.getAttribute('data-copied-text') || label;
    setTimeout(function () { button.textContent = label; }, 2000);
  }

  function byHand() {
    field.select();
    try { document.execCommand('copy'); } catch (ignored) { /* the selection stays for a long press */ }
    done();
  }

  button.addEventListener('click', function () {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, byHand);
    } else {
      byHand();
    }
  });
  field.addEventListener('focus', function () { field.select(); });
})();
