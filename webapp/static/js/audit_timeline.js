/* Audit timeline: a link that names an event only by its fragment (#event-<seq>, or the older
 * #peristiwa-<seq>) opens the page holding that event (?peristiwa=<seq>), and the event row is
 * scrolled into view inside the scrolling event list. Runs on load and on every change of the fragment. */
(function () {
  "use strict";
  function follow() {
    var match = /^#(?:event|peristiwa)-(\d+)$/.exec(window.location.hash);
    if (!match) { return; }
    var row = document.getElementById("event-" + match[1]);
    if (!row) {
      var url = new URL(window.location.href);
      if (url.searchParams.get("peristiwa") === match[1]) { return; } /* not an event of this case: stay */
      url.searchParams.delete("halaman"); /* the filters stay: the event's place among their matches */
      url.searchParams.set("peristiwa", match[1]);
      url.hash = "event-" + match[1];
      window.location.replace(url.toString());
      return;
    }
    row.scrollIntoView({ block: "center" });
  }
  window.addEventListener("hashchange", follow);
  follow();
})();
