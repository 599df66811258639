/* Two read-only diagrams of a process, old and new version, with added/removed/changed elements marked. */
(function () {
  "use strict";
  var source = document.getElementById("compare-data");
  if (!source || typeof BpmnJS === "undefined") { return; }
  var data = JSON.parse(source.textContent);

  function draw(containerId, side, marks) {
    var container = document.getElementById(containerId);
    var viewer = new BpmnJS({ container: container });
    return viewer.importXML(side.xml).then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      canvas.zoom("fit-viewport");
      marks.forEach(function (pair) {
        (side[pair[0]] || []).forEach(function (id) {
          if (registry.get(id)) { canvas.addMarker(id, pair[1]); }
        });
      });
      container.setAttribute("data-ready", "ya");
    }).catch(function (err) {
      container.textContent = "Diagram tidak dapat ditampilkan: " + (err && err.message ? err.message : err);
      container.setAttribute("data-ready", "galat");
    });
  }

  draw("diagram-old", data.old, [["removed", "hapus"], ["changed", "ubah"]]);
  draw("diagram-new", data.new, [["added", "tambah"], ["changed", "ubah"]]);
})();
