/* Reloads a page whose state is still moving (a payment being confirmed, a bulk issue running). The script tag
   carries data-after-ms and, to go somewhere else than the same address, data-url (opened with location.replace,
   so Back does not step through every refresh). */
(function () {
  var script = document.currentScript;
  var url = script.getAttribute("data-url");
  var after = parseInt(script.getAttribute("data-after-ms"), 10) || 3000;
  setTimeout(function () {
    if (url) { window.location.replace(url); } else { window.location.reload(); }
  }, after);
})();
