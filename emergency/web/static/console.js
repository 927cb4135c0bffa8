// The console's only script (the Content-Security-Policy allows no inline code):
// the CSRF header on htmx requests, confirmations, charts from embedded JSON, sortable tables.
(function () {
  "use strict";
  var csrf = function () {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  };

  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = csrf();
  });

  // <form data-confirm="…">: asks before an irreversible action (approve, lift, import, disable).
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // A page-changing form, once sent, cannot be sent again by a second click (htmx forms manage their own requests).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || form.hasAttribute("hx-post") || form.hasAttribute("hx-get")) return;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) { b.disabled = true; });
    }, 0);
  });
  window.addEventListener("pageshow", function () {  // back to a page from the cache: its forms work again
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      delete form.dataset.sent;
      form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
    });
  });

  // <div data-chart="id-of-a-json-script">: an ECharts option rendered server-side as JSON.
  var charts = [];
  function drawCharts(root) {
    if (!window.echarts) return;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-chart"));
      if (!source) return;
      var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el, null, {renderer: "svg"});
      chart.setOption(JSON.parse(source.textContent), true);
      if (charts.indexOf(chart) < 0) charts.push(chart);
    });
  }
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { if (!chart.isDisposed()) chart.resize(); });
  });

  // <table class="sortable">: click a header to sort by that column (numbers as numbers).
  function sortable(root) {
    root.querySelectorAll("table.sortable th").forEach(function (th) {
      if (th.dataset.sortReady) return;
      th.dataset.sortReady = "1";
      th.tabIndex = 0;
      th.setAttribute("role", "button");
      var sort = function () {
        var table = th.closest("table"), body = table.tBodies[0], index = th.cellIndex;
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        table.querySelectorAll("th").forEach(function (o) { o.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[index].textContent.trim(), y = b.cells[index].textContent.trim();
          var nx = parseFloat(x), ny = parseFloat(y);
          var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y, "zh-CN");
          return ascending ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      };
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
    });
  }

  // <select data-autosubmit> / <input data-autosubmit>: submit its form when it changes.
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) {
      if (el.form.requestSubmit) el.form.requestSubmit(); else el.form.submit();
    }
  });

  // An htmx request that failed (4xx/5xx not swapped, or no answer): say so instead of nothing.
  function failed(event) {
    var box = document.getElementById("request-failed");
    if (!box) return;
    var xhr = event.detail && event.detail.xhr, status = xhr ? xhr.status : 0;
    box.querySelector("span").textContent = status === 413 ? box.getAttribute("data-too-large") : (status ? "(" + status + ")" : "");
    box.hidden = false;
    box.scrollIntoView({block: "nearest"});
  }
  document.addEventListener("htmx:responseError", failed);
  document.addEventListener("htmx:sendError", failed);
  document.addEventListener("htmx:beforeRequest", function () {
    var box = document.getElementById("request-failed");
    if (box) box.hidden = true;
  });

  function ready(root) { drawCharts(root); sortable(root); }
  document.addEventListener("DOMContentLoaded", function () { ready(document); });
  document.addEventListener("htmx:load", function (event) { ready(event.detail.elt.parentNode || document); });
})();
