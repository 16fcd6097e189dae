// The page of relgraph serve: the schema as a picture, a PQL box checked as
// you type, predictions as a sortable table (CSV download) and a backtest
// chart, and the suggested questions (click one to put it in the box). Every
// text from the server goes in through textContent, never HTML.
"use strict";

const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem("relgraph-token") || "";
let rows = [], columns = [], sortBy = null, ascending = true;

async function api(method, path, body) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = "Bearer " + token;
  const response = await fetch(path, { method, headers, body: body && JSON.stringify(body) });
  const data = await response.json();
  if (response.status === 401) $("token-box").hidden = false;
  return { ok: response.ok, status: response.status, data };
}

function svg(tag, attrs, text) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function drawSchema(schema) {
  const names = Object.keys(schema.tables);
  const perRow = Math.max(1, Math.ceil(Math.sqrt(names.length)));
  const width = 240, gapX = 80, gapY = 40, line = 16;
  const links = {};
  for (const link of schema.links) {
    const table = link.from.split(".")[0];
    (links[table] = links[table] || []).push(link);
  }
  const boxes = {};
  let rowTop = 10, tallest = 0;
  names.forEach((name, i) => {
    if (i % perRow === 0 && i > 0) { rowTop += tallest + gapY; tallest = 0; }
    const t = schema.tables[name];
    const lines = [];
    if (t.primary_key) lines.push({ text: t.primary_key + "  key", weight: "bold" });
    if (t.time_column) lines.push({ text: t.time_column + "  time", style: "italic" });
    for (const link of links[name] || []) {
      lines.push({ text: link.from.split(".").slice(1).join(".") + " → " + link.to.split(".")[0] });
    }
    const height = 24 + line * lines.length + 6;
    boxes[name] = { x: 10 + (i % perRow) * (width + gapX), y: rowTop, height, lines, rows: t.rows };
    tallest = Math.max(tallest, height);
  });
  const root = svg("svg", {
    width: perRow * (width + gapX), height: rowTop + tallest + 20, role: "img",
    "aria-label": "schema: tables with their keys, time columns and links",
  });
  for (const link of schema.links) {  // lines first, boxes over them
    const a = boxes[link.from.split(".")[0]], b = boxes[link.to.split(".")[0]];
    if (!a || !b) continue;
    root.append(svg("line", {
      x1: a.x + width / 2, y1: a.y + a.height / 2, x2: b.x + width / 2, y2: b.y + b.height / 2,
      stroke: "#8aa", "stroke-width": 1.5,
    }));
  }
  for (const [name, box] of Object.entries(boxes)) {
    const g = svg("g", { "data-table": name });
    g.append(svg("rect", { x: box.x, y: box.y, width, height: box.height, fill: "#fff",
                           stroke: "#467", rx: 4 }));
    g.append(svg("text", { x: box.x + 8, y: box.y + 16, "font-weight": "bold" },
                 `${name} (${box.rows.toLocaleString()} rows)`));
    box.lines.forEach((l, j) => {
      const attrs = { x: box.x + 8, y: box.y + 34 + j * line };
      if (l.weight) attrs["font-weight"] = l.weight;
      if (l.style) attrs["font-style"] = l.style;
      g.append(svg("text", attrs, l.text));
    });
    root.append(g);
  }
  $("schema").replaceChildren(root);
}

let checkTimer = null, checkSeq = 0;
function scheduleCheck() {
  clearTimeout(checkTimer);
  checkTimer = setTimeout(runCheck, 300);
}

async function runCheck() {
  const query = $("query").value.trim();
  const box = $("check");
  if (!query) { box.textContent = ""; box.className = ""; return; }
  const seq = ++checkSeq;
  const { ok, data } = await api("POST", "/check", { query });
  if (seq !== checkSeq) return;  // an older answer after a newer question
  box.className = ok ? "ok" : "bad";
  if (ok) {
    box.textContent = `${data.task_type}: ${data.entity}; target ${data.target}` +
      (data.horizon ? `; horizon ${data.horizon}` : "");
  } else {
    box.textContent = data.error.message;
    const { start, end } = data.error;
    if (Number.isInteger(start) && Number.isInteger(end) && end > start) {
      const area = $("query");  // select the mistake in the box itself
      const offset = area.value.indexOf(query);
      area.setSelectionRange(offset + start, offset + end);
    }
  }
}

function cell(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toPrecision(4);
  if (Array.isArray(value) || typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function drawTable() {
  const table = $("predictions");
  const head = document.createElement("tr");
  for (const column of columns) {
    const th = document.createElement("th");
    th.textContent = column;
    if (column === sortBy) th.className = ascending ? "asc" : "desc";
    th.addEventListener("click", () => {
      ascending = sortBy === column ? !ascending : true;
      sortBy = column;
      rows.sort((a, b) => {
        const x = a[column], y = b[column];
        const order = typeof x === "number" && typeof y === "number" ? x - y
          : String(x).localeCompare(String(y));
        return ascending ? order : -order;
      });
      drawTable();
    });
    head.append(th);
  }
  const body = rows.slice(0, 1000).map((row) => {
    const tr = document.createElement("tr");
    for (const column of columns) {
      const td = document.createElement("td");
      td.textContent = cell(row[column]);
      tr.append(td);
    }
    return tr;
  });
  table.replaceChildren(head, ...body);
}

function csv() {
  const quote = (v) => {
    const text = cell(v);
    return /[",\n]/.test(text) ? '"' + text.replaceAll('"', '""') + '"' : text;
  };
  return [columns.join(","), ...rows.map((r) => columns.map((c) => quote(r[c])).join(","))].join("\n");
}

async function predict() {
  const body = { query: $("query").value, mode: $("mode").value, model: $("model").value };
  if ($("predictor").value) body.predictor = $("predictor").value;
  if ($("anchor").value.trim()) body.anchor_time = $("anchor").value.trim();
  $("summary").textContent = "predicting…";
  const { ok, data } = await api("POST", "/predict", body);
  if (!ok) { $("summary").textContent = data.error.message; return; }
  rows = data.rows; columns = data.columns; sortBy = null;
  const steps = Object.entries(data.timings).map(([k, v]) => `${k} ${v.toFixed(2)} s`).join(", ");
  $("summary").textContent = `${data.rows_total.toLocaleString()} rows as of ${data.anchor_time}; ` +
    `${data.task_type}, ${data.model}${data.predictor ? " (" + data.predictor + ")" : ""}; ` +
    (data.cached ? "kept answer" : steps);
  $("download").hidden = false;
  drawTable();
}

function drawChart(result) {
  const test = result.results.filter((r) => r.split === "test" && r.headline && r.mean !== null);
  const width = 420, bar = 22, left = 110;
  const max = Math.max(...test.map((r) => Math.abs(r.mean)), 1e-9);
  const root = svg("svg", { width, height: 30 + test.length * (bar + 6), role: "img",
                            "aria-label": "backtest: headline metric on test per model" });
  root.append(svg("text", { x: 0, y: 14 }, test.length ? `${test[0].metric} on test` : "no results"));
  test.forEach((r, i) => {
    const y = 24 + i * (bar + 6);
    root.append(svg("text", { x: 0, y: y + 15 }, r.model));
    root.append(svg("rect", { x: left, y, height: bar, fill: "#5a8",
                              width: Math.max(1, (width - left - 60) * Math.abs(r.mean) / max) }));
    root.append(svg("text", { x: width - 55, y: y + 15 }, r.mean.toPrecision(4)));
  });
  $("chart").replaceChildren(root);
}

async function evaluate() {
  const { ok, data } = await api("POST", "/evaluate", { query: $("query").value });
  if (!ok) { $("job").textContent = data.error.message; return; }
  const bar = $("job-progress");
  bar.hidden = false;
  for (;;) {
    const job = (await api("GET", "/jobs/" + encodeURIComponent(data.id))).data;
    bar.max = Math.max(1, job.progress.total); bar.value = job.progress.done;
    $("job").textContent = `${job.status}: ${job.progress.step} (${job.progress.done} of ${job.progress.total} runs)`;
    if (job.status === "done") { drawChart(job.result); break; }
    if (job.status === "failed") { $("job").textContent = job.error.message; break; }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  bar.hidden = true;
}

// Suggestions are computed in the background, once per database version: ask
// until they are ready (or a newer version's are), then list them.
let suggestTimer = null;
async function loadSuggestions() {
  clearTimeout(suggestTimer);
  const { ok, data } = await api("GET", "/suggest");
  if (!ok) return;
  const status = $("suggest-status");
  if (data.status === "computing") {
    status.textContent = "(finding them…)";
    suggestTimer = setTimeout(loadSuggestions, 1000);
    return;
  }
  if (data.status === "off") { $("suggest-box").hidden = true; return; }
  status.textContent = data.status === "failed" ? `(none: ${data.error})`
    : data.suggestions.length ? "(click one to ask it)" : "(none found)";
  const items = data.suggestions.map((s) => {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = s.question;
    button.title = s.query;
    button.dataset.query = s.query;
    button.addEventListener("click", () => {
      $("query").value = s.query;
      scheduleCheck();
    });
    li.append(button);
    return li;
  });
  $("suggestions").replaceChildren(...items);
  // a later version (a reload) brings its own: look again now and then
  suggestTimer = setTimeout(loadSuggestions, 15000);
}

async function start() {
  const info = await api("GET", "/info");
  if (!info.ok) return;
  $("source").textContent = `${info.data.source} (version ${info.data.database_version})`;
  for (const name of info.data.saved_models) $("model").append(new Option(name, name));
  drawSchema((await api("GET", "/schema")).data.schema);
  loadSuggestions();
}

window.addEventListener("DOMContentLoaded", () => {
  $("query").addEventListener("input", scheduleCheck);
  $("predict").addEventListener("click", predict);
  $("evaluate").addEventListener("click", evaluate);
  $("download").addEventListener("click", () => {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([csv()], { type: "text/csv" }));
    link.download = "predictions.csv";
    link.click();
  });
  $("token-save").addEventListener("click", () => {
    token = $("token").value;
    sessionStorage.setItem("relgraph-token", token);
    $("token-box").hidden = true;
    start();
  });
  start();
});
