// Notificações: the text editor's live preview (rendered by the server on a real visit of the
// shop, with the same pt-BR errors the save gives) and the variables inserted at the caret.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("editor");
    var text = document.getElementById("notif-text");
    if (!form || !text) return;
    var preview = document.getElementById("notif-preview");
    var errors = document.getElementById("notif-errors");
    var csrf = form.querySelector("input[name=csrf_token]").value;
    var timer = null, seq = 0;

    function show(data) {
      preview.textContent = data.preview;
      errors.innerHTML = "";
      (data.errors || []).forEach(function (msg) {
        var li = document.createElement("li");
        li.textContent = msg;
        errors.appendChild(li);
      });
      errors.hidden = !(data.errors && data.errors.length);
    }

    function refresh() {
      var mine = ++seq;
      var body = new URLSearchParams();
      body.set("text", text.value);
      body.set("kind", form.querySelector("input[name=kind]").value);
      fetch(form.getAttribute("data-preview-url"), {
        method: "POST", credentials: "same-origin", body: body,
        headers: {"X-CSRF-Token": csrf, "Accept": "application/json"}
      }).then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data && mine === seq) show(data); })
        .catch(function () { /* the saved preview stays */ });
    }

    text.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 250);
    });
    Array.prototype.forEach.call(form.querySelectorAll("[data-insert]"), function (b) {
      b.addEventListener("click", function () {
        var v = b.getAttribute("data-insert");
        var start = text.selectionStart, end = text.selectionEnd;
        text.value = text.value.slice(0, start) + v + text.value.slice(end);
        text.focus();
        text.selectionStart = text.selectionEnd = start + v.length;
        refresh();
      });
    });
  });
})();
