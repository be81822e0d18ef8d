/* The audience builder: the count follows the filters as they change. The server counts (one implementation of
   the filters, in Python) a moment after the last change; an older answer arriving late never overwrites a
   newer one. Submitting the form still shows the count, the first members and the save form without script. */
(function () {
  'use strict';
  var form = document.getElementById('audience-filters');
  var total = document.getElementById('audience-live');
  if (!form || !total) { return; }
  var timer = null;
  var asked = 0;

  function query() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) { params.append(name, value); });
    return params.toString();
  }

  function refresh() {
    var mine = ++asked;
    fetch(form.getAttribute('data-count-url') + '?' + query(), {credentials: 'same-origin'})
      .then(function (answer) { return answer.json(); })
      .then(function (body) {
        if (mine !== asked) { return; }
        total.textContent = body.text;
        total.classList.toggle('bo-flash_warning', Boolean(body.error));
      })
      .catch(function () { /* the submit button still works */ });
  }

  function soon() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  }

  form.addEventListener('input', soon);
  form.addEventListener('change', soon);
}());
