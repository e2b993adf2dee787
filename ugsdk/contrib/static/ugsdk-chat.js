/*
 * ugsdk-chat.js: the page helper of ugsdk's Django and Flask integrations.
 *
 * Plain browser JavaScript, no dependencies. It talks to the integration's own endpoints
 * (the folder this script is served from, unless told otherwise) and follows version 1 of
 * the browser protocol: named server-sent events, ids "<chat_id>:<seq>", a stream that starts
 * with "stream.open" and, when it does not resume, replays the chat from its first event.
 * The helper drops what it has delivered already, so a page shows each message exactly once:
 * on first load, after a reload, across reconnects and across chats.
 *
 *   <script src="/ugsdk/ugsdk-chat.js"></script>
 *   <script>
 *     const chat = UgsdkChat();                  // or UgsdkChat({base: "/support/"})
 *     // UgsdkChat({poll: true}): long polls instead of a stream, for servers that cannot
 *     // hold a connection per open page (pollWait: seconds a poll may wait, 20)
 *     chat.on("message", (message) => show(message));   // each message once
 *     chat.on("chat", (c) => status(c));         // the chat as it changes
 *     chat.on("ended", () => offerRating());
 *     chat.load();                               // the user's chat going on, if any
 *     // chat.start({menu_id: 11}), chat.send("hi"), chat.send(file), chat.finish(),
 *     // chat.resume(), chat.escalate(), chat.rate(5), chat.menus()
 *   </script>
 *
 * Events a page may listen to with on(name, fn):
 *   "message"  (message, chatId)  every message once: the agents', and the user's own
 *                                 (from send() at once, never again from the stream)
 *   "chat"     (chat)             the chat after start, resume, finish and chat.updated
 *   "ended"    (chat)             the chat ended (the stream is closed)
 *   "error"    (error)            a request failed (error.status, error.body)
 *   any event of the protocol by its name ("chat.typingStarted", "chat.dismissed",
 *   "chat.memberJoined", "stream.open", "stream.end", ...)  (data, payload), once per id
 *
 * Requests carry "X-Requested-With" and, when a CSRF token is known, "X-CSRFToken" (the
 * value of options.csrfToken, or of the cookie options.csrfCookie, "csrftoken" by default):
 * both integrations refuse cross-site form posts, and this is how a page shows it is none.
 */
(function (root) {
  "use strict";

  var PROTOCOL = 1;
  // The chat events a stream may send (EventSource has no "any event" listener).
  var CHAT_EVENTS = [
    "chat.ongoing", "chat.updated", "chat.message", "chat.memberJoined", "chat.memberLeft",
    "chat.typingStarted", "chat.typingEnded", "chat.connected", "chat.disconnected",
    "chat.dismissed", "chat.timeout", "chat.ended", "chat.destroyed",
    "stream.open", "stream.end"
  ];

  // Where this script came from: the endpoints are beside it. Only known while it first runs.
  var here = (function () {
    var script = root.document && root.document.currentScript;
    return script && script.src ? script.src.replace(/[^\/]*$/, "") : "/ugsdk/";
  })();

  function cookie(name) {
    var parts = (root.document && root.document.cookie ? root.document.cookie.split(";") : []);
    for (var i = 0; i < parts.length; i++) {
      var pair = parts[i].trim().split("=");
      if (pair[0] === name) return decodeURIComponent(pair.slice(1).join("="));
    }
    return null;
  }

  function UgsdkChat(options) {
    if (!(this instanceof UgsdkChat)) return new UgsdkChat(options);
    options = options || {};
    this.base = String(options.base || here).replace(/\/?$/, "/");
    this.csrfToken = options.csrfToken || null;
    this.csrfCookie = options.csrfCookie || "csrftoken";
    this.chat = null;
    this.protocol = PROTOCOL;
    this._listeners = {};
    this._seen = new Set();      // "<chat_id>:<seq>" of the events delivered
    this._messages = new Set();  // "<chat_id>/<$sid>" of the messages delivered
    this._source = null;
    this._sourceChat = null;
    // Long polls (GET events?after=) instead of an EventSource, for servers that cannot
    // hold a connection per page.
    this.poll = !!options.poll;
    this.pollWait = options.pollWait === undefined ? 20 : options.pollWait;
    this._poller = null;
  }

  UgsdkChat.PROTOCOL = PROTOCOL;
  /** The statuses of a chat that can take no more messages. */
  UgsdkChat.ENDED = ["finished", "timeout", "failed", "deflected"];
  UgsdkChat.isEnded = function (chat) { return !!chat && UgsdkChat.ENDED.indexOf(chat.status) >= 0; };

  /** Call fn on each event called name; returns a function that stops it. */
  UgsdkChat.prototype.on = function (name, fn) {
    if (typeof fn !== "function") throw new TypeError("on(name, fn): fn must be a function");
    (this._listeners[name] = this._listeners[name] || []).push(fn);
    var self = this;
    return function () { self.off(name, fn); };
  };

  UgsdkChat.prototype.off = function (name, fn) {
    var list = this._listeners[name] || [];
    var at = list.indexOf(fn);
    if (at >= 0) list.splice(at, 1);
  };

  UgsdkChat.prototype._emit = function (name) {
    var args = Array.prototype.slice.call(arguments, 1);
    var list = (this._listeners[name] || []).slice();
    for (var i = 0; i < list.length; i++) {
      try {
        list[i].apply(null, args);
      } catch (error) {
        // One page handler that throws must not stop the others, nor the stream.
        if (root.console) root.console.error("ugsdk-chat: a handler of " + name + " failed", error);
      }
    }
  };

  UgsdkChat.prototype._request = function (method, path, body) {
    var headers = { "Accept": "application/json", "X-Requested-With": "ugsdk-chat" };
    var token = this.csrfToken || cookie(this.csrfCookie);
    if (token) headers["X-CSRFToken"] = token;
    var init = { method: method, headers: headers, credentials: "same-origin" };
    if (body instanceof root.FormData) {
      init.body = body;
    } else if (method !== "GET") {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body || {});
    }
    var self = this;
    return root.fetch(this.base + path, init).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      var read = response.status !== 204 && type.indexOf("json") >= 0 ? response.json() : Promise.resolve(null);
      return read.then(function (data) {
        if (response.ok) return data;
        var error = new Error((data && data.message) || ("HTTP " + response.status));
        error.status = response.status;
        error.body = data;
        self._emit("error", error);
        throw error;
      });
    });
  };

  UgsdkChat.prototype._setChat = function (chat) {
    if (!chat) return;
    this.chat = chat;
    this._emit("chat", chat);
  };

  UgsdkChat.prototype._message = function (chatId, message) {
    if (!message) return;
    var key = chatId + "/" + (message.$sid || ("#" + message.$index));
    if (this._messages.has(key)) return;
    this._messages.add(key);
    this._emit("message", message, chatId);
  };

  /** The menus (GET menus). */
  UgsdkChat.prototype.menus = function (lang) {
    return this._request("GET", "menus" + (lang ? "?lang=" + encodeURIComponent(lang) : ""));
  };

  /** The user's chat going on, or null; follows it when there is one. */
  UgsdkChat.prototype.load = function () {
    var self = this;
    return this._request("GET", "chat").then(function (data) {
      var chat = data && data.chat;
      if (chat) {
        self._setChat(chat);
        self.follow();
      }
      return chat || null;
    });
  };

  /** Start a chat: start(11) or start({menu_id: 11, lang: "en"}). A double click gets the same chat. */
  UgsdkChat.prototype.start = function (fields) {
    var body = typeof fields === "object" && fields !== null ? fields : { menu_id: fields };
    var self = this;
    return this._request("POST", "chat", body).then(function (data) {
      self._setChat(data.chat);
      self.follow();
      return data.chat;
    });
  };

  /** Send text, or a File (or Blob with a name). The message is delivered to "message" once. */
  UgsdkChat.prototype.send = function (textOrFile) {
    var body;
    if (typeof textOrFile === "string") {
      body = { text: textOrFile };
    } else {
      body = new root.FormData();
      body.append("file", textOrFile, textOrFile && textOrFile.name);
    }
    var self = this;
    var chatId = this.chat && this.chat.id;
    return this._request("POST", "messages", body).then(function (data) {
      self._message(chatId, data.message);
      return data.message;
    });
  };

  /** Answer a quick reply or an auto-reply card button: send its title. */
  UgsdkChat.prototype.click = function (button) {
    return this.send(button.title);
  };

  UgsdkChat.prototype._chatAction = function (name, body) {
    var self = this;
    return this._request("POST", name, body).then(function (data) {
      self._setChat(data.chat);
      return data.chat;
    });
  };

  /** Finish the chat (the stream then delivers chat.ended, and "ended" fires). */
  UgsdkChat.prototype.finish = function () {
    var self = this;
    return this._chatAction("finish").then(function (chat) {
      if (UgsdkChat.isEnded(chat)) self._ended(chat);
      return chat;
    });
  };

  /** Ask for a human agent. */
  UgsdkChat.prototype.escalate = function () { return this._chatAction("escalate"); };

  /** Resume a dismissed chat, and follow it again. */
  UgsdkChat.prototype.resume = function () {
    var self = this;
    return this._chatAction("resume", this.chat ? { chat_id: this.chat.id } : {}).then(function (chat) {
      self.follow();
      return chat;
    });
  };

  /** Rate the chat (the last one when it has ended): rate(5) or rate(4, "quick"). */
  UgsdkChat.prototype.rate = function (rating, feedback, chatId) {
    var body = { chat_id: chatId || (this.chat && this.chat.id), rating: rating };
    if (feedback) body.feedback = feedback;
    return this._request("POST", "rate", body);
  };

  /** Follow the current chat's events (start() and load() do). */
  UgsdkChat.prototype.follow = function () {
    var chatId = this.chat && this.chat.id;
    if ((this._source || this._poller) && this._sourceChat === chatId) return;
    this.close();
    if (this.poll) return this._pollFrom(chatId);
    // A new EventSource sends no Last-Event-ID: the stream replays the chat from its first
    // event, and what was delivered already is dropped below.
    var source = new root.EventSource(this.base + "events");
    this._source = source;
    this._sourceChat = chatId;
    var self = this;
    CHAT_EVENTS.forEach(function (name) {
      source.addEventListener(name, function (e) { self._onEvent(source, e); });
    });
    source.onerror = function () {
      // EventSource reconnects by itself with Last-Event-ID; CLOSED means the server said
      // no (204: no chat going on, or an error status).
      if (source.readyState === root.EventSource.CLOSED && self._source === source) self._source = null;
    };
  };

  // One long poll after another: each answers the events after the last one's
  // last_event_id (the first, with none, from the chat's first event) until the chat ends.
  UgsdkChat.prototype._pollFrom = function (chatId) {
    var self = this;
    var poller = {};
    var after = "";
    this._poller = poller;
    this._sourceChat = chatId;
    function next() {
      if (self._poller !== poller) return;
      self._request("GET", "events?after=" + encodeURIComponent(after) + "&wait=" + self.pollWait).then(function (body) {
        if (self._poller !== poller) return;
        (body.events || []).forEach(function (p) { self._onPayload(null, p); });
        if (body.last_event_id) after = body.last_event_id;
        if (body.ended) {
          if (self._poller === poller) self._poller = null;
          return;
        }
        next();
      }, function () {
        if (self._poller === poller) root.setTimeout(next, 2000);  // the server or network failed: try again
      });
    }
    next();
  };

  UgsdkChat.prototype._onEvent = function (source, e) {
    var p;
    try {
      p = JSON.parse(e.data);
    } catch (error) {
      return;
    }
    this._onPayload(source, p);
  };

  UgsdkChat.prototype._onPayload = function (source, p) {
    if (p.seq !== null && p.seq !== undefined) {
      var key = p.chat_id + ":" + p.seq;
      if (this._seen.has(key)) return;
      this._seen.add(key);
    }
    this._emit(p.name, p.data, p);
    if (p.name === "chat.message") {
      this._message(p.chat_id, p.data);
    } else if (p.name === "chat.updated" && p.data && p.data.id === p.chat_id) {
      this._setChat(p.data);
    } else if (p.name === "chat.ended" || p.name === "chat.destroyed") {
      this._ended(this.chat && this.chat.id === p.chat_id ? this.chat : (p.data || null));
    } else if (p.name === "stream.end" && p.data && p.data.reason === "chat_ended") {
      if (source && this._source === source) this.close();
    }
  };

  UgsdkChat.prototype._ended = function (chat) {
    var id = chat && chat.id;
    if (id && this._endedChat === id) return;
    this._endedChat = id;
    this.close();
    this._emit("ended", chat);
  };

  /** Stop following (the chat itself goes on). */
  UgsdkChat.prototype.close = function () {
    if (this._source) this._source.close();
    this._source = null;
    this._poller = null;
    this._sourceChat = null;
  };

  root.UgsdkChat = UgsdkChat;
})(typeof window !== "undefined" ? window : this);
