/* The process editor: the bpmn-js modeler with a plain-HTML side panel for the properties sopflow reads.

   The panel edits the selected element through modeling.updateModdleProperties / updateProperties,
   so every change is on the command stack (undo with Ctrl+Z on the canvas). The draft is saved
   10 s after a change, on "Simpan draf" and before publishing; the server's validation problems
   are listed and the elements they concern get the marker "galat". */
(function () {
  "use strict";

  var source = document.getElementById("editor-data");
  var container = document.getElementById("canvas");
  if (!source || !container || typeof BpmnJS === "undefined" || !window.SOPFLOW_SPIFF_MODDLE) { return; }

  var data = JSON.parse(source.textContent);
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var panel = document.getElementById("panel");
  var statusEl = document.getElementById("save-status");
  var problemList = document.getElementById("problems");
  var problemsEmpty = document.getElementById("problems-empty");
  var publishForm = document.getElementById("publish-form");
  var AUTOSAVE_MS = 10000;
  var SPIFF = "spiffworkflow:";

  var modeler = new BpmnJS({ container: container, moddleExtensions: { spiffworkflow: window.SOPFLOW_SPIFF_MODDLE } });
  window.sopflowEditor = modeler;  // for the browser test and the curious
  var modeling = modeler.get("modeling");
  var moddle = modeler.get("moddle");
  var registry = modeler.get("elementRegistry");
  var canvas = modeler.get("canvas");
  var selection = modeler.get("selection");
  var eventBus = modeler.get("eventBus");

  var MUTU_BAKU = [
    ["sop.step", "Nomor langkah SOP", "number"],
    ["sop.uraian", "Uraian (kosong = nama tugas)", "text"],
    ["sop.persyaratan", "Persyaratan / kelengkapan", "textarea"],
    ["sop.waktu", "Waktu", "number"],
    ["sop.satuan", "Satuan waktu", "satuan"],
    ["sop.output", "Output", "textarea"],
    ["sop.keterangan", "Keterangan", "textarea"]
  ];
  var IDENTITY = [
    ["sop.nomor", "Nomor SOP", "text"],
    ["sop.judul", "Judul SOP", "text"],
    ["sop.instansi", "Instansi", "text"],
    ["sop.pemerintah", "Pemerintah", "text"],
    ["sop.tanggal_pembuatan", "Tanggal pembuatan", "date"],
    ["sop.tanggal_revisi", "Tanggal revisi", "date"],
    ["sop.tanggal_pengesahan", "Tanggal pengesahan", "date"],
    ["sop.disahkan_oleh", "Disahkan oleh", "text"],
    ["sop.pengesah_jabatan", "Jabatan pengesah", "text"],
    ["sop.pengesah_nama", "Nama pengesah", "text"],
    ["sop.pengesah_nip", "NIP pengesah", "text"]
  ];
  var LISTS = [
    ["sop.dasar_hukum", "Dasar hukum"],
    ["sop.kualifikasi", "Kualifikasi pelaksana"],
    ["sop.keterkaitan", "Keterkaitan"],
    ["sop.peralatan", "Peralatan / perlengkapan"],
    ["sop.peringatan", "Peringatan"],
    ["sop.pencatatan", "Pencatatan dan pendataan"]
  ];

  // -- state --------------------------------------------------------------------------------
  var dirty = false;
  var changeCount = 0;
  var timer = null;
  var saving = null;
  var saveAgain = false;
  var fromPanel = false;   // true while the panel itself changes the model (no re-render then)
  var marked = [];
  var leaving = false;
  var ready = false;       // the panel renders only once the diagram is imported

  // -- the business objects and their spiffworkflow extensions ------------------------------
  function bo(element) { return element.businessObject; }
  function is(element, type) { return bo(element) && bo(element).$instanceOf(type); }

  function extensionsOf(b, type) {
    var ext = b.get("extensionElements");
    return ext ? (ext.get("values") || []).filter(function (v) { return v.$type === type; }) : [];
  }
  function propertyList(b) {
    var props = extensionsOf(b, SPIFF + "Properties")[0];
    return props ? props.get("properties") : [];
  }
  function findProperty(b, name) {
    return propertyList(b).filter(function (p) { return p.name === name; })[0] || null;
  }
  function getProperty(b, name) {
    var found = findProperty(b, name);
    return found && found.value != null ? String(found.value) : "";
  }

  function ensureExtensionElements(element, b) {
    var ext = b.get("extensionElements");
    if (!ext) {
      ext = moddle.create("bpmn:ExtensionElements", { values: [] });
      ext.$parent = b;
      modeling.updateModdleProperties(element, b, { extensionElements: ext });
    }
    return ext;
  }
  function ensureProperties(element, b) {
    var props = extensionsOf(b, SPIFF + "Properties")[0];
    if (!props) {
      var ext = ensureExtensionElements(element, b);
      props = moddle.create(SPIFF + "Properties", { properties: [] });
      props.$parent = ext;
      modeling.updateModdleProperties(element, ext, { values: ext.get("values").concat([props]) });
    }
    return props;
  }

  /* Set one spiffworkflow:property (empty value removes it). */
  function setProperty(element, b, name, value) {
    var found = findProperty(b, name);
    if (found && String(found.value || "") === value) { return; }
    if (!found && value === "") { return; }
    if (found && value === "") {
      var holder = found.$parent || extensionsOf(b, SPIFF + "Properties")[0];
      modeling.updateModdleProperties(element, holder, {
        properties: holder.get("properties").filter(function (p) { return p !== found; })
      });
    } else if (found) {
      modeling.updateModdleProperties(element, found, { value: value });
    } else {
      var props = ensureProperties(element, b);
      var created = moddle.create(SPIFF + "Property", { name: name, value: value });
      created.$parent = props;
      modeling.updateModdleProperties(element, props, { properties: props.get("properties").concat([created]) });
    }
  }

  /* A numbered list (prefix.1 .. prefix.N) from the lines of a text; keeps its place among the properties. */
  function listValues(b, prefix) {
    var pattern = new RegExp("^" + prefix.replace(/\./g, "\\.") + "\\.(\\d+)$");
    return propertyList(b)
      .filter(function (p) { return pattern.test(p.name); })
      .sort(function (x, y) { return Number(pattern.exec(x.name)[1]) - Number(pattern.exec(y.name)[1]); })
      .map(function (p) { return p.value || ""; });
  }
  function setList(element, b, prefix, text) {
    var lines = text.split("\n").map(function (l) { return l.trim(); }).filter(Boolean);
    if (lines.join("\n") === listValues(b, prefix).join("\n")) { return; }
    var pattern = new RegExp("^" + prefix.replace(/\./g, "\\.") + "\\.\\d+$");
    var props = ensureProperties(element, b);
    var fresh = lines.map(function (line, i) {
      var p = moddle.create(SPIFF + "Property", { name: prefix + "." + (i + 1), value: line });
      p.$parent = props;
      return p;
    });
    var result = [];
    var placed = false;
    props.get("properties").forEach(function (p) {
      if (pattern.test(p.name)) {
        if (!placed) { result = result.concat(fresh); placed = true; }
      } else {
        result.push(p);
      }
    });
    if (!placed) { result = result.concat(fresh); }
    modeling.updateModdleProperties(element, props, { properties: result });
  }

  // -- lanes ----------------------------------------------------------------------------------
  function lanes() {
    return registry.filter(function (e) {
      return e.type === "bpmn:Lane" && !(bo(e).childLaneSet && (bo(e).childLaneSet.lanes || []).length);
    });
  }
  function laneOf(element) {
    return lanes().filter(function (lane) { return (bo(lane).get("flowNodeRef") || []).indexOf(bo(element)) >= 0; })[0];
  }
  function moveToLane(element, laneId) {
    if (!laneId) {  // "(tanpa lane)": take the node out of every lane, where it stays drawn
      lanes().forEach(function (lane) {
        var refs = bo(lane).get("flowNodeRef") || [];
        if (refs.indexOf(bo(element)) >= 0) {
          modeling.updateModdleProperties(lane, bo(lane), {
            flowNodeRef: refs.filter(function (r) { return r !== bo(element); })
          });
        }
      });
      return;
    }
    var lane = registry.get(laneId);
    var dy = Math.round((lane.y + lane.height / 2) - (element.y + element.height / 2));
    if (dy !== 0) {
      modeling.moveElements([element], { x: 0, y: dy });  // bpmn-js updates flowNodeRef from the new position
    }
    if (laneOf(element) !== lane) {  // same band already, or refs out of date: set them explicitly
      moveToLane(element, "");
      modeling.updateModdleProperties(lane, bo(lane), { flowNodeRef: (bo(lane).get("flowNodeRef") || []).concat([bo(element)]) });
    }
  }

  // -- the process (SOP identity) ------------------------------------------------------------
  function processTarget() {
    var root = canvas.getRootElement();
    if (is(root, "bpmn:Collaboration")) {
      var participant = registry.filter(function (e) { return e.type === "bpmn:Participant" && bo(e).processRef; })[0];
      if (participant) { return { element: participant, b: bo(participant).processRef }; }
    }
    return { element: root, b: bo(root) };
  }

  // -- the panel -------------------------------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") { node.textContent = attrs[key]; } else { node.setAttribute(key, attrs[key]); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  var fieldSeq = 0;
  /* One labelled input; onChange(value) runs inside the "fromPanel" guard. */
  function field(label, kind, value, onChange, options) {
    var id = "f" + (++fieldSeq);
    var input;
    if (kind === "textarea" || kind === "lines") {
      input = el("textarea", { id: id, rows: kind === "lines" ? "4" : "2" });
      input.value = value;
    } else if (kind === "select") {
      input = el("select", { id: id });
      (options || []).forEach(function (opt) {
        var o = el("option", { value: opt[0], text: opt[1] });
        if (opt[0] === value) { o.selected = true; }
        input.appendChild(o);
      });
    } else {
      input = el("input", { id: id, type: kind === "number" ? "number" : kind === "date" ? "date" : "text" });
      if (kind === "number") { input.setAttribute("min", "0"); input.setAttribute("step", "any"); }
      input.value = value;
    }
    input.setAttribute("data-testid", "field-" + label.key);
    input.addEventListener("change", function () { apply(function () { onChange(input.value); }); });
    return el("div", { "class": "field" }, [el("label", { "for": id, text: label.text }), input]);
  }
  function apply(action) {
    fromPanel = true;
    try { action(); } catch (err) { setStatus("Perubahan gagal: " + (err && err.message ? err.message : err), "galat"); }
    finally { fromPanel = false; }
  }
  function propertyField(element, b, spec) {
    var key = spec[0];
    var kind = spec[2];
    var value = getProperty(b, key);
    var setter = function (v) { setProperty(element, b, key, v.trim()); };
    if (kind === "satuan") {
      var options = data.satuan.map(function (s) { return [s, s]; });
      if (value && data.satuan.indexOf(value) < 0) { options.push([value, value + " (tidak dikenal)"]); }
      if (!value) { options.unshift(["", "(hari kerja, bawaan)"]); }
      return field({ key: key, text: spec[1] }, "select", value, setter, options);
    }
    return field({ key: key, text: spec[1] }, kind, value, setter);
  }

  function renderPanel() {
    if (!ready) { return; }
    var selected = selection.get();
    var element = selected.length === 1 ? selected[0] : null;
    panel.innerHTML = "";
    fieldSeq = 0;
    if (!element || element.type === "bpmn:Participant" || element === canvas.getRootElement()) {
      renderProcess();
    } else if (element.type === "bpmn:SequenceFlow") {
      renderFlow(element);
    } else if (element.type === "bpmn:Lane") {
      panel.appendChild(el("h2", { text: "Lane" }));
      panel.appendChild(field({ key: "name", text: "Nama lane (peran pelaksana)" }, "text", bo(element).name || "",
        function (v) { modeling.updateLabel(element, v.trim()); }));
    } else if (is(element, "bpmn:FlowNode")) {
      renderNode(element);
    } else {
      panel.appendChild(el("h2", { text: element.type.replace("bpmn:", "") }));
      panel.appendChild(el("p", { "class": "muted", text: "Elemen ini tidak memiliki sifat SOP." }));
    }
    panel.setAttribute("data-element-id", element ? element.id : "");
  }

  function renderNode(element) {
    var b = bo(element);
    panel.appendChild(el("h2", { text: (b.name || element.id) }));
    panel.appendChild(el("p", { "class": "kv muted" }, [el("code", { text: element.id + " · " + element.type.replace("bpmn:", "") })]));
    panel.appendChild(field({ key: "name", text: "Nama" }, "text", b.name || "", function (v) { modeling.updateLabel(element, v.trim()); }));
    var laneList = lanes();
    if (laneList.length) {
      var current = laneOf(element);
      var options = [["", "(tanpa lane)"]].concat(laneList.map(function (l) { return [l.id, bo(l).name || l.id]; }));
      panel.appendChild(field({ key: "lane", text: "Lane (pelaksana)" }, "select", current ? current.id : "",
        function (v) { moveToLane(element, v); }, options));
    }
    if (is(element, "bpmn:Activity")) {
      panel.appendChild(el("h3", { text: "Mutu Baku" }));
      MUTU_BAKU.forEach(function (spec) { panel.appendChild(propertyField(element, b, spec)); });
      panel.appendChild(field({ key: "sop.pendukung", text: "Langkah pendukung (bukan baris tabel SOP)" }, "select",
        getProperty(b, "sop.pendukung"), function (v) { setProperty(element, b, "sop.pendukung", v); },
        [["", "tidak"], ["ya", "ya"]]));
      panel.appendChild(el("h3", { text: "Pelaksanaan" }));
      panel.appendChild(propertyField(element, b, ["sopflow.unit", "Unit (ekspresi, mis. isian['bidang'])", "text"]));
      panel.appendChild(propertyField(element, b, ["sopflow.label", "Label (ekspresi)", "text"]));
    }
    if (element.type === "bpmn:ServiceTask") { renderOperator(element, b); }
    if (element.type === "bpmn:UserTask") { renderForm(element, b); }
  }

  function renderOperator(element, b) {
    var op = extensionsOf(b, SPIFF + "ServiceTaskOperator")[0];
    var current = op ? op.id || "" : "";
    var options = [["", "(pilih operator)"]].concat(data.handlers.map(function (h) { return [h, h]; }));
    if (current && data.handlers.indexOf(current) < 0) { options.push([current, current + " (tidak terdaftar)"]); }
    panel.appendChild(el("h3", { text: "Operator layanan" }));
    panel.appendChild(field({ key: "operator", text: "Operator (handler terdaftar)" }, "select", current, function (v) {
      var found = extensionsOf(b, SPIFF + "ServiceTaskOperator")[0];
      if (found) {
        modeling.updateModdleProperties(element, found, { id: v });
      } else if (v) {
        var ext = ensureExtensionElements(element, b);
        var created = moddle.create(SPIFF + "ServiceTaskOperator", { id: v });
        created.$parent = ext;
        modeling.updateModdleProperties(element, ext, { values: [created].concat(ext.get("values")) });
      }
    }, options));
    panel.appendChild(field({ key: "resultVariable", text: "Variabel hasil" }, "text", op ? op.resultVariable || "" : "", function (v) {
      var found = extensionsOf(b, SPIFF + "ServiceTaskOperator")[0];
      if (found) { modeling.updateModdleProperties(element, found, { resultVariable: v.trim() || undefined }); }
    }));
    var params = op && op.parameters ? op.parameters.get("parameters") : [];
    if (params.length) {
      var list = el("ul", { "class": "doc-list kv", "data-testid": "operator-parameters" });
      params.forEach(function (p) { list.appendChild(el("li", {}, [el("code", { text: p.id + " (" + (p.type || "") + ") = " + (p.value || "") })])); });
      panel.appendChild(el("p", { "class": "kv muted", text: "Parameter (ekspresi, diubah lewat berkas .bpmn):" }));
      panel.appendChild(list);
    }
  }

  function renderForm(element, b) {
    var form = extensionsOf(b, SPIFF + "FormJsonSchemaFilename")[0];
    panel.appendChild(el("h3", { text: "Formulir" }));
    panel.appendChild(field({ key: "form", text: "Berkas JSON Schema (forms/…)" }, "text", form ? form.value || "" : "", function (v) {
      var value = v.trim();
      var found = extensionsOf(b, SPIFF + "FormJsonSchemaFilename")[0];
      var ext;
      if (found && value) {
        modeling.updateModdleProperties(element, found, { value: value });
      } else if (found) {
        ext = b.get("extensionElements");
        modeling.updateModdleProperties(element, ext, { values: ext.get("values").filter(function (x) { return x !== found; }) });
      } else if (value) {
        ext = ensureExtensionElements(element, b);
        var created = moddle.create(SPIFF + "FormJsonSchemaFilename", { value: value });
        created.$parent = ext;
        modeling.updateModdleProperties(element, ext, { values: ext.get("values").concat([created]) });
      }
    }));
  }

  function renderFlow(element) {
    var b = bo(element);
    panel.appendChild(el("h2", { text: "Alur " + (b.name || element.id) }));
    panel.appendChild(el("p", { "class": "kv muted" }, [el("code", { text: element.id + ": " + b.sourceRef.id + " → " + b.targetRef.id })]));
    panel.appendChild(field({ key: "name", text: "Nama" }, "text", b.name || "", function (v) { modeling.updateLabel(element, v.trim()); }));
    var condition = b.conditionExpression ? b.conditionExpression.body || "" : "";
    panel.appendChild(field({ key: "condition", text: "Syarat (ekspresi Python, mis. keputusan == 'teruskan')" }, "textarea", condition, function (v) {
      var value = v.trim();
      var expression;
      if (value) {
        expression = moddle.create("bpmn:FormalExpression", { body: value });
        if (b.conditionExpression && b.conditionExpression.language) { expression.language = b.conditionExpression.language; }
      }
      modeling.updateProperties(element, { conditionExpression: expression });
    }));
  }

  function renderProcess() {
    var target = processTarget();
    var b = target.b;
    var element = target.element;
    panel.appendChild(el("h2", { text: "Identitas SOP" }));
    panel.appendChild(el("p", { "class": "kv muted" }, [el("code", { text: b.id })]));
    IDENTITY.forEach(function (spec) { panel.appendChild(propertyField(element, b, spec)); });
    LISTS.forEach(function (spec) {
      panel.appendChild(field({ key: spec[0], text: spec[1] + " (satu per baris)" }, "lines", listValues(b, spec[0]).join("\n"),
        function (v) { setList(element, b, spec[0], v); }));
    });
    panel.appendChild(el("h3", { text: "Pelaksanaan" }));
    panel.appendChild(propertyField(element, b, ["sopflow.start_form", "Formulir mulai (forms/…)", "text"]));
    panel.appendChild(propertyField(element, b, ["sopflow.carry_over", "Variabel dari kasus sebelumnya (dipisah koma)", "text"]));
    var laneNames = lanes().map(function (l) { return bo(l).name || l.id; });
    laneNames.forEach(function (name) {
      var key = "sopflow.atasan." + name;
      var options = [["", "(tidak ada)"]].concat(laneNames.filter(function (n) { return n !== name; }).map(function (n) { return [n, n]; }));
      var current = getProperty(b, key);
      if (current && laneNames.indexOf(current) < 0) { options.push([current, current]); }
      panel.appendChild(field({ key: key, text: "Atasan eskalasi lane " + name }, "select", current,
        function (v) { setProperty(element, b, key, v); }, options));
    });
  }

  // -- validation problems -------------------------------------------------------------------
  function shapeFor(id) {
    var found = registry.get(id);
    if (found) { return found; }
    var target = processTarget();
    return target.b && target.b.id === id && target.element !== canvas.getRootElement() ? target.element : null;
  }
  function showProblems(problems) {
    marked.forEach(function (id) { if (registry.get(id)) { canvas.removeMarker(id, "galat"); } });
    marked = [];
    problemList.innerHTML = "";
    (problems || []).forEach(function (problem) {
      var shape = problem.element ? shapeFor(problem.element) : null;
      var text = (problem.element ? problem.element + ": " : "") + problem.message;
      var item = el("li", { "data-testid": "problem", "data-element-id": problem.element || "" });
      if (shape) {
        if (marked.indexOf(shape.id) < 0) { canvas.addMarker(shape.id, "galat"); marked.push(shape.id); }
        var link = el("button", { type: "button", "class": "link", text: text });
        link.addEventListener("click", function () {
          selection.select(shape);
          if (canvas.scrollToElement) { canvas.scrollToElement(shape); }
        });
        item.appendChild(link);
      } else {
        item.textContent = text;
      }
      problemList.appendChild(item);
    });
    problemsEmpty.hidden = (problems || []).length > 0;
    container.setAttribute("data-problems", String((problems || []).length));
  }

  // -- saving ----------------------------------------------------------------------------------
  function setStatus(text, kind) {
    statusEl.textContent = text;
    statusEl.className = "save-status" + (kind ? " " + kind : "");
    statusEl.setAttribute("data-state", kind || "");
  }
  function clock() {
    var now = new Date();
    return ("0" + now.getHours()).slice(-2) + ":" + ("0" + now.getMinutes()).slice(-2) + ":" + ("0" + now.getSeconds()).slice(-2);
  }

  /* Save the draft now; the promise resolves (never rejects) once the answer is handled. */
  function save() {
    if (saving) { saveAgain = true; return saving; }
    clearTimeout(timer);
    timer = null;
    var counted = changeCount;
    setStatus("Menyimpan draf…", "sibuk");
    saving = modeler.saveXML({ format: true }).then(function (result) {
      return fetch(data.save_url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ bpmn_xml: result.xml })
      });
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (!response.ok) {
          if (body.problems) { showProblems(body.problems); }
          throw new Error(body.error || ("server menjawab " + response.status + "; mungkin sesi berakhir, muat ulang halaman"));
        }
        if (changeCount === counted) { dirty = false; }
        showProblems(body.problems || []);
        var count = (body.problems || []).length;
        setStatus(count ? "Draf tersimpan " + clock() + ", " + count + " masalah perlu diperbaiki." : "Draf tersimpan " + clock() + ", tanpa masalah.",
          count ? "galat" : "tersimpan");
      });
    }).catch(function (err) {
      setStatus("Draf belum tersimpan: " + (err && err.message ? err.message : err), "galat");
    }).then(function () {
      saving = null;
      if (saveAgain) { saveAgain = false; return save(); }
      if (dirty) { setStatus("Ada perubahan yang belum disimpan.", "kotor"); }
      return null;
    });
    return saving;
  }

  eventBus.on("commandStack.changed", function () {
    dirty = true;
    changeCount += 1;
    setStatus("Ada perubahan yang belum disimpan (tersimpan otomatis dalam 10 detik).", "kotor");
    if (!timer) { timer = setTimeout(save, AUTOSAVE_MS); }
    if (!fromPanel) { renderPanel(); }  // e.g. a shape dragged into another lane
  });
  eventBus.on("selection.changed", renderPanel);

  document.getElementById("save-draft").addEventListener("click", function () { save(); });
  window.addEventListener("beforeunload", function (event) {
    if (dirty && !leaving) {
      event.preventDefault();
      event.returnValue = "";
      return "";
    }
    return undefined;
  });
  if (publishForm) {
    publishForm.addEventListener("submit", function (event) {
      if (publishForm.getAttribute("data-saved") === "ya") { return; }
      event.preventDefault();
      save().then(function () {
        if (dirty) { return; }  // the draft could not be saved: stay here, the status says why
        publishForm.setAttribute("data-saved", "ya");
        leaving = true;
        publishForm.submit();
      });
    });
  }
  document.querySelectorAll("form").forEach(function (form) {
    if (form !== publishForm) { form.addEventListener("submit", function () { if (!dirty) { leaving = true; } }); }
  });

  // -- load ------------------------------------------------------------------------------------
  /* bpmn-js drops references to ids it cannot find (e.g. loopDataInputRef naming a process
     variable); put a placeholder back so saveXML writes them unchanged. */
  function keepUnresolvedReferences(warnings) {
    (warnings || []).forEach(function (warning) {
      if (!warning.element || !warning.property || !/unresolved reference/.test(warning.message || "")) { return; }
      var placeholder = moddle.create("bpmn:ItemAwareElement", { id: warning.value });
      var descriptor = warning.element.$descriptor.propertiesByName[warning.property];
      if (descriptor && descriptor.isMany) {
        warning.element.get(warning.property).push(placeholder);
      } else {
        warning.element.set(warning.property, placeholder);
      }
    });
  }

  modeler.importXML(data.xml).then(function (result) {
    keepUnresolvedReferences(result.warnings);
    ready = true;
    canvas.zoom("fit-viewport");
    showProblems(data.problems);
    renderPanel();
    container.setAttribute("data-ready", "ya");
  }).catch(function (err) {
    if (window.console) { console.error(err); }
    container.textContent = "Diagram tidak dapat dibuka: " + (err && err.message ? err.message : err);
    container.setAttribute("data-ready", "galat");
  });
})();
