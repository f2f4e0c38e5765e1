"""Benchmarks of the journal: how long verification and site builds take, and
what each page weighs, against their targets. One table, one run:

    make bench                                     # everything; says how long it took
    .venv/bin/python bench/run.py --no-notebooks   # all but the notebook verification

Writes ``bench/results.json`` and the site page ``pages/benchmarks.md`` from the
same run (``--no-write`` prints only). Targets, on a 2-core machine (checked
here, never in unit tests):

- verifying every notebook as ``make test`` does (pytest, the journal's notebook
  plugin, ``-n auto --dist loadscope``) <= 480 s of wall time; each notebook's
  time is listed (``--serial`` also times it in one process);
- a no-change ``journal run`` <= 5% of running every notebook;
- today's journal and one grown to 100 posts and 30 notebooks
  (bench/scale.py, which also runs alone): a warm build <= 8 s, a saved post
  served again under ``make serve`` <= 2 s, a search index <= 1 MB; with what
  each build-cache layer, the dirty rebuild and each search-index trim saves,
  measured by switching it off through the journal plugin's options;
- every byte a first visit to a page transfers, in headless Chromium with an
  empty cache: a post <= 500 KB, a notebook page <= 600 KB, any other page
  <= 500 KB (bench/weight.py; bench/page_weight.py prints it per kind).

Reported without a target: whether splitting the notebooks over two CI jobs
would pay (the wait it saves against one more job's set-up) and from how many
notebooks it would; the convnet's training speed on 2 CPU threads; the last
GPU check (bench/cuda-results.json, written by bench/cuda_check.py on a GPU
machine); the last drift check (bench/drift.py reads ``reports/drift.json``;
``--drift`` runs a new one, about half an hour). ``--live`` adds each
notebook's run in the reader's browser (bench/live.py, about 12 minutes).
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import drift as drift_bench  # bench/drift.py, beside this script
import live  # bench/live.py, beside this script
import scale  # bench/scale.py, beside this script
import weight as page_weight  # bench/weight.py
from preview import build_site  # bench/preview.py
from tables import table  # bench/tables.py

from journal import drift, paths, verification

ROOT = paths.ROOT

BIN = Path(sys.executable).parent
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}

TARGETS = {
    "verification_s": 480.0,
    "nochange_fraction": 0.05,
}
# What one more CI job costs before it verifies anything: `make setup` on a
# fresh 2-core runner (about 75 s) and a cold site build (today's, measured by
# bench/scale.py; this when it did not run).
SETUP_S = 75.0
SITE_BUILD_S = 15.0
CUDA_RESULTS = ROOT / "bench" / "cuda-results.json"


def timed(cmd, **kwargs) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=ROOT, env=ENV, capture_output=True, text=True,
                            **kwargs)
    return time.perf_counter() - start, result


# ---------------------------------------------------------------------------
# Verification: the notebook half of `make test`


def verification_command(workers: str, report: Path) -> list[str]:
    """pytest as `make test` runs it, on the notebooks only, writing its report
    to ``report`` (reports/verification.json is left as it was)."""
    return [str(BIN / "pytest"), "-q", "-p", "no:cacheprovider", "-n", workers,
            "--dist", "loadscope", "--no-loadscope-reorder",
            f"--journal-report={report}", "projects"]


def bench_verification(workers: str = "auto") -> dict:
    """Wall time of verifying every notebook, and each notebook's seconds."""
    with tempfile.TemporaryDirectory(prefix="journal-verify-") as tmp:
        report_file = Path(tmp) / "verification.json"
        seconds, result = timed(verification_command(workers, report_file))
        if result.returncode != 0:
            raise SystemExit(f"verification failed:\n{result.stdout[-3000:]}")
        report = verification.load(report_file)
    return {"wall_s": seconds, "workers": workers,
            "notebooks_s": {name: entry["seconds"]
                            for name, entry in sorted(report["notebooks"].items())}}


def bench_nochange_run() -> float:
    """``journal run`` on a tree where every notebook is up to date."""
    seconds, result = timed([str(BIN / "journal"), "run"])
    if result.returncode != 0:
        raise SystemExit(f"journal run failed:\n{result.stdout}{result.stderr}")
    if "nothing to run" not in result.stdout:
        raise SystemExit("journal run executed notebooks, so this was not a no-change "
                         "run; commit fresh outputs first:\n" + result.stdout)
    return seconds


# ---------------------------------------------------------------------------
# Sharding: would two CI jobs verify the notebooks sooner than one, by more
# than the second job's set-up?


def shards(times: list[float], jobs: int) -> list[list[float]]:
    """Notebook times dealt to ``jobs`` jobs, longest first to the least loaded."""
    dealt = [[] for _ in range(jobs)]
    for t in sorted(times, reverse=True):
        min(dealt, key=sum).append(t)
    return dealt


def job_wall(times: list[float], cores: int) -> float:
    """A job's verification wall time: its notebooks over ``cores`` workers, and
    never less than its longest notebook."""
    return max(sum(times) / cores, max(times, default=0.0))


def sharding(times: list[float], cores: int, setup_s: float) -> dict | None:
    """What splitting the notebooks over two jobs saves and costs, today and when
    the journal grows by more notebooks like today's.

    It pays when the wait it saves (one job's wall time less the longest
    shard's) is more than the runner time it adds (one more set-up).
    """
    def saving(ts):
        return job_wall(ts, cores) - max(job_wall(s, cores) for s in shards(ts, 2))

    if not times:
        return None
    pays_at = None
    for n in range(1, 1000):
        if saving([times[k % len(times)] for k in range(n)]) > setup_s:
            pays_at = n
            break
    saved = saving(times)
    return {"notebooks": len(times), "sum_s": sum(times), "cores": cores,
            "one_job_s": job_wall(times, cores), "saved_s": saved, "setup_s": setup_s,
            "pays": saved > setup_s, "pays_at_notebooks": pays_at}


# ---------------------------------------------------------------------------
# Convnet training speed on 2 CPU threads; the GPU's from its own check


def bench_convnet(threads: int = 2, epochs: int = 6, seed: int = 0) -> dict:
    """Train the convnet project's recipe once on the CPU; time per epoch and accuracy.

    One seed, one run: a timing run, not the accuracy the journal publishes
    (the convnet notebook's: several seeds, scored once on the test split).
    """
    import torch

    from journal.notebook import load_mnist5k, setup
    from snippets import convnet

    setup(seed=seed, device="cpu")
    torch.set_num_threads(threads)  # setup pins JOURNAL_THREADS; the bench wants this
    mnist = load_mnist5k()
    X, y = convnet.to_tensors(mnist.X_train, mnist.y_train, "cpu")
    X_test, y_test = convnet.to_tensors(mnist.X_test, mnist.y_test, "cpu")
    model = convnet.Net()
    history = convnet.train(model, X, y, epochs=epochs, batch_size=64, lr=0.01,
                            seed=seed)
    _, accuracy, _ = convnet.evaluate(model, X_test, y_test)
    return {"device": "cpu", "threads": threads, "epochs": epochs,
            "train_images": len(y), "seed": seed, "epoch_s": history.wall_s / epochs,
            "images_per_s": history.images_per_s, "test_accuracy": float(accuracy)}


def read_cuda_results(path: Path = CUDA_RESULTS) -> dict | None:
    """bench/cuda_check.py's last results, or None when it has not been run."""
    if not path.is_file():
        return None
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
        return {"gpu": found["gpu"], "torch": found["torch"], "loop": found["loop"],
                "runs": found["runs"]}
    except (ValueError, KeyError, TypeError) as err:
        raise SystemExit(f"{paths.display_path(path)}: not a bench/cuda_check.py "
                         f"result ({err})") from None


# ---------------------------------------------------------------------------
# Measure


def row(name, value, target=None, ok=None):
    return {"name": name, "value": value, "target": target, "ok": ok}


def collect(args) -> dict:
    import torch  # deferred: `--from-results` needs no torch

    results = {"machine": {
        "python": platform.python_version(),
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "torch": torch.__version__,
    }}
    if not args.no_notebooks:
        print("verifying every notebook as make test does...", flush=True)
        results["verification"] = bench_verification("auto")
        if args.serial:
            print("verifying every notebook in one process...", flush=True)
            results["verification_serial"] = bench_verification("0")
    print("journal run with nothing changed...", flush=True)
    results["nochange_s"] = bench_nochange_run()
    if not args.no_scale:
        print("building today's journal and a grown one...", flush=True)
        results["scale"] = scale.measure(repeats=args.repeats, edits=args.edits)
    with tempfile.TemporaryDirectory(prefix="journal-site-") as tmp:
        site = build_site(Path(tmp), allow_unverified=True)
        print("opening every page in headless Chromium (first-visit weight)...",
              flush=True)
        report = page_weight.measure(site)
        if args.live:
            print("running notebooks in headless Chromium (Run in your browser)...",
                  flush=True)
            results["live"] = live.measure(site, timeout_min=args.live_timeout_min)
    results["page_weight"] = {
        "pages": {p.page: {"bytes": p.total, "ok": p.ok, "kind": p.kind,
                           "budget": p.budget, "by_kind": dict(p.bytes)}
                  for p in report.pages},
        "search_index_bytes": report.search_index,
        "ok": report.ok,
    }
    if args.drift:
        print("checking the notebooks with other releases (make drift)...", flush=True)
        results["drift"] = drift_bench.measure()
    else:
        results["drift"] = drift_bench.from_report(drift.load_report())
    print("training the convnet on 2 CPU threads...", flush=True)
    results["convnet_cpu"] = bench_convnet(threads=2)
    results["cuda"] = read_cuda_results()
    return results


# ---------------------------------------------------------------------------
# Report


def summarise(r: dict) -> list[dict]:
    rows = verification_rows(r)
    rows.append(nochange_row(r))
    if "scale" in r:
        rows += scale.rows(r["scale"])
    else:
        rows.append(row("site builds, cache layers, index trims",
                        "not measured (--no-scale)"))
    rows += weight_rows(r["page_weight"])
    if "live" in r:
        rows += live.rows(r["live"])
    rows += drift_bench.rows(r.get("drift"))
    cpu = r["convnet_cpu"]
    rows.append(row("convnet, CPU 2 threads", f"{cpu['epoch_s']:.2f} s/epoch, "
                    f"{cpu['images_per_s']:.0f} images/s, "
                    f"test accuracy {cpu['test_accuracy']:.4f} {timing_run(cpu)}"))
    rows.append(cuda_row(r.get("cuda")))
    return rows


def verification_rows(r: dict) -> list[dict]:
    v = r.get("verification")
    if v is None:
        return [row("verify all notebooks (make test)", "not measured (--no-notebooks)",
                    f"<= {TARGETS['verification_s']:.0f} s")]
    rows = [row(f"notebook {name}", f"{s:.1f} s")
            for name, s in v["notebooks_s"].items()]
    total = sum(v["notebooks_s"].values())
    rows.append(row(f"notebooks, sum of their cells ({len(v['notebooks_s'])})",
                    f"{total:.1f} s"))
    rows.append(row(f"verify all notebooks (make test, -n {v['workers']})",
                    f"{v['wall_s']:.1f} s", f"<= {TARGETS['verification_s']:.0f} s",
                    v["wall_s"] <= TARGETS["verification_s"]))
    serial = r.get("verification_serial")
    if serial:
        rows.append(row("verify all notebooks, one process", f"{serial['wall_s']:.1f} s"))
    setup_s = SETUP_S + r.get("scale", {}).get("today", {}).get("cold_s", SITE_BUILD_S)
    s = sharding(list(v["notebooks_s"].values()), r["machine"]["cores"], setup_s)
    if s is not None:
        later = (f"pays from {s['pays_at_notebooks']} notebooks like today's"
                 if s["pays_at_notebooks"] else "would not pay at any size")
        rows.append(row("two CI jobs for the notebooks instead of one",
                        f"{'pays' if s['pays'] else 'does not pay'} at "
                        f"{s['notebooks']} notebooks: saves {s['saved_s']:.0f} s of "
                        f"{s['one_job_s']:.0f} s waiting, adds {s['setup_s']:.0f} s "
                        f"set-up; {later}",
                        "saves more than a job's set-up"))
    return rows


def nochange_row(r: dict) -> dict:
    v = r.get("verification")
    if v is None:
        return row("journal run, nothing changed", f"{r['nochange_s']:.2f} s",
                   f"<= {TARGETS['nochange_fraction']:.0%} of a full run "
                   f"(not judged: notebooks not timed)")
    frac = r["nochange_s"] / sum(v["notebooks_s"].values())
    return row("journal run, nothing changed",
               f"{r['nochange_s']:.2f} s ({frac:.1%} of a full run)",
               f"<= {TARGETS['nochange_fraction']:.0%}",
               frac <= TARGETS["nochange_fraction"])


def weight_rows(pw: dict) -> list[dict]:
    rows, others = [], {}
    for page, w in pw["pages"].items():
        kind = w.get("kind", "post")
        budget = w.get("budget", page_weight.BUDGETS[kind])
        if kind in ("post", "notebook"):
            rows.append(row(f"first visit, {kind} {page}", kilobytes(w),
                            f"<= {budget // 1024} KB", w["ok"]))
        else:
            others[page] = w
    if others:
        page, w = max(others.items(), key=lambda item: item[1]["bytes"])
        budget = w.get("budget", page_weight.BUDGETS["page"])
        rows.append(row(f"first visit, heaviest other page ({page})", kilobytes(w),
                        f"<= {budget // 1024} KB", all(o["ok"] for o in others.values())))
    rows.append(row("search index", f"{pw['search_index_bytes'] / 1024:.0f} KB",
                    "<= 1024 KB", pw["search_index_bytes"] <= 1024 * 1024))
    return rows


def cuda_row(cuda: dict | None) -> dict:
    """The last GPU check, as measured there; nothing here judges it."""
    if cuda is None:
        return row("convnet, GPU", "not measured: run bench/cuda_check.py on a GPU "
                   "machine (bench/cuda-results.json)")
    loop = cuda["loop"]
    speeds = [run["images/s"] for run in cuda["runs"].values()]
    return row(f"convnet, GPU (measured on {cuda['gpu']}, torch {cuda['torch']})",
               f"training loop: {loop['host_to_device_copies']} host-to-device copies "
               f"and {loop['synchronisations']} synchronisations in "
               f"{loop['epochs']} epochs of {loop['steps']} steps; "
               f"{min(speeds):,}-{max(speeds):,} images/s over {len(speeds)} runs")


def kilobytes(weight: dict) -> str:
    """A page's first-visit bytes, with the share of each kind when recorded."""
    text = f"{weight['bytes'] / 1024:.0f} KB"
    by_kind = weight.get("by_kind", {})
    parts = [f"{kind} {by_kind[kind] / 1024:.0f}" for kind in page_weight.COLUMNS
             if by_kind.get(kind)]
    return f"{text} ({', '.join(parts)})" if parts else text


def timing_run(rec: dict) -> str:
    """What a convnet bench accuracy is: one short run, not the published result."""
    return (f"(timing run: {rec['epochs']} epochs on {rec['train_images']:,} images, "
            f"seed {rec['seed']}, one run; the published accuracy is the convnet "
            f"notebook's)")


def markdown_page(rows: list[dict], results: dict) -> str:
    m = results["machine"]
    lines = [
        "# Benchmarks",
        "",
        "How long it takes to verify and publish this journal, from the last",
        "`make bench` (written by `bench/run.py`; raw numbers in `bench/results.json`).",
        f"Machine: {m['cores']} CPU cores ({m['cpu']}), Python {m['python']}, "
        f"torch {m['torch']}.",
        "",
        "| measure | value | target | met |",
        "|---|---|---|---|",
    ]
    for r in rows:
        met = "" if r["ok"] is None else ("yes" if r["ok"] else "**no**")
        lines.append(f"| {r['name']} | {r['value']} | {r['target'] or ''} | {met} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-notebooks", action="store_true",
                        help="skip timing the notebook verification (about 5 min)")
    parser.add_argument("--serial", action="store_true",
                        help="also time the verification in one process")
    parser.add_argument("--no-scale", action="store_true",
                        help="skip the site builds (bench/scale.py: today's journal "
                             "and one of 100 posts and 30 notebooks)")
    parser.add_argument("--repeats", type=int, default=2,
                        help="runs of each site-build timing (default: 2)")
    parser.add_argument("--edits", type=int, default=3,
                        help="saves of a post under mkdocs serve (default: 3)")
    parser.add_argument("--live", action="store_true",
                        help="also run the notebooks in headless Chromium "
                             "(bench/live.py, about 12 min)")
    parser.add_argument("--live-timeout-min", type=float, default=live.DEFAULT_TIMEOUT_MIN,
                        help="give up on a browser run after this many minutes")
    parser.add_argument("--drift", action="store_true",
                        help="run the drift check (half an hour on 2 cores) instead of "
                             "reading the last reports/drift.json")
    parser.add_argument("--no-write", action="store_true",
                        help="print only; do not write results.json or the page")
    parser.add_argument("--from-results", type=Path, metavar="JSON",
                        help="judge the results in JSON against the targets instead "
                             "of measuring (implies --no-write)")
    parser.add_argument("--page", type=Path, metavar="MD",
                        help="with --from-results: write the benchmarks page here")
    args = parser.parse_args(argv)
    if args.from_results:
        results = json.loads(args.from_results.read_text(encoding="utf-8"))
        rows = summarise(results)
        print(table(rows))
        if args.page:
            args.page.write_text(markdown_page(rows, results), encoding="utf-8")
        return 0
    start = time.perf_counter()
    results = collect(args)
    results["bench_s"] = time.perf_counter() - start
    rows = summarise(results)
    print()
    print(table(rows))
    print(f"\nthe benchmark took {results['bench_s'] / 60:.1f} min")
    if not args.no_write:
        results["rows"] = rows
        (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
        (ROOT / "pages" / "benchmarks.md").write_text(markdown_page(rows, results))
        print("wrote bench/results.json and pages/benchmarks.md")
    missed = [r["name"] for r in rows if r["ok"] is False]
    if missed:
        print("targets missed: " + "; ".join(missed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
