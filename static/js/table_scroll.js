// Back-office tables that stay tables on a phone (the `table` macro with cards=false): the hint under one
// ("左右滑动表格查看更多列") is only true when the table is wider than its box, so hide it when the table fits.
(function () {
  'use strict';
  function update() {
    document.querySelectorAll('.bo-table-wrap_scroll').forEach(function (wrap) {
      var hint = wrap.nextElementSibling;
      if (hint && hint.classList.contains('bo-scroll-hint')) {
        hint.classList.toggle('is-hidden', wrap.scrollWidth <= wrap.clientWidth + 1);
      }
    });
  }
  update();
  window.addEventListener('resize', update);
})();
