// The boxoffice page: a form built from the served model's signature, what-if charts from
// two batch calls, the model card from GET /v1/model and the instance's health. Every
// request goes to this page's own origin (the server's Content-Security-Policy says so).
"use strict";

const KEY = "boxoffice-api-key";
const SVG = "http://www.w3.org/2000/svg";
// `run` counts forecasts and profile switches: an answer that arrives after a newer one
// started (or after the profile changed) is dropped instead of drawn over the newer state.
const state = { info: null, profile: null, routes: {}, run: 0 };

const $ = (id) => document.getElementById(id);

// ---- dollars: one way to write them, one way to read them -----------------------------
// The twin of boxoffice.core.money.format_money (the CLI's and the API's messages): the page
// and the server write an amount alike. Largest unit first, with its decimals.
const MONEY_STEPS = [[1e9, "B", 2], [1e6, "M", 1], [1e3, "K", 0], [1, "", 0]];

// x with `digits` decimals, rounded as Python's format rounds: the exact binary value, a tie
// to even (toFixed alone takes a tie up: 1,250,000 was "$1.3M", Python's "$1.2M"; and Intl
// rounds the shortest decimal form: 950,000 was "$1.0M", Python's "$950K").
function roundedText(x, digits) {
  const [whole, part = ""] = x.toFixed(100).split(".");  // every digit of the double: exact
  const kept = part.slice(0, digits);
  const tie = /^50*$/.test(part.slice(digits));
  if (!tie || Number((whole + kept).slice(-1)) % 2 === 1) return x.toFixed(digits);
  return digits ? `${whole}.${kept}` : whole;
}

function fixed(x, digits) {
  const [whole, part] = roundedText(x, digits).split(".");
  return whole.replace(/\B(?=(\d{3})+$)/g, ",") + (part ? `.${part}` : "");
}

// Every dollar amount on the page goes through here: "$1.47B", "$438.7M", "$250K", "$218".
function formatMoney(amount) {
  if (typeof amount !== "number" || !Number.isFinite(amount)) return "—";
  const sign = amount < 0 ? "-" : "";
  const value = Math.abs(amount);
  const last = MONEY_STEPS.length - 1;
  for (let i = 0; i <= last; i++) {
    let [size, suffix, digits] = MONEY_STEPS[i];
    if (value < size && i < last) continue;  // the largest unit the amount reaches ($600)
    // ...unless it rounds up to a thousand of them: 999,960 is "$1.0M", not "$1000K".
    if (i > 0 && Number(roundedText(value / size, digits)) >= 1000) [size, suffix, digits] = MONEY_STEPS[i - 1];
    return `${sign}$${fixed(value / size, digits)}${suffix}`;
  }
}

const MONEY_SCALES = { "": 1, k: 1e3, thousand: 1e3, m: 1e6, mn: 1e6, million: 1e6, b: 1e9, bn: 1e9, billion: 1e9 };
// A sign (before or after the "$"), digits alone or grouped in threes by commas, an optional
// decimal part and a scale word: "$200M", "-5", "200,000,000", "1.5bn".
const MONEY_TEXT = /^(-?)\$?(-?)((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)([a-z]*)$/;

// Dollars from what people type ("$200M", "200m", "1.5B", "200,000,000", "$250K"), whole
// dollars; NaN when the text is no amount, so that nothing is sent for it.
function parseMoney(text) {
  const match = String(text).toLowerCase().replace(/\s+/g, "").match(MONEY_TEXT);
  if (!match || (match[1] && match[2]) || !Object.hasOwn(MONEY_SCALES, match[4])) return NaN;
  const sign = match[1] || match[2] ? -1 : 1;
  return sign * Math.round(Number(match[3].replace(/,/g, "")) * MONEY_SCALES[match[4]]);
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

// aria-busy on `node` while `work` runs (a screen reader waits; so can a test). Counted, so
// that overlapping runs (a second click) leave it busy until the last one ends.
async function busyWhile(node, work) {
  node.dataset.pending = String(Number(node.dataset.pending || 0) + 1);
  node.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    node.dataset.pending = String(Number(node.dataset.pending) - 1);
    if (node.dataset.pending === "0") node.setAttribute("aria-busy", "false");
  }
}

function element(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

// ---- the form, from the signature ----------------------------------------------------
const MONEY_EXAMPLES = "200M, $1.5B or 250,000";
const MONEY_HELP = `US dollars: ${MONEY_EXAMPLES}`;

// A label people read: the description's leading phrase ("Production budget in US
// dollars." -> "Production budget", "MPAA rating." -> "MPAA rating"), else the field name
// made readable. The field name itself stays the input's id and name (the API's term).
function readableName(item) {
  const phrase = (item.description || "").split(/[(,.]/)[0].replace(/\s+in\s+.*$/, "").trim();
  if (phrase) return phrase;
  const words = item.field.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

// "January 1, 1928": the month in words, so the text claims no numeric format that the
// date picker (which shows the browser's locale) could contradict.
function longDate(iso) {
  return new Date(`${iso}T00:00:00Z`).toLocaleDateString(undefined, {
    year: "numeric", month: "long", day: "numeric", timeZone: "UTC",
  });
}

// The first and last release date the model speaks for, as the date picker's min and max.
function dateRange(signature) {
  return {
    first: signature.first_film ? `${signature.first_film.slice(0, 4)}-01-01` : null,
    last: signature.latest_accepted || null,
  };
}

// What a field takes, said under it (a phone shows no tooltip): the date range, how to
// write dollars, or the description when it says more than the label ("in minutes").
function helpText(item, signature) {
  if (item.kind === "date") {
    const { first, last } = dateRange(signature);
    return first && last ? `${longDate(first)} to ${longDate(last)}` : "";
  }
  if (item.dollars) return MONEY_HELP;
  const description = (item.description || "").replace(/\.$/, "");
  return description === readableName(item) ? "" : description;
}

function fieldInput(item, signature) {
  if (item.kind === "date") {
    const input = element("input", { type: "date" });
    const { first, last } = dateRange(signature);
    if (first) input.min = first;
    if (last) input.max = last;
    return input;
  }
  if (item.dollars) {  // text, not a number box: "$200M" must reach parseMoney whole
    return element("input", { type: "text", autocomplete: "off", spellcheck: "false" });
  }
  if (item.kind === "numeric") return element("input", { type: "number", step: "any", min: "0" });
  return element("input", { type: "text", list: `list-${item.field}`, autocomplete: "off" });
}

function fieldRow(item, signature) {
  const row = element("div", { class: "row", id: `row-${item.field}` });
  const label = element("label", { for: `f-${item.field}` }, readableName(item) + (item.required ? " *" : ""));
  const input = fieldInput(item, signature);
  input.id = `f-${item.field}`;
  input.name = item.field;
  if (item.required) input.required = true;
  if (item.example !== null && item.example !== undefined) {
    input.placeholder = item.dollars ? formatMoney(Number(item.example)) : String(item.example);
  }
  const help = helpText(item, signature);
  input.title = item.kind === "date" ? `${readableName(item)}: ${help}` : item.description || readableName(item);
  row.append(label, input);
  if (help) {
    row.append(element("span", { class: "hint", id: `help-${item.field}` }, help));
    input.setAttribute("aria-describedby", `help-${item.field}`);
  }
  if (item.kind === "categorical") {
    const list = element("datalist", { id: `list-${item.field}` });
    for (const value of [...(item.categories || [])].sort()) list.append(element("option", { value }));
    row.append(list);
  }
  row.append(element("span", { class: "error", id: `err-${item.field}` }));
  row.append(element("span", { class: "warning", id: `note-${item.field}` }));
  return row;
}

function buildForm(signature) {
  $("fields").replaceChildren(...signature.inputs.map((item) => fieldRow(item, signature)));
}

// The film as the API takes it, and the fields whose text is no value (nothing is sent
// while there are any). An empty field is left out: unknown to the model.
function readFilm() {
  const film = {};
  const problems = [];
  for (const item of state.info.signature.inputs) {
    const input = $(`f-${item.field}`);
    const raw = input.value.trim();
    if (item.kind === "numeric" && input.validity.badInput) {
      problems.push({ field: item.field, problem: "not a number" });
    } else if (raw === "") {
      continue;
    } else if (item.dollars) {
      const dollars = parseMoney(raw);
      const problem = `"${raw}" is not an amount: write ${MONEY_EXAMPLES}`;
      if (Number.isNaN(dollars)) problems.push({ field: item.field, problem });
      else film[item.field] = dollars;
    } else {
      film[item.field] = item.kind === "numeric" ? Number(raw) : raw;
    }
  }
  return { film, problems };
}

function clearErrors() {
  for (const node of document.querySelectorAll(".row .error, .row .warning")) node.textContent = "";
}

// A result belongs to one film and one profile: cleared before another is asked for, on
// any error and on a profile switch, so the page never shows an answer to another question.
function clearResult() {
  $("result").replaceChildren();
  $("chart-month").replaceChildren();
  $("chart-budget").replaceChildren();
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

// Each problem beside its field (the API's details, or readFilm's), the message otherwise.
function showErrors(error) {
  clearResult();
  let placed = false;
  for (const detail of error.details || []) {
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
// A viewBox lets the stylesheet shrink a chart to a narrow screen (the text with it).
function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  return node;
}

// As wide as the panel allows up to `most` pixels: text stays at its size on a phone.
function chartWidth(most, panel) {
  return Math.round(Math.max(240, Math.min(most, panel.clientWidth || most)));
}

function chartRoot(w, h, label) {
  return svg("svg", { width: w, height: h, viewBox: `0 0 ${w} ${h}`, role: "img", "aria-label": label });
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
  const lo = 1e5, hi = 1e10, w = chartWidth(520, $("result")), h = 60;
  const x = logScale(lo, hi, 24, w - 24);
  const root = chartRoot(w, h, "forecast and 80% range on a log-dollar axis");
  const low = Math.max(prediction.interval.low, lo), high = Math.min(prediction.interval.high, hi);
  root.append(svg("line", { x1: 24, x2: w - 24, y1: 35, y2: 35, class: "axis" }));
  root.append(svg("rect", { x: x(low), y: 22, width: Math.max(2, x(high) - x(low)), height: 26, class: "band range" }));
  root.append(svg("circle", { cx: x(prediction.worldwide_gross), cy: 35, r: 6, class: "point" }));
  for (const t of decadeTicks(lo, hi)) {
    const label = svg("text", { x: x(t), y: 14, "text-anchor": "middle" });
    label.textContent = formatMoney(t);
    root.append(label);
  }
  return root;
}

function lineChart(target, labels, predictions, pointClass) {
  const w = chartWidth(440, $("whatif")), h = 220, left = 56, right = 30, bottom = 30;
  const lows = predictions.map((p) => p.interval.low), highs = predictions.map((p) => p.interval.high);
  const lo = Math.min(...lows) / 1.2, hi = Math.max(...highs) * 1.2;
  const y = logScale(lo, hi, h - bottom, 8);
  const step = (w - left - right) / Math.max(1, predictions.length - 1);
  const x = (i) => left + i * step;
  const root = chartRoot(w, h, target.id);
  const band = predictions.map((p, i) => `${x(i)},${y(p.interval.high)}`).concat(
    predictions.map((p, i) => [i, p]).reverse().map(([i, p]) => `${x(i)},${y(p.interval.low)}`));
  root.append(svg("polygon", { points: band.join(" "), class: "band" }));
  predictions.forEach((p, i) => {
    const dot = svg("circle", { cx: x(i), cy: y(p.worldwide_gross), r: 4, class: `point ${pointClass}` });
    const tip = svg("title", {});
    tip.textContent = `${labels[i]}: ${formatMoney(p.worldwide_gross)} (${formatMoney(p.interval.low)} to ${formatMoney(p.interval.high)})`;
    dot.append(tip);
    root.append(dot);
    const label = svg("text", { x: x(i), y: h - 12, "text-anchor": "middle" });
    label.textContent = labels[i];
    root.append(label);
  });
  for (const t of decadeTicks(lo, hi)) {
    const label = svg("text", { x: left - 6, y: y(t) + 3, "text-anchor": "end" });
    label.textContent = formatMoney(t);
    root.append(label, svg("line", { x1: left, x2: w - right, y1: y(t), y2: y(t), class: "axis", "stroke-dasharray": "2 3" }));
  }
  target.replaceChildren(root);
}

// Each chart is drawn only if its forecast is still the latest (`run`).
async function whatIf(base, run) {
  const batch = state.routes[state.profile].replace(/prediction$/, "predictions");
  const year = (base.release_date || "").slice(0, 4);
  if (year) {
    const months = [...Array(12).keys()].map((m) => `${year}-${String(m + 1).padStart(2, "0")}-15`);
    const answer = await api(batch, { films: months.map((d) => ({ ...base, release_date: d })) });
    if (run !== state.run) return;
    lineChart($("chart-month"), months.map((d) => d.slice(5, 7)), answer.predictions, "month-point");
  }
  const budget = base.production_budget;
  if (budget) {
    const factors = [0.25, 0.5, 0.75, 1, 1.5, 2, 3];
    const budgets = factors.map((f) => Math.round(budget * f));
    const answer = await api(batch, { films: budgets.map((b) => ({ ...base, production_budget: b })) });
    if (run !== state.run) return;
    lineChart($("chart-budget"), budgets.map(formatMoney), answer.predictions, "budget-point");
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
      element("td", {}, formatMoney(comp.production_budget)),
      element("td", {}, formatMoney(comp.worldwide_gross)),
    );
    node.append(tr);
  }
  return node;
}

function showForecast(answer, body) {
  const warnings = answer.warnings || [];
  const unknown = state.info.signature.inputs.filter((i) => !(i.field in body)).map((i) => i.field);
  const unknownValues = warnings.filter((w) => w.code === "unknown_value").map((w) => `${w.field} "${body[w.field]}"`);
  const out = [
    element("p", { class: "value", id: "forecast-value" }, formatMoney(answer.worldwide_gross)),
    element("p", { id: "forecast-range" }, `80% range: ${formatMoney(answer.interval.low)} to ${formatMoney(answer.interval.high)}`),
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
}

// A what-if failure leaves the forecast standing and says so where the charts would be.
function showWhatIfError(error) {
  $("chart-month").replaceChildren(element("p", { class: "error", role: "alert" }, `No what-if charts: ${error.message}`));
  $("chart-budget").replaceChildren();
}

// The form is busy until the forecast, its what-ifs and the health refresh are done.
async function forecast(event) {
  event.preventDefault();
  await busyWhile($("film-form"), () => ask(++state.run));
}

// One forecast: the film read from the form, its answer, what-ifs and the health after it.
async function ask(run) {
  clearErrors();
  clearResult();
  const { film, problems } = readFilm();
  if (problems.length) {
    showErrors({ message: "Please fix the fields marked above.", details: problems });
    return;
  }
  try {
    const answer = await api(`${state.routes[state.profile]}?comps=5`, film);
    if (run !== state.run) return;
    showForecast(answer, film);
    await whatIf(film, run).catch((error) => { if (run === state.run) showWhatIfError(error); });
  } catch (error) {
    if (run === state.run) showErrors(error);
  }
  // The counts by version and the latency just changed: the panel says so without a click.
  await refreshHealth();
}

// ---- model card and health ------------------------------------------------------------
// The backtest's budget bands by name, smallest first (JSON sorts "10m_100m" before
// "lt_10m"); the same names as boxoffice.pipeline.coverage.BAND_NAMES. Unknown keys go last.
const BUDGET_BANDS = { lt_10m: "< $10M", "10m_100m": "$10M-$100M", ge_100m: "≥ $100M" };

function coverageByBudget(byBudget) {
  const order = Object.keys(BUDGET_BANDS);
  const rank = (key) => (key in BUDGET_BANDS ? order.indexOf(key) : order.length);
  return Object.entries(byBudget)
    .sort(([a], [b]) => rank(a) - rank(b))
    .map(([key, value]) => `${BUDGET_BANDS[key] || key}: ${value}`)
    .join(", ");
}

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
  if (byBudget) rows.push(["coverage by budget", coverageByBudget(byBudget)]);
  const fields = state.info.signature.inputs.map((i) => `${i.field}${i.required ? "*" : ""}`).join(", ");
  rows.push(["fields (* required)", fields]);
  const sig = state.info.signature;
  const base = sig.dollars ? sig.dollars.base_year : "base-year";
  if (sig.reduced) rows.push(["reduced trees for", `requests sending exactly: ${sig.reduced.join(", ") || "no optional field"}`]);
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
      (latest.drift.enough_data
        ? ` (${latest.drift.counts ? `drifted: ${latest.drift.counts}` : `${Math.round(latest.drift.share * 100)}% of features drifted`})`
        : "")
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

function refreshHealth() {
  const body = $("health-body");
  return busyWhile(body, () => renderHealth().catch((error) => { body.textContent = error.message; }));
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

// Another profile asks another question: its form is new, so the last answer goes too
// (and one still on its way is dropped by the run count).
async function switchProfile(profile) {
  state.run += 1;
  clearResult();
  try {
    await loadProfile(profile);
  } catch (error) {
    showErrors(error);
  }
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
  await refreshHealth();
}

document.addEventListener("DOMContentLoaded", () => {
  $("film-form").addEventListener("submit", forecast);
  $("profile").addEventListener("change", (e) => switchProfile(e.target.value));
  $("health-refresh").addEventListener("click", () => refreshHealth());
  $("key-save").addEventListener("click", () => {
    sessionStorage.setItem(KEY, $("api-key").value);
    $("key-panel").hidden = true;
    start();
  });
  start();
});
