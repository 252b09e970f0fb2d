/* Samtale web chat widget. Embed with one tag:
 *   <script src="https://HOST/chat/widget.js" data-server="https://HOST" data-language="da"
 *           data-title="Tal med kommunen" defer></script>
 * It adds a launcher button and a chat panel, and talks to POST {server}/chat/api/messages.
 * The session is issued and signed by the server (POST {server}/chat/api/sessions, on the first
 * message); it and the rendered history live in localStorage (keyed by server), so a reload or
 * another page of the same site continues the conversation Rasa keeps in its tracker store.
 * A site other than the server's own must be in the server's WIDGET_ALLOWED_ORIGINS (CORS).
 * Security: every text from the bot or the person is set with textContent, never innerHTML.
 */
(function () {
  "use strict";

  const script = document.currentScript;
  if (!script || document.querySelector(".samtale-root")) return; // included twice: keep one

  const STRINGS = {
    da: {
      title: "Tal med kommunen", open: "Åbn chatten", close: "Luk chatten",
      placeholder: "Skriv en besked …", send: "Send", input: "Din besked", log: "Samtalen",
      choices: "Svarmuligheder", typing: "Samtale skriver …", you: "Du", bot: "Samtale",
      failed: "Ikke sendt. Samtale kunne ikke nås – tjek forbindelsen, og prøv igen.",
      retry: "Prøv igen", offline: "Du er offline. Vi prøver igen, når forbindelsen er tilbage.",
      unread: (n) => (n === 1 ? "1 ulæst besked" : n + " ulæste beskeder"), locale: "da-DK",
    },
    en: {
      title: "Talk to the municipality", open: "Open the chat", close: "Close the chat",
      placeholder: "Write a message …", send: "Send", input: "Your message", log: "The conversation",
      choices: "Answer options", typing: "Samtale is typing …", you: "You", bot: "Samtale",
      failed: "Not sent. Samtale could not be reached – check your connection and try again.",
      retry: "Try again", offline: "You are offline. We'll try again when the connection is back.",
      unread: (n) => (n === 1 ? "1 unread message" : n + " unread messages"), locale: "en-GB",
    },
  };
  const GREETING = "/greet"; // sent unseen on first open: Rasa's bot never speaks first
  const HISTORY_LIMIT = 200;
  const REQUEST_TIMEOUT_MS = 60000;

  const server = (script.dataset.server || new URL(script.src).origin).replace(/\/+$/, "");
  const language = script.dataset.language === "en" ? "en" : "da";
  const t = STRINGS[language];
  const title = script.dataset.title || t.title;
  const storageKey = "samtale-chat:" + server;

  // ---- state, kept in localStorage -------------------------------------------------------
  const state = load() || { session: null, messages: [], unread: 0, open: false };
  let pending = 0;
  let queue = Promise.resolve(); // one message at a time, so replies arrive in order

  function load() {
    try {
      const saved = JSON.parse(localStorage.getItem(storageKey));
      if (!saved || !Array.isArray(saved.messages)) return null;
      if (typeof saved.session !== "string") saved.session = null; // the server issues one
      // A send cut short by the reload has an unknown fate: offer it again rather than guess.
      saved.messages.forEach((m) => { if (m.status === "sending") m.status = "failed"; });
      return saved;
    } catch (error) {
      return null; // storage blocked or corrupt: start afresh
    }
  }

  function save() {
    state.messages = state.messages.slice(-HISTORY_LIMIT);
    try {
      localStorage.setItem(storageKey, JSON.stringify(state));
    } catch (error) { /* private mode or full: the chat still works for this page */ }
  }

  // ---- DOM -------------------------------------------------------------------------------
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (name === "text") node.textContent = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value);
    }
    node.append(...children); // strings become text nodes, never markup
    return node;
  }

  function chatIcon() {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M4 4h16a1 1 0 0 1 1 1v11a1 1 0 0 1-1 1H9l-5 4v-4H4a1 1 0 0 1-1-1V5a1 1 0 0 1 1-1z");
    svg.append(path);
    return svg;
  }

  const badge = el("span", { class: "samtale-badge", "aria-hidden": "true" });
  const launcher = el("button", {
    type: "button", class: "samtale-launcher", "aria-controls": "samtale-panel",
    "aria-expanded": "false", onclick: () => setOpen(!state.open),
  }, chatIcon(), badge);
  const closeButton = el("button", {
    type: "button", class: "samtale-close", "aria-label": t.close, title: t.close,
    onclick: () => setOpen(false),
  }, "×");
  const list = el("div", {
    class: "samtale-messages", role: "log", "aria-live": "polite", "aria-label": t.log,
    tabindex: "0", // scrollable by keyboard
  });
  const typing = el("div", { class: "samtale-typing", role: "status" });
  const choices = el("div", { class: "samtale-choices", role: "group", "aria-label": t.choices });
  const notice = el("p", { class: "samtale-notice", role: "status" });
  const input = el("textarea", {
    id: "samtale-input", class: "samtale-input", rows: "1", maxlength: "4000",
    placeholder: t.placeholder, "aria-label": t.input, autocomplete: "off",
  });
  const form = el("form", { class: "samtale-form", onsubmit: submit }, input,
    el("button", { type: "submit", class: "samtale-send", "aria-label": t.send, text: t.send }));
  const panel = el("div", {
    id: "samtale-panel", class: "samtale-panel", role: "dialog", "aria-label": title, hidden: "",
  }, el("div", { class: "samtale-header" }, el("h2", { class: "samtale-title", text: title }),
    closeButton), list, typing, choices, notice, form);
  const root = el("div", { class: "samtale-root", lang: language }, panel, launcher);

  // ---- rendering -------------------------------------------------------------------------
  function clock(time) {
    const date = new Date(time);
    const options = { hour: "2-digit", minute: "2-digit" };
    if (date.toDateString() !== new Date().toDateString()) {
      Object.assign(options, { day: "numeric", month: "short" });
    }
    return date.toLocaleString(t.locale, options);
  }

  function messageElement(m) {
    const failed = m.status === "failed";
    if (m.hidden && !failed) return null;
    const item = el("div", { class: `samtale-message samtale-from-${m.from}`, "data-id": m.id });
    if (!m.hidden) {
      item.append(
        el("span", { class: "samtale-sr", text: (m.from === "bot" ? t.bot : t.you) + ": " }),
        el("p", { class: "samtale-text", text: m.text }),
        el("time", { class: "samtale-time", datetime: new Date(m.time).toISOString(),
          text: clock(m.time) }));
    }
    if (failed) {
      item.append(el("p", { class: "samtale-error", text: m.error || t.failed }),
        el("button", { type: "button", class: "samtale-retry", text: t.retry,
          onclick: () => { deliver(m); input.focus(); } }));
    }
    if (m.status === "sending") item.classList.add("samtale-sending");
    return item;
  }

  function show(m) {
    const old = list.querySelector(`[data-id="${m.id}"]`);
    const fresh = messageElement(m);
    if (old && fresh) old.replaceWith(fresh);
    else if (old) old.remove();
    else if (fresh) list.append(fresh);
    list.scrollTop = list.scrollHeight;
  }

  function renderChoices() {
    choices.replaceChildren();
    const last = state.messages.filter((m) => !m.hidden).pop();
    if (pending || !last || last.from !== "bot") return;
    for (const button of last.buttons || []) {
      choices.append(el("button", { type: "button", class: "samtale-choice", text: button.title,
        onclick: () => { send(button.payload, button.title, true); input.focus(); } }));
    }
  }

  function renderStatus() {
    typing.replaceChildren();
    if (pending) {
      typing.append(el("span", { class: "samtale-dots", "aria-hidden": "true" },
        el("span"), el("span"), el("span")), el("span", { class: "samtale-sr", text: t.typing }));
    }
    notice.textContent = navigator.onLine ? "" : t.offline;
    badge.textContent = state.unread ? String(Math.min(state.unread, 99)) : "";
    badge.hidden = !state.unread;
    // One steady name; aria-expanded tells whether the panel is open.
    launcher.setAttribute("aria-label",
      state.unread ? `${t.open} (${t.unread(state.unread)})` : t.open);
  }

  // ---- talking to the server -------------------------------------------------------------
  function add(fields) {
    const m = { id: Date.now().toString(36) + Math.random().toString(36).slice(2, 8),
      time: Date.now(), buttons: [], ...fields };
    state.messages.push(m);
    show(m);
    return m;
  }

  function send(payload, shownText, pressed = false) {
    deliver(add({ from: "user", text: shownText, payload, hidden: shownText === null, pressed }));
  }

  function deliver(m) {
    if (m.status === "sending") return; // a retry click and the online event may race
    m.status = "sending";
    delete m.error;
    pending += 1;
    show(m);
    save();
    renderChoices();
    renderStatus();
    // A pressed button sends its title along, so staff read what the person saw, not a payload.
    queue = queue.then(() => post(m.payload, m.pressed ? m.text : null)).then((answer) => {
      const replies = answer.replies || [];
      m.status = "sent";
      show(m);
      if (answer.forget) forgetHistory(); // their data was deleted: so is this device's copy
      replies.forEach((r) => add({ from: "bot", text: r.text, buttons: r.buttons }));
      if (!state.open) state.unread += replies.length;
    }, (error) => {
      m.status = "failed";
      m.error = error.detail; // the server's own kind words (too fast, too long), if it said any
      show(m);
    }).finally(() => {
      pending -= 1;
      save();
      renderChoices();
      renderStatus();
    });
  }

  function forgetHistory() {
    state.messages = [];
    state.session = null; // a deleted conversation is not continued: the next message gets a new one
    list.replaceChildren();
  }

  async function call(path, body) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), REQUEST_TIMEOUT_MS);
    try {
      const response = await fetch(server + path, {
        method: "POST", headers: { "Content-Type": "application/json" }, signal: abort.signal,
        body: JSON.stringify(body),
      });
      if (response.ok) return await response.json();
      const error = new Error("HTTP " + response.status);
      error.status = response.status;
      try {
        const detail = (await response.json()).detail;
        if (typeof detail === "string") error.detail = detail;
      } catch (ignored) { /* not JSON: the widget's own words will do */ }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async function post(message, buttonTitle) {
    for (let attempt = 0; ; attempt += 1) {
      if (!state.session) {
        state.session = (await call("/chat/api/sessions", { language })).session;
        save();
      }
      try {
        return await call("/chat/api/messages", { session: state.session, message, language,
          ...(buttonTitle ? { button_title: buttonTitle } : {}) });
      } catch (error) {
        // 401: the server did not issue this session (or no longer knows its key): ask anew.
        if (error.status !== 401 || attempt > 0) throw error;
        state.session = null;
      }
    }
  }

  function retryFailed() {
    renderStatus();
    state.messages.filter((m) => m.status === "failed").forEach(deliver);
  }

  // ---- behaviour -------------------------------------------------------------------------
  function setOpen(open, moveFocus = true) {
    state.open = open;
    panel.hidden = !open;
    root.classList.toggle("samtale-is-open", open);
    launcher.setAttribute("aria-expanded", String(open));
    if (open) {
      state.unread = 0;
      list.scrollTop = list.scrollHeight;
      if (moveFocus) input.focus();
      if (!state.messages.length) send(GREETING, null);
    } else if (moveFocus) {
      launcher.focus();
    }
    save();
    renderStatus();
  }

  function submit(event) {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    fitInput();
    send(text, text);
  }

  function fitInput() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 120) + "px";
  }

  input.addEventListener("keydown", (event) => {
    // Enter sends, Shift+Enter makes a new line (as in most chat apps).
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) submit(event);
  });
  input.addEventListener("input", fitInput);
  root.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && state.open) setOpen(false);
  });
  window.addEventListener("online", retryFailed);
  window.addEventListener("offline", renderStatus);

  function mount() {
    document.body.append(root);
    state.messages.forEach(show);
    renderChoices();
    setOpen(state.open, false); // a page reload keeps the panel as it was, without taking focus
  }

  const stylesheet = el("link", { rel: "stylesheet", href: server + "/chat/widget.css" });
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    if (document.body) mount();
    else document.addEventListener("DOMContentLoaded", mount);
  };
  // Mount once the CSS is in, so the page never flashes an unstyled panel.
  stylesheet.addEventListener("load", start);
  stylesheet.addEventListener("error", start);
  document.head.append(stylesheet);
})();
