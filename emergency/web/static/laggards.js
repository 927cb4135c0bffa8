// The laggards list: "select this page" and the count of the ticked rows, with the button for
// them enabled only when there are some (the server refuses an empty choice all the same).
(function () {
  "use strict";
  function boxes(form) {
    return Array.prototype.slice.call(form.querySelectorAll('input[name="credit_code"]:not(:disabled)'));
  }
  function update(form) {
    var ticked = boxes(form).filter(function (b) { return b.checked; }).length;
    var count = document.getElementById("chosen-count");
    if (count) count.textContent = count.getAttribute("data-template").replace("{n}", String(ticked));
    var button = document.getElementById("remind-selected");
    if (button) button.disabled = ticked === 0;
    var all = document.getElementById("select-page");
    if (all) all.checked = ticked > 0 && ticked === boxes(form).length;
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("remind-form");
    if (!form) return;
    form.addEventListener("change", function (event) {
      if (event.target.id === "select-page") {
        boxes(form).forEach(function (b) { b.checked = event.target.checked; });
      }
      update(form);
    });
    update(form);
  });
})();
