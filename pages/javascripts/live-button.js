// "Run in your browser": the browser-run module (live/live.js) is loaded on the
// first click of a button and started for it. Listening here rather than in an
// onclick attribute keeps every page free of inline handlers (see
// journal/site/csp.py).
(function () {
  const module = new URL("../live/live.js", document.currentScript.src).href;
  document.addEventListener("click", (event) => {
    const button = event.target.closest(".journal-live-button");
    if (button) import(module).then((m) => m.start(button));
  });
})();
