// ClusterView front end for anywidget (no build step, no network); clusterdraw.js comes
// first in the same module (clusterview.py joins them). The kernel sends the full state
// once (the "state" trait) and then small "patch" messages numbered by "seq"; a gap in the
// numbers makes us ask for the full state again. The recording for replay arrives whole
// ("timeline" message) and then grows with each patch ("rec").

// Patches are applied once per model (in initialize, which anywidget runs as soon as the
// model exists), so a view rendered late, or while the kernel is busy, misses nothing.
const STORES = new Map(); // the "_uid" trait -> {state, rec, waiting, views, dispose}

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
  const store = {
    state: structuredClone(model.get("state")), rec: null, waiting: false, views: new Set(),
  };
  const onState = () => {
    store.state = structuredClone(model.get("state"));
    store.waiting = false;
    for (const view of store.views) view.full();
  };
  const onMsg = (msg) => {
    if (msg && msg.type === "seek") { // view.replay(t) in the kernel
      for (const view of store.views) view.seek(msg.t);
      return;
    }
    if (msg && msg.type === "timeline") {
      store.rec = new Recording(msg);
      for (const view of store.views) view.recording();
      return;
    }
    if (!msg || msg.type !== "patch" || store.waiting || msg.seq <= store.state.seq) return;
    if (msg.seq !== store.state.seq + 1) {
      // A gap: ask for the whole state and ignore patches until it comes.
      store.waiting = true;
      model.send({ type: "resync", seq: store.state.seq });
      return;
    }
    applyToState(store.state, msg);
    // Before the whole recording came, increments are left to it (it includes them).
    if (msg.rec && store.rec && !store.rec.extend(msg.rec)) model.send({ type: "timeline" });
    for (const view of store.views) view.patch(msg);
  };
  model.on("change:state", onState);
  model.on("msg:custom", onMsg);
  store.dispose = () => {
    model.off("change:state", onState);
    model.off("msg:custom", onMsg);
  };
  // Tell the kernel which state we hold; it sends the full state if we are behind, and
  // the recording.
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

function render({ model, el }) {
  let store = STORES.get(model.get("_uid"));
  const own = store ? null : makeStore(model); // a host without initialize()
  store = store || own;
  const root = h("div", "cv-root");
  el.replaceChildren(root);
  let player = null; // set while this view shows the past
  let bar = null;
  const view = createView(root, () => (player ? player.shown : store.state));

  function show(tms) {
    if (!player || player.rec !== store.rec) player = new Player(store.rec);
    view.mode("replay");
    const msg = player.seek(tms);
    if (msg === null) view.full(); else view.patch(msg);
  }

  function live() {
    player = null;
    view.mode(null);
    view.full();
  }

  const told = (tms) => model.send({ type: "cursor", t: tms === null ? null : tms / 1000 });
  // Figures tagged by helpers.plots.link_replay(fig, view): hovering them moves our slider.
  const linked = new WeakSet();
  const scan = setInterval(() => {
    for (const gd of document.querySelectorAll(".js-plotly-plot")) {
      const meta = gd.layout && gd.layout.meta;
      if (linked.has(gd) || !meta || meta.clusterview !== model.get("_uid") || !gd.on) continue;
      linked.add(gd);
      gd.on("plotly_hover", (ev) => {
        const x = ev && ev.points && ev.points[0] && ev.points[0].x;
        if (bar && typeof x === "number") bar.seek(x * 1000);
      });
    }
  }, 1000);

  const handle = {
    seek(t) {
      if (!bar) return;
      if (t === null) bar.goLive(); else bar.seek(t * 1000);
    },
    full() { if (!player) view.full(); },
    patch(msg) {
      if (!player) view.patch(msg);
      if (bar) bar.refresh();
    },
    recording() {
      if (!bar) bar = createReplayBar(view.bar, () => store.rec, show, live, told);
      else if (player) show(player.t); else bar.refresh();
    },
  };
  store.views.add(handle);
  view.full();
  if (store.rec) handle.recording();
  return () => {
    clearInterval(scan);
    store.views.delete(handle);
    if (own) own.dispose();
  };
}

export default { initialize, render };
