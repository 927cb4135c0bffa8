// Assigning inspections: "select all shown", the count of the ticked rows, and a question before
// enterprises already assigned to someone else are sent to another inspector.
(function () {
  "use strict";
  function boxes(form) {
    return Array.prototype.slice.call(form.querySelectorAll('input[name="credit_code"]'));
  }
  function ticked(form) {
    return boxes(form).filter(function (b) { return b.checked; });
  }
  function update(form) {
    var n = ticked(form).length;
    var count = document.getElementById("chosen-count");
    if (count) count.textContent = count.getAttribute("data-template").replace("{n}", String(n));
    ["assign-selected", "unassign-selected"].forEach(function (id) {
      var button = document.getElementById(id);
      if (button) button.disabled = n === 0;
    });
    var all = document.getElementById("select-shown");
    if (all) all.checked = n > 0 && n === boxes(form).length;
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("assign-form");
    if (!form) return;
    form.addEventListener("change", function (event) {
      if (event.target.id === "select-shown") {
        boxes(form).forEach(function (b) { b.checked = event.target.checked; });
      }
      update(form);
    });
    // Capture, so that a "no" stops the submission before console.js marks the form as sent.
    document.addEventListener("submit", function (event) {
      if (event.target !== form || !event.submitter || event.submitter.value !== "assign") return;
      var to = document.getElementById("inspector").value;
      var others = ticked(form).filter(function (b) {
        var current = b.closest("tr").getAttribute("data-inspector");
        return current && current !== to;
      }).length;
      if (others && !window.confirm(form.getAttribute("data-reassign").replace("{n}", String(others)))) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    }, true);
    update(form);
  });
})();
