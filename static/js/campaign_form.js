/* The campaign form (templates/backoffice/campaigns/form.html): shows the fields the current choices use and hides
   the rest, which stay in the form (the server ignores what the choices do not use):
   - [data-channels]: the message texts of the chosen channel;
   - [data-birthday-days]: the days before a birthday, unless the gift goes on the 1st of the month;
   - [data-every]: the weekday or the day of the month of a recurring campaign;
   - [data-second]: a dormant campaign's second-step rewards, once its days are filled in;
   - [data-spares]: of the rows inside (coupon slots, own date ranges) the filled ones and one empty one show, and a
     button (its text from data-add-text) shows one more.
   Without script every field shows. */
(function () {
  'use strict';
  var form = document.getElementById('campaign-form');
  if (!form) { return; }

  function chosen(name) {
    var picked = form.querySelector('input[name="' + name + '"]:checked');
    return picked ? picked.value : '';
  }

  function valueOf(name) {
    var field = form.querySelector('[name="' + name + '"]');
    return field ? field.value.trim() : '';
  }

  function each(selector, callback) {
    Array.prototype.forEach.call(form.querySelectorAll(selector), callback);
  }

  function apply() {
    var channel = chosen('channel');
    each('[data-channels]', function (part) {
      part.hidden = part.getAttribute('data-channels').split(' ').indexOf(channel) === -1;
    });
    each('[data-birthday-days]', function (part) { part.hidden = chosen('birthday_mode') === 'month_first'; });
    each('[data-every]', function (part) { part.hidden = part.getAttribute('data-every') !== chosen('every'); });
    each('[data-second]', function (part) { part.hidden = valueOf('second_after_days') === ''; });
  }

  function filled(row) {
    return Array.prototype.some.call(row.querySelectorAll('input, select'), function (field) {
      if (field.type === 'checkbox' || field.type === 'radio') { return field.checked; }
      return field.value.trim() !== '' && field.value !== field.getAttribute('placeholder');
    });
  }

  function spares(box) {
    var rows = Array.prototype.filter.call(box.children, function (row) { return row.hasAttribute('data-spare'); });
    var shownEmpty = false;
    rows.forEach(function (row) {
      var keep = filled(row) || row.querySelector('.bo-field-error') || !shownEmpty;
      if (!filled(row)) { shownEmpty = true; }
      row.hidden = !keep;
    });
    var more = document.createElement('button');
    more.type = 'button';
    more.className = 'weui-btn weui-btn_default weui-btn_mini cp-more';
    more.textContent = box.getAttribute('data-add-text');
    more.addEventListener('click', function () {
      var next = rows.filter(function (row) { return row.hidden; })[0];
      if (next) { next.hidden = false; }
      more.hidden = !rows.some(function (row) { return row.hidden; });
    });
    more.hidden = !rows.some(function (row) { return row.hidden; });
    box.appendChild(more);
  }

  each('[data-spares]', spares);
  form.addEventListener('change', apply);
  form.addEventListener('input', apply);
  apply();
}());
