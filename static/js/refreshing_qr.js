/* A member's QR code that renews itself (templates/member_h5/_macros.html refresh_script): fetches a fresh code
   every data-every-ms and on return to the page, and greys the code once it can no longer be valid
   (data-valid-ms without a successful refresh), so the member does not show a dead code at the till. The script
   tag names the code's box in data-box; the box's data-url answers {"svg": ...}. */
(function () {
  var script = document.currentScript;
  var box = document.getElementById(script.getAttribute('data-box'));
  var every = parseInt(script.getAttribute('data-every-ms'), 10);
  var valid = parseInt(script.getAttribute('data-valid-ms'), 10);
  var last = Date.now();
  if (!box) { return; }

  function stale() {
    if (Date.now() - last > valid) { box.className = 'h5-qr h5-qr_stale'; }
  }

  function refresh() {
    fetch(box.getAttribute('data-url'), { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (d && d.svg) { box.innerHTML = d.svg; last = Date.now(); box.className = 'h5-qr'; } else { stale(); }
      })
      .catch(stale);
  }

  setInterval(refresh, every);
  document.addEventListener('visibilitychange', function () {
    if (!document.hidden && Date.now() - last > 20000) { refresh(); }
  });
})();
