/* The back office's menu (templates/backoffice/layout.html): a sidebar on a desktop; on a phone a drawer that the
   top bar's button opens, with its groups folded except the current one. */
(function () {
  var body = document.body;
  var sidebar = document.getElementById('bo-sidebar');
  var opener = document.getElementById('bo-nav-open');
  var closer = document.getElementById('bo-nav-close');
  var scrim = document.getElementById('bo-scrim');
  if (!sidebar || !opener) { return; }
  var phone = window.matchMedia('(max-width: 1023.98px)');
  var groups = Array.prototype.slice.call(sidebar.querySelectorAll('.bo-nav__group'));

  function setOpen(open) {
    body.classList.toggle('bo-nav-open', open);
    opener.setAttribute('aria-expanded', String(open));
    scrim.hidden = !open;
    if (open) {
      var current = sidebar.querySelector('.bo-nav__item.is-active') || sidebar.querySelector('.bo-nav__heading');
      if (current) { current.focus({ preventScroll: true }); }
      if (current && current.scrollIntoView) { current.scrollIntoView({ block: 'nearest' }); }
    }
  }

  function fold(group, folded) {
    group.classList.toggle('is-folded', folded);
    group.querySelector('.bo-nav__heading').setAttribute('aria-expanded', String(!folded || !phone.matches));
  }

  groups.forEach(function (group) {
    fold(group, !group.classList.contains('is-active'));
    group.querySelector('.bo-nav__heading').addEventListener('click', function () {
      if (phone.matches) { fold(group, !group.classList.contains('is-folded')); }
    });
  });

  opener.addEventListener('click', function () { setOpen(true); });
  closer.addEventListener('click', function () { setOpen(false); opener.focus(); });
  scrim.addEventListener('click', function () { setOpen(false); });
  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape' && body.classList.contains('bo-nav-open')) { setOpen(false); opener.focus(); }
  });
  phone.addEventListener('change', function () {
    if (!phone.matches) { setOpen(false); }
    groups.forEach(function (group) { fold(group, group.classList.contains('is-folded')); });
  });
})();
