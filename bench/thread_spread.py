"""Measure how much each published result moves with the CPU thread count.

    python bench/thread_spread.py                       # every project notebook
    python bench/thread_spread.py projects/convnet --threads 1 2 4

Each notebook is executed in memory (nothing is written) once per thread count,
in the same kernel environment as the tests. For every metric the script prints
the published value, the spread (largest minus smallest over the runs and the
published value) and the published tolerance, and for every figure the largest
fingerprint distance. Text outputs must be identical after the test sanitizer.

Exit status 1 if any spread exceeds its tolerance, a figure moves past the
figure thresholds, or text differs: the notebook would then fail `make test`
on some thread count, and its tolerance should be chosen from this spread
(pages/verification.md says how).
"""

import argparse
import copy
import sys
import time
from pathlib import Path

from nbval.plugin import coalesce_streams

from journal import compare, execute, paths, safety
from journal.report import describe_tolerance, records_in, within


def run(path: Path, threads: int, timeout: int):
    nb = copy.deepcopy(execute.read_notebook(path))
    start = time.perf_counter()
    execute.execute(nb, path, threads=threads, timeout=timeout)
    return nb, time.perf_counter() - start


def metrics(nb) -> dict[str, dict]:
    return {r["name"]: r for cell in execute.code_cells(nb)
            for out in cell.get("outputs", []) for r in records_in(out)}


def figures(nb) -> list[tuple[int, str, dict]]:
    return [(i, out["data"]["image/png"], cell.get("metadata"))
            for i, cell in enumerate(execute.code_cells(nb))
            for out in cell.get("outputs", []) if compare.is_figure(out)]


def sanitizer():
    """The test suite's normalisation: tests/sanitize.cfg after local paths."""
    import re

    pairs = re.findall(r"^regex: (.*)$\n^replace: (.*)$",
                       paths.SANITIZE_FILE.read_text(encoding="utf-8"), re.MULTILINE)

    def clean(text: str, folder: Path) -> str:
        text = safety.normalise_text(text, folder)
        for regex, replace in pairs:
            text = re.sub(regex, replace, text)
        return text
    return clean


def texts(nb, folder: Path, clean=sanitizer()) -> list[tuple[int, str]]:
    found = []
    for i, cell in enumerate(execute.code_cells(nb)):
        # One stream output may arrive in several messages, split differently
        # from run to run; merge them as the test harness (nbval) does.
        for out in coalesce_streams(copy.deepcopy(cell.get("outputs", []))):
            stripped = compare.strip_checked(out)
            if stripped.get("output_type") == "stream":
                found.append((i, clean(stripped.get("text", ""), folder)))
            for key, value in (stripped.get("data") or {}).items():
                if isinstance(value, str):
                    found.append((i, clean(value, folder)))
    return found


def spread_report(path: Path, thread_counts: list[int], timeout: int) -> bool:
    name = paths.display_path(path)
    published = execute.read_notebook(path)
    runs, ok = {}, True
    for t in thread_counts:
        try:
            nb, seconds = run(path, t, timeout)
        except execute.NotebookError as err:
            print(f"{name}: {t} thread(s) failed: {err}", flush=True)
            ok = False
            continue
        runs[t] = nb
        print(f"{name}: {t} thread(s) ran in {seconds:.1f} s", flush=True)
    pub_metrics = metrics(published)
    for metric, rec in pub_metrics.items():
        values = [rec["value"]] + [metrics(nb)[metric]["value"] for nb in runs.values()
                                   if metric in metrics(nb)]
        spread = max(values) - min(values)
        fits = all(within(rec, v) for v in values)
        ok &= fits and len(values) == len(runs) + 1
        print(f"  metric {metric!r}: published {rec['value']:.6g}, runs "
              + ", ".join(f"{t}t={metrics(nb).get(metric, {}).get('value', float('nan')):.6g}"
                          for t, nb in runs.items())
              + f"; spread {spread:.3g}, tolerance {describe_tolerance(rec['tol'])}"
              + ("" if fits else "  <-- exceeds tolerance"))
    pub_figs = figures(published)
    for k, (cell, png, meta) in enumerate(pub_figs):
        tol = compare.figure_tolerance(meta)
        worst, per_run = (0.0, 0.0), []
        for t, nb in runs.items():
            figs = figures(nb)
            if k >= len(figs):
                print(f"  figure {k + 1} (cell {cell}): missing with {t} thread(s)")
                ok = False
                continue
            problems = compare.compare_figure(png, figs[k][1], tol=tol)
            _, fp_a = compare.fingerprint(compare.decode_png(png))
            _, fp_b = compare.fingerprint(compare.decode_png(figs[k][1]))
            dist = compare.figure_distance(fp_a, fp_b)
            worst = max(worst, dist)
            per_run.append(f"{t}t={dist[0]:.5f}/{dist[1]:.5f}")
            ok &= not problems
        print(f"  figure {k + 1} (cell {cell}): largest distance mean {worst[0]:.5f}, "
              f"worst block {worst[1]:.5f} (thresholds {tol['mean']:g}, {tol['block']:g}); "
              f"mean/block per run: "
              + ", ".join(per_run))
    pub_texts = texts(published, path.parent)
    for t, nb in runs.items():
        got = texts(nb, path.parent)
        if len(got) != len(pub_texts):
            print(f"  {len(got)} text outputs with {t} thread(s), {len(pub_texts)} "
                  f"published")
            ok = False
            continue
        for (cell, a), (_, b) in zip(pub_texts, got):
            if not compare.text_matches(a, b):
                print(f"  text of cell {cell} differs with {t} thread(s): published "
                      f"{a[:70]!r}, reproduced {b[:70]!r}")
                ok = False
    print(f"  {name}: {'within tolerance on every thread count' if ok else 'FAILS'}")
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", help="notebooks or folders (default: all)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--timeout", type=int, default=execute.CELL_TIMEOUT_S,
                        help="per-cell timeout in seconds")
    args = parser.parse_args(argv)
    notebooks = []
    for p in map(Path, args.paths or [paths.PROJECTS]):
        notebooks += paths.project_notebooks(p) if p.is_dir() else [p]
    results = [spread_report(nb, args.threads, args.timeout) for nb in notebooks]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
