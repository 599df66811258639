/* The one BPMN diagram viewer of sopflow (case page, auditor moment, version comparison, process list).
 *
 * Every element with the class "diagram" and a data-diagram-json (id of a JSON <script>, optionally with
 * data-diagram-part naming a key inside it) or a data-bpmn-url attribute becomes a read-only bpmn-js viewer:
 *   - drawn only once its container is visible (IntersectionObserver + ResizeObserver), so a diagram in a
 *     closed <details> or a hidden tab is never fitted into a zero-sized box ("SVGMatrix scale non-finite");
 *   - fitted to its container, but never below the scale at which the smallest label is 11 px on screen:
 *     a larger diagram is shown at that scale around the current step and the user pans;
 *   - zoom buttons (+ / -), "Sesuaikan" (fit again), mouse-wheel zoom at the pointer, drag to pan,
 *     and the keyboard (arrows pan, + / - zoom, 0 fits) when the diagram has focus;
 *   - marked elements (data-marks="completed:selesai active:aktif ...") get a colour and a symbol badge,
 *     so colour is never the only signal (the legend next to the diagram shows both).
 * The container carries data-ready="ya" once drawn (or "galat" with a message) and data-scale.
 */
(function () {
  "use strict";

  var MIN_LABEL_PX = 11; /* smallest readable label on screen */
  var MIN_SCALE = 0.2;
  var MAX_SCALE = 4;
  var STEP = 1.25; /* one zoom button press or one wheel notch */
  var PADDING = 16; /* px around a fitted diagram */
  var SYMBOLS = {
    selesai: { text: "\u2713", title: "selesai" },
    aktif: { text: "\u25B6 sekarang", title: "langkah saat ini" },
    terlambat: { text: "\u26A0 terlambat", title: "melewati tenggat" },
    gagal: { text: "\u2716 gagal", title: "langkah otomatis gagal" },
    tambah: { text: "+ baru", title: "ditambah" },
    hapus: { text: "\u2212 dihapus", title: "dihapus" },
    ubah: { text: "\u0394 diubah", title: "diubah" }
  };

  function finite(value) {
    return typeof value === "number" && isFinite(value) && value > 0;
  }

  /* The container's size when it is really shown, else null (hidden, or inside a closed <details>,
     whose content keeps a layout size in some browsers although nothing is painted). */
  function sizeOf(element) {
    if (element.closest("details:not([open])")) { return null; }
    if (element.checkVisibility && !element.checkVisibility()) { return null; }
    var width = element.clientWidth;
    var height = element.clientHeight;
    return width > 0 && height > 0 ? { width: width, height: height } : null;
  }

  function parseMarks(text) {
    return (text || "").split(/\s+/).filter(Boolean).map(function (pair) {
      var parts = pair.split(":");
      return { key: parts[0], marker: parts[1] || parts[0] };
    });
  }

  function DiagramView(container) {
    this.container = container;
    this.viewer = null;
    this.state = "waiting"; /* waiting → loading → ready | error */
    this.userZoomed = false;
    this.minScale = 1;
    this.focus = null;
  }

  DiagramView.prototype.source = function () {
    var el = this.container;
    if (el.hasAttribute("data-bpmn-url")) {
      return window.fetch(el.getAttribute("data-bpmn-url"), { credentials: "same-origin" }).then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text().then(function (xml) { return { xml: xml }; });
      });
    }
    var script = document.getElementById(el.getAttribute("data-diagram-json"));
    var data = JSON.parse(script.textContent);
    var part = el.getAttribute("data-diagram-part");
    return Promise.resolve(part ? data[part] : data);
  };

  /* Draw the diagram (once), the first time the container is visible. */
  DiagramView.prototype.start = function () {
    var self = this;
    if (self.state !== "waiting" || !sizeOf(self.container)) { return; }
    self.state = "loading";
    self.container.setAttribute("data-ready", "memuat");
    self.source().then(function (data) {
      self.data = data || {};
      self.viewer = new BpmnJS({ container: self.container });
      return self.viewer.importXML(self.data.xml);
    }).then(function () {
      self.mark();
      self.state = "ready";
      self.toolbar();
      self.interact();
      self.fit();
    }).catch(function (err) {
      self.state = "error";
      self.container.textContent = "Diagram tidak dapat ditampilkan: " + (err && err.message ? err.message : err);
      self.container.setAttribute("data-ready", "galat");
    });
  };

  /* Colour markers plus a symbol badge (overlay) per marked element. */
  DiagramView.prototype.mark = function () {
    var canvas = this.viewer.get("canvas");
    var registry = this.viewer.get("elementRegistry");
    var overlays = this.viewer.get("overlays");
    var data = this.data;
    var badges = {};
    var focus = null;
    parseMarks(this.container.getAttribute("data-marks")).forEach(function (mark) {
      (data[mark.key] || []).forEach(function (id) {
        if (!registry.get(id)) { return; }
        canvas.addMarker(id, mark.marker);
        (badges[id] = badges[id] || []).push(mark.marker);
        if (!focus && /^(aktif|terlambat|gagal|tambah|hapus|ubah)$/.test(mark.marker)) { focus = id; }
      });
    });
    Object.keys(badges).forEach(function (id) {
      var markers = badges[id];
      /* an active step that is late shows only the stronger badge */
      if (markers.indexOf("terlambat") >= 0) { markers = markers.filter(function (m) { return m !== "aktif"; }); }
      var badge = document.createElement("span");
      badge.className = "diagram-badge " + markers.map(function (m) { return "badge-" + m; }).join(" ");
      badge.textContent = markers.map(function (m) { return (SYMBOLS[m] || { text: m }).text; }).join(" ");
      badge.title = markers.map(function (m) { return (SYMBOLS[m] || { title: m }).title; }).join(", ");
      overlays.add(id, "sopflow-status", { position: { top: -9, right: 24 }, html: badge });
    });
    this.focus = focus;
  };

  /* The scale at which the smallest label of the drawing is MIN_LABEL_PX on screen. */
  DiagramView.prototype.readableScale = function () {
    var smallest = Infinity;
    var texts = this.container.querySelectorAll(".djs-visual text");
    for (var i = 0; i < texts.length; i += 1) {
      if (!texts[i].textContent.trim()) { continue; }
      var size = parseFloat(window.getComputedStyle(texts[i]).fontSize);
      if (finite(size) && size < smallest) { smallest = size; }
    }
    return isFinite(smallest) ? MIN_LABEL_PX / smallest : 1;
  };

  /* The scale of the drawing's viewport transform (what the SVG really shows). */
  DiagramView.prototype.scale = function () {
    var viewport = this.container.querySelector("svg g.viewport");
    var matrix = viewport && viewport.transform.baseVal.consolidate();
    return matrix ? matrix.matrix.a : NaN;
  };

  /* Fit to the container, not below the readable scale; larger diagrams centre on the current step. */
  DiagramView.prototype.fit = function () {
    if (this.state !== "ready") { return; }
    var size = sizeOf(this.container);
    if (!size) { return; } /* hidden: the ResizeObserver calls again when it shows */
    var canvas = this.viewer.get("canvas");
    canvas.resized();
    var inner = canvas.viewbox().inner;
    if (!finite(inner.width) || !finite(inner.height)) { return; }
    this.minScale = this.readableScale();
    var fitScale = Math.min((size.width - 2 * PADDING) / inner.width, (size.height - 2 * PADDING) / inner.height);
    var scale = Math.min(Math.max(fitScale, this.minScale), MAX_SCALE);
    var width = size.width / scale;
    var height = size.height / scale;
    var x = inner.x - (width - inner.width) / 2;
    var y = inner.y - (height - inner.height) / 2;
    if (width < inner.width + 2 * PADDING / scale) {
      x = inner.x - PADDING / scale;
      var element = this.focus && this.viewer.get("elementRegistry").get(this.focus);
      if (element) { x = Math.min(Math.max(element.x + element.width / 2 - width / 2, x), inner.x + inner.width - width + PADDING / scale); }
    }
    if (height < inner.height + 2 * PADDING / scale) {
      y = inner.y - PADDING / scale;
      var target = this.focus && this.viewer.get("elementRegistry").get(this.focus);
      if (target) { y = Math.min(Math.max(target.y + target.height / 2 - height / 2, y), inner.y + inner.height - height + PADDING / scale); }
    }
    canvas.viewbox({ x: x, y: y, width: width, height: height });
    this.userZoomed = false;
    this.fitted = scale;
    this.changed();
  };

  DiagramView.prototype.zoomBy = function (factor, center) {
    if (this.state !== "ready" || !sizeOf(this.container)) { return; }
    var canvas = this.viewer.get("canvas");
    var current = this.scale();
    if (!finite(current)) { this.fit(); return; }
    var next = Math.min(Math.max(current * factor, MIN_SCALE), MAX_SCALE);
    canvas.zoom(next, center || "auto");
    this.userZoomed = true;
    this.changed();
  };

  DiagramView.prototype.pan = function (dx, dy) {
    if (this.state !== "ready" || !sizeOf(this.container)) { return; }
    this.viewer.get("canvas").scroll({ dx: dx, dy: dy });
    this.userZoomed = true;
  };

  DiagramView.prototype.changed = function () {
    var scale = this.scale();
    if (!finite(scale)) { return; }
    this.container.setAttribute("data-scale", scale.toFixed(3));
    this.container.setAttribute("data-ready", "ya");
    if (this.scaleLabel) { this.scaleLabel.textContent = Math.round(scale * 100) + "%"; }
  };

  DiagramView.prototype.toolbar = function () {
    var self = this;
    var bar = document.createElement("div");
    bar.className = "diagram-toolbar";
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", "Kendali diagram");
    function button(label, text, testid, action) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = text;
      b.title = label;
      b.setAttribute("aria-label", label);
      b.setAttribute("data-testid", testid);
      b.addEventListener("click", action);
      bar.appendChild(b);
    }
    button("Perbesar", "+", "diagram-zoom-in", function () { self.zoomBy(STEP); });
    button("Perkecil", "\u2212", "diagram-zoom-out", function () { self.zoomBy(1 / STEP); });
    button("Sesuaikan diagram dengan bingkai", "Sesuaikan", "diagram-fit", function () { self.fit(); });
    self.scaleLabel = document.createElement("span");
    self.scaleLabel.className = "diagram-scale";
    self.scaleLabel.setAttribute("aria-live", "polite");
    self.scaleLabel.setAttribute("data-testid", "diagram-scale");
    bar.appendChild(self.scaleLabel);
    var hint = document.createElement("span");
    hint.className = "diagram-hint";
    hint.textContent = "Roda tetikus: perbesar/perkecil \u00B7 seret: geser";
    bar.appendChild(hint);
    self.container.parentNode.insertBefore(bar, self.container);
  };

  DiagramView.prototype.interact = function () {
    var self = this;
    var el = self.container;
    var drag = null;
    el.setAttribute("tabindex", "0");
    el.setAttribute("role", "group");  // not "img": bpmn-js puts focusable parts inside (axe nested-interactive)
    el.classList.add("diagram-live");
    el.addEventListener("wheel", function (event) {
      event.preventDefault();
      var rect = el.getBoundingClientRect();
      var factor = Math.pow(STEP, Math.max(-1, Math.min(1, -event.deltaY / 100)));
      self.zoomBy(factor, { x: event.clientX - rect.left, y: event.clientY - rect.top });
    }, { passive: false });
    el.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) { return; }
      drag = { x: event.clientX, y: event.clientY, id: event.pointerId };
      el.classList.add("diagram-dragging");
    });
    el.addEventListener("pointermove", function (event) {
      if (!drag || event.pointerId !== drag.id) { return; }
      var dx = event.clientX - drag.x;
      var dy = event.clientY - drag.y;
      if (!drag.captured && Math.abs(dx) + Math.abs(dy) > 3) {
        drag.captured = true;
        if (el.setPointerCapture) { el.setPointerCapture(event.pointerId); }
      }
      if (drag.captured) {
        self.pan(dx, dy);
        drag.x = event.clientX;
        drag.y = event.clientY;
      }
    });
    function stop() { drag = null; el.classList.remove("diagram-dragging"); }
    el.addEventListener("pointerup", stop);
    el.addEventListener("pointercancel", stop);
    el.addEventListener("keydown", function (event) {
      var moves = { ArrowLeft: [40, 0], ArrowRight: [-40, 0], ArrowUp: [0, 40], ArrowDown: [0, -40] };
      if (moves[event.key]) { self.pan(moves[event.key][0], moves[event.key][1]); }
      else if (event.key === "+" || event.key === "=") { self.zoomBy(STEP); }
      else if (event.key === "-") { self.zoomBy(1 / STEP); }
      else if (event.key === "0") { self.fit(); }
      else { return; }
      event.preventDefault();
    });
  };

  /* Container size changed (shown, hidden, window resized): draw if not yet, else re-fit unless zoomed by hand. */
  DiagramView.prototype.resized = function () {
    if (this.state === "waiting") { this.start(); return; }
    if (this.state !== "ready" || !sizeOf(this.container)) { return; }
    if (!this.userZoomed || !finite(this.scale())) { this.fit(); }
    else { this.viewer.get("canvas").resized(); this.changed(); }
  };

  function init() {
    if (typeof BpmnJS === "undefined") { return; }
    var containers = document.querySelectorAll(".diagram[data-diagram-json], .diagram[data-bpmn-url]");
    var views = Array.prototype.map.call(containers, function (el) { return new DiagramView(el); });
    var intersection = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) { if (entry.isIntersecting) { entry.target.sopflowDiagram.resized(); } });
    }, { rootMargin: "200px" }) : null;
    var resize = "ResizeObserver" in window ? new ResizeObserver(function (entries) {
      entries.forEach(function (entry) { entry.target.sopflowDiagram.resized(); });
    }) : null;
    views.forEach(function (view) {
      view.container.sopflowDiagram = view;
      if (intersection) { intersection.observe(view.container); }
      if (resize) { resize.observe(view.container); }
      if (!intersection && !resize) { view.start(); }
    });
    /* a <details> opening does not always resize its (already sized) child in every browser */
    document.addEventListener("toggle", function (event) {
      views.forEach(function (view) { if (event.target.contains(view.container)) { view.resized(); } });
    }, true);
    window.SopflowDiagram = { views: views };
  }

  init();
})();
