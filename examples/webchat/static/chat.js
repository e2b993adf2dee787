// The web chat page: plain browser JavaScript talking to this app's own /ugsdk endpoints.
"use strict";

const api = "/ugsdk";
const $ = (id) => document.getElementById(id);
let chatId = null;
let source = null;
const shown = new Set(); // message $sid already on the page (history replays on reconnect)

async function call(method, path, body) {
  const options = { method, headers: {} };
  if (body instanceof FormData) {
    options.body = body;
  } else if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(api + path, options);
  const data = response.status === 204 ? null : await response.json();
  if (!response.ok) {
    $("notice").textContent = (data && data.message) || ("error " + response.status);
    throw new Error(response.status);
  }
  $("notice").textContent = "";
  return data;
}

function say(text, kind) {
  const item = document.createElement("li");
  item.className = kind;
  item.textContent = text;
  $("messages").appendChild(item);
}

function showMessage(message) {
  if (shown.has(message.$sid)) return;
  shown.add(message.$sid);
  let text = message.content;
  if (message.file) text = "[file] " + message.file.name;
  if (text === undefined || text === null) text = "[" + message.type + "]";
  say(text, message.$userType);
}

function setStatus(chat) {
  chatId = chat.id;
  $("status").textContent = "Chat " + chat.id + ": " + (chat.status_text || chat.status);
}

function showChat() {
  $("menus").hidden = true;
  $("chat").hidden = false;
}

function ended(chat) {
  $("typing").hidden = true;
  $("send-form").hidden = true;
  $("file-form").hidden = true;
  $("finish").hidden = true;
  $("resume").hidden = true;
  $("rate-form").hidden = false;
  say("Chat ended", "system");
  if (source) { source.close(); source = null; }
}

function listen() {
  if (source) return;
  source = new EventSource(api + "/events");
  const on = (name, fn) => source.addEventListener(name, (e) => fn(JSON.parse(e.data)));
  on("chat.message", (e) => showMessage(e.data));
  on("chat.typingStarted", (e) => { $("typing").textContent = ((e.data && e.data.name) || "Agent") + " is typing…"; $("typing").hidden = false; });
  on("chat.typingEnded", () => { $("typing").hidden = true; });
  on("chat.memberJoined", (e) => say(((e.data && e.data.name) || "Someone") + " joined", "system"));
  on("chat.memberLeft", (e) => say(((e.data && e.data.name) || "Someone") + " left", "system"));
  on("chat.updated", (e) => { if (e.data) setStatus(e.data); });
  on("chat.dismissed", () => { say("Chat dismissed", "system"); $("resume").hidden = false; });
  on("chat.ended", () => ended());
  source.onerror = () => {
    // EventSource reconnects by itself (with Last-Event-ID); a 204 means the chat is over.
    if (source && source.readyState === EventSource.CLOSED) source = null;
  };
}

async function start(menu) {
  const { chat } = await call("POST", "/chat", { menu_id: menu.id });
  setStatus(chat);
  showChat();
  listen();
}

function renderMenus(items, list) {
  for (const item of items) {
    if (!item.enabled) continue;
    const entry = document.createElement("li");
    const chat = (item.channels || []).some((c) => c.type === "chat" && c.enabled);
    if (chat) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "menu";
      button.dataset.menuId = item.id;
      button.textContent = item.name;
      button.addEventListener("click", () => start(item));
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
  const { message } = await call("POST", "/messages", { text });
  showMessage(message);
});

$("file-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  if (!$("file").files.length) return;
  const form = new FormData();
  form.append("file", $("file").files[0]);
  const { message } = await call("POST", "/messages", form);
  $("file").value = "";
  showMessage(message);
});

$("resume").addEventListener("click", async () => {
  const { chat } = await call("POST", "/resume", { chat_id: chatId });
  setStatus(chat);
  $("resume").hidden = true;
  listen();
});

$("finish").addEventListener("click", async () => {
  const { chat } = await call("POST", "/finish");
  setStatus(chat);
  ended(chat);
});

$("rate-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  await call("POST", "/rate", { chat_id: chatId, rating: Number($("rating").value) });
  $("rate-form").hidden = true;
  say("Thanks for your rating", "system");
});

(async function boot() {
  const menus = await call("GET", "/menus");
  renderMenus(menus.menus, $("menu-list"));
  const { chat } = await call("GET", "/chat");
  if (chat) {
    setStatus(chat);
    showChat();
    if (chat.status === "dismissed") $("resume").hidden = false;
    listen();
  }
})();
