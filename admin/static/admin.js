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
        if (!window.confirm(f.getAttribute("data-confirm"))) { ev.preventDefault(); return; }
        // A field the server reads as "confirmed" (else it asks on a page of its own).
        var flag = $("input[data-confirmed]", f);
        if (flag) flag.value = "1";
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
    // Inbox: short polling with an ETag (If-None-Match → 304 while nothing changed); see
    // admin/panel/inbox/conversations.py. Paused while the tab is hidden.
    function pollJson(url, onData) {
      var etag = null;
      return function () {
        if (document.hidden) return;
        var headers = { "Accept": "application/json" };
        if (etag) headers["If-None-Match"] = etag;
        fetch(typeof url === "function" ? url() : url, { credentials: "same-origin", cache: "no-store", headers: headers })
          .then(function (r) {
            if (r.status !== 200) return null;
            etag = r.headers.get("ETag");
            return r.json();
          })
          .then(function (data) { if (data) onData(data); })
          .catch(function () { /* offline: try again later */ });
      };
    }
    var badge = document.getElementById("inbox-badge");
    var list = document.getElementById("conv-list");
    var url = (list && list.getAttribute("data-poll")) || (badge && badge.getAttribute("data-poll"));
    if (url) {
      var pollList = pollJson(url, function (data) {
        var n = (data.conversations || []).length;
        if (badge) { badge.textContent = n; badge.hidden = n === 0; }
        if (list) renderList(list, data.conversations || []);
        var returned = document.getElementById("returned-list");
        if (returned && data.returned) renderReturned(returned, data.returned, list && list.getAttribute("data-current"));
      });
      pollList();
      setInterval(pollList, parseInt((list && list.getAttribute("data-interval")) || "5000", 10));
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
        a.appendChild(strong);
        if (c.phone) {
          var phone = document.createElement("span"); phone.className = "small muted conv-phone";
          phone.textContent = " " + c.phone; a.appendChild(phone);
        }
        var small = document.createElement("span"); small.className = "small conv-state " + c.state;
        small.textContent = c.state === "em_atendimento" ? " · em atendimento · " + c.holder
                                                         : " · aguardando há " + c.waiting;
        a.appendChild(small);
        fresh.appendChild(a);
      });
      el.textContent = "";
      if (!convs.length) {
        var p = document.createElement("p"); p.className = "muted"; p.textContent = "Nenhuma conversa aguardando.";
        el.appendChild(p);
      }
      el.appendChild(fresh);
    }
    function renderReturned(el, convs, current) {
      el.textContent = "";
      convs.forEach(function (c) {
        var a = document.createElement("a");
        a.setAttribute("data-id", String(c.id));
        a.href = "/admin/atendimento/" + c.id;
        a.className = String(c.id) === current ? "active" : "";
        var strong = document.createElement("strong"); strong.textContent = c.name;
        var rest = document.createElement("span"); rest.className = "muted";
        rest.textContent = (c.phone ? " " + c.phone : "") + " · devolvido ao robô " + c.at + (c.by ? " · " + c.by : "");
        a.appendChild(strong); a.appendChild(rest);
        el.appendChild(a);
      });
      if (!convs.length) {
        var p = document.createElement("p"); p.className = "muted"; p.textContent = "Nenhuma.";
        el.appendChild(p);
      }
    }
    // The open conversation: messages stored after the last one shown, and its state.
    var chatBox = document.getElementById("chat");
    if (chatBox && chatBox.getAttribute("data-poll")) {
      var after = chatBox.getAttribute("data-after") || "0";
      var pollChat = pollJson(function () { return chatBox.getAttribute("data-poll") + "?depois=" + after; }, function (data) {
        var atBottom = chatBox.scrollHeight - chatBox.scrollTop - chatBox.clientHeight < 40;
        (data.messages || []).forEach(function (m) {
          if (chatBox.querySelector('.msg[data-id="' + m.id + '"]')) return;
          var empty = document.getElementById("chat-empty"); if (empty) empty.remove();
          var div = document.createElement("div");
          div.className = "msg" + (m.from_tutor ? "" : " out") + (m.human ? " human" : "");
          div.setAttribute("data-id", String(m.id));
          var meta = document.createElement("span"); meta.className = "meta";
          meta.textContent = m.author + " · " + m.at + (m.failed && !m.status ? " · não entregue" : "");
          if (m.status) {
            meta.appendChild(document.createTextNode(" · "));
            var tick = document.createElement("span"); tick.className = "tick st-" + m.status;
            tick.setAttribute("data-status", m.status); tick.textContent = m.tick;
            meta.appendChild(tick);
          }
          var text = document.createElement("span"); text.className = "text"; text.textContent = m.text;
          div.appendChild(meta); div.appendChild(text);
          if (m.error) { var err = document.createElement("span"); err.className = "meta"; err.textContent = m.error; div.appendChild(err); }
          chatBox.appendChild(div);
        });
        // Delivery ticks of the attendant's latest messages (sent → delivered → read).
        Object.keys(data.statuses || {}).forEach(function (id) {
          var st = data.statuses[id];
          var tick = chatBox.querySelector('.msg[data-id="' + id + '"] .tick');
          if (!tick || tick.getAttribute("data-status") === st.status) return;
          tick.setAttribute("data-status", st.status);
          tick.className = "tick st-" + st.status;
          tick.textContent = st.tick;
        });
        if (data.last_id) after = String(data.last_id);
        if ((data.messages || []).length && atBottom) chatBox.scrollTop = chatBox.scrollHeight;
        var pill = document.getElementById("conv-state");
        if (pill) pill.textContent = data.state_label + (data.holder ? " · " + data.holder : "");
        var claim = document.getElementById("claim-form");
        if (claim) claim.hidden = !data.claimable || data.mine;
        var resume = document.getElementById("resume-form");
        if (resume) resume.hidden = !data.is_human;
      });
      setInterval(pollChat, parseInt(chatBox.getAttribute("data-interval") || "2000", 10));
    }
    // Quick replies: one click inserts the text at the cursor of the reply box.
    $all("[data-quick-reply]").forEach(function (btn) {
      btn.addEventListener("click", function () {
        var box = $("#reply-form textarea");
        if (!box) return;
        var text = btn.getAttribute("data-quick-reply");
        var start = box.selectionStart || 0, end = box.selectionEnd || 0;
        box.value = box.value.slice(0, start) + text + box.value.slice(end);
        box.focus();
        box.selectionStart = box.selectionEnd = start + text.length;
      });
    });
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
    // Service board: move a card to any allowed status without a reload (the form posts
    // normally when this script does not run). The server says which moves exist and which
    // are backward (visit_status.moves_from); a backward one is confirmed here first.
    $all("form.move-form").forEach(bindMove);
    function boardMessage(text, ok) {
      var box = document.getElementById("board-msg");
      if (!box) return;
      box.textContent = text;
      box.className = "flash " + (ok ? "flash-ok" : "flash-erro");
      box.hidden = false;
    }
    function laneCounts() {
      $all(".board .lane").forEach(function (lane) {
        var count = $(".lane-count", lane);
        if (count) count.textContent = "(" + $all(".ticket", lane).length + ")";
      });
    }
    function showStages(form) {
      var sel = $("select[name=status]", form);
      var opt = sel.options[sel.selectedIndex];
      var wanted = ((opt && opt.getAttribute("data-stages")) || "").split(",");
      var any = false;
      $all(".ck-stage", form).forEach(function (div) {
        var on = wanted.indexOf(div.getAttribute("data-stage")) >= 0;
        div.hidden = !on; any = any || on;
      });
      var details = $("details.ck-board", form);
      if (details) details.hidden = !any;
    }
    function resetOptions(form, from, moves) {
      var sel = $("select[name=status]", form);
      var fromLabel = $(".lane[data-status='" + from + "'] h3", document);
      fromLabel = fromLabel ? fromLabel.firstChild.textContent.trim() : from;
      sel.textContent = "";
      var chosen = false;
      if (!moves.some(function (m) { return !m.backward; })) {
        var none = document.createElement("option");
        none.value = ""; none.textContent = "Voltar para…"; none.disabled = true; none.selected = true;
        sel.appendChild(none);
      }
      moves.forEach(function (m) {
        var o = document.createElement("option");
        o.value = m.status;
        o.textContent = (m.backward ? "↩ " : "→ ") + m.label;
        o.setAttribute("data-stages", m.stages.join(","));
        if (m.backward) {
          o.setAttribute("data-backward", "1");
          o.setAttribute("data-confirm", "Voltar o status de " + fromLabel + " para " + m.label + "? A volta fica registrada no histórico.");
        } else if (!chosen) { o.selected = true; chosen = true; }
        sel.appendChild(o);
      });
      form.hidden = moves.length === 0;
    }
    function bindMove(form) {
      var sel = $("select[name=status]", form);
      var ticket = form.closest(".ticket");
      sel.addEventListener("change", function () { showStages(form); });
      showStages(form);
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var opt = sel.options[sel.selectedIndex];
        var confirmed = $("input[name=confirmed_revert]", form);
        if (opt && opt.getAttribute("data-backward")) {
          if (!window.confirm(opt.getAttribute("data-confirm"))) return;
          confirmed.value = "1";
        } else { confirmed.value = ""; }
        var button = $("button", form);
        button.disabled = true;
        fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin",
                             headers: { "Accept": "application/json" } })
          .then(function (r) { return r.json().catch(function () { return null; }); })
          .then(function (data) {
            button.disabled = false;
            if (!data) { boardMessage("Não foi possível mover agora. Tente de novo.", false); return; }
            if (!data.ok) {
              boardMessage(data.message, false);
              var details = $("details.ck-board", form);
              if (details && data.code === "checklist_incomplete") { details.hidden = false; details.open = true; }
              return;
            }
            var lane = $(".lane[data-status='" + data.status + "']");
            if (lane) lane.appendChild(ticket);
            ticket.setAttribute("data-status", data.status);
            resetOptions(form, data.status, data.moves);
            showStages(form);
            var details = $("details.ck-board", form);
            if (details) details.open = false;
            laneCounts();
            boardMessage(data.message, true);
          })
          .catch(function () {
            button.disabled = false;
            boardMessage("Sem conexão: o status não mudou. Tente de novo.", false);
          });
      });
    }
    // Chat: keep scrolled to the last message.
    var chat = $(".chat"); if (chat) chat.scrollTop = chat.scrollHeight;
  });
})();
