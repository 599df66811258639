/* The auditor's "moment" page: keys step to the previous / next event (not while typing).
   The keys come from this script element's data-prev-key / data-next-key (ArrowLeft / ArrowRight),
   the targets from the page's <link rel="prev"> and <link rel="next">. */
(function () {
  "use strict";
  var script = document.currentScript;
  var keys = {};
  keys[(script && script.getAttribute("data-prev-key")) || "ArrowLeft"] = "prev";
  keys[(script && script.getAttribute("data-next-key")) || "ArrowRight"] = "next";
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
    var tag = (event.target && event.target.tagName) || "";
    if (/^(INPUT|TEXTAREA|SELECT)$/.test(tag) || (event.target && event.target.isContentEditable)) { return; }
    var rel = Object.prototype.hasOwnProperty.call(keys, event.key) ? keys[event.key] : null;
    var link = rel && document.querySelector('link[rel="' + rel + '"]');
    if (link) { window.location.href = link.href; }
  });
})();
