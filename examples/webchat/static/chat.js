// The web chat page: ugsdk's page helper (ugsdk-chat.js, served by the integration) does the
// talking; this file only draws. Each message arrives once, whatever reloads and reconnects.
"use strict";

const $ = (id) => document.getElementById(id);
// The endpoints beside the helper (/ugsdk/); "?poll" in the page's address long-polls
// instead of streaming.
const chat = UgsdkChat({ poll: new URLSearchParams(location.search).has("poll") });

function say(text, kind) {
  const item = document.createElement("li");
  item.className = kind;
  item.textContent = text;
  $("messages").appendChild(item);
  return item;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

// A button that answers with its title, once: the row it belongs to is then spent.
function replyButton(title, row, className) {
  const button = element("button", className || "reply", title);
  button.type = "button";
  button.addEventListener("click", async () => {
    row.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    try {
      await chat.send(title);
    } catch (error) {
      row.querySelectorAll("button").forEach((b) => { b.disabled = false; });
    }
  });
  return button;
}

function drawCards(item, message) {
  for (const card of message.cards || []) {
    const box = element("div", "card");
    box.appendChild(element("strong", "card-title", card.title));
    if (card.subtitle) box.appendChild(element("div", "card-subtitle", card.subtitle));
    for (const src of card.images || []) {
      const image = element("img", "card-image");
      image.src = src;
      image.alt = card.title;
      box.appendChild(image);
    }
    if (card.body) box.appendChild(element("p", "card-body", card.body));
    const row = element("div", "card-buttons");
    for (const button of card.buttons || []) {
      if (button.auto_reply) {
        row.appendChild(replyButton(button.title, row, "card-button " + (button.style || "default")));
      } else if (card.link) {
        // A button that does not reply by itself: it opens the card's link.
        const link = element("a", "card-button " + (button.style || "default"), button.title);
        link.href = card.link;
        link.target = "_blank";
        link.rel = "noopener";
        row.appendChild(link);
      }
    }
    if (!(card.buttons || []).length && card.link) {
      const link = element("a", "card-link", "Open");
      link.href = card.link;
      link.target = "_blank";
      link.rel = "noopener";
      row.appendChild(link);
    }
    box.appendChild(row);
    item.appendChild(box);
  }
}

function drawButtons(item, message) {
  if (message.title) item.appendChild(element("div", "buttons-title", message.title));
  const row = element("div", "quick-replies");
  for (const button of message.buttons || []) row.appendChild(replyButton(button.title, row));
  item.appendChild(row);
}

function drawForm(item, message) {
  const form = message.form || {};
  item.appendChild(element("div", "form-title", form.title || form.name || "A form to fill in"));
  if (form.preview_endpoint) {
    const link = element("a", "form-link", "Fill in the form");
    link.href = form.preview_endpoint;
    link.target = "_blank";
    link.rel = "noopener";
    item.appendChild(link);
  }
}

function showMessage(message) {
  const item = say("", message.$userType);
  item.dataset.sid = message.$sid;
  if (message.type === "content_card") return drawCards(item, message);
  if (message.type === "inline_button") return drawButtons(item, message);
  if (message.type === "form") return drawForm(item, message);
  if (message.type === "noti") { item.className = "system"; item.textContent = "[" + (message.event || "notice") + "]"; return; }
  let text = message.content;
  if (message.file) text = "[file] " + message.file.name;
  if (text === undefined || text === null) text = "[" + message.type + "]";
  item.textContent = text;
}

let shownChat = null;

function setStatus(c) {
  $("status").textContent = "Chat " + c.id + ": " + (c.status_text || c.status);
  if (shownChat !== c.id) {
    // Another chat: a fresh list (the helper delivers the new chat's messages from its start).
    shownChat = c.id;
    $("messages").textContent = "";
    $("rate-form").hidden = true;
    for (const id of ["send-form", "file-form", "finish"]) $(id).hidden = false;
    $("new-chat").hidden = true;
  }
  $("resume").hidden = c.status !== "dismissed";
  $("menus").hidden = true;
  $("chat").hidden = false;
}

chat.on("message", showMessage);
chat.on("chat", setStatus);
chat.on("error", (error) => { $("notice").textContent = error.message; });
chat.on("chat.typingStarted", (data) => {
  $("typing").textContent = ((data && data.name) || "Agent") + " is typing…";
  $("typing").hidden = false;
});
chat.on("chat.typingEnded", () => { $("typing").hidden = true; });
chat.on("chat.memberJoined", (data) => say(((data && data.name) || "Someone") + " joined", "system"));
chat.on("chat.memberLeft", (data) => say(((data && data.name) || "Someone") + " left", "system"));
chat.on("chat.dismissed", () => { say("Chat dismissed", "system"); $("resume").hidden = false; });
chat.on("ended", () => {
  $("typing").hidden = true;
  for (const id of ["send-form", "file-form", "finish", "resume"]) $(id).hidden = true;
  $("rate-form").hidden = false;
  $("new-chat").hidden = false;
  say("Chat ended", "system");
});

function renderMenus(items, list) {
  for (const item of items) {
    if (!item.enabled) continue;
    const entry = document.createElement("li");
    const hasChat = (item.channels || []).some((c) => c.type === "chat" && c.enabled);
    if (hasChat) {
      const button = element("button", "menu", item.name);
      button.type = "button";
      button.dataset.menuId = item.id;
      button.addEventListener("click", () => chat.start({ menu_id: item.id }).catch(() => {}));
      entry.appendChild(button);
    } else {
      entry.textContent = item.name;
    }
    if (item.children && item.children.length) {
      const sub = document.createElement("ul");
      renderMenus(item.children, sub);
      entry.appendChild(sub);
    }
    list.appendChild(entry);
  }
}

$("send-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const text = $("text").value.trim();
  if (!text) return;
  $("text").value = "";
  await chat.send(text).catch(() => {});
});

$("file-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  if (!$("file").files.length) return;
  await chat.send($("file").files[0]).catch(() => {});
  $("file").value = "";
});

$("resume").addEventListener("click", () => chat.resume().catch(() => {}));
$("finish").addEventListener("click", () => chat.finish().catch(() => {}));
$("new-chat").addEventListener("click", () => {
  $("chat").hidden = true;
  $("menus").hidden = false;
});

$("rate-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  await chat.rate(Number($("rating").value));
  $("rate-form").hidden = true;
  say("Thanks for your rating", "system");
});

(async function boot() {
  const menus = await chat.menus();
  renderMenus(menus.menus, $("menu-list"));
  await chat.load();
  document.body.dataset.ready = "1";
})();
