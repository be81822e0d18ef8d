/* A quote form (staff cashier, member self-pay): picking another offer or tender re-prices on the server, and the
   form cannot be sent twice by a double tap. The script tag names the form (data-form) and the inputs that
   re-price on change (data-requote, a CSS selector). */
(function () {
  var script = document.currentScript;
  var form = document.getElementById(script.getAttribute("data-form"));
  if (!form) { return; }
  var sent = false;
  Array.prototype.forEach.call(document.querySelectorAll(script.getAttribute("data-requote")), function (input) {
    input.addEventListener("change", function () { if (!sent) { sent = true; form.submit(); } });
  });
  form.addEventListener("submit", function (event) {
    if (sent) { event.preventDefault(); return; }
    sent = true;
  });
})();
