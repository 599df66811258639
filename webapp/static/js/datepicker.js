/* A small date picker for text inputs marked data-datepicker: the value is dd/mm/yyyy, the
   calendar is Indonesian (Senin first), keyboard usable (arrows, Enter, Escape). No inline
   script, no library: served from the app under its Content-Security-Policy. */
(function () {
  "use strict";
  var BULAN = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
    "Oktober", "November", "Desember"];
  var HARI = ["Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min"];

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function format(d) { return pad(d.getDate()) + "/" + pad(d.getMonth() + 1) + "/" + d.getFullYear(); }
  function parse(text) {
    var m = /^(\d{1,2})[\/.\-](\d{1,2})[\/.\-](\d{4})$/.exec((text || "").trim());
    if (!m) { return null; }
    var d = new Date(+m[3], +m[2] - 1, +m[1]);
    return d.getMonth() === +m[2] - 1 ? d : null;
  }
  function sameDay(a, b) { return a && b && a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate(); }

  function attach(input) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "datepicker-open";
    button.textContent = "📅";
    button.setAttribute("aria-label", "Pilih tanggal untuk " + (input.getAttribute("aria-label") || labelText(input)));
    button.setAttribute("aria-haspopup", "dialog");
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("data-testid", "datepicker-" + input.name);
    input.insertAdjacentElement("afterend", button);
    var panel = null;
    var shown = null;   // first day of the month shown
    var focused = null; // the day that has keyboard focus

    function close(returnFocus) {
      if (panel) { panel.remove(); panel = null; }
      button.setAttribute("aria-expanded", "false");
      if (returnFocus) { button.focus(); }
    }
    function choose(d) {
      input.value = format(d);
      input.dispatchEvent(new Event("change", { bubbles: true }));
      close(false);
      input.focus();
    }
    function draw() {
      var selected = parse(input.value);
      panel.innerHTML = "";
      var nav = document.createElement("div");
      nav.className = "nav";
      var prev = navButton("‹", "Bulan sebelumnya", -1);
      var title = document.createElement("strong");
      title.id = "dp-title-" + input.name;
      title.setAttribute("aria-live", "polite");
      title.textContent = BULAN[shown.getMonth()] + " " + shown.getFullYear();
      var next = navButton("›", "Bulan berikutnya", 1);
      nav.append(prev, title, next);
      panel.appendChild(nav);
      var table = document.createElement("table");
      table.setAttribute("role", "grid");
      table.setAttribute("aria-labelledby", title.id);
      var head = table.createTHead().insertRow();
      HARI.forEach(function (h) {
        var th = document.createElement("th");
        th.scope = "col";
        th.textContent = h;
        head.appendChild(th);
      });
      var body = table.createTBody();
      var offset = (shown.getDay() + 6) % 7; // Monday first
      var day = new Date(shown.getFullYear(), shown.getMonth(), 1 - offset);
      for (var week = 0; week < 6; week++) {
        var row = body.insertRow();
        for (var i = 0; i < 7; i++) {
          var cell = row.insertCell();
          if (day.getMonth() === shown.getMonth()) {
            var b = document.createElement("button");
            b.type = "button";
            b.className = "day";
            b.textContent = day.getDate();
            b.setAttribute("aria-label", day.getDate() + " " + BULAN[day.getMonth()] + " " + day.getFullYear());
            cell.setAttribute("aria-selected", sameDay(day, selected) ? "true" : "false");
            b.setAttribute("data-date", format(day));
            b.tabIndex = sameDay(day, focused) ? 0 : -1;
            b.addEventListener("click", choose.bind(null, new Date(day)));
            cell.appendChild(b);
          }
          day.setDate(day.getDate() + 1);
        }
      }
      panel.appendChild(table);
      var current = panel.querySelector('button.day[tabindex="0"]');
      if (current) { current.focus(); }
    }
    function navButton(text, label, step) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = text;
      b.setAttribute("aria-label", label);
      b.addEventListener("click", function () {
        shown = new Date(shown.getFullYear(), shown.getMonth() + step, 1);
        focused = new Date(shown);
        draw();
        place();
      });
      return b;
    }
    function open() {
      var start = parse(input.value) || new Date();
      focused = new Date(start.getFullYear(), start.getMonth(), start.getDate());
      shown = new Date(start.getFullYear(), start.getMonth(), 1);
      panel = document.createElement("div");
      panel.className = "datepicker";
      panel.setAttribute("role", "dialog");
      panel.setAttribute("aria-modal", "false");
      panel.setAttribute("aria-label", "Pilih tanggal");
      panel.setAttribute("data-testid", "datepicker-panel");
      panel.addEventListener("keydown", function (event) {
        var moves = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7 };
        if (event.key === "Escape") { event.preventDefault(); close(true); return; }
        if (moves[event.key] !== undefined && event.target.classList.contains("day")) {
          event.preventDefault();
          focused = new Date(focused.getFullYear(), focused.getMonth(), focused.getDate() + moves[event.key]);
          shown = new Date(focused.getFullYear(), focused.getMonth(), 1);
          draw();
          place();
        }
      });
      button.insertAdjacentElement("afterend", panel);
      button.setAttribute("aria-expanded", "true");
      draw();
      place();
    }
    // fixed to the viewport next to the button: a table cell or a scrolling wrapper never clips it
    function place() {
      if (!panel) { return; }
      var rect = button.getBoundingClientRect();
      var width = panel.offsetWidth, height = panel.offsetHeight;
      var left = Math.max(4, Math.min(rect.left, window.innerWidth - width - 4));
      var top = rect.bottom + 4;
      if (top + height > window.innerHeight - 4 && rect.top - height - 4 > 0) { top = rect.top - height - 4; }
      panel.style.left = left + "px";
      panel.style.top = top + "px";
    }
    window.addEventListener("scroll", place, true);
    window.addEventListener("resize", place);
    button.addEventListener("click", function () { if (panel) { close(true); } else { open(); } });
    document.addEventListener("click", function (event) {
      // a click inside the panel may have redrawn it (month buttons): its target is then detached
      if (panel && event.target.isConnected && !panel.contains(event.target) && event.target !== button) { close(false); }
    });
  }

  function labelText(input) {
    var label = input.id && document.querySelector('label[for="' + input.id + '"]');
    return label ? label.textContent.replace("*", "").trim() : input.name;
  }

  document.querySelectorAll("input[data-datepicker]").forEach(attach);
})();
