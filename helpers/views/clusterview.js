// ClusterView front end: a plain ES module for anywidget (no build step, no network).
// The kernel sends the full state once (the "state" trait) and then small "patch"
// messages numbered by "seq"; a gap in the numbers makes us ask for the full state again.
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
  chip.dataset.state = p.state;
  chip.dataset.version = p.version;
  chip.style.setProperty("--v", p.color);
  chip.title = podTitle(p);
  chip.replaceChildren(h("span", "cv-pod-name", `${p.version} · ${p.short}`),
    h("span", "cv-pod-state", p.label));
}

function resource(label, res) {
  const row = h("div", "cv-res");
  const bar = h("div", "cv-bar");
  const fill = h("div", "cv-bar-fill" + (res.over ? " cv-over" : ""));
  fill.style.width = (res.frac * 100).toFixed(1) + "%";
  bar.append(fill);
  row.append(h("span", "", label), bar, h("span", "cv-res-text", res.text));
  return row;
}

function drawNode(box, n) {
  box.className = `cv-node cv-n-${n.ready}` + (n.cordoned ? " cv-cordoned" : "");
  box.dataset.node = n.name;
  const head = h("div", "cv-node-head");
  head.append(h("span", "cv-node-name", n.name), h("span", "cv-role", n.role),
    h("span", `cv-pill cv-pill-${n.ready}`, n.ready));
  if (n.cordoned) head.append(h("span", "cv-pill cv-pill-cordoned", "cordoned"));
  // Keep the pods container (and its chips) across redraws of the node's own lines.
  const pods = box.querySelector(":scope > .cv-pods") || h("div", "cv-pods");
  box.replaceChildren(head, resource("CPU", n.cpu), resource("MEM", n.memory), pods);
  return pods;
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

// Patches are applied once per model (in initialize, which anywidget runs as soon as the
// model exists), so a view rendered late, or while the kernel is busy, misses nothing.
const STORES = new Map(); // the "_uid" trait -> {state, waiting, views, dispose}

function applyToState(state, msg) {
  for (const name of msg.nodes_removed || []) delete state.nodes[name];
  Object.assign(state.nodes, msg.nodes || {});
  for (const key of msg.removed || []) delete state.pods[key];
  Object.assign(state.pods, msg.pods || {});
  for (const key of msg.deployments_removed || []) delete state.deployments[key];
  Object.assign(state.deployments, msg.deployments || {});
  if (msg.versions) state.versions = msg.versions;
  if (msg.events) state.events = msg.events;
  if (msg.header) state.header = msg.header;
  state.seq = msg.seq;
}

function makeStore(model) {
  const store = { state: structuredClone(model.get("state")), waiting: false, views: new Set() };
  const onState = () => {
    store.state = structuredClone(model.get("state"));
    store.waiting = false;
    for (const view of store.views) view.full();
  };
  const onMsg = (msg) => {
    if (!msg || msg.type !== "patch" || store.waiting || msg.seq <= store.state.seq) return;
    if (msg.seq !== store.state.seq + 1) {
      // A gap: ask for the whole state and ignore patches until it comes.
      store.waiting = true;
      model.send({ type: "resync", seq: store.state.seq });
      return;
    }
    applyToState(store.state, msg);
    for (const view of store.views) view.patch(msg);
  };
  model.on("change:state", onState);
  model.on("msg:custom", onMsg);
  store.dispose = () => {
    model.off("change:state", onState);
    model.off("msg:custom", onMsg);
  };
  // Tell the kernel which state we hold; it sends the full state if we are behind.
  model.send({ type: "hello", seq: store.state.seq });
  return store;
}

function initialize({ model }) {
  const uid = model.get("_uid");
  const store = makeStore(model);
  STORES.set(uid, store);
  return () => {
    store.dispose();
    STORES.delete(uid);
  };
}

function createView(root, store) {
  const header = h("div", "cv-header");
  const legend = h("div", "cv-legend");
  const deps = h("div", "cv-deployments");
  const lane = h("div", "cv-lane");
  const lanePods = h("div", "cv-pods");
  lane.append(h("div", "cv-lane-head", "unscheduled (Pending)"), lanePods);
  const nodesBox = h("div", "cv-nodes");
  const events = h("div", "cv-events");
  root.append(header, legend, deps, lane, nodesBox, events);
  const podEls = new Map();
  const nodeEls = new Map(); // name -> {box, pods}

  function placePod(p) {
    let chip = podEls.get(p.key);
    if (!chip) {
      chip = h("div");
      podEls.set(p.key, chip);
    }
    drawPod(chip, p);
    const entry = nodeEls.get(p.node);
    const box = entry ? entry.pods : lanePods;
    // Chips stay sorted by pod name inside their node, as in the static picture.
    let before = null;
    for (const other of box.children) {
      if (other !== chip && other.dataset.pod.split("/")[1] > p.name) { before = other; break; }
    }
    if (chip.parentNode !== box || chip.nextSibling !== before) box.insertBefore(chip, before);
  }

  function drawHeader() {
    const st = store.state, hd = st.header;
    const parts = [h("span", "cv-title", hd.title)];
    if (hd.simulated) parts.push(h("span", "cv-sim-badge", "simulator"));
    parts.push(h("span", "cv-clock", `t = ${hd.time.toFixed(1)} s`));
    if (st.stopped) parts.push(h("span", "cv-stopped", "stopped following"));
    header.replaceChildren(...parts);
    root.dataset.seq = String(st.seq);
    lane.classList.toggle("cv-lane-empty", lanePods.children.length === 0);
  }

  function drawDeployments() {
    deps.replaceChildren(...Object.values(store.state.deployments).map(drawDeployment));
  }

  function drawNodes() {
    nodesBox.replaceChildren();
    nodeEls.clear();
    for (const n of Object.values(store.state.nodes).sort(nodeOrder)) {
      const box = h("div");
      nodeEls.set(n.name, { box, pods: drawNode(box, n) });
      nodesBox.append(box);
    }
  }

  function full() {
    const st = store.state;
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
    const st = store.state;
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

  return { full, patch };
}

function render({ model, el }) {
  let store = STORES.get(model.get("_uid"));
  const own = store ? null : makeStore(model); // a host without initialize()
  store = store || own;
  const root = h("div", "cv-root");
  el.replaceChildren(root);
  const view = createView(root, store);
  store.views.add(view);
  view.full();
  return () => {
    store.views.delete(view);
    if (own) own.dispose();
  };
}

export default { initialize, render };
