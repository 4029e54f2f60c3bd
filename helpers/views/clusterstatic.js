// The start of a saved page's replay (statichtml.py puts clusterdraw.js before this, in
// one async function run by the script tag right after the recording). Without a script
// engine, or without DecompressionStream, the static picture stays as it is.
const script = document.currentScript;
const packed = script && script.previousElementSibling;
let picture = packed && packed.previousElementSibling;
while (picture && !picture.classList.contains("cv-root")) picture = picture.previousElementSibling;
if (!picture || typeof DecompressionStream === "undefined") return;
const bytes = Uint8Array.from(atob(packed.textContent.trim().replace(/-/g, "+").replace(/_/g, "/")),
  (c) => c.charCodeAt(0));
const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
const rec = new Recording(JSON.parse(await new Response(stream).text()));
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
