/* The staff page waiting for the customer's password (templates/staff_h5/checkout_wait.html): asks again on the
   server every few seconds (the form's data-poll) and counts the seconds left down; the server gives up (and
   reverses the trade) when time is up. */
(function () {
  var form = document.getElementById("wait-form");
  var left = document.getElementById("wait-left");
  if (!form) { return; }
  var seconds = left ? parseInt(left.textContent, 10) || 0 : 0;
  setInterval(function () { if (left && seconds > 0) { seconds -= 1; left.textContent = seconds; } }, 1000);
  setTimeout(function () { form.submit(); }, (parseFloat(form.dataset.poll) || 2) * 1000);
})();
