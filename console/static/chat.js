// Progressive enhancement: without JavaScript the form posts to /chat and the page reloads.
(function () {
  const form = document.getElementById("chat-form");
  const log = document.getElementById("log");
  const input = document.getElementById("message");
  function add(who, text, buttons) {
    const div = document.createElement("div");
    div.className = "msg " + who;
    div.textContent = text;
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
    div.scrollIntoView();
  }
  async function send(message, shown) {
    add("user", shown || message);
    try {
      const res = await fetch("/api/chat", {method: "POST", headers: {"Content-Type": "application/json"},
                                            body: JSON.stringify({message: message})});
      const data = await res.json();
      if (data.error) { add("bot", data.error); return; }
      data.replies.forEach(function (r) { add("bot", r.text || "", r.buttons); });
    } catch (e) {
      add("bot", "Xin lỗi, không kết nối được máy chủ. Bạn vui lòng thử lại.");
    }
  }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text);
  });
})();
