// The start of a saved page's replay: clusterdraw.js comes first, and both run as one
// async function given "script" (the loader's tag, clusterload.js) and "unpack". The
// tags before the loader: the picture, the recording, this code. Without a script engine
// the static picture stays as it is.
const packed = script.previousElementSibling.previousElementSibling;
let picture = packed && packed.previousElementSibling;
while (picture && !picture.classList.contains("cv-root")) picture = picture.previousElementSibling;
if (!picture) return;
const rec = new Recording(JSON.parse(await unpack(packed)));
const player = new Player(rec);
const root = h("div", "cv-root");
const view = createView(root, () => player.shown);
player.seek(rec.t1);
player.shown.stopped = picture.querySelector(".cv-stopped") !== null;
view.full();
picture.replaceWith(root);
createReplayBar(view.bar, () => rec, (tms) => {
  view.mode(tms < rec.t1 ? "replay" : null);
  const msg = player.seek(tms);
  if (msg === null) view.full(); else view.patch(msg);
}, null);
