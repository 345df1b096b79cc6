// newswire newsroom search page.
//
// auth.js, loaded first, adds the access token to every API call.
//
// Talks to GET /api/v1/search, POST /api/v1/alerts/rules and the event
// stream /api/v1/alerts/stream. The search state lives in the URL query
// string (same parameter names as the API), so every search is linkable and
// back/forward work.
//
// Safety rule: the only server text inserted as HTML is the search
// snippet, which the API returns escaped with nothing but <mark> tags.
// Everything else goes through textContent or setAttribute, and links are
// set only when they use http or https.
"use strict";

(function () {
  const API_SEARCH = "api/v1/search";
  const API_RULES = "api/v1/alerts/rules";
  const API_STREAM = "api/v1/alerts/stream";
  const MAX_ALERTS = 50;

  // Filter kinds: URL/API parameter, facet name in the answer, label.
  const KINDS = [
    { param: "country", facet: "countries", rule: "countries", title: "Countries", one: "Country" },
    { param: "leader", facet: "leaders", rule: "leaders", title: "Leaders", one: "Leader" },
    { param: "treaty", facet: "treaties", rule: "treaties", title: "Treaties", one: "Treaty" },
    { param: "keyword", facet: "keywords", rule: "keywords", title: "Keywords", one: "Keyword" },
    { param: "source", facet: "sources", rule: "sources", title: "Sources", one: "Source" },
  ];
  const KIND = Object.fromEntries(KINDS.map((k) => [k.param, k]));

  const $ = (id) => document.getElementById(id);
  const els = {
    form: $("search-form"), q: $("q"), sort: $("sort"), from: $("from"), to: $("to"),
    clear: $("clear"), chips: $("chips"), status: $("status"), facets: $("facets"),
    timeline: $("timeline"), axis: $("timeline-axis"), hits: $("hits"), more: $("more"),
    ruleForm: $("rule-form"), ruleName: $("rule-name"), ruleStatus: $("rule-status"),
    alerts: $("alerts"), liveState: $("live-state"),
  };

  // Labels seen for entity ids (leaders, treaties), so chips show names.
  const labels = new Map();
  const labelKey = (param, key) => param + "\u0000" + key;

  let regionNames = null;
  try {
    regionNames = new Intl.DisplayNames(["en"], { type: "region" });
  } catch (e) {
    regionNames = null;
  }
  const dateFmt = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeZone: "UTC" });
  const timeFmt = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });

  function labelFor(param, key) {
    if (param === "country") {
      if (regionNames && /^[A-Z]{2}$/.test(key)) {
        try {
          const n = regionNames.of(key);
          if (n && n !== key) return n;
        } catch (e) { /* unknown code: fall through */ }
      }
      return key;
    }
    return labels.get(labelKey(param, key)) || key;
  }

  function remember(param, key, label) {
    if (key && label) labels.set(labelKey(param, key), label);
  }

  // ---- state <-> URL -------------------------------------------------

  function readState() {
    const p = new URLSearchParams(window.location.search);
    const s = {
      q: p.get("q") || "",
      sort: p.get("sort") === "newest" ? "newest" : "relevance",
      from: validDay(p.get("from")),
      to: validDay(p.get("to")),
      f: {},
    };
    for (const k of KINDS) {
      s.f[k.param] = unique(p.getAll(k.param).filter((v) => v !== ""));
    }
    return s;
  }

  function validDay(v) {
    return v && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : "";
  }

  function unique(list) {
    return Array.from(new Set(list));
  }

  function toParams(s) {
    const p = new URLSearchParams();
    if (s.q) p.set("q", s.q);
    for (const k of KINDS) for (const v of s.f[k.param]) p.append(k.param, v);
    if (s.from) p.set("from", s.from);
    if (s.to) p.set("to", s.to);
    if (s.sort !== "relevance") p.set("sort", s.sort);
    return p;
  }

  function cloneState(s) {
    const c = { q: s.q, sort: s.sort, from: s.from, to: s.to, f: {} };
    for (const k of KINDS) c.f[k.param] = s.f[k.param].slice();
    return c;
  }

  function navigate(s) {
    const qs = toParams(s).toString();
    const url = window.location.pathname + (qs ? "?" + qs : "");
    if (url !== window.location.pathname + window.location.search) {
      window.history.pushState(null, "", url);
    }
    state = s;
    runSearch();
  }

  function toggleFilter(param, key, label) {
    remember(param, key, label);
    const s = cloneState(state);
    const list = s.f[param];
    const i = list.indexOf(key);
    if (i >= 0) list.splice(i, 1); else list.push(key);
    navigate(s);
  }

  function addFilter(param, key, label) {
    remember(param, key, label);
    if (state.f[param].includes(key)) return;
    toggleFilter(param, key, label);
  }

  // ---- search --------------------------------------------------------

  let state = readState();
  let nextCursor = "";
  let inflight = null;

  async function fetchPage(s, cursor) {
    if (inflight) inflight.abort();
    const ctl = new AbortController();
    inflight = ctl;
    const p = toParams(s);
    if (cursor) p.set("cursor", cursor);
    const res = await fetch(API_SEARCH + "?" + p.toString(), {
      headers: { Accept: "application/json" },
      signal: ctl.signal,
    });
    if (!res.ok) throw new Error(await errorText(res));
    const body = await res.json();
    if (inflight === ctl) inflight = null;
    return body;
  }

  async function errorText(res) {
    let msg = "";
    try {
      const t = await res.text();
      try {
        const j = JSON.parse(t);
        msg = (j && (j.error || j.message)) || "";
      } catch (e) {
        msg = t.slice(0, 200);
      }
    } catch (e) { /* no body */ }
    return "HTTP " + res.status + (msg ? ": " + msg : "");
  }

  function syncForm() {
    els.q.value = state.q;
    els.sort.value = state.sort;
    els.from.value = state.from;
    els.to.value = state.to;
    if (!els.ruleName.dataset.touched) {
      els.ruleName.value = defaultRuleName();
    }
  }

  async function runSearch() {
    syncForm();
    renderChips();
    setStatus("Searching…");
    els.more.hidden = true;
    try {
      const r = await fetchPage(state, "");
      collectLabels(r);
      renderChips();
      els.hits.replaceChildren();
      appendHits(r.hits || []);
      renderFacets(r.facets || {});
      renderTimeline((r.facets && r.facets.days) || []);
      nextCursor = r.next_cursor || "";
      els.more.hidden = !nextCursor;
      setStatus(countText(r.total || 0));
    } catch (err) {
      if (err.name === "AbortError") return;
      els.hits.replaceChildren();
      renderFacets({});
      renderTimeline([]);
      setStatus("Search failed — " + err.message, true);
    }
  }

  async function loadMore() {
    if (!nextCursor) return;
    els.more.disabled = true;
    const firstNew = els.hits.children.length;
    try {
      const r = await fetchPage(state, nextCursor);
      collectLabels(r);
      appendHits(r.hits || []);
      nextCursor = r.next_cursor || "";
      els.more.hidden = !nextCursor;
      const link = els.hits.children[firstNew] && els.hits.children[firstNew].querySelector("a");
      if (link) link.focus();
    } catch (err) {
      if (err.name !== "AbortError") setStatus("Loading more failed — " + err.message, true);
    } finally {
      els.more.disabled = false;
    }
  }

  function countText(n) {
    if (n === 0) return "No articles match.";
    return n === 1 ? "1 article" : n.toLocaleString("en") + " articles";
  }

  function setStatus(text, isError) {
    els.status.textContent = text;
    els.status.classList.toggle("error", !!isError);
  }

  function collectLabels(r) {
    const f = r.facets || {};
    for (const b of f.leaders || []) remember("leader", b.key, b.label);
    for (const b of f.treaties || []) remember("treaty", b.key, b.label);
    for (const h of r.hits || []) {
      for (const l of h.leaders || []) remember("leader", l.id, l.name);
      for (const t of h.treaties || []) remember("treaty", t.id, t.name);
    }
  }

  // ---- rendering -----------------------------------------------------

  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === "text") e.textContent = v;
        else if (k === "class") e.className = v;
        else if (k === "onclick") e.addEventListener("click", v);
        else e.setAttribute(k, v === true ? "" : String(v));
      }
    }
    for (const c of children) if (c) e.append(c);
    return e;
  }

  function safeURL(u) {
    if (typeof u !== "string") return "";
    try {
      const parsed = new URL(u);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : "";
    } catch (e) {
      return "";
    }
  }

  function formatDay(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return isNaN(d) ? "" : dateFmt.format(d);
  }

  function appendHits(hits) {
    const frag = document.createDocumentFragment();
    for (const h of hits) frag.append(renderHit(h));
    els.hits.append(frag);
  }

  function renderHit(h) {
    const href = safeURL(h.url);
    const title = h.title || "(untitled)";
    const heading = el("h3", { class: "hit-title" },
      href ? el("a", { href, rel: "noopener noreferrer", target: "_blank", text: title })
        : el("span", { text: title }));

    const meta = el("p", { class: "meta" });
    if (h.source) meta.append(el("span", { class: "source", text: h.source }));
    const day = formatDay(h.published);
    if (day) meta.append(el("time", { datetime: h.published, text: day }));

    const snippet = el("p", { class: "snippet" });
    // The API contract: snippet is escaped text with only <mark> tags.
    snippet.innerHTML = h.snippet || "";

    const tags = el("ul", { class: "tags", "aria-label": "Tags" });
    for (const c of h.countries || []) tags.append(tagChip("country", c, labelFor("country", c)));
    for (const l of h.leaders || []) tags.append(tagChip("leader", l.id, l.name || l.id));
    for (const t of h.treaties || []) tags.append(tagChip("treaty", t.id, t.name || t.id));
    for (const k of h.keywords || []) tags.append(tagChip("keyword", k, k));

    return el("li", { class: "hit" }, heading, meta, snippet, tags.children.length ? tags : null);
  }

  function tagChip(param, key, label) {
    if (!key) return "";
    const active = state.f[param].includes(key);
    const b = el("button", {
      type: "button",
      class: "tag tag-" + param + (active ? " on" : ""),
      title: (active ? "Already filtering on " : "Filter on ") + KIND[param].one.toLowerCase() + " " + label,
      onclick: () => addFilter(param, key, label),
    }, el("span", { class: "visually-hidden", text: KIND[param].one + ": " }), document.createTextNode(label));
    return el("li", null, b);
  }

  function renderChips() {
    const items = [];
    if (state.q) {
      items.push(removableChip("Text", state.q, () => { const s = cloneState(state); s.q = ""; navigate(s); }));
    }
    for (const k of KINDS) {
      for (const v of state.f[k.param]) {
        items.push(removableChip(k.one, labelFor(k.param, v), () => toggleFilter(k.param, v)));
      }
    }
    if (state.from || state.to) {
      const range = (state.from || "…") + " – " + (state.to || "…");
      items.push(removableChip("Dates", range, () => { const s = cloneState(state); s.from = ""; s.to = ""; navigate(s); }));
    }
    els.chips.replaceChildren(...items);
  }

  function removableChip(kind, label, onRemove) {
    const b = el("button", {
      type: "button",
      class: "chip-x",
      "aria-label": "Remove filter " + kind + ": " + label,
      onclick: onRemove,
    }, document.createTextNode("×"));
    return el("li", { class: "chip" },
      el("span", { class: "chip-kind", text: kind }),
      el("span", { class: "chip-label", text: label }), b);
  }

  function renderFacets(facets) {
    const groups = [];
    for (const k of KINDS) {
      const buckets = (facets[k.facet] || []).slice();
      // Active values not among the returned buckets stay visible so they
      // can be switched off here too.
      for (const v of state.f[k.param]) {
        if (!buckets.some((b) => b.key === v)) buckets.push({ key: v, count: 0 });
      }
      if (!buckets.length) continue;
      const list = el("ul", { class: "facet-list" });
      for (const b of buckets) {
        const label = k.param === "country" ? labelFor("country", b.key) : (b.label || labelFor(k.param, b.key));
        const active = state.f[k.param].includes(b.key);
        list.append(el("li", null, el("button", {
          type: "button",
          class: "facet" + (active ? " on" : ""),
          "aria-pressed": active ? "true" : "false",
          onclick: () => toggleFilter(k.param, b.key, b.label),
        }, el("span", { class: "facet-label", text: label }),
        el("span", { class: "count", text: String(b.count) }))));
      }
      const id = "facet-" + k.param;
      groups.push(el("section", { class: "facet-group", "aria-labelledby": id },
        el("h3", { id, text: k.title }), list));
    }
    if (!groups.length) groups.push(el("p", { class: "small muted", text: "No facets for this search." }));
    els.facets.replaceChildren(...groups);
  }

  // The histogram arrives per day. Long ranges are grouped by month so the
  // bars stay readable; clicking a bar narrows the date range to it.
  function renderTimeline(days) {
    els.axis.replaceChildren();
    if (!days.length) {
      els.timeline.replaceChildren(el("p", { class: "small muted", text: "No dates to chart." }));
      return;
    }
    const first = days[0].key;
    const last = days[days.length - 1].key;
    const spanDays = (Date.parse(last) - Date.parse(first)) / 86400000;
    let bins;
    if (spanDays <= 92) {
      const byDay = new Map(days.map((d) => [d.key, d.count]));
      bins = fillDays(first, last).map((d) => ({ key: d, label: d, from: d, to: d, count: byDay.get(d) || 0 }));
    } else {
      const byMonth = new Map();
      for (const d of days) {
        const m = d.key.slice(0, 7);
        byMonth.set(m, (byMonth.get(m) || 0) + d.count);
      }
      bins = fillMonths(first.slice(0, 7), last.slice(0, 7)).map((m) => ({
        key: m, label: m, from: m + "-01", to: lastDayOfMonth(m), count: byMonth.get(m) || 0,
      }));
    }
    const max = Math.max(1, ...bins.map((b) => b.count));
    const bars = bins.map((b) => {
      const pct = b.count ? Math.max(4, Math.round((b.count / max) * 100)) : 0;
      const text = b.label + ": " + b.count + (b.count === 1 ? " article" : " articles");
      const bar = el("button", {
        type: "button",
        class: "bar",
        title: text,
        "aria-label": text + ". Show only this period.",
        disabled: b.count === 0,
        onclick: () => { const s = cloneState(state); s.from = b.from; s.to = b.to; navigate(s); },
      }, el("span", { class: "bar-fill" }));
      // CSSOM, not a style attribute, so a strict CSP does not block it.
      bar.firstChild.style.height = pct + "%";
      return bar;
    });
    els.timeline.replaceChildren(...bars);
    els.axis.append(el("span", { text: bins[0].label }), el("span", { text: bins[bins.length - 1].label }));
  }

  function fillDays(a, b) {
    const out = [];
    for (let t = Date.parse(a + "T00:00:00Z"); t <= Date.parse(b + "T00:00:00Z") && out.length < 400; t += 86400000) {
      out.push(new Date(t).toISOString().slice(0, 10));
    }
    return out;
  }

  function fillMonths(a, b) {
    const out = [];
    let [y, m] = a.split("-").map(Number);
    const [y2, m2] = b.split("-").map(Number);
    while (y < y2 || (y === y2 && m <= m2)) {
      out.push(y + "-" + String(m).padStart(2, "0"));
      m++;
      if (m > 12) { m = 1; y++; }
      if (out.length > 600) break;
    }
    return out;
  }

  function lastDayOfMonth(ym) {
    const [y, m] = ym.split("-").map(Number);
    const d = new Date(Date.UTC(y, m, 0));
    return d.toISOString().slice(0, 10);
  }

  // ---- alert rules ---------------------------------------------------

  function defaultRuleName() {
    const parts = [];
    if (state.q) parts.push(state.q);
    for (const k of KINDS) for (const v of state.f[k.param]) parts.push(labelFor(k.param, v));
    return (parts.join(" · ") || "All articles").slice(0, 120);
  }

  async function createRule(ev) {
    ev.preventDefault();
    const name = els.ruleName.value.trim();
    if (!name) {
      els.ruleStatus.textContent = "Give the alert a name.";
      els.ruleName.focus();
      return;
    }
    const query = { text: state.q };
    for (const k of KINDS) query[k.rule] = state.f[k.param].slice();
    els.ruleStatus.classList.remove("error");
    els.ruleStatus.textContent = "Saving…";
    try {
      const res = await fetch(API_RULES, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ name, query }),
      });
      if (res.status === 404) throw new Error("alerts not enabled on this server");
      if (!res.ok) throw new Error(await errorText(res));
      let saved = {};
      try { saved = await res.json(); } catch (e) { saved = {}; }
      const id = saved && (saved.id || saved.ID);
      els.ruleStatus.textContent = "Alert “" + ((saved && saved.name) || name) + "” saved" + (id ? " (id " + id + ")." : ".");
    } catch (err) {
      els.ruleStatus.classList.add("error");
      els.ruleStatus.textContent = "Could not save the alert — " + err.message;
    }
  }

  // ---- live alerts ---------------------------------------------------

  let source = null;
  let retryMs = 2000;

  function setLive(text, cls) {
    els.liveState.textContent = text;
    els.liveState.className = "pill" + (cls ? " " + cls : "");
  }

  function connectAlerts() {
    if (!("EventSource" in window)) {
      setLive("unsupported", "off");
      return;
    }
    source = new EventSource(API_STREAM);
    source.addEventListener("open", () => { retryMs = 2000; setLive("live", "ok"); });
    source.addEventListener("message", onAlert);
    source.addEventListener("alert", onAlert);
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CONNECTING) {
        setLive("reconnecting…");
        return;
      }
      // Closed for good: find out whether the endpoint exists at all.
      source.close();
      probeStream();
    });
  }

  async function probeStream() {
    const ctl = new AbortController();
    try {
      const res = await fetch(API_STREAM, { headers: { Accept: "text/event-stream" }, signal: ctl.signal });
      ctl.abort();
      if (res.status === 404) {
        setLive("off", "off");
        showAlertsMessage("alerts not enabled");
        return;
      }
    } catch (e) { /* network error: retry below */ }
    setLive("offline", "off");
    window.setTimeout(connectAlerts, retryMs);
    retryMs = Math.min(retryMs * 2, 60000);
  }

  function showAlertsMessage(text) {
    els.alerts.replaceChildren(el("li", { class: "small muted", text }));
  }

  function onAlert(ev) {
    let a;
    try {
      a = JSON.parse(ev.data);
    } catch (e) {
      return;
    }
    if (!a || typeof a !== "object") return;
    const first = els.alerts.firstElementChild;
    if (first && first.classList.contains("muted")) first.remove();

    const href = safeURL(a.url);
    const title = a.title || "(untitled)";
    const at = a.at ? new Date(a.at) : null;
    const li = el("li", { class: "alert" },
      el("span", { class: "rule", text: a.rule_name || "alert" }),
      href ? el("a", { href, rel: "noopener noreferrer", target: "_blank", text: title }) : el("span", { text: title }),
      at && !isNaN(at) ? el("time", { class: "small muted", datetime: at.toISOString(), text: timeFmt.format(at) }) : null);
    els.alerts.prepend(li);
    while (els.alerts.children.length > MAX_ALERTS) els.alerts.lastElementChild.remove();
  }

  // ---- wiring --------------------------------------------------------

  els.form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const s = cloneState(state);
    s.q = els.q.value.trim();
    s.sort = els.sort.value === "newest" ? "newest" : "relevance";
    s.from = validDay(els.from.value);
    s.to = validDay(els.to.value);
    navigate(s);
  });
  els.sort.addEventListener("change", () => els.form.requestSubmit());
  els.clear.addEventListener("click", () => {
    navigate({ q: "", sort: "relevance", from: "", to: "", f: Object.fromEntries(KINDS.map((k) => [k.param, []])) });
    els.q.focus();
  });
  els.more.addEventListener("click", loadMore);
  els.ruleName.addEventListener("input", () => { els.ruleName.dataset.touched = "1"; });
  els.ruleForm.addEventListener("submit", createRule);
  window.addEventListener("popstate", () => {
    state = readState();
    runSearch();
  });

  showAlertsMessage("Waiting for alerts…");
  runSearch();
  connectAlerts();
})();
