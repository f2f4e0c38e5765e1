"""The benchmark report: targets are judged correctly (no timing happens here)."""

import importlib.util

from journal import paths

spec = importlib.util.spec_from_file_location("bench_run", paths.ROOT / "bench" / "run.py")
bench_run = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench_run)


def results(**over):
    base = {
        "machine": {"python": "3.11", "cpu": "x86_64", "cores": 2, "torch": "2.13.0",
                    "cuda": None},
        "notebooks_s": {"projects/a/a.ipynb": 30.0, "projects/b/b.ipynb": 20.0},
        "verification_parallel_s": 90.0,
        "nochange_s": 1.0,
        "site": {"pages": 40, "journal_s": 1.0, "plain_s": 0.8, "pages_per_s": 40.0,
                 "plain_pages_per_s": 50.0, "ratio": 1.25},
        "page_weight": {"pages": {"2026/11/02/post/": {"bytes": 60_000, "ok": True}},
                        "search_index_bytes": 20_000, "ok": True},
        "convnet_cpu": {"epoch_s": 2.0, "images_per_s": 2000.0, "test_accuracy": 0.989,
                        "epochs": 6, "train_images": 3200, "seed": 0},
    }
    base.update(over)
    return base


def verdicts(rows):
    return {r["name"]: r["ok"] for r in rows}


def test_all_targets_met():
    rows = bench_run.summarise(results())
    v = verdicts(rows)
    assert v["verify all notebooks, 2 processes"] is True
    assert v["journal run, nothing changed"] is True  # 1 s of 50 s = 2%
    assert v["site build (40 pages, warm)"] is True
    assert v["journal site / plain site"] is True
    assert v["convnet, GPU"] is None  # no CUDA: reported, not judged


def test_missed_targets_are_flagged():
    slow_site = {"pages": 40, "journal_s": 2.0, "plain_s": 0.8, "pages_per_s": 20.0,
                 "plain_pages_per_s": 50.0, "ratio": 2.5}
    rows = bench_run.summarise(results(verification_parallel_s=200.0, nochange_s=5.0,
                                       site=slow_site))
    v = verdicts(rows)
    assert v["verify all notebooks, 2 processes"] is False
    assert v["journal run, nothing changed"] is False  # 10% of a full run
    assert v["site build (40 pages, warm)"] is False
    assert v["journal site / plain site"] is False
    assert "NO" in bench_run.table(rows)


def test_gpu_speedup_needs_speed_and_same_accuracy():
    gpu = {"epoch_s": 0.05, "images_per_s": 80000.0, "test_accuracy": 0.988,
           "epochs": 6, "train_images": 3200, "seed": 0}
    r = results(convnet_gpu=gpu)
    r["machine"]["cuda"] = "Some GPU"
    assert verdicts(bench_run.summarise(r))["GPU speed-up per epoch"] is True
    gpu_wrong = dict(gpu, test_accuracy=0.95)
    r = results(convnet_gpu=gpu_wrong)
    r["machine"]["cuda"] = "Some GPU"
    assert verdicts(bench_run.summarise(r))["GPU speed-up per epoch"] is False


def test_markdown_page_lists_every_row():
    rows = bench_run.summarise(results())
    page = bench_run.markdown_page(rows, results())
    assert page.startswith("# Benchmarks")
    assert page.count("\n| ") == len(rows) + 1  # header row + one per measure


def test_convnet_accuracy_is_labelled_as_a_timing_run():
    rows = {r["name"]: r["value"] for r in bench_run.summarise(results())}
    value = rows["convnet, CPU 2 threads"]
    assert "test accuracy 0.9890" in value
    assert "timing run: 6 epochs on 3,200 images, seed 0, one run" in value
