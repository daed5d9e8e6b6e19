// Simulated tutor phone: sends through /simulador/api/enviar, polls /simulador/api/conversa.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  let phone = null;
  let lastSeq = 0;
  let timer = null;

  function showError(text) {
    const box = $("erro");
    box.textContent = text || "";
    box.hidden = !text;
  }

  function hhmm(ts) {
    const d = new Date(ts * 1000);
    return d.toLocaleTimeString("pt-BR", { hour: "2-digit", minute: "2-digit" });
  }

  async function send(body) {
    showError("");
    try {
      const resp = await fetch("/simulador/api/enviar", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(Object.assign({
          telefone: phone,
          nome: $("nome").value,
          com_user_id: $("com_user_id").checked,
        }, body)),
      });
      const data = await resp.json();
      if (!resp.ok) showError(data.erro || "Não foi possível enviar.");
    } catch (e) {
      showError("Sem conexão com o servidor.");
    }
    poll();
  }

  function choiceButton(title, onTap) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "choice";
    b.textContent = title;
    b.addEventListener("click", onTap);
    return b;
  }

  function openList(action) {
    const ul = $("lista-linhas");
    ul.innerHTML = "";
    $("lista-titulo").textContent = action.button || "Opções";
    (action.sections || []).forEach((sec) => {
      (sec.rows || []).forEach((row) => {
        const li = document.createElement("li");
        const b = document.createElement("button");
        b.type = "button";
        b.className = "row";
        const t = document.createElement("span");
        t.className = "t";
        t.textContent = row.title;
        b.appendChild(t);
        if (row.description) {
          const d = document.createElement("span");
          d.className = "d";
          d.textContent = row.description;
          b.appendChild(d);
        }
        b.addEventListener("click", () => {
          $("lista").hidden = true;
          send({ resposta: { id: row.id, titulo: row.title, tipo: "lista" } });
        });
        li.appendChild(b);
        ul.appendChild(li);
      });
    });
    $("lista").hidden = false;
  }

  function render(m) {
    const chat = $("conversa");
    const div = document.createElement("div");
    div.className = "msg " + m.direction;
    div.dataset.waId = m.wa_id;
    if (m.template) {
      div.classList.add("template");
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = "modelo";
      div.appendChild(badge);
      const name = document.createElement("strong");
      name.className = "template-name";
      name.textContent = m.template.name;
      div.appendChild(name);
      const params = document.createElement("ol");
      params.className = "template-params";
      (m.template.params || []).forEach((p) => {
        const li = document.createElement("li");
        li.textContent = p;
        params.appendChild(li);
      });
      div.appendChild(params);
    } else {
      div.textContent = m.text;
    }
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = hhmm(m.at);
    div.appendChild(meta);
    chat.appendChild(div);
    const inter = m.interactive;
    if (inter && inter.type === "button") {
      const box = document.createElement("div");
      box.className = "choices";
      inter.action.buttons.forEach((btn) => {
        box.appendChild(choiceButton(btn.reply.title, () =>
          send({ resposta: { id: btn.reply.id, titulo: btn.reply.title, tipo: "botao" } })));
      });
      chat.appendChild(box);
    } else if (inter && inter.type === "list") {
      const box = document.createElement("div");
      box.className = "choices";
      box.appendChild(choiceButton("☰ " + (inter.action.button || "Ver opções"),
        () => openList(inter.action)));
      chat.appendChild(box);
    }
    chat.scrollTop = chat.scrollHeight;
  }

  async function poll() {
    if (!phone) return;
    try {
      const resp = await fetch("/simulador/api/conversa?telefone=" +
        encodeURIComponent(phone) + "&depois=" + lastSeq);
      const data = await resp.json();
      if (!resp.ok) { showError(data.erro); return; }
      (data.mensagens || []).forEach((m) => {
        if (m.seq > lastSeq) { lastSeq = m.seq; render(m); }
      });
    } catch (e) {
      /* the next poll retries */
    }
  }

  $("identidade").addEventListener("submit", (ev) => {
    ev.preventDefault();
    let digits = $("telefone").value.replace(/\D/g, "");
    if (digits.length < 10) { showError("Informe um telefone com DDD."); return; }
    if (!$("telefone").value.trim().startsWith("+") && digits.length <= 11) digits = "55" + digits;
    phone = "+" + digits;
    lastSeq = 0;
    $("conversa").innerHTML = "";
    $("estado").textContent = "Conversando como " + $("nome").value + " (" + phone + ")";
    $("texto").disabled = false;
    $("enviar").disabled = false;
    $("texto").focus();
    clearInterval(timer);
    timer = setInterval(poll, 700);
    poll();
  });

  $("envio").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = $("texto").value.trim();
    if (!text) return;
    $("texto").value = "";
    send({ texto: text });
  });

  $("fechar-lista").addEventListener("click", () => { $("lista").hidden = true; });
})();
