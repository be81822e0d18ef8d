/* The reward rule form: show only the fields the chosen kind uses (data-kinds), and keep the preview sentence
   in step with the input. The sentence itself comes from the server (one wording, in Python), asked again a
   moment after the last change; an older answer arriving late never overwrites a newer one. */
(function () {
  'use strict';
  var form = document.getElementById('reward-rule-form');
  if (!form) { return; }
  var kind = form.querySelector('[name="kind"]');
  var preview = document.getElementById('rule-preview');
  var timer = null;
  var asked = 0;

  function showFieldsOfKind() {
    var fields = form.querySelectorAll('.rule-field');
    for (var i = 0; i < fields.length; i++) {
      var kinds = fields[i].getAttribute('data-kinds').split(' ');
      fields[i].hidden = kinds.indexOf(kind.value) < 0;
    }
  }

  function query() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (name !== 'csrf_token') { params.append(name, value); }
    });
    return params.toString();
  }

  function refresh() {
    var mine = ++asked;
    fetch(form.getAttribute('data-preview-url') + '?' + query(), {credentials: 'same-origin'})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (body && mine === asked) { preview.textContent = body.text; }
      })
      .catch(function () { /* the last sentence stays; saving is unaffected */ });
  }

  function changed() {
    showFieldsOfKind();
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  }

  form.addEventListener('input', changed);
  form.addEventListener('change', changed);
  showFieldsOfKind();
})();
