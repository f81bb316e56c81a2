// painterly studio: the page. Plain JavaScript, no libraries: the studio works offline.
// The server owns the jobs; this page only asks for them, watches one by server-sent events, and shows results.
"use strict";

const $ = (id) => document.getElementById(id);
// Iterations presets, [at the start size, at each later size]: Standard is the engine's default, Draft half of
// it, Fine twice (filled in from the server's defaults at start).
const PRESETS = {};
const SERIES = [
  ["total", "#23201b"],
  ["style", "#c0552f"],
  ["content", "#2f5d8a"],
  ["tv", "#6b8e23"],
  ["hold", "#b8860b"],
  ["temporal", "#8a4f9e"],
];
const STATE_WORDS = {
  queued: "Queued", running: "Painting", done: "Done", stopped: "Stopped", failed: "Failed", cancelled: "Cancelled",
};
const JOB_KEY = "painterly.studio.job";

const studio = {
  defaults: {},
  choices: {},
  maxUpload: 0,
  photo: null, // {id, name, ...}
  paintings: [], // [{id, name, weight}]
  mask: null,
  jobs: new Map(), // id -> summary
  shown: null, // {job: id} or {result: entry}
  results: [],
  previewVersion: null,
  connected: false, // the event stream has opened once: a later opening list is a reconnect
  uploads: new Set(), // uploads in flight: Paint waits for them
};

// ---------- small helpers

function duration(seconds) {
  // non-breaking spaces: "8 min 31 s" never splits across lines
  if (seconds == null || !isFinite(seconds)) return "";
  seconds = Math.round(seconds);
  if (seconds < 60) return `${seconds}\u00a0s`;
  const m = Math.floor(seconds / 60), s = seconds % 60;
  if (m < 60) return `${m}\u00a0min ${String(s).padStart(2, "0")}\u00a0s`.replace(" ", "\u00a0");
  return `${Math.floor(m / 60)}\u00a0h ${String(m % 60).padStart(2, "0")}\u00a0min`.replace(" ", "\u00a0");
}

function megabytes(bytes) {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

function showMessage(text, kind = "error") {
  const box = $("message");
  box.textContent = text || "";
  box.className = "message" + (kind === "info" ? " info" : "");
}

async function api(path, options = {}) {
  let response;
  try {
    response = await fetch(path, options);
  } catch (err) {
    throw new Error("the studio server did not answer; is it still running?");
  }
  let data = null;
  try {
    data = await response.json();
  } catch (err) {
    data = null;
  }
  if (!response.ok) {
    const reason = data && data.error ? data.error : `${response.status} ${response.statusText}`;
    const error = new Error(reason);
    error.status = response.status;
    throw error;
  }
  return data;
}

function postJSON(path, body) {
  return api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
}

// ---------- inputs: uploads, examples, drops

async function upload(file, kind) {
  const form = new FormData();
  form.append("kind", kind);
  form.append("file", file, file.name);
  showMessage(`Reading ${file.name}…`, "info");
  try {
    const record = await api("/api/uploads", { method: "POST", body: form });
    showMessage("");
    return record;
  } catch (err) {
    if (!err.status && file.size > studio.maxUpload) {
      // the server cut the connection of a very large upload without reading it
      showMessage(`${file.name} is ${megabytes(file.size)}: the studio accepts uploads up to ${megabytes(studio.maxUpload)} (--max-upload-mb)`);
    } else {
      showMessage(err.message);
    }
    return null;
  }
}

async function useExample(name, kind) {
  try {
    const record = await api(`/api/examples/${encodeURIComponent(name)}`, { method: "POST" });
    addInput(record, kind);
    showMessage("");
  } catch (err) {
    showMessage(err.message);
  }
}

function addInput(record, kind) {
  if (!record) return;
  if (kind === "photo") studio.photo = record;
  else if (kind === "mask") studio.mask = record;
  else if (!studio.paintings.some((p) => p.id === record.id)) studio.paintings.push({ ...record, weight: 1 });
  renderInputs();
}

function takeFiles(files, kind) {
  // Kept while in flight, so that a Paint pressed meanwhile waits for the files just chosen.
  const pending = takeFilesNow(files, kind);
  studio.uploads.add(pending);
  return pending.finally(() => studio.uploads.delete(pending));
}

async function takeFilesNow(files, kind) {
  const list = Array.from(files || []);
  if (!list.length) return;
  if (kind !== "painting") {
    addInput(await upload(list[0], kind), kind);
    return;
  }
  for (const file of list) {
    const record = await upload(file, kind);
    if (!record) break;
    addInput(record, kind);
  }
}

function thumbUrl(record) {
  return `/api/uploads/${record.id}/thumb`;
}

function renderInputs() {
  const photo = studio.photo;
  $("photo-chosen").hidden = !photo;
  if (photo) {
    $("photo-thumb").src = thumbUrl(photo);
    $("photo-name").textContent = `${photo.name} (${photo.width}×${photo.height})`;
  }
  const list = $("paintings");
  list.replaceChildren();
  const blending = studio.paintings.length > 1 && !studio.mask;
  studio.paintings.forEach((painting, index) => {
    const weight = el("input", {
      type: "number", min: "0", step: "0.1", value: String(painting.weight),
      "aria-label": `Blend weight of ${painting.name}`, title: "blend weight",
    });
    weight.hidden = !blending;
    weight.addEventListener("input", () => { painting.weight = weight.valueAsNumber; });
    const remove = el("button", {
      type: "button", class: "link", "aria-label": `Remove ${painting.name}`, text: "remove",
      onclick: () => { studio.paintings.splice(index, 1); renderInputs(); },
    });
    list.append(el("li", {}, el("img", { src: thumbUrl(painting), alt: "" }), el("span", { class: "name", text: painting.name }), weight, remove));
  });
  $("painting-hint").textContent = studio.paintings.length ? "or drop more to blend" : "or drop one or more here";
  $("blend-note").hidden = !blending;
  $("mask-chosen").hidden = !studio.mask;
  if (studio.mask) {
    $("mask-thumb").src = thumbUrl(studio.mask);
    $("mask-name").textContent = studio.mask.name;
  }
}

function setUpDrops() {
  for (const [kind, input] of [["photo", "photo-file"], ["painting", "painting-file"], ["mask", "mask-file"]]) {
    $(input).addEventListener("change", async (event) => {
      await takeFiles(event.target.files, kind);
      event.target.value = "";
    });
  }
  document.querySelectorAll(".drop").forEach((zone) => {
    const kind = zone.dataset.kind;
    zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("over"); });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("over");
      takeFiles(event.dataTransfer.files, kind);
    });
  });
  // a file dropped outside a zone would make the browser leave the page
  window.addEventListener("dragover", (event) => event.preventDefault());
  window.addEventListener("drop", (event) => event.preventDefault());
  $("mask-clear").addEventListener("click", () => { studio.mask = null; renderInputs(); });
}

function renderExamples(examples) {
  document.querySelectorAll(".examples").forEach((box) => {
    box.replaceChildren();
    for (const example of examples.filter((e) => e.kind === box.dataset.kind)) {
      const label = example.name.replace(/\.[a-z]+$/, "");
      box.append(el("button", {
        type: "button", class: "example", title: `use the example ${label}`, "aria-label": `example ${label}`,
        onclick: () => useExample(example.name, example.kind),
      }, el("img", { src: `/api/examples/${example.name}`, alt: "" })));
    }
  });
}

// ---------- settings form

function fieldInputs() {
  return Array.from(document.querySelectorAll("[data-field]")).filter((input) => input.dataset.field in studio.defaults);
}

function strengthMode() {
  return "strength" in studio.defaults;
}

function setField(name, value) {
  const input = document.querySelector(`[data-field="${name}"]`);
  if (!input) return;
  if (Array.isArray(value)) value = value.join(",");
  if (input.type === "checkbox") input.checked = Boolean(value);
  else input.value = value == null ? "" : String(value);
}

function readField(input) {
  if (input.type === "checkbox") return input.checked;
  if (input.type === "number" || input.type === "range") {
    const raw = input.value.trim();
    return raw === "" ? null : Number(raw);
  }
  return input.value;
}

function collectSettings() {
  const settings = {};
  for (const input of fieldInputs()) settings[input.dataset.field] = readField(input);
  return settings;
}

function fillForm(settings) {
  const values = { ...studio.defaults, ...(settings || {}) };
  for (const input of fieldInputs()) setField(input.dataset.field, values[input.dataset.field]);
  syncDerived();
}

function syncDerived() {
  const weight = Number($("style-weight").value);
  if (weight > 0) $("style-weight-range").value = String(Math.log10(weight));
  $("style-scale-out").textContent = `${Number($("style-scale").value).toFixed(2)}×`;
  if (strengthMode()) {
    const s = Number($("strength").value), [low, high] = studio.strengthRange || [0, 3];
    const implied = Math.pow(10, low + s * (high - low));
    const own = $("style-weight").value.trim();
    $("strength-out").textContent = own
      ? `${s.toFixed(2)} (overridden: style weight ${own})`
      : `${s.toFixed(2)} (style weight ${implied >= 10 ? implied.toFixed(0) : implied.toPrecision(2)})`;
  }
  const pair = [Number($("start-iterations").value), Number($("iterations").value)];
  const preset = Object.entries(PRESETS).find(([, v]) => v[0] === pair[0] && v[1] === pair[1]);
  $("quality").value = preset ? preset[0] : "custom";
}

function fillChoices(choices) {
  const fill = (id, values) => {
    const select = $(id);
    if (!select || !values) return;
    const current = select.value;
    select.replaceChildren(...values.map((v) => el("option", { value: v, text: v })));
    if (values.includes(current)) select.value = current;
  };
  fill("precision", choices.precision);
  fill("optimizer", choices.optimizer);
  fill("pooling", choices.pooling);
  fill("device", choices.device);
}

function setUpForm() {
  // the style weight: a log slider and the exact number, kept in step
  $("style-weight-range").addEventListener("input", (event) => {
    const value = Math.pow(10, Number(event.target.value));
    $("style-weight").value = value >= 10 ? value.toFixed(0) : value.toPrecision(2);
  });
  $("style-weight").addEventListener("input", syncDerived);
  $("style-scale").addEventListener("input", syncDerived);
  $("strength").addEventListener("input", syncDerived);
  $("quality").addEventListener("change", (event) => {
    const preset = PRESETS[event.target.value];
    if (preset) {
      $("start-iterations").value = preset[0];
      $("iterations").value = preset[1];
    } else {
      $("more").open = true;
    }
  });
  $("start-iterations").addEventListener("input", syncDerived);
  $("iterations").addEventListener("input", syncDerived);
  $("reset").addEventListener("click", () => fillForm({}));
  $("controls").addEventListener("submit", (event) => { event.preventDefault(); paint(); });
  $("stop").addEventListener("click", stop);
  $("resume").addEventListener("click", () => {
    const id = shownResultId();
    if (id) resume(id);
  });
}

function applyFieldMode() {
  // When StyleConfig has a 0-1 `strength`, it is the main control and the raw style weight moves under More.
  const strength = strengthMode();
  $("strength-row").hidden = !strength;
  if (strength) {
    $("strength").dataset.field = "strength";
    $("more-style-weight").hidden = false;
    $("more-style-weight").append($("style-weight-row"));
    $("style-weight-range").hidden = true;
    $("style-weight-row").querySelector("small").textContent = "(empty = from strength; a number overrides it)";
  }
  $("style-weight").dataset.field = "style_weight";
}

// ---------- jobs

async function paint() {
  if (studio.uploads.size) {
    $("paint").disabled = true;
    showMessage("Waiting for the uploads to finish, then painting…", "info");
    try {
      await Promise.all(studio.uploads);
    } finally {
      $("paint").disabled = false;
    }
    const box = $("message");
    if (box.textContent && !box.classList.contains("info")) return; // an upload failed: its message stays
  }
  if (!studio.photo) return showMessage("Choose a photo first (upload, drop, or an example).");
  if (!studio.paintings.length) return showMessage("Choose at least one painting.");
  const weights = studio.paintings.map((p) => p.weight);
  const request = {
    photo: studio.photo.id,
    paintings: studio.paintings.map((p) => p.id),
    blend: studio.paintings.length > 1 && !studio.mask ? weights : null,
    mask: studio.mask ? studio.mask.id : null,
    settings: collectSettings(),
  };
  $("paint").disabled = true;
  try {
    const job = await postJSON("/api/jobs", request);
    showMessage("");
    takeJob(job);
    watchJob(job.id);
  } catch (err) {
    showMessage(err.message);
  } finally {
    $("paint").disabled = false;
  }
}

async function stop() {
  const job = shownJob();
  if (!job) return;
  $("stop").disabled = true;
  try {
    takeJob(await api(`/api/jobs/${job.id}/stop`, { method: "POST" }));
  } catch (err) {
    showMessage(err.message);
  }
}

async function resume(resultId) {
  try {
    const job = await api(`/api/results/${resultId}/resume`, { method: "POST" });
    showMessage("");
    takeJob(job);
    watchJob(job.id);
  } catch (err) {
    showMessage(err.message);
  }
}

async function cancel(jobId) {
  try {
    takeJob(await api(`/api/jobs/${jobId}/stop`, { method: "POST" }));
  } catch (err) {
    showMessage(err.message);
  }
}

function shownJob() {
  return studio.shown && studio.shown.job ? studio.jobs.get(studio.shown.job) : null;
}

function shownResultId() {
  if (!studio.shown) return null;
  if (studio.shown.result) return studio.shown.result.id;
  const job = shownJob();
  return job && job.result ? job.result : null;
}

function watchJob(id) {
  studio.shown = { job: id };
  studio.previewVersion = null;
  try { localStorage.setItem(JOB_KEY, id); } catch (err) { /* private mode: no re-attach, nothing else lost */ }
  renderShown();
  renderQueue();
  renderGallery();
}

// A job's summaries arrive by two roads (the answer to a POST, the event stream), not always in order.
function isOlder(summary, known) {
  return Boolean(known && known.version > summary.version);
}

function takeJob(summary) {
  const before = studio.jobs.get(summary.id);
  if (isOlder(summary, before)) return;
  studio.jobs.set(summary.id, summary);
  const finished = ["done", "stopped"].includes(summary.state) && summary.result;
  if (finished && !(before && before.result)) refreshGallery();
}

function onJobList(summaries) {
  const before = studio.jobs;
  studio.jobs = new Map();
  for (const summary of summaries) {
    const known = before.get(summary.id);
    studio.jobs.set(summary.id, isOlder(summary, known) ? known : summary);
  }
  renderShown();
  renderQueue();
  if (studio.connected) refreshGallery(); // a reconnect: results may have been added while the page was away
  studio.connected = true;
}

function onJobEvent(summary) {
  takeJob(summary);
  if (studio.shown && studio.shown.job === summary.id) renderShown();
  renderQueue();
}

// ---------- the picture and its numbers

function setPreview(src) {
  const img = $("preview");
  if (src) {
    if (img.getAttribute("src") !== src) img.src = src;
    img.hidden = false;
    $("placeholder").hidden = true;
  } else {
    img.hidden = true;
    img.removeAttribute("src");
    $("placeholder").hidden = false;
  }
}

function renderShown() {
  const job = shownJob();
  const entry = studio.shown && studio.shown.result;
  const badge = $("badge");
  if (!job && !entry) {
    badge.hidden = true;
    $("status-text").textContent = "";
    $("progress-bar").style.width = "0";
    $("stop").disabled = true;
    setResultLinks(null, false);
    setPreview(null);
    drawPlot([], []);
    return;
  }
  const state = job ? job.state : entry.state;
  badge.hidden = false;
  badge.className = `badge ${state}`;
  badge.textContent = job && job.stopping ? "Stopping…" : STATE_WORDS[state] || state;
  $("stop").disabled = !(job && (job.state === "running" || job.state === "queued") && !job.stopping);
  if (job) {
    const parts = [];
    if (job.state === "queued") {
      parts.push(job.ahead ? `waiting: ${job.ahead} job${job.ahead > 1 ? "s" : ""} ahead in the queue` : "starting…");
    } else if (job.state === "running" && !job.iteration) {
      parts.push("preparing (loading the network, measuring the painting)…");
    }
    if (job.iteration) {
      parts.push(`iteration ${job.iteration} / ${job.iterations}`);
      if (job.size[0]) parts.push(`${job.size[0]}×${job.size[1]} px${job.tile ? ` (tile ${job.tile[0]}/${job.tile[1]})` : ""}`);
      if (job.state === "running" && job.seconds_left != null) parts.push(`${duration(job.seconds_left)} left`);
      else if (job.elapsed) parts.push(`took ${duration(job.elapsed)}`);
    }
    if (job.error) parts.push(job.error);
    $("status-text").textContent = parts.join(" · ");
    $("status-text").title = job.note || "";
    $("progress-bar").style.width = job.iterations ? `${(100 * job.iteration) / job.iterations}%` : "0";
    if (job.result && job.state !== "running") setPreview(`/api/results/${job.result}.png`);
    else if (job.preview_version) setPreview(`/api/jobs/${job.id}/preview?v=${job.preview_version}`);
    else setPreview(null);
    setResultLinks(job.result, job.state === "stopped" && job.result);
    drawPlot(job.history, job.sizes);
    if (job.state === "failed") showMessage(job.error);
  } else {
    const parts = [];
    if (entry.iterations_done != null) parts.push(`iteration ${entry.iterations_done}${entry.iterations ? ` / ${entry.iterations}` : ""}`);
    if (entry.size && entry.size[0]) parts.push(`${entry.size[0]}×${entry.size[1]} px`);
    if (entry.elapsed) parts.push(`took ${duration(entry.elapsed)}`);
    $("status-text").textContent = parts.join(" · ");
    $("progress-bar").style.width = entry.iterations ? `${(100 * entry.iterations_done) / entry.iterations}%` : "0";
    setPreview(`/api/results/${entry.id}.png`);
    setResultLinks(entry.id, entry.resumable);
    drawPlot([], []);
  }
}

function setResultLinks(resultId, resumable) {
  const download = $("download"), settings = $("settings-link");
  download.hidden = settings.hidden = !resultId;
  if (resultId) {
    download.href = `/api/results/${resultId}.png`;
    download.setAttribute("download", `painterly_${resultId.slice(0, 8)}.png`);
    settings.href = `/api/results/${resultId}.json`;
    settings.setAttribute("target", "_blank");
  } else {
    download.removeAttribute("href");
    settings.removeAttribute("href");
  }
  $("resume").hidden = !resumable;
}

function drawPlot(history, sizes) {
  const svg = $("plot");
  const ns = "http://www.w3.org/2000/svg";
  svg.replaceChildren();
  const legend = $("legend");
  legend.replaceChildren();
  const W = 600, H = 150, pad = 4;
  if (!history || history.length < 2) {
    legend.append(el("span", { text: "loss curves appear here once a run starts (log scale)" }));
    return;
  }
  // The columns of jobs.py HISTORY_TERMS; a term that is zero throughout (no tv, no hold below 512 px) is not drawn.
  const columns = { content: 1, style: 2, tv: 3, hold: 4, temporal: 5, total: 6 };
  const active = SERIES.filter(([name]) => name in columns)
    .filter(([name]) => ["content", "style", "total"].includes(name) || history.some((p) => p[columns[name]] > 0));
  let lo = Infinity, hi = -Infinity;
  for (const [name] of active) {
    for (const point of history) {
      const v = point[columns[name]];
      if (v > 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    }
  }
  if (!isFinite(lo)) return;
  lo = Math.max(lo, hi * 1e-4); // a run from the photo starts with a content term near zero: keep the scale useful
  const l0 = Math.log10(lo), l1 = Math.max(Math.log10(hi), l0 + 1e-3);
  const x0 = history[0][0], x1 = Math.max(history[history.length - 1][0], x0 + 1);
  const xs = (it) => pad + ((W - 2 * pad) * (it - x0)) / (x1 - x0);
  const ys = (v) => H - pad - ((H - 2 * pad) * (Math.log10(v) - l0)) / (l1 - l0);
  for (let decade = Math.ceil(l0); decade <= Math.floor(l1); decade++) {
    const line = document.createElementNS(ns, "line");
    const y = ys(Math.pow(10, decade));
    for (const [k, v] of [["x1", 0], ["x2", W], ["y1", y], ["y2", y]]) line.setAttribute(k, v);
    line.setAttribute("class", "grid");
    svg.append(line);
  }
  for (const [iteration] of sizes || []) {
    if (iteration <= x0) continue;
    const line = document.createElementNS(ns, "line");
    const x = xs(iteration);
    for (const [k, v] of [["x1", x], ["x2", x], ["y1", 0], ["y2", H]]) line.setAttribute(k, v);
    line.setAttribute("class", "size-line");
    svg.append(line);
  }
  const last = history[history.length - 1];
  for (const [name, colour] of active) {
    const col = columns[name];
    const points = history.filter((p) => p[col] > 0).map((p) => [p[0], Math.max(p[col], lo)]).map((p) => `${xs(p[0]).toFixed(1)},${ys(p[1]).toFixed(1)}`);
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", points.join(" "));
    line.setAttribute("stroke", colour);
    svg.append(line);
    legend.append(el("span", {}, el("span", { class: "swatch", style: null }), `${name} ${Number(last[col]).toPrecision(3)}`));
    legend.lastChild.firstChild.style.background = colour;
  }
  legend.append(el("span", { text: `log scale, ${lo.toPrecision(2)} to ${hi.toPrecision(2)}; dotted: a new size` }));
}

function renderQueue() {
  const active = Array.from(studio.jobs.values()).filter((j) => j.state === "queued" || j.state === "running");
  const box = $("queue-box"), list = $("queue");
  box.hidden = active.length < 2 && !(active.length === 1 && !(studio.shown && studio.shown.job === active[0].id));
  list.replaceChildren();
  for (const job of active) {
    const shown = studio.shown && studio.shown.job === job.id;
    const what = job.state === "running"
      ? `painting${job.iteration ? ` ${job.iteration}/${job.iterations}` : ""}`
      : `queued, ${job.ahead} ahead`;
    const item = el("li", { class: shown ? "watched" : "" },
      el("span", { text: `job ${job.id.slice(0, 6)}: ${what}` }));
    if (!shown) item.append(el("button", { type: "button", text: "Watch", onclick: () => watchJob(job.id) }));
    item.append(el("button", { type: "button", "aria-label": `Cancel job ${job.id.slice(0, 6)}`, text: "Cancel", onclick: () => cancel(job.id) }));
    list.append(item);
  }
}

// ---------- gallery

async function refreshGallery() {
  try {
    studio.results = await api("/api/results");
  } catch (err) {
    return;
  }
  renderGallery();
}

function settingsLine(entry) {
  const s = (entry.request && entry.request.settings) || {};
  const d = studio.defaults;
  const get = (k) => (k in s ? s[k] : d[k]);
  const parts = [];
  if (strengthMode() && get("style_weight") == null) parts.push(`strength ${get("strength")}`);
  else parts.push(`style weight ${get("style_weight")}`);
  parts.push(`brush ${get("style_scale")}×`);
  if (get("preserve_colors") !== "none") parts.push(`colours: ${get("preserve_colors")}`);
  parts.push(`from ${get("init")}`, `seed ${get("seed")}`, String(get("precision")));
  const paintings = (entry.request && entry.request.paintings) || [];
  const names = paintings.map((id) => (entry.uploads[id] || {}).name || "?");
  const photo = (entry.uploads[entry.request && entry.request.photo] || {}).name || "?";
  return [`${photo} × ${names.join(" + ")}`, parts.join(" · ")];
}

function renderGallery() {
  const list = $("gallery");
  list.replaceChildren();
  $("gallery-empty").hidden = studio.results.length > 0;
  for (const entry of studio.results) {
    const when = entry.finished ? new Date(entry.finished * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "";
    const [inputs, settings] = settingsLine(entry);
    const shown = studio.shown && ((studio.shown.result && studio.shown.result.id === entry.id) || shownResultId() === entry.id);
    const size = entry.size && entry.size[0] ? `${entry.size[0]}×${entry.size[1]}` : "";
    const card = el("li", { class: `card${shown ? " shown" : ""}` },
      el("button", {
        type: "button", class: "thumb", title: "restore these settings",
        "aria-label": `Restore the settings of the result of ${when}`, onclick: () => restore(entry),
      }, el("img", { src: `/api/results/${entry.id}/thumb`, alt: `result of ${when}`, loading: "lazy" })),
      el("div", { class: "meta" },
        el("strong", { text: `${STATE_WORDS[entry.state] || entry.state} ${when}` }),
        ` · ${size} · ${entry.iterations_done}${entry.iterations ? "/" + entry.iterations : ""} it`,
        el("br"), el("span", { text: inputs }), el("br"),
        el("span", { class: "settings-line", text: settings })),
      el("div", { class: "links" },
        el("a", { href: `/api/results/${entry.id}.png`, download: `painterly_${entry.id.slice(0, 8)}.png`, text: "PNG" }),
        el("a", { href: `/api/results/${entry.id}.json`, target: "_blank", text: "settings" }),
        entry.resumable ? el("button", { type: "button", text: "Resume", "aria-label": `Resume the result of ${when}`, onclick: () => resume(entry.id) }) : null));
    list.append(card);
  }
}

function restore(entry) {
  const request = entry.request || {};
  const uploads = entry.uploads || {};
  const missing = [request.photo, ...(request.paintings || []), request.mask].filter((id) => id && !uploads[id]);
  studio.photo = uploads[request.photo] || studio.photo;
  const weights = request.blend || [];
  studio.paintings = (request.paintings || []).filter((id) => uploads[id]).map((id, i) => ({ ...uploads[id], weight: weights[i] ?? 1 }));
  studio.mask = request.mask && uploads[request.mask] ? uploads[request.mask] : null;
  renderInputs();
  fillForm(request.settings || {});
  studio.shown = { result: entry };
  renderShown();
  renderGallery();
  showMessage(missing.length ? "Some of this result's images are no longer in the studio folder; choose them again." : "Settings restored: change what you like and Paint, or Resume a stopped result.", missing.length ? "error" : "info");
}

async function restoreRequest(request) {
  // the inputs and settings of a job this page did not start (re-attached after a reload)
  const record = async (id) => {
    try { return await api(`/api/uploads/${id}`); } catch (err) { return null; }
  };
  if (!request) return;
  studio.photo = (await record(request.photo)) || studio.photo;
  const weights = request.blend || [];
  const paintings = [];
  for (const [i, id] of (request.paintings || []).entries()) {
    const found = await record(id);
    if (found) paintings.push({ ...found, weight: weights[i] ?? 1 });
  }
  studio.paintings = paintings;
  studio.mask = request.mask ? await record(request.mask) : null;
  renderInputs();
  fillForm(request.settings || {});
}

// ---------- start: state, then the event stream

function connect() {
  const source = new EventSource("/api/events");
  source.addEventListener("open", () => {
    $("connection").textContent = "connected";
    $("connection").className = "connection";
  });
  // The stream opens with every job the server has (after a reconnect it may be a restarted server: jobs it does
  // not list are gone), then sends each change after it, in order. No separate fetch: its answer could be older
  // than an event already shown, and would undo it.
  source.addEventListener("jobs", (event) => onJobList(JSON.parse(event.data)));
  source.addEventListener("job", (event) => onJobEvent(JSON.parse(event.data)));
  source.addEventListener("error", () => {
    $("connection").textContent = "reconnecting to the studio server…";
    $("connection").className = "connection bad";
  });
}

async function start() {
  setUpDrops();
  setUpForm();
  let state;
  try {
    state = await api("/api/state");
  } catch (err) {
    showMessage(err.message);
    return;
  }
  studio.defaults = state.defaults;
  const standard = [state.defaults.start_iterations, state.defaults.iterations];
  PRESETS.draft = standard.map((n) => Math.max(1, Math.round(n / 2)));
  PRESETS.standard = standard;
  PRESETS.fine = standard.map((n) => n * 2);
  studio.choices = state.choices;
  studio.maxUpload = state.max_upload_bytes;
  studio.strengthRange = state.strength_log_range;
  fillChoices(state.choices);
  applyFieldMode();
  fillForm({});
  renderExamples(state.examples);
  for (const job of state.jobs) studio.jobs.set(job.id, job);
  studio.results = state.results;
  // re-attach: the job this tab (or an earlier one) started, else whatever is painting now
  let kept = null;
  try { kept = localStorage.getItem(JOB_KEY); } catch (err) { kept = null; }
  const running = state.jobs.find((j) => j.state === "running");
  const attach = kept && studio.jobs.has(kept) ? kept : running ? running.id : null;
  if (attach) {
    watchJob(attach);
    await restoreRequest(studio.jobs.get(attach).request);
  } else {
    renderShown();
  }
  renderGallery();
  renderInputs();
  connect();
}

document.addEventListener("DOMContentLoaded", start);
