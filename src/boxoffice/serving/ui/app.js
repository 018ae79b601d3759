// The boxoffice page: a form built from the served model's signature, what-if charts from
// two batch calls, the model card from GET /v1/model and the instance's health. Every
// request goes to this page's own origin (the server's Content-Security-Policy says so).
"use strict";

const KEY = "boxoffice-api-key";
const SVG = "http://www.w3.org/2000/svg";
const state = { info: null, profile: null, routes: {} };

const $ = (id) => document.getElementById(id);

// ---- dollars: one way to write them, one way to read them ---------------------------------
// Smallest unit first; each written with this many decimals at most (trailing zeros dropped).
const MONEY_UNITS = [
  { size: 1, suffix: "", places: 0 },
  { size: 1e3, suffix: "K", places: 1 },
  { size: 1e6, suffix: "M", places: 1 },
  { size: 1e9, suffix: "B", places: 2 },
];

// Every dollar amount on the page goes through here: "$1.47B", "$438.7M", "$250K", "$218".
function formatMoney(dollars) {
  if (!Number.isFinite(dollars)) return "—";
  const size = Math.abs(dollars);
  let i = Math.max(0, MONEY_UNITS.findLastIndex((unit) => size >= unit.size));
  const scaled = (k) => Number((size / MONEY_UNITS[k].size).toFixed(MONEY_UNITS[k].places));
  // 999,960 rounds to "1000K": write it in the next unit up ("$1M").
  if (scaled(i) >= 1000 && i < MONEY_UNITS.length - 1) i += 1;
  return `${dollars < 0 ? "-" : ""}$${scaled(i)}${MONEY_UNITS[i].suffix}`;
}

const MONEY_SUFFIXES = { "": 1, k: 1e3, thousand: 1e3, m: 1e6, mn: 1e6, million: 1e6, b: 1e9, bn: 1e9, billion: 1e9 };
// Digits alone or grouped by commas in threes ("200,000,000"), an optional decimal part.
const MONEY_TEXT = /^(-?)\$?(-?)((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)([a-z]*)$/;

// Dollars from what people type: "$200M", "200m", "1.5B", "200,000,000", "$250K".
// NaN when the text is no amount, so that nothing is sent for it.
function parseMoney(text) {
  const match = String(text).trim().toLowerCase().replace(/\s+/g, "").match(MONEY_TEXT);
  if (!match || match[1] && match[2] || !(match[4] in MONEY_SUFFIXES)) return NaN;
  const sign = match[1] || match[2] ? -1 : 1;
  return sign * Math.round(Number(match[3].replace(/,/g, "")) * MONEY_SUFFIXES[match[4]]);
}

function headers(json) {
  const out = {};
  const key = sessionStorage.getItem(KEY);
  if (key) out["X-API-Key"] = key;
  if (json) out["Content-Type"] = "application/json";
  return out;
}

async function api(path, body) {
  const response = await fetch(path, {
    method: body === undefined ? "GET" : "POST",
    headers: headers(body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try {
    data = await response.json();
  } catch (_) {
    data = null;
  }
  if (response.status === 401 && path.startsWith("/v1/")) $("key-panel").hidden = false;
  if (!response.ok) {
    const error = new Error((data && data.error && data.error.message) || response.statusText);
    error.details = (data && data.error && data.error.details) || [];
    throw error;
  }
  return data;
}

function element(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

// ---- the form, from the signature ----------------------------------------------------
function buildForm(signature) {
  const fields = $("fields");
  fields.replaceChildren();
  const first = signature.first_film ? `${signature.first_film.slice(0, 4)}-01-01` : null;
  for (const item of signature.inputs) {
    const row = element("div", { class: "row", id: `row-${item.field}` });
    const label = element("label", { for: `f-${item.field}` }, item.field + (item.required ? " *" : ""));
    let input;
    if (item.kind === "numeric") {
      input = element("input", { type: "number", step: "any", min: "0" });
    } else if (item.kind === "date") {
      input = element("input", { type: "date" });
      if (first) input.min = first;
      if (signature.latest_accepted) input.max = signature.latest_accepted;
    } else {
      input = element("input", { type: "text", list: `list-${item.field}`, autocomplete: "off" });
      const list = element("datalist", { id: `list-${item.field}` });
      for (const value of [...(item.categories || [])].sort()) list.append(element("option", { value }));
      row.append(list);
    }
    input.id = `f-${item.field}`;
    input.name = item.field;
    input.title = item.description || item.field;
    if (item.example !== null && item.example !== undefined) input.placeholder = String(item.example);
    if (item.required) input.required = true;
    row.append(label, input, element("span", { class: "error", id: `err-${item.field}` }));
    row.append(element("span", { class: "warning", id: `note-${item.field}` }));
    fields.append(row);
  }
}

function film() {
  const out = {};
  for (const item of state.info.signature.inputs) {
    const raw = $(`f-${item.field}`).value.trim();
    if (raw === "") continue;
    out[item.field] = item.kind === "numeric" ? Number(raw) : raw;
  }
  return out;
}

function clearErrors() {
  for (const node of document.querySelectorAll(".row .error, .row .warning")) node.textContent = "";
}

// Each warning beside the field it names; those of no field on the form under the result.
function placeWarnings(warnings) {
  const rest = [];
  for (const note of warnings) {
    const slot = $(`note-${note.field}`);
    if (slot) slot.textContent = slot.textContent ? `${slot.textContent} ${note.message}` : note.message;
    else rest.push(note);
  }
  return rest;
}

function showErrors(error) {
  let placed = false;
  for (const detail of error.details) {
    const name = detail.field.split(".").pop();
    const slot = $(`err-${name}`);
    if (slot) {
      slot.textContent = detail.problem;
      placed = true;
    }
  }
  $("result").replaceChildren(element("p", { class: "error", role: "alert" }, placed ? "Please fix the fields marked above." : error.message));
}

// ---- charts on a log-dollar axis ------------------------------------------------------
function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  return node;
}

function logScale(lo, hi, a, b) {
  const l0 = Math.log10(lo), l1 = Math.log10(hi);
  return (x) => a + ((Math.log10(x) - l0) / (l1 - l0)) * (b - a);
}

function decadeTicks(lo, hi) {
  const ticks = [];
  for (let p = Math.floor(Math.log10(lo)); p <= Math.ceil(Math.log10(hi)); p++) {
    const v = 10 ** p;
    if (v >= lo && v <= hi) ticks.push(v);
  }
  return ticks;
}

function rangeBar(prediction) {
  const lo = 1e5, hi = 1e10, w = 520, h = 60;
  const x = logScale(lo, hi, 24, w - 24);
  const root = svg("svg", { width: w, height: h, role: "img", "aria-label": "forecast and 80% range on a log-dollar axis" });
  const low = Math.max(prediction.interval.low, lo), high = Math.min(prediction.interval.high, hi);
  root.append(svg("line", { x1: 24, x2: w - 24, y1: 35, y2: 35, class: "axis" }));
  root.append(svg("rect", { x: x(low), y: 22, width: Math.max(2, x(high) - x(low)), height: 26, class: "band range" }));
  root.append(svg("circle", { cx: x(prediction.worldwide_gross), cy: 35, r: 6, class: "point" }));
  for (const t of decadeTicks(lo, hi)) {
    const label = svg("text", { x: x(t), y: 14, "text-anchor": "middle" });
    label.textContent = tick(t);
    root.append(label);
  }
  return root;
}

function lineChart(target, labels, predictions, pointClass) {
  const w = 440, h = 220, left = 56, right = 30, bottom = 30;
  const lows = predictions.map((p) => p.interval.low), highs = predictions.map((p) => p.interval.high);
  const lo = Math.min(...lows) / 1.2, hi = Math.max(...highs) * 1.2;
  const y = logScale(lo, hi, h - bottom, 8);
  const step = (w - left - right) / Math.max(1, predictions.length - 1);
  const x = (i) => left + i * step;
  const root = svg("svg", { width: w, height: h, role: "img", "aria-label": target.id });
  const band = predictions.map((p, i) => `${x(i)},${y(p.interval.high)}`).concat(
    predictions.map((p, i) => [i, p]).reverse().map(([i, p]) => `${x(i)},${y(p.interval.low)}`));
  root.append(svg("polygon", { points: band.join(" "), class: "band" }));
  predictions.forEach((p, i) => {
    const dot = svg("circle", { cx: x(i), cy: y(p.worldwide_gross), r: 4, class: `point ${pointClass}` });
    const tip = svg("title", {});
    tip.textContent = `${labels[i]}: ${money(p.worldwide_gross)} (${money(p.interval.low)} to ${money(p.interval.high)})`;
    dot.append(tip);
    root.append(dot);
    const label = svg("text", { x: x(i), y: h - 12, "text-anchor": "middle" });
    label.textContent = labels[i];
    root.append(label);
  });
  for (const t of decadeTicks(lo, hi)) {
    const label = svg("text", { x: left - 6, y: y(t) + 3, "text-anchor": "end" });
    label.textContent = tick(t);
    root.append(label, svg("line", { x1: left, x2: w - right, y1: y(t), y2: y(t), class: "axis", "stroke-dasharray": "2 3" }));
  }
  target.replaceChildren(root);
}

async function whatIf(base) {
  const batch = state.routes[state.profile].replace(/prediction$/, "predictions");
  const date = base.release_date || "";
  const year = date.slice(0, 4);
  if (year) {
    const months = [...Array(12).keys()].map((m) => `${year}-${String(m + 1).padStart(2, "0")}-15`);
    const answer = await api(batch, { films: months.map((d) => ({ ...base, release_date: d })) });
    lineChart($("chart-month"), months.map((d) => d.slice(5, 7)), answer.predictions, "month-point");
  }
  const budget = base.production_budget;
  if (budget) {
    const factors = [0.25, 0.5, 0.75, 1, 1.5, 2, 3];
    const budgets = factors.map((f) => Math.round(budget * f));
    const answer = await api(batch, { films: budgets.map((b) => ({ ...base, production_budget: b })) });
    lineChart($("chart-budget"), budgets.map((b) => money(b).replace(".0M", "M")), answer.predictions, "budget-point");
  }
}

// The training films nearest this one in the model's own terms, with what they grossed.
function compsTable(comps) {
  const node = element("table", { id: "comps" });
  const caption = element("caption", {}, "Comparable films the model learned from");
  const head = element("tr");
  for (const name of ["film", "released", "budget", "worldwide gross"]) head.append(element("th", {}, name));
  node.append(caption, head);
  for (const comp of comps) {
    const tr = element("tr");
    tr.append(
      element("td", {}, comp.title),
      element("td", {}, comp.release_date),
      element("td", {}, money(comp.production_budget)),
      element("td", {}, money(comp.worldwide_gross)),
    );
    node.append(tr);
  }
  return node;
}

async function forecast(event) {
  event.preventDefault();
  clearErrors();
  const body = film();
  try {
    const answer = await api(`${state.routes[state.profile]}?comps=5`, body);
    const warnings = answer.warnings || [];
    const unknown = state.info.signature.inputs.filter((i) => !(i.field in body)).map((i) => i.field);
    const unknownValues = warnings.filter((w) => w.code === "unknown_value").map((w) => `${w.field} "${body[w.field]}"`);
    const out = [
      element("p", { class: "value", id: "forecast-value" }, money(answer.worldwide_gross)),
      element("p", { id: "forecast-range" }, `80% range: ${money(answer.interval.low)} to ${money(answer.interval.high)}`),
      rangeBar(answer),
      element("p", { class: "hint", id: "unknown-fields" }, [
        unknown.length ? `Unknown (not sent): ${unknown.join(", ")}.` : "Every field sent.",
        unknownValues.length ? ` Treated as unknown (not known to the model): ${unknownValues.join(", ")}.` : "",
      ].join("")),
      element("p", { class: "hint" }, `model ${answer.model_version}, profile ${answer.profile}`),
    ];
    for (const note of placeWarnings(warnings)) out.push(element("p", { class: "warning" }, note.message));
    if (answer.comps && answer.comps.length) out.push(compsTable(answer.comps));
    $("result").replaceChildren(...out);
    await whatIf(body);
  } catch (error) {
    showErrors(error);
  }
}

// ---- model card and health ------------------------------------------------------------
function table(rows) {
  const node = element("table");
  for (const [k, v] of rows) {
    const tr = element("tr");
    tr.append(element("th", {}, k), element("td", {}, v));
    node.append(tr);
  }
  return node;
}

function renderCard(info) {
  const summary = (info.backtest && info.backtest.summary) || {};
  const mean = (k) => (summary[k] ? summary[k].mean.toFixed(3) : "—");
  const period = info.training_period ? Object.values(info.training_period).join(" to ") : "—";
  const byBudget = (info.backtest && info.backtest.coverage_by_budget) || null;
  const rows = [
    ["version serving", info.version],
    ["profile", `${info.profile} (${Object.keys(info.profiles).join(", ")} served)`],
    ["training period", period],
    ["rolling-origin MAE (log)", mean("mae_log")],
    ["rolling-origin R² (log)", mean("r2_log")],
    ["80% interval coverage", mean("coverage")],
  ];
  if (byBudget) rows.push(["coverage by budget", Object.entries(byBudget).map(([k, v]) => `${k}: ${v}`).join(", ")]);
  const fields = state.info.signature.inputs.map((i) => `${i.field}${i.required ? "*" : ""}`).join(", ");
  rows.push(["fields (* required)", fields]);
  const sig = state.info.signature;
  const base = sig.dollars ? sig.dollars.base_year : "base-year";
  rows.push(["accepted release dates", `${(sig.first_film || "").slice(0, 4)}-01-01 to ${sig.latest_accepted || "—"}`]);
  rows.push(["known limits", `data ends ${sig.last_film || "—"}: later releases are extrapolated, with ranges widened by horizon; dollars are nominal of the release year at the edges, constant ${base} dollars inside`]);
  const body = table(rows);
  body.id = "card-table";
  $("card-body").replaceChildren(body);
}

function metric(text, name, labels) {
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    if (labels && !line.includes(labels)) continue;
    total += Number(line.trim().split(" ").pop());
  }
  return total;
}

function latencyPercentile(text, q) {
  const buckets = [];
  for (const line of text.split("\n")) {
    const m = line.match(/^boxoffice_request_latency_seconds_bucket\{le="([^"]+)",route="\/v1\/prediction"\} (\S+)/)
      || line.match(/^boxoffice_request_latency_seconds_bucket\{route="\/v1\/prediction",le="([^"]+)"\} (\S+)/);
    if (m) buckets.push([m[1] === "+Inf" ? Infinity : Number(m[1]), Number(m[2])]);
  }
  if (!buckets.length) return "—";
  buckets.sort((a, b) => a[0] - b[0]);
  const total = buckets[buckets.length - 1][1];
  if (!total) return "—";
  const hit = buckets.find(([, count]) => count >= q * total);
  return hit[0] === Infinity ? "> largest bucket" : `≤ ${(hit[0] * 1000).toFixed(1)} ms`;
}

// The latest reports `boxoffice monitor` published to the lake: every replica shows the same.
async function reportRows() {
  let latest;
  try {
    latest = await api("/v1/reports/latest");
  } catch (error) {
    return [["monitoring reports", `not readable: ${error.message}`]];
  }
  const when = (r) => r.created_at.slice(0, 16).replace("T", " ") + " UTC";
  const drift = latest.drift
    ? `${when(latest.drift)}: ${latest.drift.verdict}` +
      (latest.drift.enough_data ? ` (${Math.round(latest.drift.share * 100)}% of features drifted)` : "")
    : "none published yet (boxoffice monitor drift)";
  const accuracy = latest.accuracy
    ? `${when(latest.accuracy)}: ` + (latest.accuracy.versions.map((v) =>
        `${v.model_version}: n ${v.n}, MAE(log) ${v.mae_log.toFixed(3)}, coverage ${v.coverage.toFixed(2)}`
      ).join("; ") || "no labelled predictions yet")
    : "none published yet (boxoffice monitor accuracy)";
  const rows = [["latest drift report", drift], ["latest accuracy report", accuracy]];
  if (latest.error) rows.push(["monitoring reports", latest.error]);
  return rows;
}

async function renderHealth() {
  const ready = await fetch("/health/ready").then((r) => r.json());
  const rows = [
    ["status", ready.status],
    ["model version", ready.model_version || "—"],
    ["predictions logged", ready.logging === null ? "logging off" : ready.logging ? "yes" : `NO: ${ready.logging_error}`],
  ];
  if (ready.last_reload) {
    const r = ready.last_reload;
    rows.push(["last reload", `${r.at}: ${r.result} ${r.version}${r.reason ? ` (${r.reason})` : ""}`]);
  }
  const response = await fetch("/metrics", { headers: headers(false) });
  if (response.ok) {
    const text = await response.text();
    const versions = {};
    for (const line of text.split("\n")) {
      const m = line.match(/^boxoffice_predictions_total\{model_version="([^"]+)"\} (\S+)/);
      if (m) versions[m[1]] = Number(m[2]);
    }
    rows.push(["predictions by version", Object.entries(versions).map(([v, n]) => `${v}: ${n}`).join(", ") || "none yet"]);
    rows.push(["latency p50 / p99 (/v1/prediction)", `${latencyPercentile(text, 0.5)} / ${latencyPercentile(text, 0.99)}`]);
    rows.push(["spool backlog (records)", String(metric(text, "boxoffice_spool_pending_records"))]);
    rows.push(["reloads loaded / refused", `${metric(text, "boxoffice_model_reloads_total", 'result="loaded"')} / ${metric(text, "boxoffice_model_reloads_total", 'result="refused"')}`]);
  } else {
    rows.push(["metrics", "not readable here (protected by the admin token)"]);
  }
  rows.push(...(await reportRows()));
  const body = table(rows);
  body.id = "health-table";
  $("health-body").replaceChildren(body);
}

// ---- start ------------------------------------------------------------------------------
async function loadProfile(profile) {
  const query = profile ? `?profile=${encodeURIComponent(profile)}` : "";
  state.info = await api(`/v1/model${query}`);
  state.profile = state.info.profile;
  state.routes = state.info.profiles;
  buildForm(state.info.signature);
  renderCard(state.info);
  $("profile-hint").textContent = `POST ${state.routes[state.profile]}`;
}

async function start() {
  try {
    await loadProfile(null);
    const select = $("profile");
    select.replaceChildren(...Object.keys(state.routes).map((p) => element("option", { value: p }, p)));
    select.value = state.profile;
  } catch (error) {
    $("card-body").textContent = `The model is not available: ${error.message}`;
  }
  await renderHealth().catch((error) => { $("health-body").textContent = error.message; });
}

document.addEventListener("DOMContentLoaded", () => {
  $("film-form").addEventListener("submit", forecast);
  $("profile").addEventListener("change", (e) => loadProfile(e.target.value));
  $("health-refresh").addEventListener("click", () => renderHealth());
  $("key-save").addEventListener("click", () => {
    sessionStorage.setItem(KEY, $("api-key").value);
    $("key-panel").hidden = true;
    start();
  });
  start();
});
