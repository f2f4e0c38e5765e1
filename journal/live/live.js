// "Run in your browser": the page side. The page loads this module with
// Subresource Integrity; it only binds the buttons until the reader clicks.
//
// The control is a <button class="journal-live-button" data-bundle="..."> inside
// a <div class="journal-live">. Clicking starts a Web Worker (worker.js) that
// loads Pyodide from this site, runs the notebook's cells and judges each one
// with the test suite's comparison. This module shows progress, puts each
// cell's outputs in place (under the embed or notebook cell that shows it) and
// sums up how the reader's numbers compare with the published ones.

const here = new URL(".", import.meta.url);      // <site>/live/
const root = new URL("..", here);                 // <site>/

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

function metricLine(row) {
  const yours = row.reproduced_text === null ? "nothing" : row.reproduced_text;
  const published = row.published_text;
  const verdict = row.reproduced_ok ? "reproduced" : "not reproduced";
  const line = el("li", { class: row.reproduced_ok ? "journal-live-ok" : "journal-live-differs",
                          "data-metric": row.name },
    el("strong", {}, row.name), `: your browser ${yours}, published ${published} `
      + `(${row.tolerance}): `, el("span", { class: "journal-live-verdict" }, verdict));
  if (!row.reproduced_ok && row.problem) line.append(el("small", {}, ` ${row.problem}`));
  return line;
}

function renderOutput(output) {
  if (output.output_type === "stream") {
    return el("pre", { class: `journal-live-stream journal-live-${output.name}` }, output.text);
  }
  if (output.output_type === "error") {
    return el("pre", { class: "journal-live-error" }, `${output.ename}: ${output.evalue}`);
  }
  const data = output.data || {};
  if (data["image/png"]) {
    return el("img", { src: `data:image/png;base64,${data["image/png"]}`,
                       alt: "Figure drawn in your browser", class: "journal-live-figure" });
  }
  if (data["text/plain"]) return el("pre", { class: "journal-live-text" }, data["text/plain"]);
  return null;
}

// One verdict line under the output a cell re-checks; what the browser printed
// folded under it. The metrics themselves are listed once, in the summary.
// ``where`` names the cell when the block is not shown under the cell itself.
function cellBlock(message, bundle, where) {
  const cell = bundle.cells.find((c) => c.index === message.index);
  const name = `code cell ${cell.code_index + 1}`;
  const block = el("details", { class: "journal-live-cell", "data-cell": String(message.index) });
  const verdict = message.verdict;
  const metrics = verdict.metrics.length;
  const reproduced = verdict.metrics.filter((m) => m.reproduced_ok).length;
  const counted = metrics ? `, ${reproduced} of ${metrics} metric${metrics === 1 ? "" : "s"} `
    + "reproduced" : "";
  block.append(el("summary", { class: "journal-live-head" },
    `Your browser${where ? `, ${name}` : ""} (${message.seconds.toFixed(1)} s): `,
    el("span", { class: "journal-live-verdict" },
       verdict.passed ? "same as published" : "differs from published"), counted));
  for (const output of message.outputs) {
    const node = renderOutput(output);
    if (node) block.append(node);
  }
  const others = verdict.problems.filter((p) => !verdict.metrics.some((m) => p.startsWith(m.name)));
  if (others.length) {
    block.append(el("p", { class: "journal-live-problems" },
                    "The suite's checks found: " + others.join("; ") + "."));
  }
  if (verdict.drawn.length) {
    block.append(el("p", { class: "journal-live-drawn" },
                    "Drawn differently: " + verdict.drawn.join("; ") + ". The picture "
                    + "tolerance is set for the locked matplotlib; your browser's draws text "
                    + "and lines slightly differently. What the figure shows was checked "
                    + (verdict.passed ? "and matches." : "above.")));
  }
  block.classList.add(verdict.passed ? "journal-live-ok" : "journal-live-differs");
  return block;
}

// The cells a browser does not run, in one line that opens onto the reasons.
function leftOut(bundle) {
  const cells = bundle.cells.filter((c) => !c.runs);
  if (!cells.length) return null;
  const numbers = cells.map((c) => c.code_index + 1);
  const list = numbers.length === 1 ? `${numbers[0]}`
    : `${numbers.slice(0, -1).join(", ")} and ${numbers[numbers.length - 1]}`;
  const one = cells.length === 1;
  return el("details", { class: "journal-live-left-out" },
    el("summary", {}, `${cells.length} code cell${one ? "" : "s"} (${list}) did not run `
       + `in your browser; ${one ? "its" : "their"} verified output${one ? " is" : "s are"} `
       + "shown as published."),
    el("ul", {}, ...cells.map((c) => el("li", {}, `code cell ${c.code_index + 1}: ${c.why}`))));
}

// Where a cell's browser outputs go: the post's slot after the embed that
// shows the cell, else the notebook page's cell, else the control's own panel.
function placeFor(control, notebook, index) {
  const slot = document.querySelector(
    `.journal-live-slot[data-notebook="${CSS.escape(notebook)}"][data-cell="${index}"]`);
  if (slot) return slot;
  if (control.dataset.layout === "notebook") {
    const cells = document.querySelectorAll(".jp-Notebook > .jp-Cell");
    if (cells[index]) return cells[index];
  }
  return null;
}

function summary(bundle, rows, versions, failure) {
  const reproduced = rows.filter((r) => r.reproduced_ok).length;
  const skipped = bundle.cells.filter((c) => !c.runs).length;
  const locked = bundle.verified.versions || {};
  const versionText = ["python", "numpy", "scikit-learn", "matplotlib"]
    .map((name) => `${name} ${versions[name] || "?"}`
         + (locked[name] ? ` (published run: ${locked[name]})` : ""))
    .join(", ");
  const box = el("div", { class: "journal-live-summary" });
  if (failure) box.append(el("p", { class: "journal-live-error" }, `The run stopped: ${failure}`));
  box.append(el("p", {},
    el("strong", {}, `${reproduced} of ${rows.length} published metrics reproduced in your browser`),
    " within their declared tolerances:"));
  box.append(el("ul", { class: "journal-live-metrics" }, ...rows.map(metricLine)));
  if (skipped) box.append(leftOut(bundle));
  box.append(el("p", { class: "journal-live-versions" },
    `Your browser ran Pyodide ${versions.pyodide || "?"} with ${versionText}, on one thread. `
      + "These are not the locked versions the published numbers were verified with, so a "
      + "number may land outside its tolerance here. That would mean the result depends on "
      + "the library version or the arithmetic underneath, something its tolerance does not "
      + "cover, not that the published run was altered: that run is re-checked by the test "
      + "suite on every change."));
  return box;
}

// What a run put on the page, per control, removed when it runs again.
const shown = new WeakMap();

// "epoch 3/10", "Epoch 3 of 10", "epoch 3": the last one a cell printed.
function lastEpoch(text) {
  const found = [...text.matchAll(/\bepoch\s*(\d+)(?:\s*(?:\/|of)\s*(\d+))?/gi)].pop();
  if (!found) return "";
  return found[2] ? `epoch ${found[1]} of ${found[2]}` : `epoch ${found[1]}`;
}

export async function start(button) {
  const control = button.closest(".journal-live");
  if (control.dataset.state === "running") return;
  for (const node of shown.get(control) || []) node.remove();
  const added = [];
  shown.set(control, added);
  control.dataset.state = "running";
  button.disabled = true;
  const status = el("p", { class: "journal-live-status", role: "status" }, "Starting");
  const bar = el("progress", { class: "journal-live-progress" });
  const where = control.dataset.layout === "notebook"
    ? "Results appear under each cell they re-check"
    : "Results appear under each output they re-check, higher up the page";
  const panel = el("div", { class: "journal-live-panel" },
    el("p", { class: "journal-live-where" }, `${where}; the summary comes here.`),
    status, bar);
  control.append(panel);
  added.push(panel);

  let bundle;
  try {
    const response = await fetch(new URL(button.dataset.bundle, root));
    if (!response.ok) throw new Error(`${button.dataset.bundle}: HTTP ${response.status}`);
    bundle = await response.json();
  } catch (error) {
    status.textContent = `Could not start: ${error.message}. Reload the page to try again.`;
    bar.remove();
    control.dataset.state = "failed";
    return;
  }
  const codeCells = bundle.cells.length;
  const rows = [];
  let versions = {};
  let step = "Starting", cellStarted = null, printed = "";
  const tick = () => {
    if (cellStarted === null) return;
    const seconds = Math.round((performance.now() - cellStarted) / 1000);
    const epoch = lastEpoch(printed);
    status.textContent = `${step} · ${seconds} s` + (epoch ? ` · ${epoch}` : "");
  };
  const timer = setInterval(tick, 1000);
  const worker = new Worker(new URL("worker.js", here));
  const started = performance.now();
  await new Promise((resolve) => {
    worker.onmessage = ({ data: message }) => {
      if (message.type === "progress") {
        step = message.cell === undefined ? message.text
          : `Running code cell ${message.cell + 1} of ${codeCells}`;
        cellStarted = message.cell === undefined ? null : performance.now();
        printed = "";
        status.textContent = step;
        bar.max = message.total || 1;
        bar.value = message.done || 0;
      } else if (message.type === "stream") {
        printed = (printed + message.text).slice(-2000);
        tick();
      } else if (message.type === "versions") {
        versions = message.versions;
        control.dataset.loadSeconds = message.load_seconds.toFixed(1);
      } else if (message.type === "cell") {
        if (message.skipped) return;  // one line for them all, in the summary
        rows.push(...message.verdict.metrics);
        const place = placeFor(control, bundle.notebook, message.index);
        const block = cellBlock(message, bundle, !place);
        if (place && place.classList.contains("journal-live-slot")) {
          place.hidden = false;
          place.replaceChildren(block);
        } else if (place) {
          place.after(block);
          added.push(block);
        } else {
          panel.append(block);
        }
      } else if (message.type === "finished" || message.type === "failed") {
        clearInterval(timer);
        const seconds = (performance.now() - started) / 1000;
        control.dataset.runSeconds = seconds.toFixed(1);
        status.textContent = message.type === "finished"
          ? `Finished in ${seconds.toFixed(0)} s.` : "Stopped.";
        bar.remove();
        panel.append(summary(bundle, rows, versions,
                             message.type === "failed" ? message.text : null));
        control.dataset.state = message.type;
        button.textContent = "Run again";
        button.disabled = false;
        worker.terminate();
        resolve();
      }
    };
    worker.onerror = (event) => {
      worker.onmessage({ data: { type: "failed", text: event.message || "the worker failed" } });
    };
    worker.postMessage({ bundle, root: root.href });
  });
}

// A module runs once, after the page is parsed: every control on it gets its click.
for (const button of document.querySelectorAll(".journal-live-button")) {
  button.addEventListener("click", () => start(button));
}
