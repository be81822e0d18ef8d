/* A running send's progress: every element with data-progress-url asks the server every 2 seconds
   ({status, status_label, progress, handled, total}) and updates its <progress>, [data-progress-label] and
   [data-progress-count] (its data-count-text with "{handled}" and "{total}" filled in). When the send has
   ended, the page reloads to show the report. Without script the page shows the figures of its last load. */
(function () {
  'use strict';
  var LIVE = ['scheduled', 'running', 'waiting'];
  var EVERY = 2000;
  var boxes = document.querySelectorAll('[data-progress-url]');

  function watch(box) {
    var bar = box.querySelector('progress');
    var label = box.querySelector('[data-progress-label]');
    var count = box.querySelector('[data-progress-count]');

    function update(body) {
      if (bar) { bar.value = body.progress; bar.textContent = body.progress + '%'; }
      if (label) { label.textContent = body.status_label; }
      if (count) {
        count.textContent = (count.getAttribute('data-count-text') || '{handled} / {total}')
          .replace('{handled}', body.handled).replace('{total}', body.total);
      }
    }

    function poll() {
      fetch(box.getAttribute('data-progress-url'), {credentials: 'same-origin', headers: {Accept: 'application/json'}})
        .then(function (answer) {
          if (!answer.ok) { throw new Error(String(answer.status)); }
          return answer.json();
        })
        .then(function (body) {
          update(body);
          if (LIVE.indexOf(body.status) === -1) {
            window.location.reload();
            return;
          }
          setTimeout(poll, EVERY);
        })
        .catch(function () { setTimeout(poll, EVERY * 3); });
    }

    setTimeout(poll, EVERY);
  }

  Array.prototype.forEach.call(boxes, watch);
}());
