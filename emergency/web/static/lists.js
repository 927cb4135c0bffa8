// The lists page's upload (<form data-upload>): the chosen file's name, a progress bar while the
// workbook goes up (htmx:xhr:progress), then "checking…" until the dry run answers. A refused or
// failed upload is reported by console.js. No inline code: the CSP forbids it.
(function () {
  "use strict";
  function uploadForm(event) {
    var el = event.detail && event.detail.elt ? event.detail.elt : event.target;
    return el && el.closest ? el.closest("form[data-upload]") : null;
  }

  function parts(form) {
    return {box: form.querySelector(".upload-progress"), bar: form.querySelector("progress"),
            text: form.querySelector("[data-progress-text]"), button: form.querySelector("button[type=submit]")};
  }

  // The chosen file's name beside the "choose" button (the native input is hidden: its words are the browser's).
  document.addEventListener("change", function (event) {
    var input = event.target, form = input.closest ? input.closest("form[data-upload]") : null;
    if (!form || input.type !== "file") return;
    var label = form.querySelector("[data-file-name]");
    if (!label.dataset.none) label.dataset.none = label.textContent;
    label.textContent = input.files.length ? input.files[0].name : label.dataset.none;
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = uploadForm(event);
    if (!form) return;
    var p = parts(form);
    form.dataset.stage = "upload";
    p.box.hidden = false;
    p.bar.value = 0;
    p.text.textContent = form.dataset.uploading.replace("{pct}", "0");
    p.button.disabled = true;
  });

  // Fired for the upload and again for the download of the answer: only the upload counts.
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = uploadForm(event);
    if (!form || form.dataset.stage !== "upload" || !event.detail.lengthComputable) return;
    var p = parts(form), pct = Math.floor(100 * event.detail.loaded / Math.max(event.detail.total, 1));
    if (pct >= 100) {
      form.dataset.stage = "check";
      p.bar.removeAttribute("value");  // indeterminate while the server checks the workbook
      p.text.textContent = form.dataset.checking;
    } else {
      p.bar.value = pct;
      p.text.textContent = form.dataset.uploading.replace("{pct}", String(pct));
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = uploadForm(event);
    if (!form) return;
    var p = parts(form);
    form.dataset.stage = "";
    p.box.hidden = true;
    p.button.disabled = false;
  });
})();
