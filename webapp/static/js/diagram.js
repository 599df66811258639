/* Draw the case's BPMN diagram with bpmn-js and mark completed, active, overdue and failed elements. */
(function () {
  "use strict";
  var container = document.getElementById("diagram");
  var source = document.getElementById("diagram-data");
  if (!container || !source || typeof BpmnJS === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var viewer = new BpmnJS({ container: container });
  viewer.importXML(data.xml).then(function () {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    canvas.zoom("fit-viewport");
    var marks = [["completed", "selesai"], ["active", "aktif"], ["overdue", "terlambat"], ["failed", "gagal"]];
    marks.forEach(function (pair) {
      (data[pair[0]] || []).forEach(function (id) {
        if (registry.get(id)) { canvas.addMarker(id, pair[1]); }
      });
    });
    container.setAttribute("data-ready", "ya");
  }).catch(function (err) {
    container.textContent = "Diagram tidak dapat ditampilkan: " + (err && err.message ? err.message : err);
    container.setAttribute("data-ready", "galat");
  });
  window.addEventListener("resize", function () { viewer.get("canvas").zoom("fit-viewport"); });
})();
