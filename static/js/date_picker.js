// Dates in Chinese (back office and member pages): every <input type="date"> becomes a text box showing 2026-12-07 (not the
// browser's mm/dd/yyyy, which Chromium shows whatever the page's language) that opens WeUI's picker, three wheels 年 / 月 / 日,
// from the bottom of a phone's screen or in the middle of a desktop's. The value sent stays yyyy-mm-dd, so the
// views parse it as before; typing a date on a desktop still works. An input with data-native-date is left alone.
(function () {
  'use strict';
  var ITEM = 56; // px, WeUI's .weui-picker__item height
  var DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
  var picker = null;

  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function daysIn(year, month) { return new Date(year, month, 0).getDate(); }
  function parse(text) {
    var m = DATE.exec(text || '');
    return m ? { y: +m[1], m: +m[2], d: +m[3] } : null;
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }

  // One wheel: a column that scrolls and snaps to its items; the chosen item is the one under the indicator.
  function Wheel(label, onChange) {
    this.root = el('div', 'weui-picker__group');
    this.root.appendChild(el('div', 'weui-picker__mask'));
    this.root.appendChild(el('div', 'weui-picker__indicator'));
    this.list = el('div', 'weui-picker__content');
    this.list.setAttribute('role', 'listbox');
    this.list.setAttribute('aria-label', label);
    this.list.tabIndex = 0;
    this.root.appendChild(this.list);
    this.values = [];
    var self = this, timer = null;
    this.list.addEventListener('scroll', function () {
      clearTimeout(timer);
      timer = setTimeout(function () { self.settle(); onChange(); }, 90);
    });
    this.list.addEventListener('click', function (event) {
      var item = event.target.closest('.weui-picker__item');
      if (item) self.select(+item.dataset.value, true);
    });
    this.list.addEventListener('keydown', function (event) {
      var step = { ArrowUp: -1, ArrowDown: 1 }[event.key];
      if (!step) return;
      event.preventDefault();
      var index = Math.min(self.values.length - 1, Math.max(0, self.index() + step));
      self.select(self.values[index], true);
      onChange();
    });
  }
  Wheel.prototype.fill = function (values, suffix, chosen) {
    this.values = values;
    this.list.textContent = '';
    var self = this;
    values.forEach(function (value) {
      var item = el('div', 'weui-picker__item', value + suffix);
      item.dataset.value = value;
      item.setAttribute('role', 'option');
      self.list.appendChild(item);
    });
    this.select(values.indexOf(chosen) >= 0 ? chosen : values[values.length - 1], false);
  };
  Wheel.prototype.index = function () {
    return Math.min(this.values.length - 1, Math.max(0, Math.round(this.list.scrollTop / ITEM)));
  };
  Wheel.prototype.value = function () { return this.values[this.index()]; };
  Wheel.prototype.select = function (value, smooth) {
    var index = Math.max(0, this.values.indexOf(value));
    this.list.scrollTo({ top: index * ITEM, behavior: smooth ? 'smooth' : 'auto' });
    this.mark(index);
  };
  Wheel.prototype.settle = function () { this.mark(this.index()); };
  Wheel.prototype.mark = function (index) {
    Array.prototype.forEach.call(this.list.children, function (item, i) {
      item.setAttribute('aria-selected', i === index ? 'true' : 'false');
    });
  };

  function build() {
    var root = el('div', 'bo-date-picker');
    root.hidden = true;
    var mask = el('div', 'weui-mask');
    var sheet = el('div', 'weui-picker');
    sheet.setAttribute('role', 'dialog');
    sheet.setAttribute('aria-modal', 'true');
    sheet.setAttribute('aria-label', '选择日期');
    var head = el('div', 'weui-picker__hd');
    var cancel = el('button', 'weui-picker__action bo-date-picker__cancel', '取消');
    var title = el('strong', 'weui-picker__title bo-date-picker__title', '选择日期');
    var ok = el('button', 'weui-picker__action bo-date-picker__ok', '确定');
    cancel.type = ok.type = 'button';
    head.appendChild(cancel); head.appendChild(title); head.appendChild(ok);
    var body = el('div', 'weui-picker__bd');
    var foot = el('div', 'bo-date-picker__foot');
    var today = el('button', 'weui-btn weui-btn_default weui-btn_mini', '今天');
    var clear = el('button', 'weui-btn weui-btn_default weui-btn_mini', '清除');
    today.type = clear.type = 'button';
    foot.appendChild(today); foot.appendChild(clear);
    sheet.appendChild(head); sheet.appendChild(body); sheet.appendChild(foot);
    root.appendChild(mask); root.appendChild(sheet);
    document.body.appendChild(root);

    var state = { input: null, first: 1900, last: 2100 };
    var years = new Wheel('年', refreshDays), months = new Wheel('月', refreshDays), days = new Wheel('日', function () {});
    body.appendChild(years.root); body.appendChild(months.root); body.appendChild(days.root);

    function refreshDays() {
      var y = years.value(), m = months.value(), keep = days.values.length ? days.value() : 1;
      var count = daysIn(y, m);
      if (days.values.length !== count) {
        var list = [];
        for (var d = 1; d <= count; d++) list.push(d);
        days.fill(list, '日', Math.min(keep, count));
      }
    }
    function range(from, to) { var out = []; for (var i = from; i <= to; i++) out.push(i); return out; }
    function open(input) {
      state.input = input;
      var now = new Date();
      var min = parse(input.dataset.min), max = parse(input.dataset.max);
      state.first = min ? min.y : now.getFullYear() - 100;
      state.last = max ? max.y : now.getFullYear() + 10;
      var at = parse(input.value) || { y: now.getFullYear(), m: now.getMonth() + 1, d: now.getDate() };
      title.textContent = input.dataset.label || '选择日期';
      root.hidden = false;
      document.documentElement.classList.add('bo-date-picker-open');
      years.fill(range(state.first, state.last), '年', at.y);
      months.fill(range(1, 12), '月', at.m);
      days.values = [];
      refreshDays();
      days.select(Math.min(at.d, daysIn(at.y, at.m)), false);
      requestAnimationFrame(function () { root.classList.add('is-open'); years.list.focus(); });
    }
    function close() {
      root.classList.remove('is-open');
      root.hidden = true;
      document.documentElement.classList.remove('bo-date-picker-open');
      if (state.input) state.input.focus();
      state.input = null;
    }
    function set(text) {
      var input = state.input;
      input.value = text;
      input.dispatchEvent(new Event('input', { bubbles: true }));
      input.dispatchEvent(new Event('change', { bubbles: true }));
      close();
    }
    mask.addEventListener('click', close);
    cancel.addEventListener('click', close);
    ok.addEventListener('click', function () {
      set(years.value() + '-' + pad(months.value()) + '-' + pad(days.value()));
    });
    today.addEventListener('click', function () {
      var now = new Date();
      set(now.getFullYear() + '-' + pad(now.getMonth() + 1) + '-' + pad(now.getDate()));
    });
    clear.addEventListener('click', function () { set(''); });
    root.addEventListener('keydown', function (event) {
      if (event.key === 'Escape') close();
      if (event.key === 'Enter') { event.preventDefault(); ok.click(); }
    });
    return { open: open };
  }

  function enhance(input) {
    var label = input.closest('label');
    var cell = input.closest('.weui-cell');
    var labelText = label ? label.firstChild && label.firstChild.textContent.trim()
                          : cell && cell.querySelector('.weui-label') ? cell.querySelector('.weui-label').firstChild.textContent.trim() : '';
    if (input.min) input.dataset.min = input.min;
    if (input.max) input.dataset.max = input.max;
    if (labelText) input.dataset.label = labelText;
    input.type = 'text';
    input.classList.add('bo-date');
    input.autocomplete = 'off';
    input.setAttribute('pattern', '\\d{4}-\\d{2}-\\d{2}');
    if (!input.placeholder) input.placeholder = '年-月-日';
    // A phone's keyboard would cover the wheels; a desktop may still type the date.
    if (window.matchMedia('(pointer: coarse)').matches) input.setAttribute('inputmode', 'none');
    input.addEventListener('click', function () { (picker = picker || build()).open(input); });
    input.addEventListener('keydown', function (event) {
      if (event.key === 'ArrowDown' && event.altKey || event.key === ' ' && !input.value) {
        event.preventDefault();
        (picker = picker || build()).open(input);
      }
    });
  }

  document.querySelectorAll('input[type=date]:not([data-native-date])').forEach(enhance);
})();
