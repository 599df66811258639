/* Case page: while automatic steps are queued or running, ask the server every few seconds
 * whether anything changed (GET /kasus/<id>/status) and reload the page when it did.
 * The element carrying data-poll-url is rendered only while something is pending. */
(function () {
  "use strict";
  var box = document.querySelector("[data-poll-url]");
  if (!box || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-poll-url");
  var state = box.getAttribute("data-poll-state");
  var interval = parseInt(box.getAttribute("data-poll-interval"), 10) || 2000;
  var failures = 0;

  function schedule(delay) {
    window.setTimeout(check, delay);
  }

  function check() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        if (data.state !== state) {
          window.location.reload();
          return;
        }
        schedule(interval);
      })
      .catch(function () {
        failures += 1; /* server away or session ended: ask less often */
        schedule(Math.min(interval * Math.pow(2, failures), 60000));
      });
  }

  schedule(interval);
})();
