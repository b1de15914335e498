// The chat page with JavaScript: turns over /api/chat without reloading, new lines (operators' answers, status
// notices) live from the server-sent events stream of "/", Enter to send. Without JavaScript every form posts to
// /chat and the page reloads with the stored conversation, so nothing here is needed for the chat to work.
(function () {
  "use strict";
  const form = document.getElementById("chat-form");
  const log = document.getElementById("log");
  const input = document.getElementById("message");
  const sendButton = document.getElementById("send");
  const typing = document.getElementById("typing");
  const shown = new Set();
  let lastId = Number(log.dataset.lastId || 0);
  let pending = null; // the citizen's line, shown before the server has stored it
  let busy = false;
  let source = null;

  log.querySelectorAll(".msg[data-id]").forEach(function (el) { shown.add(Number(el.dataset.id)); });

  function bubble(who, text, buttons) {
    const div = document.createElement("div");
    div.className = "msg " + who;
    const span = document.createElement("span");
    span.className = "text";
    span.textContent = text;
    div.appendChild(span);
    if (buttons && buttons.length) {
      const box = document.createElement("div");
      box.className = "buttons";
      buttons.forEach(function (b) {
        const btn = document.createElement("button");
        btn.type = "button";
        btn.textContent = b.title;
        btn.addEventListener("click", function () { send(b.payload, b.title); });
        box.appendChild(btn);
      });
      div.appendChild(box);
    }
    log.appendChild(div);
    div.scrollIntoView({block: "end"});
    return div;
  }

  // One stored line, from the turn's answer or from the stream, whichever comes first; shown once.
  function show(line) {
    if (shown.has(line.id)) return;
    shown.add(line.id);
    lastId = Math.max(lastId, line.id);
    if (line.who === "user" && pending && pending.text === line.text) {
      pending.el.dataset.id = line.id;
      pending = null;
      return;
    }
    bubble(line.who, line.text, line.buttons).dataset.id = line.id;
  }

  function setBusy(on) {
    busy = on;
    sendButton.disabled = on;
    typing.hidden = !on;
    if (on) typing.scrollIntoView({block: "end"});
  }

  function follow() {
    if (source || !window.EventSource) return;
    source = new EventSource("/?after=" + lastId);
    source.onmessage = function (ev) {
      try { show(JSON.parse(ev.data)); } catch (e) { /* a malformed event is skipped */ }
    };
    source.onerror = function () {
      // The browser reconnects by itself after a dropped stream; a refused one (no chat yet) is retried after
      // the next turn.
      if (source && source.readyState === EventSource.CLOSED) source = null;
    };
  }

  async function send(message, label) {
    if (busy) return;
    const text = (label || message).trim();
    const suggestions = log.querySelector(".suggestions");
    if (suggestions) suggestions.remove();
    pending = {text: text, el: bubble("user", text)};
    setBusy(true);
    try {
      const res = await fetch("/api/chat", {method: "POST", headers: {"Content-Type": "application/json"},
                                            body: JSON.stringify({message: message, label: label || ""})});
      const data = await res.json();
      if (data.error) {
        bubble("bot", data.error);
      } else if (data.lines && data.lines.length) {
        data.lines.forEach(show);
      } else {
        data.replies.forEach(function (r) { bubble("bot", r.text || "", r.buttons); });
      }
    } catch (e) {
      bubble("bot", form.dataset.offline);
    } finally {
      pending = null;
      setBusy(false);
      follow();
    }
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    const text = input.value.trim();
    if (!text || busy) return;
    input.value = "";
    send(text);
    input.focus();
  });

  input.addEventListener("keydown", function (ev) {
    // Enter sends, Shift+Enter is a new line; Enter that ends a Vietnamese input-method composition is not a send.
    if (ev.key !== "Enter" || ev.shiftKey || ev.isComposing || ev.keyCode === 229) return;
    ev.preventDefault();
    form.requestSubmit();
  });

  // Buttons rendered by the server (suggestions, Rasa's buttons in the history) are forms for the no-JS page.
  log.addEventListener("submit", function (ev) {
    const f = ev.target;
    if (!f.elements || !f.elements.message) return;
    ev.preventDefault();
    send(f.elements.message.value, f.elements.label ? f.elements.label.value : "");
  });

  const last = log.lastElementChild;
  if (last && log.dataset.known === "1") {
    last.scrollIntoView({block: "end"});
    follow();
  }
})();
