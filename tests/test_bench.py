"""The benchmark report: targets are judged correctly (no timing happens here).

``bench/run.py --from-results FILE`` judges recorded results without measuring;
the tests feed it made-up results and read its table.
"""

import contextlib
import importlib.util
import io
import json

from journal import paths

RUN = paths.ROOT / "bench" / "run.py"


def bench_run():
    """bench/run.py as a module (bench/ is on sys.path: tests/conftest.py)."""
    spec = importlib.util.spec_from_file_location("bench_run", RUN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def judge(results, tmp_path, *extra) -> str:
    source = tmp_path / "results.json"
    source.write_text(json.dumps(results))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert bench_run().main(["--from-results", str(source), *map(str, extra)]) == 0
    return out.getvalue()


def verdicts(table: str) -> dict[str, bool | None]:
    """{measure: met} from the printed table (columns are two spaces apart)."""
    found = {}
    for line in table.splitlines()[2:]:
        cells = [c for c in line.split("  ") if c.strip()]
        met = line.rstrip().endswith((" yes", " NO"))
        found[cells[0].strip()] = (line.rstrip().endswith(" yes") if met else None)
    return found


def results(**over):
    base = {
        "machine": {"python": "3.11", "cpu": "x86_64", "cores": 2, "torch": "2.13.0",
                    "cuda": None},
        "notebooks_s": {"projects/a/a.ipynb": 30.0, "projects/b/b.ipynb": 20.0},
        "verification_parallel_s": 90.0,
        "nochange_s": 1.0,
        "site": {"pages": 40, "journal_s": 1.0, "plain_s": 0.8, "pages_per_s": 40.0,
                 "plain_pages_per_s": 50.0, "ratio": 1.25},
        "page_weight": {"pages": {
            "2026/11/02/post/": {"bytes": 60_000, "ok": True, "kind": "post"},
            "projects/a/a/": {"bytes": 90_000, "ok": True, "kind": "notebook"},
            "tags/": {"bytes": 40_000, "ok": True, "kind": "page"},
            "about/": {"bytes": 30_000, "ok": True, "kind": "page"}},
            "search_index_bytes": 20_000, "ok": True},
        "convnet_cpu": {"epoch_s": 2.0, "images_per_s": 2000.0, "test_accuracy": 0.989,
                        "epochs": 6, "train_images": 3200, "seed": 0},
    }
    base.update(over)
    return base


def test_all_targets_met(tmp_path):
    v = verdicts(judge(results(), tmp_path))
    assert v["verify all notebooks, 2 processes"] is True
    assert v["journal run, nothing changed"] is True  # 1 s of 50 s = 2%
    assert v["site build (40 pages, warm)"] is True
    assert v["journal site / plain site"] is True
    assert v["convnet, GPU"] is None  # no CUDA: reported, not judged
    assert v["first visit, notebook projects/a/a/"] is True
    assert v["first visit, heaviest other page (tags/)"] is True
    assert "first visit, page about/" not in v


def test_missed_targets_are_flagged(tmp_path):
    slow_site = {"pages": 40, "journal_s": 2.0, "plain_s": 0.8, "pages_per_s": 20.0,
                 "plain_pages_per_s": 50.0, "ratio": 2.5}
    table = judge(results(verification_parallel_s=200.0, nochange_s=5.0,
                          site=slow_site), tmp_path)
    v = verdicts(table)
    assert v["verify all notebooks, 2 processes"] is False
    assert v["journal run, nothing changed"] is False  # 10% of a full run
    assert v["site build (40 pages, warm)"] is False
    assert v["journal site / plain site"] is False
    assert "NO" in table


def test_gpu_speedup_needs_speed_and_same_accuracy(tmp_path):
    gpu = {"epoch_s": 0.05, "images_per_s": 80000.0, "test_accuracy": 0.988,
           "epochs": 6, "train_images": 3200, "seed": 0}
    r = results(convnet_gpu=gpu)
    r["machine"]["cuda"] = "Some GPU"
    assert verdicts(judge(r, tmp_path))["GPU speed-up per epoch"] is True
    gpu_wrong = dict(gpu, test_accuracy=0.95)
    r = results(convnet_gpu=gpu_wrong)
    r["machine"]["cuda"] = "Some GPU"
    assert verdicts(judge(r, tmp_path))["GPU speed-up per epoch"] is False


def test_convnet_accuracy_is_labelled_as_a_timing_run(tmp_path):
    row = next(line for line in judge(results(), tmp_path).splitlines()
               if line.startswith("convnet, CPU 2 threads"))
    assert "test accuracy 0.9890" in row
    assert "timing run: 6 epochs on 3,200 images, seed 0, one run" in row


def grown(**over):
    journal = {"posts": 100, "notebooks": 30, "pages": 170, "cold_s": 40.0,
               "cold_cpu_s": 30.0, "warm_s": 7.0, "warm_cpu_s": 6.0, "rebuild_s": 5.0,
               "rebuild_cpu_s": 4.5, "pages_per_s": 34.0, "serve_s": 1.5,
               "serve_full_s": 6.0, "search_index_bytes": 900_000,
               "plain_rebuild_s": 2.0, "vs_plain": 2.5, "vs_plain_cpu": 2.2,
               "plain": {"rebuild_s": 2.0, "pages_per_s": 85.0}}
    journal.update(over)
    return journal


def test_scale_rows_judge_the_grown_journal_and_today_against_plain(tmp_path):
    today = grown(posts=7, notebooks=7, pages=26, warm_s=3.0, rebuild_s=0.6, vs_plain=1.4,
                  search_index_bytes=100_000, serve_s=1.0)
    v = verdicts(judge(results(scale={"today": today, "grown": grown()}), tmp_path))
    assert v["scale: warm build, new process, cache"] is True
    assert v["scale: saved post served, make serve (--dirty)"] is True
    assert v["scale: search index"] is True
    assert v["scale: journal rebuild / plain rebuild"] is True  # judged on today's
    slow = grown(warm_s=9.0, serve_s=2.5, search_index_bytes=1_100_000)
    v = verdicts(judge(results(scale={"today": grown(vs_plain=1.6), "grown": slow}),
                       tmp_path))
    assert v["scale: warm build, new process, cache"] is False
    assert v["scale: saved post served, make serve (--dirty)"] is False
    assert v["scale: search index"] is False
    assert v["scale: journal rebuild / plain rebuild"] is False
