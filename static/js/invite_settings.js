/* 招募设置: keep the sentence under the reward table in step with the input. The sentence comes from the server
   (one wording, in Python), asked again a moment after the last change; an older answer arriving late never
   overwrites a newer one, and a failed request leaves the last sentence (saving is unaffected). */
(function () {
  'use strict';
  var form = document.getElementById('recruit-settings-form');
  var preview = document.getElementById('referral-preview');
  if (!form || !preview) { return; }
  var timer = null;
  var asked = 0;

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
      .catch(function () { /* the last sentence stays */ });
  }

  function changed() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  }

  form.addEventListener('input', changed);
  form.addEventListener('change', changed);
})();
