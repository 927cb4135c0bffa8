// The live board: every few seconds, fetch the board's figures (JSON built by the server, words
// included) and redraw in place: [data-live] texts, [data-live-width] bars, [data-live-flag] rungs
// passed, the ECharts options.
// A new notice (another activation) changes the page's shape: then it reloads.
(function () {
  "use strict";
  var root = document.querySelector("[data-board]");
  if (!root) return;
  var url = root.getAttribute("data-live-url");
  var every = (parseInt(root.getAttribute("data-refresh"), 10) || 5) * 1000;
  var activation = root.getAttribute("data-activation") || "";

  function each(selector, fn) {
    Array.prototype.forEach.call(root.querySelectorAll(selector), fn);
  }

  function apply(data) {
    if (String(data.activation || "") !== activation) {
      window.location.reload();
      return;
    }
    Object.keys(data.text).forEach(function (key) {
      each('[data-live="' + key + '"]', function (el) {
        if (el.textContent !== data.text[key]) el.textContent = data.text[key];
      });
    });
    Object.keys(data.widths).forEach(function (key) {
      each('[data-live-width="' + key + '"]', function (el) { el.style.width = data.widths[key] + "%"; });
    });
    Object.keys(data.flags).forEach(function (key) {
      each('[data-live-flag="' + key + '"]', function (el) { el.classList.toggle("passed", !!data.flags[key]); });
    });
    if (window.echarts) {
      Object.keys(data.charts).forEach(function (id) {
        var el = root.querySelector('[data-chart="' + id + '"]');
        if (!el) return;
        var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el, null, {renderer: "svg"});
        chart.setOption(data.charts[id]);
      });
    }
    root.classList.remove("stale");
  }

  function poll() {
    if (document.hidden) {
      window.setTimeout(poll, every);
      return;
    }
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}, cache: "no-store"})
      .then(function (response) {
        if (!response.ok || response.redirected) throw new Error(String(response.status));
        return response.json();
      })
      .then(apply)
      .catch(function () { root.classList.add("stale"); })
      .then(function () { window.setTimeout(poll, every); });
  }
  window.setTimeout(poll, every);
})();
