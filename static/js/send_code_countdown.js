/* The 获取验证码 button on the member's claim page: after a code was sent it stays disabled and counts down the
   seconds (data-wait) before another may be asked for, showing data-wait-text with {n} filled in. */
(function () {
  var button = document.getElementById('send-code');
  if (!button) { return; }
  var wait = +button.getAttribute('data-wait') || 0;
  var label = button.textContent;
  var waitText = button.getAttribute('data-wait-text') || '{n}';

  function tick() {
    if (wait <= 0) { button.disabled = false; button.textContent = label; return; }
    button.disabled = true;
    button.textContent = waitText.replace('{n}', wait);
    wait--;
    setTimeout(tick, 1000);
  }
  if (wait > 0) { tick(); }
})();
