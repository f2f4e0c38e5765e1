// Runs one notebook in Pyodide, off the page's thread, and reports cell by cell.
//
// The page (live.js) sends {bundle, root}: the notebook's bundle (its cells,
// published outputs, data files with their SHA-256) and the site's root URL.
// Messages back: {type: "progress", text, done, total} while loading and
// {type: "progress", cell, done, total} as each cell starts (cell: its position
// among the code cells, from 0), {type: "stream", name, text} as a cell prints,
// {type: "versions", ...}, {type: "cell", ...} per cell, then {type: "finished"}
// or {type: "failed", text}.
"use strict";

const post = (message) => self.postMessage(message);
const progress = (text, done, total) => post({ type: "progress", text, done, total });
let stopped = false;
// The run's one "failed" message (the page then ends the worker).
function fail(text) {
  if (stopped) return;
  stopped = true;
  post({ type: "failed", text });
}

async function sha256(buffer) {
  const digest = await crypto.subtle.digest("SHA-256", buffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.arrayBuffer();
}

// Subresource Integrity for the runtime. importScripts() takes no integrity, so
// the two scripts are fetched with it and run from the checked bytes (a blob URL);
// Pyodide finds _createPyodideModule defined and does not load pyodide.asm.js
// again. Its own fetches of the WebAssembly, the standard library and the lock
// file get their integrity from the wrapper below; it checks the packages
// against the lock file's SHA-256 itself. A file that differs fails the fetch,
// and the run: Pyodide only logs a failed WebAssembly fetch and waits for ever.
function checkRuntimeFetches(runtime, integrity) {
  const pinned = new Map(Object.entries(integrity)
    .map(([name, sri]) => [new URL(name, runtime).href, sri]));
  const unchecked = self.fetch.bind(self);
  self.fetch = (resource, init = {}) => {
    const url = new URL(resource instanceof Request ? resource.url : resource, self.location);
    const sri = pinned.get(url.href);
    if (!sri) return unchecked(resource, init);
    return unchecked(resource, { ...init, integrity: sri }).catch((error) => {
      const text = `${url.href}: not the pinned file (integrity ${sri}) or unreachable; ` +
                   "nothing was run";
      fail(text);
      throw new Error(text);
    });
  };
}

async function importChecked(url) {
  const response = await fetch(url);  // checked by the wrapper above
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const blob = URL.createObjectURL(await response.blob());
  try {
    importScripts(blob);
  } finally {
    URL.revokeObjectURL(blob);
  }
}

async function run({ bundle, root }) {
  const started = performance.now();
  const runtime = new URL(bundle.pyodide, root).href;
  checkRuntimeFetches(runtime, bundle.integrity);
  // The data first: a file that is not the published one stops the run before
  // the runtime (about 50 MB) is downloaded.
  progress("Checking the data (SHA-256)", 0, 4);
  const data = [];
  for (const file of bundle.data) {
    const bytes = await fetchBytes(new URL(file.url, root));
    const digest = await sha256(bytes);
    if (digest !== file.sha256) {
      throw new Error(`data file ${file.url}: SHA-256 ${digest}, expected ${file.sha256}; ` +
                      "nothing was run");
    }
    data.push([file.name, new Uint8Array(bytes)]);
  }

  progress(`Loading Python (Pyodide ${bundle.pyodide_version})`, 1, 4);
  await importChecked(runtime + "pyodide.js");
  await importChecked(runtime + "pyodide.asm.js");
  const pyodide = await loadPyodide({ indexURL: runtime });
  progress(`Loading ${bundle.packages.join(", ")}`, 2, 4);
  await pyodide.loadPackage(bundle.packages, {
    messageCallback: (text) => progress(text, 2, 4),
    errorCallback: (text) => progress(text, 2, 4),
  });

  progress("Loading the code", 3, 4);
  const base = new URL(bundle.sources.base, root);
  await Promise.all(bundle.sources.files.map(async (path) => {
    const text = await fetchBytes(new URL(path, base));
    pyodide.FS.mkdirTree(("/home/pyodide/" + path).replace(/\/[^/]*$/, ""));
    pyodide.FS.writeFile("/home/pyodide/" + path, new Uint8Array(text));
  }));
  pyodide.FS.mkdirTree("/home/pyodide/data");
  for (const [name, bytes] of data) {
    pyodide.FS.writeFile(`/home/pyodide/data/${name}.npz`, bytes);
  }
  const loaded = (performance.now() - started) / 1000;

  const versions = JSON.parse(pyodide.runPython(`
import json, os, sys
os.chdir("/home/pyodide")
sys.path.insert(0, "/home/pyodide")
os.environ["JOURNAL_DATA_DIR"] = "/home/pyodide/data"
os.environ["MPLBACKEND"] = "agg"
import matplotlib, numpy, sklearn
import matplotlib.pyplot  # builds the font cache now, not inside the first cell
from journal.live.kernel import Kernel
from journal.live.check import judge
_kernel = Kernel()
json.dumps({"python": sys.version.split()[0], "numpy": numpy.__version__,
            "scikit-learn": sklearn.__version__, "matplotlib": matplotlib.__version__})
`));
  versions.pyodide = pyodide.version;
  // What a running cell prints, as it prints it: the page shows a training
  // loop's epoch while the cell runs.
  const kernel = pyodide.globals.get("_kernel");
  kernel.on_write = (name, text) => post({ type: "stream", name, text });
  kernel.destroy();
  post({ type: "versions", versions, load_seconds: loaded });

  const runnable = bundle.cells.filter((cell) => cell.runs);
  let done = 0;
  for (const cell of bundle.cells) {
    if (!cell.runs) {
      // A left-out cell's imports of modules the browser has still run, so that
      // later cells find those names (journal/live/plan.py).
      if (cell.source) {
        pyodide.globals.set("_source", cell.source);
        const failed = pyodide.runPython("_kernel.run_cell(_source) != []");
        if (failed) throw new Error(`the imports of cell ${cell.code_index} failed`);
      }
      post({ type: "cell", index: cell.index, skipped: true, why: cell.why });
      continue;
    }
    post({ type: "progress", cell: cell.code_index, done, total: runnable.length });
    pyodide.globals.set("_source", cell.source);
    pyodide.globals.set("_published", JSON.stringify(cell.published));
    const t0 = performance.now();
    const result = JSON.parse(pyodide.runPython(`
_outputs = _kernel.run_cell(_source)
json.dumps({"outputs": _outputs, "verdict": judge(json.loads(_published), _outputs)})
`));
    done += 1;
    const seconds = (performance.now() - t0) / 1000;
    post({ type: "cell", index: cell.index, seconds, ...result });
    const failed = result.outputs.some((o) => o.output_type === "error");
    if (failed && !cell.raises) {
      fail(`cell ${cell.code_index} raised an error; the run stops there`);
      return;
    }
  }
  post({ type: "finished" });
}

self.onmessage = (event) => {
  run(event.data).catch((error) => fail(String(error && error.message || error)));
};
