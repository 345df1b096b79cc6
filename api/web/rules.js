// newswire page: managing alert rules.
//
// Fills <section id="rules-manager"> with a "Manage alerts" box, loaded
// when opened, listing the rules in force: each can be
// edited, paused or resumed, deleted, backtested over the last days, and
// its recent alerts shown (its history, kept live while it is open).
// Countries, subject countries (what an article is about, not only where
// it happens or a passing mention), leaders, treaties and keywords may be
// typed by name: the server resolves them, and suggests through
// GET /api/v1/entities as the editor types. It talks only to the rules API:
//
//	GET    api/v1/alerts/rules                  list
//	PUT    api/v1/alerts/rules/{id}             edit, pause, resume
//	DELETE api/v1/alerts/rules/{id}             delete
//	GET    api/v1/alerts/rules/{id}/history     recent alerts
//	POST   api/v1/alerts/rules/test             backtest
//	GET    api/v1/entities                      autocomplete
//	GET    api/v1/alerts/stream?rule={id}       live alerts of an open history
//
// Tokens are auth.js's business (it wraps fetch and EventSource). Server
// text is only ever inserted as text, never as HTML.
"use strict";

(function () {
  const root = document.getElementById("rules-manager");
  if (!root) return;
  const API = "api/v1/alerts/rules";
  const KINDS = [
    { key: "countries", kind: "country", label: "Countries" },
    { key: "subject_countries", kind: "country", label: "Subject countries" },
    { key: "leaders", kind: "leader", label: "Leaders" },
    { key: "treaties", kind: "treaty", label: "Treaties" },
    { key: "keywords", kind: "keyword", label: "Keywords" },
  ];
  const timeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  let streams = new Map(); // rule id → EventSource of its open history

  function el(tag, attrs, ...kids) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") n.textContent = v;
      else if (k.startsWith("on")) n.addEventListener(k.slice(2), v);
      else n.setAttribute(k, v === true ? "" : v);
    }
    for (const c of kids) if (c) n.append(c);
    return n;
  }

  function safeURL(u) {
    try {
      const x = new URL(u, document.baseURI);
      return x.protocol === "https:" || x.protocol === "http:" ? x.href : "";
    } catch (e) {
      return "";
    }
  }

  async function problemText(res) {
    try {
      const b = await res.json();
      if (b.problems && b.problems.length) {
        return b.problems.map((p) => (p.path ? p.path + ": " : "") + p.message).join("\n");
      }
      if (b.error) return b.error;
    } catch (e) { /* not JSON */ }
    return "HTTP " + res.status;
  }

  async function api(method, path, body) {
    const init = { method, headers: { Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const res = await fetch(path, init);
    if (res.status === 204) return null;
    if (!res.ok) {
      const err = new Error(await problemText(res));
      err.status = res.status;
      throw err;
    }
    return res.json();
  }

  // Closed until asked for: the rules need an admin token, and a reader
  // of search results must not be asked for one on page load.
  const status = el("p", { class: "small", role: "status", "aria-live": "polite" });
  const list = el("ul", { class: "rules-list" });
  const refresh = el("button", { type: "button", class: "ghost small-button", text: "Refresh", onclick: () => load() });
  const box = el("details", { class: "rules-box" },
    el("summary", { id: "rules-title", class: "section-title" }, "Manage alerts"),
    el("div", { class: "rule-actions" }, refresh), status, list);
  box.addEventListener("toggle", () => {
    if (box.open) load();
    else for (const id of Array.from(streams.keys())) closeStream(id);
  });
  root.replaceChildren(box);

  function say(text, isError) {
    status.textContent = text;
    status.classList.toggle("error", !!isError);
  }

  // Labels of the entity ids rules hold ("Q7747" → "Vladimir Putin"),
  // looked up once each; a summary shows the id alone until it is known.
  const labels = new Map(); // kind + ":" + id → label, or a pending promise
  function named(kind, id) {
    const l = labels.get(kind + ":" + id);
    return typeof l === "string" && l !== id ? l + " (" + id + ")" : id;
  }
  async function learnLabels(rules) {
    const want = [];
    const walk = (q) => {
      if (!q) return;
      for (const k of KINDS) {
        if (k.kind === "keyword") continue;
        for (const id of q[k.key] || []) if (!labels.has(k.kind + ":" + id)) want.push([k.kind, id]);
      }
      (q.any || []).forEach(walk);
      (q.not || []).forEach(walk);
    };
    rules.forEach((r) => walk(r.query));
    const batch = want.slice(0, 50);
    await Promise.all(batch.map(async ([kind, id]) => {
      labels.set(kind + ":" + id, id);
      try {
        const b = await api("GET", "api/v1/entities?limit=1&kind=" + kind + "&q=" + encodeURIComponent(id));
        const e = (b.entities || [])[0];
        if (e && e.id === id) labels.set(kind + ":" + id, e.label);
      } catch (e) { /* the id stands for itself */ }
    }));
    return batch.length > 0;
  }

  function summary(q) {
    const parts = [];
    if (q.text) parts.push("“" + q.text + "”");
    for (const k of KINDS) if (q[k.key] && q[k.key].length) parts.push(k.label.toLowerCase() + ": " + q[k.key].map((id) => named(k.kind, id)).join(", "));
    if (q.sources && q.sources.length) parts.push("sources: " + q.sources.join(", "));
    if (q.any && q.any.length) parts.push("any of " + q.any.length);
    if (q.not && q.not.length) parts.push("none of " + q.not.length);
    if (q.near) parts.push(q.near.a + " near " + q.near.b);
    return parts.join(" · ") || "(empty query)";
  }

  async function load() {
    say("Loading alerts…");
    let body;
    try {
      body = await api("GET", API);
    } catch (err) {
      say(err.status === 404 ? "Alerts are not enabled on this server." : "Could not load alerts — " + err.message, true);
      return;
    }
    const rules = body.rules || [];
    list.replaceChildren(...rules.map(ruleItem));
    learnLabels(rules).then((learnt) => {
      if (!learnt) return;
      for (const r of rules) {
        const q = list.querySelector('li.rule-item[data-rule="' + CSS.escape(r.id) + '"] .rule-query');
        if (q) q.textContent = summary(r.query || {});
      }
    });
    let text = rules.length ? rules.length + (rules.length === 1 ? " alert." : " alerts.") : "No alerts yet.";
    if (body.file && body.file.error) text += " The rule file did not load: " + body.file.error;
    say(text, !!(body.file && body.file.error));
  }

  function ruleItem(r) {
    const enabled = r.enabled !== false;
    const fromFile = r.origin === "file";
    const li = el("li", { class: "rule-item" + (enabled ? "" : " paused"), "data-rule": r.id });
    const detail = el("div", { class: "rule-detail" });
    const btn = (text, on, extra) => el("button", Object.assign({ type: "button", class: "small-button", text, onclick: on }, extra || {}));
    const actions = el("div", { class: "rule-actions" },
      btn("History", () => toggleHistory(r, detail)),
      btn("Backtest", () => showBacktest(r, detail)),
      fromFile ? null : btn("Edit", () => showEditor(r, detail)),
      fromFile ? null : btn(enabled ? "Pause" : "Resume", () => setEnabled(r, !enabled), { "aria-pressed": enabled ? "false" : "true" }),
      fromFile ? null : btn("Delete", () => remove(r), { class: "small-button danger" }));
    li.append(
      el("div", { class: "rule-head" },
        el("strong", { class: "rule-name", text: r.name }),
        el("span", { class: "pill" + (enabled ? " ok" : " off"), text: enabled ? "active" : "paused" }),
        fromFile ? el("span", { class: "pill", text: "rule file", title: "Change it in the rule file" }) : null),
      el("div", { class: "small muted rule-query", text: summary(r.query || {}) }),
      actions, detail);
    return li;
  }

  // The rule as PUT takes it: what GET returned, minus what the store sets.
  function editable(r) {
    const out = Object.assign({}, r);
    delete out.origin; delete out.created; delete out.updated;
    return out;
  }

  async function setEnabled(r, on) {
    say(on ? "Resuming…" : "Pausing…");
    const body = editable(r);
    if (on) delete body.enabled; else body.enabled = false;
    try {
      await api("PUT", API + "/" + encodeURIComponent(r.id), body);
      await load();
      say("Alert “" + r.name + "” " + (on ? "resumed." : "paused."));
    } catch (err) {
      say("Could not change “" + r.name + "” — " + err.message, true);
    }
  }

  async function remove(r) {
    if (!window.confirm("Delete the alert “" + r.name + "”?")) return;
    try {
      await api("DELETE", API + "/" + encodeURIComponent(r.id));
      closeStream(r.id);
      await load();
      say("Alert “" + r.name + "” deleted.");
    } catch (err) {
      say("Could not delete “" + r.name + "” — " + err.message, true);
    }
  }

  // ---- editing, with entity suggestions ---------------------------------

  let suggestSeq = 0;
  function entityInput(id, kind, values) {
    const listID = id + "-list";
    const dl = el("datalist", { id: listID });
    const input = el("input", { id, type: "text", list: listID, value: (values || []).join(", "), autocomplete: "off" });
    let timer = 0;
    input.addEventListener("input", () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(async () => {
        const parts = input.value.split(",");
        const last = parts.pop().trim();
        if (last.length < 2) return;
        const seq = ++suggestSeq;
        try {
          const b = await api("GET", "api/v1/entities?kind=" + kind + "&limit=8&q=" + encodeURIComponent(last));
          if (seq !== suggestSeq) return;
          const head = parts.map((p) => p.trim()).filter(Boolean);
          dl.replaceChildren(...(b.entities || []).map((e) =>
            el("option", { value: head.concat([e.label]).join(", "), label: e.label + " (" + e.id + ")" + (e.countries && e.countries.length ? " · " + e.countries.join(", ") : "") })));
        } catch (e) { /* suggestions are a help, not a must */ }
      }, 200);
    });
    return [input, dl];
  }

  function showEditor(r, detail) {
    const q = r.query || {};
    const id = "edit-" + r.id.replace(/[^A-Za-z0-9_-]/g, "_");
    const name = el("input", { id: id + "-name", type: "text", value: r.name, required: true, maxlength: "200" });
    const text = el("input", { id: id + "-text", type: "text", value: q.text || "" });
    const fields = [
      el("div", { class: "field" }, el("label", { for: id + "-name", text: "Name" }), name),
      el("div", { class: "field" }, el("label", { for: id + "-text", text: "Words" }), text),
    ];
    const inputs = {};
    for (const k of KINDS) {
      const [input, dl] = entityInput(id + "-" + k.key, k.kind, q[k.key]);
      inputs[k.key] = input;
      fields.push(el("div", { class: "field" }, el("label", { for: input.id, text: k.label + " (names or ids, comma-separated)" }), input, dl));
    }
    const problems = el("p", { class: "small error rule-problems", role: "alert" });
    const form = el("form", { class: "rule-edit" }, ...fields, problems,
      el("div", { class: "rule-actions" },
        el("button", { type: "submit", class: "primary small-button", text: "Save" }),
        el("button", { type: "button", class: "small-button", text: "Cancel", onclick: () => detail.replaceChildren() })));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const body = editable(r);
      body.name = name.value.trim();
      body.query = Object.assign({}, q, { text: text.value.trim() });
      for (const k of KINDS) body.query[k.key] = inputs[k.key].value.split(",").map((s) => s.trim()).filter(Boolean);
      problems.textContent = "";
      try {
        await api("PUT", API + "/" + encodeURIComponent(r.id), body);
        await load();
        say("Alert “" + body.name + "” saved.");
      } catch (err) {
        problems.textContent = err.message;
      }
    });
    detail.replaceChildren(form);
    name.focus();
  }

  // ---- history and backtest -------------------------------------------

  function alertItem(a) {
    const href = safeURL(a.url);
    const title = a.title || "(untitled)";
    const at = a.at ? new Date(a.at) : (a.published ? new Date(a.published) : null);
    return el("li", { class: "alert" },
      href ? el("a", { href, rel: "noopener noreferrer", target: "_blank", text: title }) : el("span", { text: title }),
      a.source ? el("span", { class: "small muted", text: " · " + a.source }) : null,
      at && !isNaN(at) ? el("time", { class: "small muted", datetime: at.toISOString(), text: " " + timeFmt.format(at) }) : null);
  }

  function closeStream(id) {
    const s = streams.get(id);
    if (s) { s.close(); streams.delete(id); }
  }

  async function toggleHistory(r, detail) {
    if (detail.dataset.view === "history") {
      detail.replaceChildren();
      detail.dataset.view = "";
      closeStream(r.id);
      return;
    }
    detail.dataset.view = "history";
    const ol = el("ol", { class: "alerts rule-history" });
    const note = el("p", { class: "small muted", text: "Loading history…" });
    detail.replaceChildren(el("h3", { class: "small-title", text: "Recent alerts" }), note, ol);
    let b;
    try {
      b = await api("GET", API + "/" + encodeURIComponent(r.id) + "/history");
    } catch (err) {
      note.textContent = "Could not load the history — " + err.message;
      note.classList.add("error");
      return;
    }
    const alerts = b.alerts || [];
    ol.replaceChildren(...alerts.map(alertItem));
    note.textContent = alerts.length ? "Newest first; the last " + b.kept + " are kept." : "No alerts yet.";
    // New alerts of this rule appear as they happen.
    if ("EventSource" in window && !streams.has(r.id)) {
      const s = new EventSource("api/v1/alerts/stream?rule=" + encodeURIComponent(r.id));
      const onAlert = (ev) => {
        let a;
        try { a = JSON.parse(ev.data); } catch (e) { return; }
        if (!a || a.rule_id !== r.id) return;
        note.textContent = "Newest first.";
        ol.prepend(alertItem(a));
      };
      s.addEventListener("alert", onAlert);
      s.addEventListener("message", onAlert);
      streams.set(r.id, s);
    }
  }

  async function showBacktest(r, detail) {
    closeStream(r.id);
    detail.dataset.view = "backtest";
    const days = el("input", { id: "bt-days-" + r.id, type: "number", min: "1", max: "90", value: "7" });
    const out = el("div", { class: "backtest-out", "aria-live": "polite" });
    const run = async (ev) => {
      if (ev) ev.preventDefault();
      out.replaceChildren(el("p", { class: "small muted", text: "Testing…" }));
      let b;
      try {
        b = await api("POST", API + "/test", { rule: { name: r.name, query: r.query }, days: Number(days.value) || 7 });
      } catch (err) {
        out.replaceChildren(el("p", { class: "small error", text: "Could not test — " + err.message }));
        return;
      }
      const head = b.matched + " of " + b.checked + " candidate articles of the last " + b.days + " days would have alerted" +
        (b.truncated ? " (only the newest " + b.checked + " of " + b.candidates + " candidates were checked)." : ".");
      out.replaceChildren(el("p", { class: "small", text: head }), el("ol", { class: "alerts" }, ...(b.matches || []).map(alertItem)));
    };
    const form = el("form", { class: "rule-backtest" },
      el("div", { class: "field" }, el("label", { for: days.id, text: "Days back" }), days),
      el("button", { type: "submit", class: "small-button", text: "Test" }));
    form.addEventListener("submit", run);
    detail.replaceChildren(el("h3", { class: "small-title", text: "Backtest" }), form, out);
    run();
  }

  // A rule made with "Alert me on this search" shows up here too.
  const made = document.getElementById("rule-form");
  if (made) made.addEventListener("submit", () => { if (box.open) window.setTimeout(load, 1000); });

  window.newswireRules = { reload: () => (box.open ? load() : Promise.resolve()) };
})();
