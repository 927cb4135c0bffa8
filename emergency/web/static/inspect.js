// The inspector's pages. The visit list asks the phone where it is (once per tab) and reloads
// ordered by distance. The visit form works on a slow connection: every choice is kept in
// localStorage as it is made, each photo is uploaded as soon as it is chosen (kept in IndexedDB
// until the server has it, so a reload does not lose it, and retried on demand), and the visit is
// sent as JSON with a key made once, so that sending it again records it once. The draft is
// removed only when the server has recorded the visit.
(function () {
  "use strict";

  var NO_LOCATION = "inspect:no-location";

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, name) { return name in values ? String(values[name]) : all; });
  }

  function randomKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // ---- the visit list ----------------------------------------------------------------------

  function visitList(list) {
    markDrafts(list);
    if (list.getAttribute("data-located") === "1" || !navigator.geolocation) return;
    if (window.sessionStorage.getItem(NO_LOCATION)) return;
    navigator.geolocation.getCurrentPosition(function (where) {
      var url = new URL(window.location.href);
      url.searchParams.set("lat", where.coords.latitude.toFixed(5));
      url.searchParams.set("lon", where.coords.longitude.toFixed(5));
      url.searchParams.delete("page");
      window.location.replace(url.toString());
    }, function () {
      window.sessionStorage.setItem(NO_LOCATION, "1");  // asked once; the list works without it
    }, {maximumAge: 300000, timeout: 15000});
  }

  function markDrafts(list) {
    var prefix = "inspect:" + list.getAttribute("data-user") + ":" + list.getAttribute("data-warning") + ":";
    list.querySelectorAll("a[data-credit-code]").forEach(function (link) {
      if (window.localStorage.getItem(prefix + link.getAttribute("data-credit-code"))) {
        var badge = link.querySelector(".draft-badge");
        if (badge) badge.hidden = false;
      }
    });
  }

  // ---- photos waiting for the server, kept across reloads ------------------------------------

  var pending = (function () {
    var opened = null;
    function db() {
      if (!window.indexedDB) return Promise.reject(new Error("no IndexedDB"));
      if (!opened) {
        opened = new Promise(function (resolve, reject) {
          var request = window.indexedDB.open("emergency-inspect", 1);
          request.onupgradeneeded = function () { request.result.createObjectStore("photos", {keyPath: "local"}); };
          request.onsuccess = function () { resolve(request.result); };
          request.onerror = function () { reject(request.error); };
        });
      }
      return opened;
    }
    function run(mode, work) {
      return db().then(function (found) {
        return new Promise(function (resolve, reject) {
          var tx = found.transaction("photos", mode);
          var request = work(tx.objectStore("photos"));
          tx.oncomplete = function () { resolve(request ? request.result : undefined); };
          tx.onerror = function () { reject(tx.error); };
        });
      });
    }
    return {
      put: function (record) { return run("readwrite", function (s) { return s.put(record); }).catch(function () {}); },
      remove: function (local) { return run("readwrite", function (s) { return s.delete(local); }).catch(function () {}); },
      of: function (draft) {
        return run("readonly", function (s) { return s.getAll(); }).then(function (rows) {
          return (rows || []).filter(function (r) { return r.draft === draft; });
        }).catch(function () { return []; });
      }
    };
  })();

  // ---- the visit form ----------------------------------------------------------------------

  function visitForm(form) {
    var words = JSON.parse(document.getElementById("inspect-words").textContent);
    var lang = form.getAttribute("data-lang");
    var key = form.getAttribute("data-draft-key");
    var maxPhotos = Number(form.getAttribute("data-max-photos") || 20);
    var list = document.getElementById("photo-list");
    var send = document.getElementById("send");
    var hint = document.getElementById("send-hint");
    var errorBox = document.getElementById("visit-error");
    var photos = [];  // {local, name, blob, state: uploading|done|failed, photo, error, progress, li}
    var draft = read() || {client_key: randomKey(), findings: {}, result: null, note: "", at: null, location: null,
                           photos: []};
    var restored = !!read();

    function read() {
      try { return JSON.parse(window.localStorage.getItem(key) || "null"); } catch (e) { return null; }
    }

    function save() {
      draft.photos = photos.filter(function (p) { return p.state === "done"; }).map(function (p) { return p.photo; });
      draft.saved_at = new Date().toISOString();
      try { window.localStorage.setItem(key, JSON.stringify(draft)); } catch (e) { /* full: the page still works */ }
    }

    function collect() {
      form.querySelectorAll("fieldset[data-measure]").forEach(function (set) {
        var id = set.getAttribute("data-measure");
        var chosen = set.querySelector("input[type=radio]:checked");
        var note = set.querySelector("textarea");
        draft.findings[id] = {ok: chosen ? chosen.value : null, note: note ? note.value : ""};
      });
      var result = form.querySelector("input[name=result]:checked");
      draft.result = result ? result.value : null;
      draft.note = form.elements.note.value;
      save();
    }

    function restore() {
      Object.keys(draft.findings).forEach(function (id) {
        var finding = draft.findings[id];
        var set = form.querySelector('fieldset[data-measure="' + id + '"]');
        if (!set) return;
        if (finding.ok) set.querySelector('input[value="' + finding.ok + '"]').checked = true;
        set.querySelector("textarea").value = finding.note || "";
      });
      if (draft.result) form.querySelector('input[name=result][value="' + draft.result + '"]').checked = true;
      form.elements.note.value = draft.note || "";
      if (draft.at) form.elements.at.value = draft.at;
      (draft.photos || []).forEach(function (photo) {
        add({local: "done-" + photo.id, name: "", state: "done", photo: photo});
      });
      showLocation(draft.location);
    }

    // Photos: each one a tile with its state; a failed one says why and offers a retry.
    function add(item) {
      item.li = document.createElement("li");
      item.li.className = "photo";
      list.appendChild(item.li);
      photos.push(item);
      draw(item);
      return item;
    }

    function draw(item) {
      var li = item.li;
      li.setAttribute("data-state", item.state);
      li.textContent = "";
      var img = document.createElement("img");
      img.alt = "";
      img.onerror = function () { img.hidden = true; };
      if (item.state === "done") img.src = item.photo.thumb;
      else if (item.blob) img.src = item.preview || (item.preview = URL.createObjectURL(item.blob));
      li.appendChild(img);
      var status = document.createElement("div");
      status.className = "status";
      if (item.state === "uploading") {
        var bar = document.createElement("progress");
        bar.max = 1;
        if (item.progress != null) bar.value = item.progress;
        status.appendChild(bar);
        status.appendChild(document.createTextNode(words.uploading));
      } else if (item.state === "done") {
        status.textContent = "✓ " + words.uploaded;
      } else {
        status.textContent = words.upload_failed;
        var why = document.createElement("p");
        why.className = "why";
        why.setAttribute("role", "alert");
        why.textContent = item.error;
        status.appendChild(why);
      }
      li.appendChild(status);
      var actions = document.createElement("p");
      actions.className = "actions";
      if (item.state === "failed") actions.appendChild(button(words.retry, "retry", function () { upload(item); }));
      if (item.state !== "uploading") actions.appendChild(button(words.remove, "remove secondary", function () { drop(item); }));
      li.appendChild(actions);
      refresh();
    }

    function button(text, className, action) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = className;
      b.textContent = text;
      b.addEventListener("click", action);
      return b;
    }

    function drop(item) {
      photos.splice(photos.indexOf(item), 1);
      item.li.remove();
      if (item.preview) URL.revokeObjectURL(item.preview);
      pending.remove(item.local);
      save();
      refresh();
    }

    function message(answer, status) {
      var error = answer && answer.error;
      if (error) return (lang === "zh" ? error.message_zh : error.message) || error.message || error.code;
      return words.upload_failed + " (HTTP " + status + ")";
    }

    function upload(item) {
      item.state = "uploading";
      item.progress = null;
      draw(item);
      var data = new FormData();
      data.append("file", item.blob, item.name || "photo.jpg");
      var xhr = new XMLHttpRequest();
      xhr.open("POST", "/api/v1/inspections/photos");
      xhr.setRequestHeader("X-CSRF-Token", csrf());
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = function (event) {
        if (!event.lengthComputable) return;
        item.progress = event.loaded / event.total;
        var bar = item.li.querySelector("progress");
        if (bar) bar.value = item.progress;
      };
      xhr.onload = function () {
        var answer = null;
        try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = null; }
        if (xhr.status === 201 && answer && answer.id) {
          item.state = "done";
          item.photo = {id: answer.id, thumb: answer.thumb, view: answer.view};
          pending.remove(item.local);
          save();
        } else {
          item.state = "failed";
          item.error = message(answer, xhr.status);
        }
        draw(item);
      };
      xhr.onerror = function () {
        item.state = "failed";
        item.error = words.offline;
        draw(item);
      };
      xhr.send(data);
    }

    function choose(files) {
      Array.prototype.forEach.call(files, function (file) {
        if (photos.length >= maxPhotos) {
          showError(fill(words.too_many, {n: maxPhotos}));
          return;
        }
        var item = add({local: key + ":" + Date.now() + ":" + Math.random().toString(36).slice(2), name: file.name,
                        blob: file, state: "uploading"});
        pending.put({local: item.local, draft: key, name: file.name, blob: file});
        upload(item);
      });
    }

    function refresh() {
      var uploading = photos.some(function (p) { return p.state === "uploading"; });
      var failed = photos.some(function (p) { return p.state === "failed"; });
      send.disabled = uploading || failed || form.hasAttribute("data-sending");
      hint.textContent = uploading ? words.waiting_photos : failed ? words.failed_photos : "";
    }

    // Location: asked when the page opens; the visit goes without it when the phone refuses.
    function locate() {
      if (!navigator.geolocation) return;
      if (!draft.location) document.getElementById("location").textContent = words.locating;
      navigator.geolocation.getCurrentPosition(function (where) {
        draft.location = {lat: where.coords.latitude, lon: where.coords.longitude,
                          accuracy_m: Math.round(where.coords.accuracy)};
        save();
        showLocation(draft.location);
      }, function () { showLocation(draft.location); }, {enableHighAccuracy: true, maximumAge: 60000, timeout: 20000});
    }

    function showLocation(where) {
      document.getElementById("location").textContent = where ? fill(words.located, {m: where.accuracy_m}) : words.not_located;
    }

    function showError(text) {
      errorBox.textContent = text;
      errorBox.hidden = !text;
    }

    function body() {
      var findings = Object.keys(draft.findings).filter(function (id) { return draft.findings[id].ok; })
        .map(function (id) {
          var f = draft.findings[id];
          return {measure_id: Number(id), ok: f.ok === "ok", note: (f.note || "").trim() || null};
        });
      var sent = {warning_id: Number(form.getAttribute("data-warning")), credit_code: form.getAttribute("data-credit-code"),
                  result: draft.result, findings: findings, note: (draft.note || "").trim() || null,
                  photos: draft.photos.map(function (p) { return p.id; }), client_key: draft.client_key,
                  location: draft.location};
      if (draft.at) sent.at = draft.at.length === 16 ? draft.at + ":00" : draft.at;
      return sent;
    }

    function submit(event) {
      event.preventDefault();
      collect();
      if (send.disabled) return;
      if (!draft.result) {
        showError(words.choose_result);
        return;
      }
      showError("");
      form.setAttribute("data-sending", "");
      send.textContent = words.sending;
      refresh();
      fetch("/api/v1/inspections", {
        method: "POST", credentials: "same-origin", body: JSON.stringify(body()),
        headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf()}
      }).then(function (response) {
        return response.json().catch(function () { return null; }).then(function (answer) {
          if (response.ok && answer) return sent(answer);
          showError(message(answer, response.status));
        });
      }).catch(function () {
        showError(words.offline);
      }).then(function () {
        form.removeAttribute("data-sending");
        send.textContent = send.getAttribute("data-label");
        refresh();
      });
    }

    function sent(answer) {
      window.localStorage.removeItem(key);
      photos.forEach(function (p) { pending.remove(p.local); });
      form.hidden = true;
      document.getElementById("restored").hidden = true;
      var done = document.getElementById("sent");
      var title = done.querySelector("[data-template]");
      title.textContent = fill(title.getAttribute("data-template"), {id: answer.id});
      done.hidden = false;
      done.scrollIntoView();
    }

    send.setAttribute("data-label", send.textContent);
    restore();
    if (restored) document.getElementById("restored").hidden = false;
    pending.of(key).then(function (rows) {
      rows.forEach(function (row) {
        upload(add({local: row.local, name: row.name, blob: row.blob, state: "uploading"}));
      });
    });
    form.addEventListener("change", function (event) {
      var target = event.target;
      if (target.type === "file") {
        choose(target.files);
        target.value = "";
        return;
      }
      if (target.type === "radio" && target.value === "bad") {
        form.querySelector("#result-violation").checked = true;
      }
      collect();
    });
    form.addEventListener("input", function (event) {
      if (event.target.name === "at") draft.at = event.target.value || null;
      collect();
    });
    form.addEventListener("submit", submit);
    locate();
    refresh();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var list = document.getElementById("visit-list");
    if (list) visitList(list);
    var form = document.getElementById("visit");
    if (form && !form.hasAttribute("data-closed")) visitForm(form);
  });
})();
