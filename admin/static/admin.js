// petbot admin panel: small progressive enhancements (no framework, no build step).
(function () {
  "use strict";
  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  document.addEventListener("DOMContentLoaded", function () {
    // Menu toggle on phones.
    $all("[data-toggle]").forEach(function (btn) {
      btn.addEventListener("click", function () {
        var target = document.getElementById(btn.getAttribute("data-toggle"));
        if (target) target.classList.toggle("open");
      });
    });
    // "Voltar" links.
    $all("[data-back]").forEach(function (a) {
      a.addEventListener("click", function (ev) {
        if (history.length > 1) { ev.preventDefault(); history.back(); }
      });
    });
    // Confirmation prompts.
    $all("form[data-confirm]").forEach(function (f) {
      f.addEventListener("submit", function (ev) {
        if (!window.confirm(f.getAttribute("data-confirm"))) ev.preventDefault();
      });
    });
    // Destructive buttons that share a form with a harmless one ("Salvar" / "Remover").
    $all("button[data-confirm]").forEach(function (b) {
      b.addEventListener("click", function (ev) {
        if (!window.confirm(b.getAttribute("data-confirm"))) ev.preventDefault();
      });
    });
    // Reorder lists in the page (the bot menu): ↑/↓ move the row, "Salvar" saves the order.
    // Without JavaScript the same buttons reload the form with the row moved, nothing saved.
    $all("[data-reorder] [data-move]").forEach(function (b) {
      b.addEventListener("click", function (ev) {
        ev.preventDefault();
        var li = b.closest("li"), list = li.parentNode;
        if (b.getAttribute("data-move") === "up" && li.previousElementSibling) list.insertBefore(li, li.previousElementSibling);
        else if (b.getAttribute("data-move") === "down" && li.nextElementSibling) list.insertBefore(li.nextElementSibling, li);
        var rows = $all("li", list);
        rows.forEach(function (row, i) {
          $all("[data-move=up]", row).forEach(function (x) { x.disabled = i === 0; });
          $all("[data-move=down]", row).forEach(function (x) { x.disabled = i === rows.length - 1; });
        });
        b.focus();
      });
    });
    // Auto-submit selects (filters).
    $all("[data-autosubmit]").forEach(function (el) {
      el.addEventListener("change", function () { el.form.submit(); });
    });
    // Opening hours / working ranges: add and remove range rows.
    $all("[data-add-range]").forEach(function (btn) {
      btn.addEventListener("click", function () {
        var box = document.getElementById(btn.getAttribute("data-add-range"));
        var max = parseInt(btn.getAttribute("data-max") || "4", 10);
        var rows = $all(".range", box);
        if (rows.length >= max) { btn.disabled = true; return; }
        var tpl = rows.length ? rows[rows.length - 1] : null;
        var row = tpl ? tpl.cloneNode(true) : null;
        if (!row) return;
        $all("input", row).forEach(function (i) { i.value = ""; });
        box.appendChild(row);
        if (rows.length + 1 >= max) btn.disabled = true;
      });
    });
    $all("[data-del-range]").forEach(function (btn) {
      btn.addEventListener("click", function () {
        var box = document.getElementById(btn.getAttribute("data-del-range"));
        var rows = $all(".range", box);
        if (rows.length > 1) box.removeChild(rows[rows.length - 1]);
        else $all("input", rows[0]).forEach(function (i) { i.value = ""; });
        var add = document.querySelector('[data-add-range="' + box.id + '"]');
        if (add) add.disabled = false;
      });
    });
    // Inbox: poll the waiting-conversations endpoint.
    var badge = document.getElementById("inbox-badge");
    var list = document.getElementById("conv-list");
    var url = (badge && badge.getAttribute("data-poll")) || (list && list.getAttribute("data-poll"));
    if (url) {
      var poll = function () {
        fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (data) {
            if (!data) return;
            var n = (data.conversations || []).length;
            if (badge) { badge.textContent = n; badge.hidden = n === 0; }
            if (list) renderList(list, data.conversations || []);
          })
          .catch(function () { /* offline: try again later */ });
      };
      poll();
      setInterval(poll, parseInt((list && list.getAttribute("data-interval")) || "5000", 10));
    }
    function renderList(el, convs) {
      var current = el.getAttribute("data-current");
      var known = {};
      $all("a[data-id]", el).forEach(function (a) { known[a.getAttribute("data-id")] = a; });
      var fresh = document.createDocumentFragment();
      convs.forEach(function (c) {
        var a = known[String(c.id)] || document.createElement("a");
        a.setAttribute("data-id", String(c.id));
        a.href = "/admin/atendimento/" + c.id;
        a.className = String(c.id) === current ? "active" : "";
        a.textContent = "";
        var strong = document.createElement("strong"); strong.textContent = c.name;
        var small = document.createElement("span"); small.className = "small muted";
        small.textContent = " · aguardando há " + c.waiting;
        a.appendChild(strong); a.appendChild(small);
        fresh.appendChild(a);
      });
      el.textContent = "";
      if (!convs.length) {
        var p = document.createElement("p"); p.className = "muted"; p.textContent = "Nenhuma conversa aguardando.";
        el.appendChild(p);
      }
      el.appendChild(fresh);
    }
    // Copy a field (Pix copia e cola, invoice link) to the clipboard.
    $all("[data-copy]").forEach(function (btn) {
      btn.addEventListener("click", function () {
        var field = $(btn.getAttribute("data-copy"));
        if (!field) return;
        field.select();
        var done = function () { btn.textContent = "Copiado!"; };
        if (navigator.clipboard) navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
        else { document.execCommand("copy"); done(); }
      });
    });
    $all("[data-print]").forEach(function (btn) {
      btn.addEventListener("click", function () { window.print(); });
    });
    // Chat: keep scrolled to the last message.
    var chat = $(".chat"); if (chat) chat.scrollTop = chat.scrollHeight;
  });
})();
