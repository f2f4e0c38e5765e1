"""Measure how much each published result moves with the CPU thread count.

    python bench/thread_spread.py                       # every project notebook
    python bench/thread_spread.py projects/convnet --threads 1 2 4

Each notebook is executed in memory (nothing is written) once per thread count,
in the same kernel environment as the tests, and every cell is judged by the
same comparison as the test suite (`journal.compare.compare_cell`). Besides the
verdicts, the script prints for every metric the published value, the value of
each run and the spread (largest minus smallest, published value included), and
for every figure the largest fingerprint distance: the numbers tolerances are
chosen from (pages/verification.md says how).

Exit status 1 if any cell fails on any thread count: the notebook would then
fail `make test` there.
"""

import argparse
import copy
import sys
import time
from pathlib import Path

from journal import compare, execute, nbfile, paths, safety, settings
from journal.errors import NotebookError
from journal.compare import describe_tolerance
from journal.report import records_in


def run(path: Path, threads: int, timeout: int):
    nb = copy.deepcopy(nbfile.read(path))
    start = time.perf_counter()
    execute.execute(nb, path, threads=threads, timeout=timeout)
    return nb, time.perf_counter() - start


def metrics(nb) -> dict[str, dict]:
    return {r["name"]: r for cell in nbfile.code_cells(nb)
            for out in cell.get("outputs", []) for r in records_in(out)}


def pngs(nb) -> list[tuple[int, str]]:
    return [(i, out["data"]["image/png"]) for i, cell in enumerate(nbfile.code_cells(nb))
            for out in cell.get("outputs", []) if compare.is_figure(out)]


def spread_report(path: Path, thread_counts: list[int], timeout: int) -> bool:
    name = paths.display_path(path)
    published = nbfile.read(path)
    rules = compare.load_sanitizer()
    runs, ok = {}, True
    for t in thread_counts:
        try:
            nb, seconds = run(path, t, timeout)
        except NotebookError as err:
            print(f"{name}: {t} thread(s) failed: {err}", flush=True)
            ok = False
            continue
        runs[t] = nb
        print(f"{name}: {t} thread(s) ran in {seconds:.1f} s", flush=True)
        for i, (pub, rep) in enumerate(zip(nbfile.code_cells(published),
                                           nbfile.code_cells(nb))):
            verdict = compare.compare_cell(
                pub.get("outputs", []), rep.get("outputs", []), rules=rules,
                clean=lambda text: safety.normalise_text(text, path.parent))
            for problem in verdict.problems:
                print(f"  {t} thread(s): cell {i}: {problem}")
            ok &= verdict.ok
    for metric, rec in metrics(published).items():
        values = [rec["value"]] + [metrics(nb)[metric]["value"] for nb in runs.values()
                                   if metric in metrics(nb)]
        print(f"  metric {metric!r}: published {rec['value']:.6g}, runs "
              + ", ".join(f"{t}t={metrics(nb).get(metric, {}).get('value', float('nan')):.6g}"
                          for t, nb in runs.items())
              + f"; spread {max(values) - min(values):.3g}, tolerance "
              f"{describe_tolerance(rec['tol'])}")
    for k, (cell, png) in enumerate(pngs(published)):
        per_run = []
        for t, nb in runs.items():
            figs = pngs(nb)
            if k < len(figs):
                _, a = compare.fingerprint(compare.decode_png(png))
                _, b = compare.fingerprint(compare.decode_png(figs[k][1]))
                mean, block = compare.figure_distance(a, b)
                per_run.append(f"{t}t={mean:.5f}/{block:.5f}")
        print(f"  figure {k + 1} (cell {cell}): fingerprint distance mean/block per run: "
              + ", ".join(per_run))
    print(f"  {name}: {'within tolerance on every thread count' if ok else 'FAILS'}",
          flush=True)
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", help="notebooks or folders (default: all)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2, 4],
                        help="thread counts to run with (default: 1 2 4)")
    parser.add_argument("--timeout", type=int, default=settings.CELL_TIMEOUT_S,
                        help="per-cell timeout in seconds (default: %(default)s)")
    args = parser.parse_args(argv)
    notebooks = []
    for p in map(Path, args.paths or [paths.PROJECTS]):
        notebooks += paths.project_notebooks(p) if p.is_dir() else [p]
    results = [spread_report(nb, args.threads, args.timeout) for nb in notebooks]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
