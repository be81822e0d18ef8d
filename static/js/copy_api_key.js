/* The new API key's page: the copy button puts the key on the clipboard (or, outside a secure context, copies
   the selected field) and then reads data-copied-text. */
(function () {
  var button = document.getElementById('copy-api-key');
  var field = document.getElementById('api-key-value');
  if (!button || !field) { return; }
  button.addEventListener('click', function () {
    field.select();
    var done = function () { button.textContent = button.getAttribute('data-copied-text'); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand('copy'); done(); });
    } else {
      document.execCommand('copy');
      done();
    }
  });
})();
