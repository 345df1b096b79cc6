// newswire newsroom search page.
//
// auth.js, loaded first, adds the access token to every API call.
//
// Talks to GET /api/v1/search (and its export), /api/v1/articles/{id},
// /api/v1/treaties/{id}[/timeline], POST /api/v1/alerts/rules and the event
// stream /api/v1/alerts/stream. The search state lives in the URL query
// string (same parameter names as the API, plus view and id for the article
// and treaty views), so every search and view is linkable and back/forward
// work.
//
// Safety rule: the only server text inserted as HTML is the search
// snippet, which the API returns escaped with nothing but <mark> tags.
// Everything else goes through textContent or setAttribute, and links are
// set only when they use http or https.
"use strict";

(function () {
  const API_SEARCH = "api/v1/search";
  const API_EXPORT = "api/v1/search/export";
  const API_ARTICLE = "api/v1/articles/";
  const API_TREATY = "api/v1/treaties/";
  const FACET_SIZE = 20;
  const FACET_MORE = 100;
  const API_RULES = "api/v1/alerts/rules";
  const API_STREAM = "api/v1/alerts/stream";
  const MAX_ALERTS = 50;

  // Filter kinds: URL/API parameter, facet name in the answer, rule
  // query field, label.
  const KINDS = [
    { param: "country", facet: "countries", rule: "countries", title: "Countries", one: "Country", country: true },
    { param: "subject", facet: "subject_countries", rule: "subject_countries", title: "Subject countries", one: "Subject country", country: true },
    { param: "leader", facet: "leaders", rule: "leaders", title: "Leaders", one: "Leader" },
    { param: "treaty", facet: "treaties", rule: "treaties", title: "Treaties", one: "Treaty" },
    { param: "keyword", facet: "keywords", rule: "keywords", title: "Keywords", one: "Keyword" },
    { param: "source", facet: "sources", rule: "sources", title: "Sources", one: "Source" },
  ];
  // Entity kinds of the understood query: answer key, URL kind, label.
  const UNDERSTOOD = [
    { key: "countries", kind: "country" }, { key: "leaders", kind: "leader" }, { key: "treaties", kind: "treaty" },
  ];
  const KIND = Object.fromEntries(KINDS.map((k) => [k.param, k]));

  const $ = (id) => document.getElementById(id);
  const els = {
    form: $("search-form"), q: $("q"), sort: $("sort"), from: $("from"), to: $("to"),
    clear: $("clear"), chips: $("chips"), status: $("status"), facets: $("facets"),
    timeline: $("timeline"), axis: $("timeline-axis"), hits: $("hits"), more: $("more"),
    ruleForm: $("rule-form"), ruleName: $("rule-name"), ruleStatus: $("rule-status"),
    alerts: $("alerts"), liveState: $("live-state"),
    collapse: $("collapse"), searchView: $("search-view"), detailView: $("detail-view"),
    drawer: $("drawer"), exportCsv: $("export-csv"), exportJsonl: $("export-jsonl"),
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
    if (KIND[param] && KIND[param].country) {
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
    const q = p.get("q") || "";
    const sort = p.get("sort");
    const view = p.get("view");
    const s = {
      q,
      // Relevance means nothing without words: newest first then.
      sort: sort === "newest" || sort === "relevance" ? sort : (q ? "relevance" : "newest"),
      from: validDay(p.get("from")),
      to: validDay(p.get("to")),
      collapse: p.get("collapse") !== "false",
      story: p.get("story") || "",
      literal: unique(p.getAll("literal").filter((v) => v !== "")),
      any: unique(p.getAll("any").filter((v) => KINDS.some((k) => k.facet === v))),
      view: view === "article" || view === "treaty" ? view : "",
      id: p.get("id") || "",
      f: {},
      not: {},
    };
    for (const k of KINDS) {
      s.f[k.param] = unique(p.getAll(k.param).filter((v) => v !== ""));
      s.not[k.param] = unique(p.getAll("not_" + k.param).filter((v) => v !== ""));
    }
    return s;
  }

  function validDay(v) {
    return v && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : "";
  }

  function unique(list) {
    return Array.from(new Set(list));
  }

  // toParams gives the search parameters of s; withView adds the view.
  function toParams(s, withView) {
    const p = new URLSearchParams();
    if (s.q) p.set("q", s.q);
    for (const k of KINDS) for (const v of s.f[k.param]) p.append(k.param, v);
    for (const k of KINDS) for (const v of s.not[k.param]) p.append("not_" + k.param, v);
    for (const a of s.any) p.append("any", a);
    for (const l of s.literal) p.append("literal", l);
    if (s.story) p.set("story", s.story);
    if (s.from) p.set("from", s.from);
    if (s.to) p.set("to", s.to);
    if (s.sort !== (s.q ? "relevance" : "newest")) p.set("sort", s.sort);
    if (!s.collapse) p.set("collapse", "false");
    if (withView && s.view) {
      p.set("view", s.view);
      p.set("id", s.id);
    }
    return p;
  }

  function cloneState(s) {
    const c = {
      q: s.q, sort: s.sort, from: s.from, to: s.to, collapse: s.collapse, story: s.story,
      literal: s.literal.slice(), any: s.any.slice(), view: "", id: "", f: {}, not: {},
    };
    for (const k of KINDS) {
      c.f[k.param] = s.f[k.param].slice();
      c.not[k.param] = s.not[k.param].slice();
    }
    return c;
  }

  function emptyState() {
    const s = { q: "", sort: "newest", from: "", to: "", collapse: true, story: "", literal: [], any: [], view: "", id: "", f: {}, not: {} };
    for (const k of KINDS) { s.f[k.param] = []; s.not[k.param] = []; }
    return s;
  }

  // pageURL is the address of state s on this page.
  function pageURL(s) {
    const qs = toParams(s, true).toString();
    return window.location.pathname + (qs ? "?" + qs : "");
  }

  function navigate(s) {
    const url = pageURL(s);
    if (url !== window.location.pathname + window.location.search) {
      window.history.pushState(null, "", url);
    }
    state = s;
    route();
  }

  // route shows the view the state names.
  function route() {
    const detail = state.view !== "";
    els.searchView.hidden = detail;
    els.detailView.hidden = !detail;
    if (state.view === "article") showArticle(state.id);
    else if (state.view === "treaty") showTreaty(state.id);
    else runSearch();
  }

  // A link inside the page: a real href (so it can be opened in a new tab
  // or copied), followed here without a reload.
  function navLink(s, props, ...children) {
    const a = el("a", Object.assign({ href: pageURL(s) }, props), ...children);
    a.addEventListener("click", (ev) => {
      if (ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
      ev.preventDefault();
      navigate(s);
    });
    return a;
  }

  function articleState(id) {
    const s = cloneState(state);
    s.view = "article";
    s.id = id;
    return s;
  }

  function treatyState(id) {
    const s = cloneState(state);
    s.view = "treaty";
    s.id = id;
    return s;
  }

  function toggleExclude(param, key, label) {
    remember(param, key, label);
    const s = cloneState(state);
    const list = s.not[param];
    const i = list.indexOf(key);
    if (i >= 0) list.splice(i, 1); else list.push(key);
    const j = s.f[param].indexOf(key);
    if (j >= 0) s.f[param].splice(j, 1);
    navigate(s);
  }

  function toggleAny(facet) {
    const s = cloneState(state);
    const i = s.any.indexOf(facet);
    if (i >= 0) s.any.splice(i, 1); else s.any.push(facet);
    navigate(s);
  }

  function toggleFilter(param, key, label) {
    remember(param, key, label);
    const s = cloneState(state);
    const list = s.f[param];
    const i = list.indexOf(key);
    if (i >= 0) list.splice(i, 1); else list.push(key);
    const j = s.not[param].indexOf(key);
    if (j >= 0) s.not[param].splice(j, 1);
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
  let understood = null; // how the server read the query text
  let moreFacets = false; // "show more" asked for longer facet lists

  async function fetchPage(s, cursor) {
    if (inflight) inflight.abort();
    const ctl = new AbortController();
    inflight = ctl;
    const p = toParams(s, false);
    if (cursor) p.set("cursor", cursor);
    if (moreFacets) p.set("facet_size", String(FACET_MORE));
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
    els.collapse.checked = state.collapse;
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
      understood = r.understood || null;
      renderChips();
      updateExport();
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
    const t = n === 1 ? "1 article" : n.toLocaleString("en") + " articles";
    return state.collapse ? t + ", copies of a story grouped" : t;
  }

  function updateExport() {
    const p = toParams(state, false);
    p.set("format", "csv");
    els.exportCsv.href = API_EXPORT + "?" + p.toString();
    p.set("format", "jsonl");
    els.exportJsonl.href = API_EXPORT + "?" + p.toString();
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
    const heading = el("h3", { class: "hit-title" }, navLink(articleState(h.id), { class: "open-article", text: title }));

    const meta = el("p", { class: "meta" });
    if (h.source) meta.append(el("span", { class: "source", text: h.source }));
    const day = formatDay(h.published);
    if (day) meta.append(el("time", { datetime: h.published, text: day }));
    if (href) meta.append(el("a", { href, rel: "noopener noreferrer", target: "_blank", class: "original", text: "original ↗" }));

    const snippet = el("p", { class: "snippet" });
    // The API contract: snippet is escaped text with only <mark> tags.
    snippet.innerHTML = h.snippet || "";

    const tags = el("ul", { class: "tags", "aria-label": "Tags" });
    for (const c of h.countries || []) tags.append(tagChip("country", c, labelFor("country", c)));
    for (const l of h.leaders || []) tags.append(tagChip("leader", l.id, l.name || l.id));
    for (const t of h.treaties || []) tags.append(tagChip("treaty", t.id, t.name || t.id));
    for (const k of h.keywords || []) tags.append(tagChip("keyword", k, k));

    let story = null;
    if (h.story && h.story.copies > 0) {
      const n = h.story.copies;
      const from = (h.story.sources || []).length ? " from " + h.story.sources.join(", ") : "";
      const all = cloneState(state);
      all.story = h.story.id;
      all.collapse = false;
      story = el("p", { class: "story small" },
        document.createTextNode(n + (n === 1 ? " other copy" : " other copies") + from + " · "),
        navLink(all, { class: "story-all", text: "show all copies" }));
    }
    return el("li", { class: "hit" }, heading, meta, snippet, story, tags.children.length ? tags : null);
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
      items.push(removableChip("Text", state.q, () => { const s = cloneState(state); s.q = ""; s.literal = []; navigate(s); }));
    }
    if (understood) {
      for (const u of UNDERSTOOD) {
        for (const e of understood[u.key] || []) {
          const label = "the " + u.kind + " " + (e.label || e.id) + " for “" + e.words + "”";
          items.push(removableChip("Searching", label, () => {
            const s = cloneState(state);
            s.literal.push(u.kind + ":" + e.id);
            navigate(s);
          }, "understood"));
        }
      }
    }
    for (const k of KINDS) {
      for (const v of state.f[k.param]) {
        items.push(removableChip(k.one, labelFor(k.param, v), () => toggleFilter(k.param, v)));
      }
      for (const v of state.not[k.param]) {
        items.push(removableChip("Not " + k.one.toLowerCase(), labelFor(k.param, v), () => toggleExclude(k.param, v), "not"));
      }
      if (state.any.includes(k.facet) && state.f[k.param].length > 1) {
        items.push(removableChip(k.title, "any of these", () => toggleAny(k.facet)));
      }
    }
    if (state.story) {
      items.push(removableChip("Story", "all copies", () => { const s = cloneState(state); s.story = ""; s.collapse = true; navigate(s); }));
    }
    if (state.from || state.to) {
      const range = (state.from || "…") + " – " + (state.to || "…");
      items.push(removableChip("Dates", range, () => { const s = cloneState(state); s.from = ""; s.to = ""; navigate(s); }));
    }
    els.chips.replaceChildren(...items);
  }

  function removableChip(kind, label, onRemove, cls) {
    const b = el("button", {
      type: "button",
      class: "chip-x",
      "aria-label": "Remove filter " + kind + ": " + label,
      onclick: onRemove,
    }, document.createTextNode("×"));
    return el("li", { class: "chip" + (cls ? " chip-" + cls : "") },
      el("span", { class: "chip-kind", text: kind }),
      el("span", { class: "chip-label", text: label }), b);
  }

  function renderFacets(facets) {
    const groups = [];
    for (const k of KINDS) {
      const buckets = (facets[k.facet] || []).slice();
      // Active values not among the returned buckets stay visible so they
      // can be switched off here too.
      for (const v of state.f[k.param].concat(state.not[k.param])) {
        if (!buckets.some((b) => b.key === v)) buckets.push({ key: v, count: 0 });
      }
      if (!buckets.length) continue;
      const list = el("ul", { class: "facet-list" });
      for (const b of buckets) {
        const label = k.country ? labelFor(k.param, b.key) : (b.label || labelFor(k.param, b.key));
        const active = state.f[k.param].includes(b.key);
        const excluded = state.not[k.param].includes(b.key);
        const row = el("li", { class: "facet-row" }, el("button", {
          type: "button",
          class: "facet" + (active ? " on" : "") + (excluded ? " off" : ""),
          "aria-pressed": active ? "true" : "false",
          onclick: () => toggleFilter(k.param, b.key, b.label),
        }, el("span", { class: "facet-label", text: label }),
        el("span", { class: "count", text: String(b.count) })),
        el("button", {
          type: "button",
          class: "exclude" + (excluded ? " on" : ""),
          "aria-pressed": excluded ? "true" : "false",
          "aria-label": (excluded ? "Stop excluding " : "Exclude ") + k.one.toLowerCase() + " " + label,
          title: (excluded ? "Stop excluding " : "Exclude ") + label,
          onclick: () => toggleExclude(k.param, b.key, b.label),
        }, document.createTextNode("−")));
        if (k.param === "treaty") {
          row.append(navLink(treatyState(b.key), { class: "timeline-link", "aria-label": "Timeline of " + label, title: "Timeline", text: "timeline" }));
        }
        if (k.param === "country") {
          // Narrow to the articles about the country, not those that
          // only name it as a venue or in passing.
          const about = state.f.subject.includes(b.key);
          row.append(el("button", {
            type: "button",
            class: "subject-toggle" + (about ? " on" : ""),
            "aria-pressed": about ? "true" : "false",
            "aria-label": (about ? "Stop asking for articles about " : "Only articles about ") + label,
            title: (about ? "Stop asking for articles about " : "Only articles about ") + label,
            onclick: () => toggleFilter("subject", b.key),
          }, document.createTextNode("about")));
        }
        list.append(row);
      }
      const id = "facet-" + k.param;
      const anyId = "any-" + k.param;
      const any = el("input", { type: "checkbox", id: anyId, checked: state.any.includes(k.facet) });
      any.addEventListener("change", () => toggleAny(k.facet));
      const head = el("div", { class: "facet-head" }, el("h3", { id, text: k.title }),
        el("span", { class: "any small" }, any, el("label", { for: anyId, text: "match any" })));
      const group = el("section", { class: "facet-group", "aria-labelledby": id }, head, list);
      if (!moreFacets && (facets[k.facet] || []).length >= FACET_SIZE) {
        group.append(el("button", {
          type: "button", class: "ghost small show-more", text: "Show more " + k.title.toLowerCase(),
          onclick: () => { moreFacets = true; runSearch(); },
        }));
      }
      groups.push(group);
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

  // ---- article and treaty views ---------------------------------------

  const utf8 = new TextEncoder();
  const fromUTF8 = new TextDecoder();

  async function getJSON(url) {
    const res = await fetch(url, { headers: { Accept: "application/json" } });
    if (!res.ok) throw new Error(await errorText(res));
    return res.json();
  }

  function backLink() {
    const s = cloneState(state);
    return navLink(s, { class: "back", text: "← Back to results" });
  }

  function showDetail(...children) {
    els.detailView.replaceChildren(...children);
    const h = els.detailView.querySelector("h2");
    if (h) {
      h.setAttribute("tabindex", "-1");
      h.focus();
    }
  }

  // spansOf lists the tagged mentions in one field, by start, overlaps
  // dropped: {start, end, param, id, label} in UTF-8 byte offsets.
  function spansOf(tags, field) {
    const out = [];
    const add = (param, id, label, spans) => {
      for (const sp of spans || []) {
        if (sp.field === field && sp.end > sp.start) out.push({ start: sp.start, end: sp.end, param, id, label });
      }
    };
    for (const c of tags.countries || []) add("country", c.code, c.name, c.spans);
    for (const l of tags.leaders || []) add("leader", l.id, l.name, l.spans);
    for (const t of tags.treaties || []) add("treaty", t.id, t.name, t.spans);
    out.sort((a, b) => a.start - b.start || b.end - a.end);
    const kept = [];
    for (const sp of out) if (!kept.length || sp.start >= kept[kept.length - 1].end) kept.push(sp);
    return kept;
  }

  // highlighted renders a field's text with its entity mentions as links:
  // a country or leader to the search filtered on it, a treaty to its
  // timeline.
  function highlighted(tag, cls, text, spans) {
    const node = el(tag, { class: cls });
    const bytes = utf8.encode(text);
    let at = 0;
    for (const sp of spans) {
      if (sp.end > bytes.length) break;
      if (sp.start > at) node.append(document.createTextNode(fromUTF8.decode(bytes.subarray(at, sp.start))));
      const words = fromUTF8.decode(bytes.subarray(sp.start, sp.end));
      let target;
      if (sp.param === "treaty") {
        target = treatyState(sp.id);
      } else {
        target = emptyState();
        target.f[sp.param] = [sp.id];
        remember(sp.param, sp.id, sp.label);
      }
      const what = sp.param === "treaty" ? "Timeline of " : "Articles on " + KIND[sp.param].one.toLowerCase() + " ";
      node.append(navLink(target, { class: "ent ent-" + sp.param, title: what + (sp.label || sp.id), text: words }));
      at = sp.end;
    }
    if (at < bytes.length) node.append(document.createTextNode(fromUTF8.decode(bytes.subarray(at))));
    return node;
  }

  async function showArticle(id) {
    showDetail(backLink(), el("p", { class: "status", role: "status", text: "Loading the article…" }));
    let a;
    try {
      a = await getJSON(API_ARTICLE + encodeURIComponent(id));
    } catch (err) {
      showDetail(backLink(), el("h2", { text: "Article not available" }), el("p", { class: "status error", text: err.message }));
      return;
    }
    if (state.view !== "article" || state.id !== id) return; // moved on meanwhile
    const tags = a.tags || {};
    const href = safeURL(a.url);
    const meta = el("p", { class: "meta" });
    if (a.source) meta.append(el("span", { class: "source", text: a.source }));
    const day = formatDay(a.published);
    if (day) meta.append(el("time", { datetime: a.published, text: day }));
    if (href) meta.append(el("a", { href, rel: "noopener noreferrer", target: "_blank", class: "original", text: "Read the original ↗" }));
    const body = el("div", { class: "article-body" });
    if (a.summary) body.append(highlighted("p", "summary", a.summary, spansOf(tags, "summary")));
    for (const para of splitParagraphs(a.body || "")) {
      body.append(highlighted("p", "para", para.text, shift(spansOf(tags, "body"), para.offset, para.length)));
    }
    const ents = el("ul", { class: "tags", "aria-label": "Tags" });
    for (const c of tags.countries || []) ents.append(tagChip("country", c.code, c.name || c.code));
    for (const l of tags.leaders || []) ents.append(tagChip("leader", l.id, l.name || l.id));
    for (const t of tags.treaties || []) {
      ents.append(el("li", null, navLink(treatyState(t.id), { class: "tag tag-treaty", text: (t.name || t.id) + (t.action && t.action !== "mentioned" ? " · " + t.action : "") })));
    }
    const copies = el("section", { class: "copies", "aria-labelledby": "copies-title" },
      el("h3", { id: "copies-title", class: "section-title", text: "Other copies of this story" }));
    showDetail(backLink(),
      el("article", { class: "article" },
        highlighted("h2", "article-title", a.title || "(untitled)", spansOf(tags, "title")),
        meta, ents.children.length ? ents : null, body),
      copies);
    if (!a.story || !a.story.id) {
      copies.append(el("p", { class: "small muted", text: "This article was not grouped into a story." }));
      return;
    }
    try {
      const p = new URLSearchParams({ story: a.story.id, collapse: "false", sort: "newest", size: "50" });
      const r = await getJSON(API_SEARCH + "?" + p.toString());
      const others = (r.hits || []).filter((h) => h.id !== a.id);
      if (!others.length) {
        copies.append(el("p", { class: "small muted", text: "No other copy stored." }));
        return;
      }
      const list = el("ul", { class: "copy-list" });
      for (const h of others) {
        list.append(el("li", null, navLink(articleState(h.id), { text: h.title || "(untitled)" }),
          document.createTextNode(" — " + (h.source || "") + (h.published ? ", " + formatDay(h.published) : ""))));
      }
      copies.append(list);
    } catch (err) {
      copies.append(el("p", { class: "status error", text: "Could not list the copies — " + err.message }));
    }
  }

  // splitParagraphs cuts text at blank lines, keeping each paragraph's
  // UTF-8 byte offset so spans can be placed in it.
  function splitParagraphs(text) {
    const out = [];
    const re = /\n\s*\n/g;
    let last = 0;
    let m;
    const push = (from, to) => {
      const t = text.slice(from, to);
      if (t.trim()) out.push({ text: t, offset: utf8.encode(text.slice(0, from)).length, length: utf8.encode(t).length });
    };
    while ((m = re.exec(text)) !== null) {
      push(last, m.index);
      last = m.index + m[0].length;
    }
    push(last, text.length);
    return out;
  }

  function shift(spans, offset, length) {
    return spans.filter((sp) => sp.start >= offset && sp.end <= offset + length)
      .map((sp) => Object.assign({}, sp, { start: sp.start - offset, end: sp.end - offset }));
  }

  async function showTreaty(id) {
    showDetail(backLink(), el("p", { class: "status", role: "status", text: "Loading the treaty…" }));
    let entry = null;
    let tl;
    try {
      tl = await getJSON(API_TREATY + encodeURIComponent(id) + "/timeline");
    } catch (err) {
      showDetail(backLink(), el("h2", { text: "Timeline not available" }), el("p", { class: "status error", text: err.message }));
      return;
    }
    try {
      entry = await getJSON(API_TREATY + encodeURIComponent(id));
    } catch (err) {
      entry = null; // no catalogue on this server: the timeline still shows
    }
    if (state.view !== "treaty" || state.id !== id) return;
    const name = (entry && entry.name) || labelFor("treaty", id);
    const facts = el("dl", { class: "facts" });
    if (entry && entry.parties && entry.parties.length) {
      facts.append(el("dt", { text: "Parties" }), el("dd", { text: entry.parties.map((c) => labelFor("country", c)).join(", ") }));
    }
    if (entry && entry.aliases && entry.aliases.length) {
      facts.append(el("dt", { text: "Also called" }), el("dd", { text: entry.aliases.slice(0, 8).join("; ") }));
    }
    if (entry && entry.wikidata) {
      facts.append(el("dt", { text: "Wikidata" }), el("dd", { text: entry.wikidata }));
    }
    const list = el("ol", { class: "treaty-timeline" });
    for (const a of tl.actions || []) {
      const f = a.first || {};
      const when = formatDay(f.published) || "undated";
      list.append(el("li", { class: "action" },
        el("time", { datetime: f.published || "", text: when }),
        el("strong", { class: "action-name", text: a.action }),
        el("span", { class: "small", text: a.articles + (a.articles === 1 ? " article" : " articles") + " from " + a.sources + (a.sources === 1 ? " source" : " sources") + ". First: " }),
        f.id ? navLink(articleState(f.id), { text: f.title || f.id }) : null,
        f.source ? document.createTextNode(" (" + f.source + ")") : null));
    }
    if (!list.children.length) list.append(el("li", { class: "small muted", text: "No dated action reported yet." }));
    const all = emptyState();
    all.f.treaty = [id];
    remember("treaty", id, name);
    showDetail(backLink(),
      el("section", { class: "treaty" },
        el("h2", { text: name }), facts.children.length ? facts : null,
        el("h3", { class: "section-title", text: "Timeline, as reported" }), list,
        el("p", null, navLink(all, { text: "All articles on this treaty" }))));
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
    for (const k of KINDS) query[k.rule] = unique((query[k.rule] || []).concat(state.f[k.param]));
    // An excluded value excludes on its own, as in the search: one "not"
    // clause each, none of which may hold.
    const not = [];
    for (const k of KINDS) for (const v of state.not[k.param]) not.push({ [k.rule]: [v] });
    if (not.length) query.not = not;
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
    s.collapse = els.collapse.checked;
    if (s.q !== state.q) s.literal = [];
    navigate(s);
  });
  els.collapse.addEventListener("change", () => els.form.requestSubmit());
  els.sort.addEventListener("change", () => els.form.requestSubmit());
  els.clear.addEventListener("click", () => {
    moreFacets = false;
    navigate(emptyState());
    els.q.focus();
  });
  els.more.addEventListener("click", loadMore);
  els.ruleName.addEventListener("input", () => { els.ruleName.dataset.touched = "1"; });
  els.ruleForm.addEventListener("submit", createRule);
  window.addEventListener("popstate", () => {
    state = readState();
    route();
  });

  // On a phone the filters sit in a drawer at the top, closed; wider, the
  // drawer is always open and its toggle hidden.
  const narrow = window.matchMedia("(max-width: 480px)");
  const fitDrawer = () => { els.drawer.open = !narrow.matches; };
  fitDrawer();
  narrow.addEventListener("change", fitDrawer);

  showAlertsMessage("Waiting for alerts…");
  route();
  connectAlerts();
})();
