"""Benchmarks of the journal: how long verification, re-runs and site builds take.

    make bench                      # everything; prints a table
    .venv/bin/python bench/run.py --skip-serial   # skip the one-process suite run

Writes ``bench/results.json`` and the site page ``pages/benchmarks.md`` from the
same run. Targets (checked here, never in unit tests):

- full verification of every notebook <= 180 s of wall time on this machine;
- a no-change ``journal run`` <= 5% of a full run;
- the site builds at >= 30 pages/s and within 1.5x the time of a plain-Markdown
  site with the same number of pages, built in the same run; and grown to 100
  posts and 30 notebooks, a warm build <= 8 s, a saved post served again
  under ``make serve`` <= 2 s, a search index <= 1 MB (bench/scale.py, which
  also runs alone);
- every byte a first visit to a page transfers, measured in headless Chromium
  with an empty cache: a post <= 500 KB, a notebook page <= 600 KB, any other
  page <= 500 KB (bench/weight.py; bench/page_weight.py prints it per kind);
- on a GPU, the convnet trains >= 20x faster per epoch than on 2 CPU threads.

It also records how long each notebook takes to load and run in the reader's
browser (bench/live.py, headless Chromium; no target), and how long the drift
check took (bench/drift.py: read from the last ``reports/drift.json``; ``--drift``
runs a new one, about half an hour on 2 cores; no target).
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

from journal import drift, execute, nbfile, paths

ROOT = paths.ROOT

BIN = Path(sys.executable).parent
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}

TARGETS = {
    "verification_s": 180.0,
    "nochange_fraction": 0.05,
    "site_pages_per_s": 30.0,
    "site_vs_plain_ratio": 1.5,
    "gpu_speedup": 20.0,
}


def timed(cmd, cwd_override=None, **kwargs) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd_override or ROOT, env=ENV, capture_output=True,
                            text=True, **kwargs)
    return time.perf_counter() - start, result


# ---------------------------------------------------------------------------
# Notebooks: each executed in memory (nothing written), one kernel thread


def bench_notebooks() -> dict[str, float]:
    times = {}
    for path in paths.project_notebooks():
        nb = nbfile.read(path)
        start = time.perf_counter()
        execute.execute(nb, path)
        times[paths.display_path(path)] = time.perf_counter() - start
        print(f"  executed {paths.display_path(path)} in {times[paths.display_path(path)]:.1f} s",
              flush=True)
    return times


# ---------------------------------------------------------------------------
# Verification: the notebook half of `make test`, spread over processes or not


def bench_verification(workers: int) -> float:
    cmd = [str(BIN / "pytest"), "-q", "-p", "no:cacheprovider", "projects"]
    if workers > 1:
        cmd += ["-n", str(workers), "--dist", "loadscope"]
    seconds, result = timed(cmd)
    if result.returncode != 0:
        raise SystemExit(f"verification failed:\n{result.stdout[-3000:]}")
    return seconds


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
# Convnet training speed: 2 CPU threads, and the GPU when there is one


def bench_convnet(device: str, threads: int = 2, epochs: int = 6,
                  seed: int = 0) -> dict:
    """Train the convnet project's recipe once; time per epoch and accuracy.

    One seed, one run: a timing run. Its accuracy only checks that the GPU run
    learns what the CPU run learns; the accuracy the journal publishes is the
    convnet notebook's (several seeds, scored once on the test split).
    """
    import torch

    from journal.notebook import load_mnist5k, setup
    from snippets import convnet

    torch.set_num_threads(threads)
    setup(seed=seed, device=device)
    torch.set_num_threads(threads)  # setup pins JOURNAL_THREADS; the bench wants this
    mnist = load_mnist5k()
    X, y = convnet.to_tensors(mnist.X_train, mnist.y_train, device)
    X_test, y_test = convnet.to_tensors(mnist.X_test, mnist.y_test, device)
    model = convnet.Net().to(device)
    history = convnet.train(model, X, y, epochs=epochs, batch_size=64, lr=0.01,
                            seed=seed)
    _, accuracy, _ = convnet.evaluate(model, X_test, y_test)
    return {
        "device": device,
        "threads": threads,
        "epochs": epochs,
        "train_images": len(y),
        "seed": seed,
        "epoch_s": history.wall_s / epochs,
        "images_per_s": history.images_per_s,
        "test_accuracy": float(accuracy),
    }


# ---------------------------------------------------------------------------
# Report


def row(name, value, target=None, ok=None):
    return {"name": name, "value": value, "target": target, "ok": ok}


def collect(args) -> dict:
    import torch  # deferred: `--from-results` needs no torch

    results = {
        "machine": {
            "python": platform.python_version(),
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "torch": torch.__version__,
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        }
    }
    print("executing each notebook (one kernel thread)...", flush=True)
    results["notebooks_s"] = bench_notebooks()
    print("verifying every notebook...", flush=True)
    results["verification_parallel_s"] = bench_verification(workers=2)
    if not args.skip_serial:
        results["verification_serial_s"] = bench_verification(workers=1)
    print("journal run with nothing changed...", flush=True)
    results["nochange_s"] = bench_nochange_run()
    if not args.no_scale:
        print("building today's journal, a grown one and plain-Markdown sites...",
              flush=True)
        results["scale"] = scale.measure()
        results["site"] = scale.site_summary(results["scale"])
    with tempfile.TemporaryDirectory(prefix="journal-site-") as tmp:
        site = build_site(Path(tmp), allow_unverified=True)
        print("opening every page in headless Chromium (first-visit weight)...",
              flush=True)
        report = page_weight.measure(site)
        if not args.no_live:
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
    print("training the convnet...", flush=True)
    results["convnet_cpu"] = bench_convnet("cpu", threads=2)
    if torch.cuda.is_available():
        results["convnet_gpu"] = bench_convnet("cuda", threads=2)
    return results


def summarise(r: dict) -> list[dict]:
    full_run = sum(r["notebooks_s"].values())
    rows = [row(f"run {name}", f"{s:.1f} s") for name, s in r["notebooks_s"].items()]
    rows.append(row("run all notebooks (sum)", f"{full_run:.1f} s"))
    v = r["verification_parallel_s"]
    rows.append(row("verify all notebooks, 2 processes", f"{v:.1f} s",
                    f"<= {TARGETS['verification_s']:.0f} s", v <= TARGETS["verification_s"]))
    if "verification_serial_s" in r:
        s = r["verification_serial_s"]
        rows.append(row("verify all notebooks, 1 process", f"{s:.1f} s",
                        f"<= {TARGETS['verification_s']:.0f} s",
                        s <= TARGETS["verification_s"]))
    frac = r["nochange_s"] / full_run
    rows.append(row("journal run, nothing changed", f"{r['nochange_s']:.2f} s "
                    f"({frac:.1%} of a full run)",
                    f"<= {TARGETS['nochange_fraction']:.0%}",
                    frac <= TARGETS["nochange_fraction"]))
    site = r.get("site")
    if site is None:
        rows.append(row("site build", "not measured (--no-scale)"))
    elif "cold_cli_s" in site:
        rows.append(row("site build from the command line (cold start)",
                        f"{site['cold_cli_s']:.2f} s"))
    if site is not None:
        rows.append(row(f"site build ({site['pages']} pages, warm)",
                        f"{site['journal_s']:.2f} s, {site['pages_per_s']:.0f} pages/s",
                        f">= {TARGETS['site_pages_per_s']:.0f} pages/s",
                        site["pages_per_s"] >= TARGETS["site_pages_per_s"]))
        rows.append(row("plain-Markdown site, same page count, warm",
                        f"{site['plain_s']:.2f} s, {site['plain_pages_per_s']:.0f} "
                        f"pages/s"))
        rows.append(row("journal site / plain site", f"{site['ratio']:.2f}x",
                        f"<= {TARGETS['site_vs_plain_ratio']}x",
                        site["ratio"] <= TARGETS["site_vs_plain_ratio"]))
    if "scale" in r:
        rows += scale.rows(r["scale"])
    pw = r["page_weight"]
    others = {}
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
    if "live" in r:
        rows += live.rows(r["live"])
    rows += drift_bench.rows(r.get("drift"))
    cpu = r["convnet_cpu"]
    rows.append(row("convnet, CPU 2 threads", f"{cpu['epoch_s']:.2f} s/epoch, "
                    f"{cpu['images_per_s']:.0f} images/s, "
                    f"test accuracy {cpu['test_accuracy']:.4f} {timing_run(cpu)}"))
    gpu = r.get("convnet_gpu")
    if gpu:
        speedup = cpu["epoch_s"] / gpu["epoch_s"]
        same = abs(gpu["test_accuracy"] - cpu["test_accuracy"]) <= 0.005
        rows.append(row(f"convnet, GPU ({r['machine']['cuda']})",
                        f"{gpu['epoch_s']:.3f} s/epoch, {gpu['images_per_s']:.0f} "
                        f"images/s, test accuracy {gpu['test_accuracy']:.4f} "
                        f"{timing_run(gpu)}"))
        rows.append(row("GPU speed-up per epoch", f"{speedup:.1f}x",
                        f">= {TARGETS['gpu_speedup']:.0f}x, accuracy within ±0.005",
                        speedup >= TARGETS["gpu_speedup"] and same))
    else:
        rows.append(row("convnet, GPU", "no CUDA device on this machine", "-", None))
    return rows


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
        "How long it takes to verify, re-run and publish this journal, from the last",
        "`make bench` (written by `bench/run.py`; raw numbers in `bench/results.json`).",
        f"Machine: {m['cores']} CPU cores ({m['cpu']}), Python {m['python']}, "
        f"torch {m['torch']}, GPU: {m['cuda'] or 'none'}.",
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
    parser.add_argument("--skip-serial", action="store_true",
                        help="skip timing verification in a single process")
    parser.add_argument("--no-scale", action="store_true",
                        help="skip the site builds (bench/scale.py: today's journal "
                             "and one of 100 posts and 30 notebooks)")
    parser.add_argument("--no-live", action="store_true",
                        help="skip the browser runs (bench/live.py)")
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
    results = collect(args)
    rows = summarise(results)
    print()
    print(table(rows))
    if not args.no_write:
        results["rows"] = rows
        (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
        (ROOT / "pages" / "benchmarks.md").write_text(markdown_page(rows, results))
        print("\nwrote bench/results.json and pages/benchmarks.md")
    missed = [r["name"] for r in rows if r["ok"] is False]
    if missed:
        print("targets missed: " + "; ".join(missed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
