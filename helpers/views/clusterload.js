// The loader a saved picture runs: unpack the replay code (gzip, base64url, the script tag
// before this one) and run it with this tag and the unpacker. The code is clusterdraw.js
// and clusterstatic.js; packing them makes each saved view about 15 kB smaller.
(() => {
  const script = document.currentScript;
  if (!script || typeof DecompressionStream === "undefined") return;
  const unpack = (el) => new Response(new Blob([Uint8Array.from(atob(el.textContent.trim()
    .replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0))]).stream()
    .pipeThrough(new DecompressionStream("gzip"))).text();
  unpack(script.previousElementSibling)
    .then((code) => new Function("script", "unpack", code)(script, unpack));
})();
