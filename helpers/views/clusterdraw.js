// ClusterView drawing and replay, shared by the live widget (clusterview.js is appended to
// this file to make the anywidget module) and the static HTML a saved notebook keeps
// (statichtml.py wraps this file in a function). Plain script: no import, no export.
// The markup mirrors helpers/views/statichtml.py, so both share clusterview.css.

const KEYS = [
  ["ready", "Ready"],
  ["notready", "not Ready"],
  ["pending", "Pending"],
  ["failed", "failing"],
  ["terminating", "terminating"],
  ["endpoint", "Service endpoint"],
];

function h(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function podTitle(p) {
  return `${p.name}\nstatus: ${p.status}\nversion: ${p.version}\nnode: ${p.node || "(none)"}\n` +
    `restarts: ${p.restarts}\nendpoint: ${p.endpoint ? "yes" : "no"}`;
}

function drawPod(chip, p) {
  chip.className = "cv-pod cv-s-" + p.state + (p.failed ? " cv-failed" : "") +
    (p.endpoint ? " cv-endpoint" : "");
  chip.dataset.pod = p.key;
  chip.cvName = p.name;
  chip.dataset.state = p.state;
  chip.dataset.version = p.version;
  chip.style.setProperty("--v", p.color);
  chip.title = podTitle(p);
  const name = `${p.version} · ${p.short}`;
  // Reuse the chip's two lines: replay redraws many chips per frame.
  if (chip.childElementCount === 2) {
    if (chip.firstChild.textContent !== name) chip.firstChild.textContent = name;
    if (chip.lastChild.textContent !== p.label) chip.lastChild.textContent = p.label;
  } else {
    chip.replaceChildren(h("span", "cv-pod-name", name), h("span", "cv-pod-state", p.label));
  }
}

function resource(label) {
  const row = h("div", "cv-res");
  const bar = h("div", "cv-bar");
  const fill = h("div", "cv-bar-fill");
  const text = h("span", "cv-res-text");
  bar.append(fill);
  row.append(h("span", "", label), bar, text);
  return { row, fill, text };
}

function setResource(r, res) {
  const cls = "cv-bar-fill" + (res.over ? " cv-over" : "");
  if (r.fill.className !== cls) r.fill.className = cls;
  const width = (res.frac * 100).toFixed(1) + "%";
  if (r.fill.style.width !== width) r.fill.style.width = width;
  if (r.text.textContent !== res.text) r.text.textContent = res.text;
}

// A node box, made once and then updated in place (replay redraws many nodes a frame).
function drawNode(box, n) {
  box.className = `cv-node cv-n-${n.ready}` + (n.cordoned ? " cv-cordoned" : "");
  box.dataset.node = n.name;
  let r = box.cvParts;
  if (!r) {
    const head = h("div", "cv-node-head");
    r = box.cvParts = { head, pill: h("span"), cordon: h("span", "cv-pill cv-pill-cordoned",
      "cordoned"), cpu: resource("CPU"), mem: resource("MEM"), pods: h("div", "cv-pods") };
    head.append(h("span", "cv-node-name", n.name), h("span", "cv-role", n.role), r.pill);
    box.replaceChildren(head, r.cpu.row, r.mem.row, r.pods);
  }
  r.pill.className = `cv-pill cv-pill-${n.ready}`;
  r.pill.textContent = n.ready;
  if (n.cordoned && !r.cordon.parentNode) r.head.append(r.cordon);
  if (!n.cordoned && r.cordon.parentNode) r.cordon.remove();
  setResource(r.cpu, n.cpu);
  setResource(r.mem, n.memory);
  return r.pods;
}

function drawDeployment(d) {
  const row = h("div", "cv-dep");
  row.dataset.dep = d.key;
  row.style.setProperty("--v", d.color);
  const title = h("div", "cv-dep-title");
  title.append(h("b", "", `deployment/${d.name}`), " ", h("span", "cv-vtag", d.version),
    h("span", `cv-verdict cv-verdict-${d.verdict}`, d.verdict));
  // Same widths as deployment_bars() in statichtml.py.
  const scale = Math.max(d.desired, d.total, 1);
  const pct = (n) => (Math.round(1000 * n / scale) / 10) + "%";
  const updated = Math.min(d.updated, scale);
  const bars = h("div", "cv-dep-bars");
  const bar = h("div", "cv-dep-bar");
  const segNew = h("div", "cv-seg cv-seg-updated");
  segNew.style.width = pct(updated);
  const segOld = h("div", "cv-seg cv-seg-old");
  segOld.style.width = pct(Math.min(Math.max(d.total - d.updated, 0), scale - updated));
  const tick = h("div", "cv-desired");
  tick.style.left = `calc(${pct(d.desired)} - 2px)`;
  bar.append(segNew, segOld, tick);
  const avail = h("div", "cv-dep-avail");
  const fill = h("div", "cv-dep-avail-fill");
  fill.style.width = pct(Math.min(d.available, scale));
  avail.append(fill);
  bars.append(bar, avail);
  row.append(title, bars, h("div", "cv-dep-text", `desired ${d.desired} · updated ${d.updated}` +
    ` · available ${d.available} · total ${d.total}`));
  return row;
}

function drawLegend(legend, versions) {
  legend.replaceChildren();
  for (const v of versions) {
    const item = h("span", "cv-legend-item");
    const sw = h("span", "cv-swatch");
    sw.style.background = v.color;
    item.append(sw, v.version);
    legend.append(item);
  }
  for (const [k, text] of KEYS) {
    const item = h("span", "cv-legend-item");
    item.append(h("span", `cv-key cv-k-${k}`), text);
    legend.append(item);
  }
}

function drawEvents(box, events) {
  const body = h("tbody");
  for (const e of [...events].reverse()) {
    const tr = h("tr", `cv-ev-${e.type}`);
    tr.title = e.message;
    tr.append(h("td", "cv-ev-time", `${e.time.toFixed(1)} s`), h("td", "cv-ev-reason", e.reason),
      h("td", "cv-ev-object", e.object), h("td", "", e.message));
    body.append(tr);
  }
  const table = h("table");
  table.append(body);
  box.replaceChildren(h("div", "cv-events-head", "latest events"), table);
}

function nodeOrder(a, b) {
  const ka = (a.role !== "control-plane") + a.name, kb = (b.role !== "control-plane") + b.name;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

// One picture of a view state, updated in place by patches (the kernel's, or replay's).
// getState() returns the state to show: the live one, or the replayed instant.
function createView(root, getState) {
  const header = h("div", "cv-header");
  const legend = h("div", "cv-legend");
  const deps = h("div", "cv-deployments");
  const lane = h("div", "cv-lane");
  const lanePods = h("div", "cv-pods");
  lane.append(h("div", "cv-lane-head", "unscheduled (Pending)"), lanePods);
  const nodesBox = h("div", "cv-nodes");
  const events = h("div", "cv-events");
  const bar = h("div", "cv-replay-slot");
  root.append(header, bar, legend, deps, lane, nodesBox, events);
  const podEls = new Map();
  const nodeEls = new Map(); // name -> {box, pods}
  let badge = null;

  function placePod(p) {
    let chip = podEls.get(p.key);
    if (!chip) {
      chip = h("div");
      podEls.set(p.key, chip);
    }
    drawPod(chip, p);
    const entry = nodeEls.get(p.node);
    const box = entry ? entry.pods : lanePods;
    if (chip.parentNode === box) {
      const prev = chip.previousElementSibling, next = chip.nextElementSibling;
      const ok = (!prev || prev.cvName < p.name) && (!next || next.cvName > p.name);
      if (ok) return; // already in place: no DOM move
    }
    // Chips stay sorted by pod name inside their node, as in the static picture.
    let before = null;
    for (const other of box.children) {
      if (other !== chip && other.cvName > p.name) { before = other; break; }
    }
    box.insertBefore(chip, before);
  }

  function drawHeader() {
    const st = getState(), hd = st.header;
    const parts = [h("span", "cv-title", hd.title)];
    if (hd.simulated) parts.push(h("span", "cv-sim-badge", "simulator"));
    parts.push(h("span", "cv-clock", `t = ${hd.time.toFixed(1)} s`));
    if (badge) parts.push(h("span", "cv-replaying", badge));
    else if (st.stopped) parts.push(h("span", "cv-stopped", "stopped following"));
    header.replaceChildren(...parts);
    root.dataset.seq = String(st.seq);
    root.dataset.time = hd.time.toFixed(1);
    lane.classList.toggle("cv-lane-empty", lanePods.children.length === 0);
  }

  function drawDeployments() {
    deps.replaceChildren(...Object.values(getState().deployments).map(drawDeployment));
  }

  function drawNodes() {
    nodesBox.replaceChildren();
    nodeEls.clear();
    for (const n of Object.values(getState().nodes).sort(nodeOrder)) {
      const box = h("div");
      nodeEls.set(n.name, { box, pods: drawNode(box, n) });
      nodesBox.append(box);
    }
  }

  function full() {
    const st = getState();
    drawLegend(legend, st.versions);
    drawDeployments();
    drawNodes();
    lanePods.replaceChildren();
    podEls.clear();
    for (const p of Object.values(st.pods).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      placePod(p);
    }
    drawEvents(events, st.events);
    drawHeader();
  }

  function patch(msg) {
    const st = getState();
    let rebuild = (msg.nodes_removed || []).length > 0;
    for (const [name, n] of Object.entries(msg.nodes || {})) {
      const known = nodeEls.get(name);
      if (known) drawNode(known.box, n); else rebuild = true;
    }
    if (rebuild) {
      // A node came or went: rebuild the boxes, then put every chip back where it lives.
      drawNodes();
      for (const p of Object.values(st.pods)) placePod(p);
    }
    for (const key of msg.removed || []) {
      const chip = podEls.get(key);
      if (chip) chip.remove();
      podEls.delete(key);
    }
    for (const p of Object.values(msg.pods || {})) placePod(p);
    if (msg.deployments || msg.deployments_removed) drawDeployments();
    if (msg.versions) drawLegend(legend, st.versions);
    if (msg.events) drawEvents(events, st.events);
    drawHeader();
  }

  // badge: "replay" while showing the past (null: the present).
  function mode(text) { badge = text; }

  return { full, patch, mode, bar, root };
}

// ---- the recording (helpers/views/timeline.py; row layouts in timecodec.py) -------------
const EVENT = 6;
const SECTION = ["p", "p", "n", "n", "d", "d"];
const NAMES = { p: ["pods", "removed"], n: ["nodes", "nodes_removed"],
  d: ["deployments", "deployments_removed"] };
const EVENTS_SHOWN = 8;
const CHECKPOINT_OPS = 1000; // a seek replays at most this many operations
const NOTABLE = new Set(["ScalingReplicaSet", "NodeNotReady", "TaintManagerEviction", "Evicted",
  "Unhealthy", "Killing", "BackOff", "FailedScheduling", "SuccessfulRescale",
  "ProgressDeadlineExceeded"]);

function crc32(text) {
  let c = -1;
  for (const byte of new TextEncoder().encode(text)) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return (c ^ -1) >>> 0;
}

function copyState(s) {
  return { p: new Map(s.p), n: new Map(s.n), d: new Map(s.d), e: s.e.slice() };
}

function applyOp(s, op) {
  if (op.c === EVENT) {
    s.e.push(op.f);
    if (s.e.length > EVENTS_SHOWN) s.e.splice(0, s.e.length - EVENTS_SHOWN);
  } else if (op.f === null) s[SECTION[op.c]].delete(op.k);
  else s[SECTION[op.c]].set(op.k, op.f);
}

class Recording {
  constructor(data) { this.load(data); }

  load(data) {
    this.loads = (this.loads || 0) + 1; // a Player drawing the old history starts over
    this.epoch = data.e || 0;
    this.h = data.h; this.x = data.x; this.s = data.s.slice();
    this.t0 = data.t0; this.t1 = data.t1;
    const rows = (list) => new Map(list.map((r) => [r[0], r.slice(1)]));
    this.base = { p: rows(data.b.p), n: rows(data.b.n), d: rows(data.b.d), e: data.b.e.slice() };
    this.ops = []; this.times = []; this.marks = [];
    this.tail = copyState(this.base);
    this.checkpoints = [{ i: 0, state: copyState(this.base) }];
    this.colors = new Map();
    for (const f of this.base.e) this.mark(f);
    this.append(data.o);
  }

  // Wire operations [dt, code, key, ...fields] (events: [dt, 6, dtime, ...fields]).
  append(wire) {
    let t = this.times.length ? this.times[this.times.length - 1] : this.t0;
    for (const w of wire) {
      t += w[0];
      const op = w[1] === EVENT
        ? { c: EVENT, k: 0, f: [w[2] + Math.floor(t / 100), ...w.slice(3)] }
        : { c: w[1], k: w[2], f: w.length > 3 ? w.slice(3) : null };
      if (this.ops.length && this.ops.length % CHECKPOINT_OPS === 0) {
        this.checkpoints.push({ i: this.ops.length, state: copyState(this.tail) });
      }
      applyOp(this.tail, op);
      this.ops.push(op);
      this.times.push(t);
      if (op.c === EVENT) this.mark(op.f);
    }
    this.t1 = Math.max(this.t1, t);
  }

  mark(f) {
    const reason = this.s[f[3]];
    if (!NOTABLE.has(reason)) return;
    this.marks.push({ t: f[0] * 100, text: `${(f[0] / 10).toFixed(1)} s ${reason}: ` +
      `${this.s[f[2]]}\n  ${this.s[f[4]]}` });
  }

  // A kernel patch's "rec": new strings and operations, or the whole recording again.
  // Returns false when it does not follow what we hold (ask for the whole recording).
  extend(rec) {
    if (rec.full) { this.load(rec.full); return true; }
    if (rec.e !== this.epoch || rec.s0 !== this.s.length || rec.o0 !== this.ops.length) return false;
    this.s.push(...rec.s);
    this.append(rec.o);
    return true;
  }

  // The compact state at time tms: {state, i} (i: how many operations it includes).
  stateAt(tms) {
    let lo = 0, hi = this.checkpoints.length - 1;
    while (lo < hi) { // the last checkpoint whose operations are all at or before tms
      const mid = (lo + hi + 1) >> 1, i = this.checkpoints[mid].i;
      if (this.times[i - 1] <= tms) lo = mid; else hi = mid - 1;
    }
    const cp = this.checkpoints[lo];
    const state = copyState(cp.state);
    let i = cp.i;
    for (; i < this.ops.length && this.times[i] <= tms; i++) applyOp(state, this.ops[i]);
    return { state, i };
  }

  color(version) {
    if (this.x.colors[version]) return this.x.colors[version];
    if (!this.colors.has(version)) {
      this.colors.set(version, this.x.others[crc32(version) % this.x.others.length]);
    }
    return this.colors.get(version);
  }

  // Decoded rows, as helpers/views/viewstate.py makes them.
  view(sec, k, f) {
    const s = this.s, key = s[k];
    if (sec === "p") {
      const name = key.slice(key.indexOf("/") + 1), status = s[f[1]], version = s[f[3]];
      const state = status === "Running" ? (f[2] ? "Ready" : "NotReady") : status;
      const dash = name.lastIndexOf("-");
      return { key, name, short: dash >= 0 ? name.slice(dash + 1) : name, node: s[f[0]], state,
        label: this.x.labels[state] || state, failed: this.x.failed.includes(state), version,
        color: this.color(version), endpoint: !!f[4], restarts: f[5], owner: s[f[6]], status };
    }
    if (sec === "n") {
      return { name: key, role: s[f[0]], ready: s[f[1]], cordoned: !!f[2],
        cpu: { frac: f[3], text: s[f[4]], over: !!f[5] },
        memory: { frac: f[6], text: s[f[7]], over: !!f[8] }, taints: f[9].map((t) => s[t]) };
    }
    const version = s[f[0]];
    return { key, name: key.slice(key.indexOf("/") + 1), version, color: this.color(version),
      desired: f[1], updated: f[2], available: f[3], ready: f[4], total: f[5], revision: f[6],
      verdict: s[f[7]], reason: s[f[8]] };
  }

  event(f) {
    const s = this.s;
    return { time: f[0] / 10, type: s[f[1]], object: s[f[2]], reason: s[f[3]], message: s[f[4]] };
  }
}

function versionsOf(rec, st) {
  const seen = new Set();
  for (const p of Object.values(st.pods)) seen.add(p.version);
  for (const d of Object.values(st.deployments)) seen.add(d.version);
  const rank = (v) => (v in rec.x.colors ? "0" : "1") + v;
  return [...seen].sort((a, b) => (rank(a) < rank(b) ? -1 : 1))
    .map((version) => ({ version, color: rec.color(version) }));
}

// What one view shows while replaying: a view state kept in step with a time, changed by
// the few rows that differ from the previous frame (a patch for createView).
class Player {
  constructor(rec) { this.rec = rec; this.cur = null; this.i = -1; this.shown = null; }

  // The patch from the shown picture to the one at tms (null: the first, full picture).
  seek(tms) {
    const rec = this.rec;
    if (this.loads !== rec.loads) { this.cur = null; this.loads = rec.loads; }
    let next, i;
    if (this.cur && this.i <= rec.ops.length && tms >= this.t) {
      next = this.cur; // forward: apply only the operations in between
      i = this.i;
      const old = { p: new Map(), n: new Map(), d: new Map() };
      let events = false;
      for (; i < rec.ops.length && rec.times[i] <= tms; i++) {
        const op = rec.ops[i];
        if (op.c === EVENT) events = true;
        else {
          const sec = SECTION[op.c];
          if (!old[sec].has(op.k)) old[sec].set(op.k, next[sec].get(op.k));
        }
        applyOp(next, op);
      }
      this.i = i;
      return this.diff(old, events, tms);
    }
    ({ state: next, i } = rec.stateAt(tms));
    const prev = this.cur;
    this.cur = next; this.i = i;
    if (!prev) return this.fresh(tms);
    const old = { p: new Map(), n: new Map(), d: new Map() };
    for (const sec of ["p", "n", "d"]) {
      for (const [k, f] of prev[sec]) if (next[sec].get(k) !== f) old[sec].set(k, f);
      for (const k of next[sec].keys()) if (!prev[sec].has(k)) old[sec].set(k, undefined);
    }
    const events = prev.e.length !== next.e.length || prev.e.some((f, j) => f !== next.e[j]);
    return this.diff(old, events, tms);
  }

  fresh(tms) {
    const rec = this.rec, st = { seq: 0, stopped: false, pods: {}, nodes: {}, deployments: {} };
    for (const sec of ["p", "n", "d"]) {
      for (const [k, f] of this.cur[sec]) st[NAMES[sec][0]][rec.s[k]] = rec.view(sec, k, f);
    }
    st.events = this.cur.e.map((f) => rec.event(f));
    st.versions = versionsOf(rec, st);
    st.header = { ...rec.h, time: Math.round(tms / 100) / 10 };
    this.shown = st; this.t = tms;
    return null;
  }

  diff(old, events, tms) {
    const rec = this.rec, st = this.shown, msg = {};
    for (const sec of ["p", "n", "d"]) {
      const [name, removed] = NAMES[sec], rows = st[name];
      for (const [k, f] of old[sec]) {
        const now = this.cur[sec].get(k);
        if (now === f) continue;
        const key = rec.s[k];
        if (now === undefined) {
          if (key in rows) { delete rows[key]; (msg[removed] = msg[removed] || []).push(key); }
        } else {
          rows[key] = (msg[name] = msg[name] || {})[key] = rec.view(sec, k, now);
        }
      }
    }
    if (events) st.events = msg.events = this.cur.e.map((f) => rec.event(f));
    if (msg.pods || msg.removed || msg.deployments || msg.deployments_removed) {
      st.versions = msg.versions = versionsOf(rec, st);
    }
    st.header = { ...st.header, time: Math.round(tms / 100) / 10 };
    this.t = tms;
    return msg;
  }
}

// ---- the replay bar: slider, play/pause, speed, live ------------------------------------
const SPEEDS = [1, 2, 5, 10];
const MARK_BINS = 240; // markers closer than 1/240 of the slider share one tick

function fmt(tms) { return (tms / 1000).toFixed(1) + " s"; }

// rec(): the Recording; show(tms): draw that instant; live(): rejoin the present (null on
// a saved page, where the end of the recording is the present); told(tms or null): where
// the slider came to rest (null: live). Returns {refresh, seek, goLive, ...}.
function createReplayBar(slot, rec, show, live, told) {
  const bar = h("div", "cv-replay");
  const play = h("button", "cv-play", "▶ play");
  play.type = "button";
  play.title = "replay the recording from the slider's time";
  const track = h("div", "cv-track");
  const slider = h("input", "cv-slider");
  slider.type = "range";
  slider.step = "any";
  slider.setAttribute("aria-label", "cluster time");
  const marks = h("div", "cv-marks");
  track.append(marks, slider);
  const speed = h("select", "cv-speed");
  for (const s of SPEEDS) speed.append(new Option(`${s}x`, String(s)));
  speed.title = "replay speed (cluster seconds per second)";
  const now = h("button", "cv-live", live ? "live" : "end");
  now.type = "button";
  const clock = h("span", "cv-replay-time");
  bar.append(play, track, speed, now, clock);
  slot.replaceChildren(bar);
  let following = true, playing = false, want = null, frame = null, last = 0, marked = -1;
  let cursor = 0; // the replayed instant (ms): the slider's value is only its picture
  const stats = { frames: 0, ms: 0 };

  function range() { return [rec().t0, Math.max(rec().t1, rec().t0 + 100)]; }

  function drawMarks() {
    const r = rec(), [lo, hi] = range();
    if (r.marks.length === marked && marks.dataset.hi === String(hi)) return;
    marked = r.marks.length;
    marks.dataset.hi = String(hi);
    const bins = new Map();
    for (const m of r.marks) {
      if (m.t < lo) continue;
      const b = Math.min(MARK_BINS - 1, Math.floor((m.t - lo) / (hi - lo) * MARK_BINS));
      if (!bins.has(b)) bins.set(b, []);
      bins.get(b).push(m);
    }
    const ticks = [];
    for (const [b, ms] of bins) {
      const tick = h("div", "cv-mark" + (ms.some((m) => / (BackOff|NodeNotReady|Evicted|TaintManagerEviction|FailedScheduling|Unhealthy):/.test(m.text)) ? " cv-mark-warn" : ""));
      tick.style.left = (100 * (b + 0.5) / MARK_BINS).toFixed(2) + "%";
      const lines = ms.slice(0, 8).map((m) => m.text);
      if (ms.length > 8) lines.push(`... ${ms.length - 8} more`);
      tick.title = lines.join("\n");
      tick.dataset.t = String(ms[0].t);
      tick.addEventListener("click", () => seek(ms[0].t));
      ticks.push(tick);
    }
    marks.replaceChildren(...ticks);
  }

  function sync() {
    const [lo, hi] = range();
    slider.min = String(lo);
    slider.max = String(hi);
    if (following) cursor = hi;
    slider.value = String(cursor);
    clock.textContent = following && live ? "live" : fmt(cursor);
    bar.classList.toggle("cv-following", following);
    play.textContent = playing ? "❚❚ pause" : "▶ play";
    bar.dataset.playing = playing ? "1" : "0";
    drawMarks();
  }

  function render() {
    frame = null;
    const t0 = performance.now();
    if (want !== null) { show(want); want = null; }
    stats.ms += performance.now() - t0;
    stats.frames += 1;
    bar.dataset.frames = String(stats.frames);
    bar.dataset.renderMs = stats.ms.toFixed(1);
    sync();
  }

  function seek(tms) {
    following = false;
    const [lo, hi] = range();
    cursor = want = Math.min(Math.max(tms, lo), hi);
    if (frame === null) frame = requestAnimationFrame(render);
  }

  function tick(ts) {
    if (!playing) return;
    const [, hi] = range();
    const dt = last ? Math.min(ts - last, 250) : 0;
    last = ts;
    const t = Math.min(cursor + dt * Number(speed.value), hi);
    cursor = want = t;
    render();
    if (t >= hi) { pause(); if (live) goLive(); return; }
    requestAnimationFrame(tick);
  }

  function pause() {
    playing = false;
    last = 0;
    sync();
    if (told) told(following ? null : cursor);
  }

  function goLive() {
    playing = false;
    following = true;
    if (live) live(); else show(range()[1]);
    sync();
    if (told) told(null);
  }

  slider.addEventListener("input", () => {
    const t = Number(slider.value); // read before sync() moves a following thumb
    playing = false;
    seek(t);
  });
  slider.addEventListener("change", () => { if (told) told(cursor); }); // the drag ended
  play.addEventListener("click", () => {
    if (playing) { pause(); return; }
    if (following || cursor >= range()[1]) seek(range()[0]);
    following = false;
    playing = true;
    last = 0;
    sync();
    requestAnimationFrame(tick);
  });
  now.addEventListener("click", goLive);
  sync();
  return {
    refresh: sync,
    seek,
    goLive,
    following: () => following,
    stats,
  };
}
