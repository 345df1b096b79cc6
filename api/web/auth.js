// newswire page: access tokens.
//
// Loaded before app.js, and the only code that knows about tokens. It
// wraps window.fetch and window.EventSource for this server's API
// (same-origin URLs under /api/v1/), so app.js needs no change:
//
// * Every API call carries "Authorization: Bearer <token>" once the user
//   gave a token.
// * On a 401 an accessible dialog asks for a token (focus moves into it,
//   Escape cancels, focus returns afterwards); the token is kept in
//   sessionStorage, so it lasts for this tab only, and the request is
//   retried once.
// * The live alert stream is read with fetch streaming, because
//   EventSource cannot send headers; the token never goes into a URL.
//   The replacement keeps EventSource's interface: readyState, open,
//   message and named events, Last-Event-ID resume, retry.
//
// A "Sign in" / "Sign out" button in the header changes or forgets the
// token. After the dialog is cancelled it is not shown again on its own;
// the button opens it.
"use strict";

(function () {
  const KEY = "newswire.token";
  const API_PATH = /\/api\/v1\//;
  const nativeFetch = window.fetch.bind(window);
  const NativeEventSource = window.EventSource;

  let declined = false;
  let pending = null; // the open dialog's promise, shared by concurrent 401s
  let button = null;

  function getToken() {
    try { return sessionStorage.getItem(KEY) || ""; } catch (e) { return ""; }
  }

  function setToken(t) {
    try {
      if (t) sessionStorage.setItem(KEY, t);
      else sessionStorage.removeItem(KEY);
    } catch (e) { /* storage disabled: the token lasts until reload */ }
    memo = t;
    updateButton();
  }
  let memo = getToken();
  const token = () => getToken() || memo;

  function isAPI(url) {
    try {
      const u = new URL(url, document.baseURI);
      return u.origin === window.location.origin && API_PATH.test(u.pathname);
    } catch (e) {
      return false;
    }
  }

  function withAuth(input, init) {
    const out = Object.assign({}, init || {});
    const h = new Headers((init && init.headers) || (input instanceof Request ? input.headers : undefined));
    const t = token();
    if (t && !h.has("Authorization")) h.set("Authorization", "Bearer " + t);
    out.headers = h;
    return out;
  }

  async function scopeOf(res) {
    try {
      const j = await res.clone().json();
      return (j && typeof j.scope === "string" && j.scope) || "";
    } catch (e) {
      return "";
    }
  }

  async function authFetch(input, init) {
    const url = input instanceof Request ? input.url : String(input);
    if (!isAPI(url)) return nativeFetch(input, init);
    const sent = token();
    const res = await nativeFetch(input, withAuth(input, init));
    // A Request object's body can be sent only once: no retry for those.
    if (res.status !== 401 || declined || input instanceof Request) return res;
    const need = await scopeOf(res);
    const given = await askToken(sent ? "The token was not accepted. " : "", need);
    if (!given) return res;
    return nativeFetch(input, withAuth(input, init));
  }

  // ---- dialog --------------------------------------------------------

  function el(tag, attrs, ...kids) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") n.textContent = v;
      else n.setAttribute(k, v);
    }
    for (const k of kids) if (k) n.append(k);
    return n;
  }

  let dlg = null;
  function dialog() {
    if (dlg) return dlg;
    const input = el("input", { id: "auth-token", type: "password", autocomplete: "off", spellcheck: "false", required: "", "aria-describedby": "auth-desc auth-error" });
    const form = el("form", { method: "dialog" },
      el("h2", { id: "auth-title", text: "Access token" }),
      el("p", { id: "auth-desc" }),
      el("p", { id: "auth-error", class: "auth-error", role: "alert" }),
      el("label", { for: "auth-token", text: "Token" }),
      input,
      el("div", { class: "auth-actions" },
        el("button", { type: "submit", class: "primary", text: "Use token" }),
        el("button", { type: "button", class: "ghost", id: "auth-cancel", text: "Cancel" })));
    dlg = el("dialog", { id: "auth-dialog", class: "auth-dialog", "aria-labelledby": "auth-title", "aria-describedby": "auth-desc" }, form);
    document.body.append(dlg);
    form.querySelector("#auth-cancel").addEventListener("click", () => dlg.close(""));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const v = input.value.trim();
      if (!v) {
        dlg.querySelector("#auth-error").textContent = "Enter a token, or cancel.";
        input.focus();
        return;
      }
      dlg.close(v);
    });
    return dlg;
  }

  function showDialog(problem, need) {
    const d = dialog();
    const opener = document.activeElement;
    d.querySelector("#auth-desc").textContent =
      "This server needs an access token" + (need ? " with the “" + need + "” scope" : "") +
      ". Ask whoever runs it for one. It is kept for this browser tab only.";
    d.querySelector("#auth-error").textContent = problem;
    const input = d.querySelector("#auth-token");
    input.value = "";
    d.returnValue = "";
    return new Promise((resolve) => {
      d.addEventListener("close", () => {
        const v = d.returnValue || "";
        if (v) {
          declined = false;
          setToken(v);
        } else {
          declined = true;
        }
        if (opener && typeof opener.focus === "function" && document.contains(opener)) opener.focus();
        resolve(v);
      }, { once: true });
      d.showModal();
      input.focus();
    });
  }

  function askToken(problem, need) {
    if (!pending) {
      pending = showDialog(problem, need).finally(() => { pending = null; });
    }
    return pending;
  }

  function updateButton() {
    if (!button) return;
    const has = !!token();
    button.textContent = has ? "Sign out" : "Sign in";
    button.setAttribute("aria-label", has ? "Forget the access token for this tab" : "Enter an access token");
  }

  function addButton() {
    const host = document.querySelector("header") || document.body;
    button = el("button", { type: "button", class: "ghost auth-button" });
    button.addEventListener("click", () => {
      if (token()) {
        setToken("");
        window.location.reload();
        return;
      }
      declined = false;
      askToken("", "").then((v) => { if (v) window.location.reload(); });
    });
    host.append(button);
    updateButton();
  }

  // ---- event stream --------------------------------------------------

  // AuthEventSource reads a Server-Sent Events stream with fetch, so the
  // request carries the token. Interface and reconnection follow
  // EventSource: a network error or end of stream reconnects after the
  // server's retry delay (sending Last-Event-ID); an answer that is not
  // a 200 event stream closes it for good.
  class AuthEventSource extends EventTarget {
    constructor(url) {
      super();
      this.url = new URL(url, document.baseURI).href;
      this.withCredentials = false;
      this.readyState = AuthEventSource.CONNECTING;
      this.onopen = null;
      this.onmessage = null;
      this.onerror = null;
      this._last = "";
      this._retry = 3000;
      this._ctl = null;
      this._timer = 0;
      this._connect();
    }

    close() {
      this.readyState = AuthEventSource.CLOSED;
      window.clearTimeout(this._timer);
      if (this._ctl) this._ctl.abort();
    }

    _emit(ev) {
      this.dispatchEvent(ev);
      const h = this["on" + ev.type];
      if (typeof h === "function") h.call(this, ev);
    }

    async _connect() {
      if (this.readyState === AuthEventSource.CLOSED) return;
      this._ctl = new AbortController();
      const headers = { Accept: "text/event-stream" };
      if (this._last) headers["Last-Event-ID"] = this._last;
      let res;
      try {
        res = await authFetch(this.url, { headers, cache: "no-store", signal: this._ctl.signal });
      } catch (e) {
        this._fail(true);
        return;
      }
      if (this.readyState === AuthEventSource.CLOSED) return;
      const type = res.headers.get("Content-Type") || "";
      if (res.status !== 200 || !type.startsWith("text/event-stream") || !res.body) {
        try { if (res.body) res.body.cancel(); } catch (e) { /* ignore */ }
        this._fail(false);
        return;
      }
      this.readyState = AuthEventSource.OPEN;
      this._emit(new Event("open"));
      try {
        await this._read(res.body);
      } catch (e) { /* aborted or broken: reconnect below */ }
      this._fail(true);
    }

    _fail(reconnect) {
      if (this.readyState === AuthEventSource.CLOSED) return;
      this.readyState = reconnect ? AuthEventSource.CONNECTING : AuthEventSource.CLOSED;
      this._emit(new Event("error"));
      if (reconnect && this.readyState === AuthEventSource.CONNECTING) {
        this._timer = window.setTimeout(() => this._connect(), this._retry);
      }
    }

    async _read(body) {
      const reader = body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = "";
      let data = [];
      let type = "";
      const line = (s) => {
        if (s === "") {
          if (data.length) {
            this._emit(new MessageEvent(type || "message", {
              data: data.join("\n"), lastEventId: this._last, origin: window.location.origin,
            }));
          }
          data = [];
          type = "";
          return;
        }
        if (s[0] === ":") return;
        const i = s.indexOf(":");
        const field = i < 0 ? s : s.slice(0, i);
        let value = i < 0 ? "" : s.slice(i + 1);
        if (value[0] === " ") value = value.slice(1);
        if (field === "data") data.push(value);
        else if (field === "event") type = value;
        else if (field === "id" && value.indexOf("\0") < 0) this._last = value;
        else if (field === "retry" && /^\d+$/.test(value)) this._retry = Number(value);
      };
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += value;
        for (;;) {
          const m = /\r\n|\r|\n/.exec(buf);
          // A lone \r at the end may be the first half of \r\n.
          if (!m || (m[0] === "\r" && m.index === buf.length - 1)) break;
          line(buf.slice(0, m.index));
          buf = buf.slice(m.index + m[0].length);
        }
      }
    }
  }
  AuthEventSource.CONNECTING = 0;
  AuthEventSource.OPEN = 1;
  AuthEventSource.CLOSED = 2;

  // ---- install -------------------------------------------------------

  window.fetch = authFetch;
  if (NativeEventSource && window.ReadableStream && window.TextDecoderStream) {
    const Patched = function EventSource(url, opts) {
      return isAPI(url) ? new AuthEventSource(url) : new NativeEventSource(url, opts);
    };
    Patched.CONNECTING = 0;
    Patched.OPEN = 1;
    Patched.CLOSED = 2;
    window.EventSource = Patched;
  }
  window.newswireAuth = { AuthEventSource, fetch: authFetch, token, setToken };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", addButton);
  else addButton();
})();
