// The mnemo web page: plain JS against the /v1 API (no build step). Data goes into the page with
// textContent only, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { memory: null, media: null, following: new Set() };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== null && value !== undefined) node.setAttribute(key, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

function clock(seconds) {
  if (seconds === null || seconds === undefined) return "";
  const m = Math.floor(seconds / 60), s = seconds - 60 * m;
  return `${m}:${s.toFixed(1).padStart(4, "0")}`;
}

function say(message, isError = false) {
  const status = $("status");
  status.textContent = message;
  status.className = isError ? "error" : "";
}

async function api(method, path, body) {
  const init = { method, headers: {}, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const data = response.headers.get("content-type")?.includes("json") ? await response.json() : null;
  if (response.status === 401) { $("login").hidden = false; }
  if (!response.ok) throw new Error(data?.error?.message || `${response.status} ${response.statusText}`);
  return data;
}

const memPath = (suffix = "") => `/v1/memories/${encodeURIComponent(state.memory)}${suffix}`;

// ---------------------------------------------------------------------------------- memories
async function loadMemories(select) {
  const memories = await api("GET", "/v1/memories");
  const picker = $("memory-select");
  picker.replaceChildren(...memories.map((m) => el("option", { value: m.name }, `${m.name} (${m.events} events)`)));
  const chosen = select || state.memory || localStorage.getItem("mnemo.memory");
  if (memories.some((m) => m.name === chosen)) picker.value = chosen;
  if (picker.value) await openMemory(picker.value);
}

async function openMemory(name) {
  state.memory = name;
  localStorage.setItem("mnemo.memory", name);
  await Promise.all([loadTimeline(), loadTranscript(), loadEntities(), loadJobs()]);
}

async function createMemory(event) {
  event.preventDefault();
  const name = $("new-memory").value.trim();
  try {
    await api("PUT", `/v1/memories/${encodeURIComponent(name)}`);
    $("new-memory").value = "";
    await loadMemories(name);
    say(`memory ${name} ready`);
  } catch (error) { say(error.message, true); }
}

// ---------------------------------------------------------------------------------- player
function play(media, start) {
  const player = $("player");
  const seek = () => { player.currentTime = start; };
  if (state.media !== media) {
    state.media = media;
    player.src = media;
    player.addEventListener("loadedmetadata", seek, { once: true });
    player.load();
  } else if (player.readyState >= 1) {
    seek();
  } else {
    player.addEventListener("loadedmetadata", seek, { once: true });
  }
}

// ---------------------------------------------------------------------------------- upload
function upload(event) {
  event.preventDefault();
  if (!state.memory) { say("create or pick a memory first", true); return; }
  const form = new FormData();
  form.append("file", $("file").files[0]);
  if ($("subtitles").files[0]) form.append("subtitles", $("subtitles").files[0]);
  const request = new XMLHttpRequest();
  request.open("POST", memPath("/videos"));
  request.upload.onprogress = (e) => { if (e.lengthComputable) $("upload-progress").value = e.loaded / e.total; };
  request.onload = () => {
    const data = JSON.parse(request.responseText || "{}");
    if (request.status !== 202) { say(data?.error?.message || `upload failed (${request.status})`, true); return; }
    $("upload-progress").value = 1;
    follow(data.job);
  };
  request.onerror = () => say("upload failed: the connection dropped", true);
  $("upload-progress").value = 0;
  $("ingest-progress").value = 0;
  request.send(form);
}

function follow(job) {
  if (state.following.has(job)) return;
  state.following.add(job);
  const source = new EventSource(`/v1/jobs/${encodeURIComponent(job)}/events`);
  let refreshed = 0;
  source.addEventListener("job", (event) => {
    const data = JSON.parse(event.data);
    $("ingest-progress").value = data.progress;
    $("job-state").textContent = `${data.name}: ${data.state}` + (data.error ? ` (${data.error})` : "")
      + (data.media_total ? ` ${clock(data.media_done)} / ${clock(data.media_total)}` : "");
    if (Date.now() - refreshed > 2000 && data.memory === state.memory) {  // new events appear as they come
      refreshed = Date.now();
      loadTimeline();
    }
    if (["done", "failed", "cancelled"].includes(data.state)) {
      source.close();
      state.following.delete(job);
      if (data.memory === state.memory) loadMemories(state.memory);
    }
  });
  source.onerror = () => { source.close(); state.following.delete(job); };
}

async function loadJobs() {
  const jobs = await api("GET", `/v1/jobs?memory=${encodeURIComponent(state.memory)}`);
  $("jobs").replaceChildren(...jobs.slice(-5).reverse().map((j) => el("li", {},
    `${j.name}: ${j.state} ${Math.round(100 * j.progress)}%`,
    j.state === "running" || j.state === "queued"
      ? el("button", { onclick: () => api("DELETE", `/v1/jobs/${j.id}`).then(loadJobs) }, "cancel") : "")));
  const live = jobs.find((j) => j.state === "running" || j.state === "queued");
  if (live) follow(live.id);
}

// ---------------------------------------------------------------------------------- timeline
async function loadTimeline() {
  const events = await api("GET", memPath("/events"));
  $("events").replaceChildren(...events.map((e) => el("div", {
    class: "event", "data-event": e.id, onclick: () => play(e.media, e.start),
  }, e.keyframe ? el("img", { src: e.keyframe, alt: `keyframe of event ${e.id}`, loading: "lazy" }) : "",
  el("div", { class: "when" }, `${clock(e.start)} – ${clock(e.end)}`), el("div", {}, e.text || ""))));
  await drawSurprise(events);
}

async function drawSurprise(events) {
  const svg = $("surprise");
  const ns = "http://www.w3.org/2000/svg";
  svg.replaceChildren();
  if (!events.length) return;
  const stream = events[events.length - 1].stream;
  const mine = events.filter((e) => e.stream === stream);
  const end = Math.max(...mine.map((e) => e.end)) || 1;
  let points = [];
  try { points = (await api("GET", memPath(`/streams/${stream}/surprise`))).points; } catch (error) { /* none */ }
  if (!points.length) points = mine.map((e) => [e.start, e.surprise]);  // the events' own surprise
  const zs = points.map((p) => p[1]);
  const lo = Math.min(0, ...zs), hi = Math.max(1, ...zs);
  const x = (t) => (1000 * t) / end, y = (z) => 115 - (110 * (z - lo)) / (hi - lo);
  for (const e of mine) {
    const line = document.createElementNS(ns, "line");
    for (const [k, v] of Object.entries({ x1: x(e.start), x2: x(e.start), y1: 0, y2: 120, stroke: "#c8d0d8" })) line.setAttribute(k, v);
    svg.append(line);
  }
  const path = document.createElementNS(ns, "polyline");
  path.setAttribute("points", points.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(" "));
  path.setAttribute("fill", "none");
  path.setAttribute("stroke", "#d0542c");
  path.setAttribute("stroke-width", "1.5");
  path.setAttribute("vector-effect", "non-scaling-stroke");
  svg.append(path);
}

// ---------------------------------------------------------------------------------- transcript
function voiceColour(voice) {
  let hash = 0;
  for (const c of voice || "") hash = (hash * 31 + c.charCodeAt(0)) % 360;
  return `hsl(${hash}, 45%, 42%)`;
}

async function loadTranscript() {
  const lines = (await api("GET", memPath("/transcript"))).filter((u) => u.text || u.speaker);
  const media = (s) => memPath(`/streams/${encodeURIComponent(s)}/media`);
  $("lines").replaceChildren(...lines.map((u) => el("tr", { onclick: () => play(media(u.stream), u.start) },
    el("td", {}, clock(u.start)),
    el("td", {}, u.speaker ? el("span", { class: "voice", style: `background:${voiceColour(u.speaker)}` }, u.speaker) : ""),
    el("td", { class: u.text ? "" : "meta" }, u.text || "(speech, no transcript)"))));
}

// ---------------------------------------------------------------------------------- entities
async function loadEntities() {
  const entities = await api("GET", memPath("/entities"));
  $("gallery").replaceChildren(...entities.map((e) => {
    const name = el("input", { value: e.name || "", placeholder: "name", "aria-label": `name of ${e.ref}` });
    return el("div", { class: "entity" + (e.forgotten ? " forgotten" : ""), "data-entity": e.ref },
      e.thumbnail ? el("img", { src: e.thumbnail, alt: e.ref, loading: "lazy" }) : el("img", { alt: "" }),
      el("label", {}, el("input", { type: "checkbox", class: "pick", value: e.ref }), ` ${e.ref} · ${e.kind}`),
      el("div", {}, `${e.appearances} appearances, ${clock(e.first_seen)}–${clock(e.last_seen)}`),
      el("div", { class: "inline" }, name, el("button", { onclick: () => entityChange(`/${e.ref}/name`, { name: name.value }) }, "rename")),
      e.forgotten ? "" : el("button", {
        onclick: () => confirm(`Forget ${e.ref} for good (faces, voices, names)?`) && entityChange(`/${e.ref}/forget`),
      }, "forget"));
  }));
}

async function entityChange(suffix, body) {
  try {
    await api("POST", memPath(`/entities${suffix}`), body);
    await loadEntities();
    say("done");
  } catch (error) { say(error.message, true); }
}

function mergeSelected() {
  const picked = [...document.querySelectorAll("#gallery .pick:checked")].map((box) => box.value);
  if (picked.length !== 2) { say("select exactly two entities to merge", true); return; }
  entityChange("/merge", { keep: picked[0], merge: picked[1] });
}

// ---------------------------------------------------------------------------------- asking
async function ask(event) {
  event.preventDefault();
  if (!state.memory) { say("create or pick a memory first", true); return; }
  const box = $("answer");
  box.replaceChildren(el("div", { class: "meta" }, "thinking…"));
  try {
    const a = await api("POST", memPath("/ask"), { question: $("question").value });
    box.replaceChildren(el("div", { class: "text" }, a.answer),
      el("div", { class: "meta" }, `${a.kind} · confidence ${a.confidence.toFixed(2)} · ${a.answerer}`),
      el("div", { class: "chips" }, ...a.evidence.map((e) => el("button", {
        class: "evidence-chip", "data-start": e.start, "data-event": e.event, title: e.note || e.text,
        onclick: () => play(e.media, e.start),
      }, e.keyframe ? el("img", { src: e.keyframe, alt: "" }) : "", `${clock(e.start)}–${clock(e.end)}`))));
  } catch (error) { box.replaceChildren(el("div", { class: "error" }, error.message)); }
}

// ---------------------------------------------------------------------------------- start
async function signIn(event) {
  event.preventDefault();
  const response = await fetch("/v1/session", { method: "POST", headers: { Authorization: `Bearer ${$("token").value}` } });
  if (!response.ok) { say("wrong token", true); return; }
  $("login").hidden = true;
  start();
}

function tabs() {
  for (const button of document.querySelectorAll(".tabs button")) {
    button.addEventListener("click", () => {
      for (const other of document.querySelectorAll(".tabs button")) other.classList.toggle("active", other === button);
      for (const tab of document.querySelectorAll(".tab")) tab.hidden = tab.id !== button.dataset.tab;
    });
  }
}

async function start() {
  try { await loadMemories(); say(""); } catch (error) { say(error.message, true); }
}

$("create-form").addEventListener("submit", createMemory);
$("memory-select").addEventListener("change", (e) => openMemory(e.target.value));
$("upload-form").addEventListener("submit", upload);
$("ask-form").addEventListener("submit", ask);
$("login-form").addEventListener("submit", signIn);
$("merge").addEventListener("click", mergeSelected);
tabs();
start();
