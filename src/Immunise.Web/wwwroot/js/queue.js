// The waiting page with JavaScript: asks for the visitor's status (GET /api/v1/queue/status, with the ticket cookie) as
// often as the service says, updates the place and estimate in the page's aria-live region (screen readers hear the change
// without focus moving), and goes on to booking when it is the visitor's turn. Without JavaScript the page reloads itself.
(function () {
  'use strict';
  var region = document.getElementById('queue-status');
  if (!region || !window.fetch) {
    return;
  }

  var statusUrl = region.getAttribute('data-status-url');
  var returnUrl = region.getAttribute('data-return-url');
  var state = region.getAttribute('data-state');
  var seconds = Number(region.getAttribute('data-poll-seconds')) || 10;
  var failures = 0;

  function setText(id, build) {
    var element = document.getElementById(id);
    if (!element) {
      return;
    }

    var next = document.createElement('p');
    next.id = id;
    next.className = element.className;
    build(next);
    if (next.textContent !== element.textContent) {
      element.replaceWith(next);
    }
  }

  function show(status) {
    setText('queue-position', function (p) {
      p.appendChild(document.createTextNode('You are number '));
      var strong = document.createElement('strong');
      strong.textContent = status.positionText;
      p.appendChild(strong);
      p.appendChild(document.createTextNode(' in the queue.'));
    });
    setText('queue-wait', function (p) {
      p.textContent = status.paused
        ? 'Admissions are paused at the moment. You will keep your place.'
        : status.opensAt
          ? 'Admissions start when booking opens.'
          : status.estimatedWait
            ? 'Estimated wait: ' + status.estimatedWait + '.'
            : 'We cannot estimate your wait yet.';
    });
  }

  function poll() {
    fetch(statusUrl, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error('status ' + response.status);
        }

        return response.json();
      })
      .then(function (status) {
        failures = 0;
        if (status.status === 'admitted' || status.status === 'no-queue') {
          setText('queue-wait', function (p) { p.textContent = 'It is your turn. Taking you to book your vaccination.'; });
          window.location.assign(returnUrl);
          return;
        }

        if (status.status !== state) {
          window.location.reload(); // opened, or the place has ended: the page says what happens next
          return;
        }

        if (status.status === 'waiting') {
          show(status);
        }

        seconds = status.pollSeconds || seconds;
        window.setTimeout(poll, seconds * 1000);
      })
      .catch(function () {
        failures += 1;
        if (failures >= 3) {
          window.location.reload();
          return;
        }

        window.setTimeout(poll, Math.min(seconds * 2 * failures, 60) * 1000);
      });
  }

  window.setTimeout(poll, seconds * 1000);
})();
