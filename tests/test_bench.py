"""The benchmark report: targets are judged correctly (no timing happens here).

``bench/run.py --from-results FILE`` judges recorded results without measuring;
the tests feed it made-up results and read its table.
"""

import contextlib
import importlib.util
import io
import json

import pytest

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
        "verification": {"wall_s": 90.0, "workers": "auto", "notebooks_s": {
            "projects/a/a.ipynb": 30.0, "projects/b/b.ipynb": 20.0}},
        "nochange_s": 1.0,
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
    assert v["verify all notebooks (make test, -n auto)"] is True
    assert v["notebook projects/a/a.ipynb"] is None  # listed, not judged
    assert v["journal run, nothing changed"] is True  # 1 s of 50 s = 2%
    assert v["convnet, GPU"] is None  # no GPU check recorded: reported, not judged
    assert v["first visit, notebook projects/a/a/"] is True
    assert v["first visit, heaviest other page (tags/)"] is True
    assert "first visit, page about/" not in v
    assert "verify all notebooks, one process" not in v


def test_missed_targets_are_flagged(tmp_path):
    slow = {"wall_s": 500.0, "workers": "auto",
            "notebooks_s": {"projects/a/a.ipynb": 30.0, "projects/b/b.ipynb": 20.0}}
    table = judge(results(verification=slow, nochange_s=5.0), tmp_path)
    v = verdicts(table)
    assert v["verify all notebooks (make test, -n auto)"] is False  # over 480 s
    assert v["journal run, nothing changed"] is False  # 10% of a full run
    assert "NO" in table


def test_without_notebook_timing_nothing_is_judged_on_it(tmp_path):
    r = results()
    del r["verification"]
    table = judge(r, tmp_path)
    v = verdicts(table)
    assert v["verify all notebooks (make test)"] is None
    assert v["journal run, nothing changed"] is None
    assert "not measured (--no-notebooks)" in table
    assert "two CI jobs for the notebooks instead of one" not in v


def test_shards_deal_the_longest_notebook_first():
    run = bench_run()
    assert sorted(map(sorted, run.shards([5, 4, 3, 3, 1], 2))) == [[1, 3, 4], [3, 5]]
    assert run.job_wall([100, 10, 10], cores=2) == 100  # the longest notebook
    assert run.job_wall([40, 40, 40], cores=2) == 60


def test_sharding_pays_only_when_it_saves_more_than_a_set_up():
    run = bench_run()
    # one job: 2 cores, (60 + 60 + 60 + 60) / 2 = 120 s; two jobs: 60 s each
    found = run.sharding([60.0] * 4, cores=2, setup_s=90.0)
    assert (found["one_job_s"], found["saved_s"], found["pays"]) == (120.0, 60.0, False)
    assert found["pays_at_notebooks"] == 8  # 7 notebooks save 210 - 120 = 90, no more
    assert run.sharding([60.0] * 4, cores=2, setup_s=89.0)["pays_at_notebooks"] == 6
    assert run.sharding([60.0] * 8, cores=2, setup_s=90.0)["pays"] is True
    assert run.sharding([], cores=2, setup_s=90.0) is None


def test_sharding_row_names_the_size_at_which_it_pays(tmp_path):
    times = {f"projects/{n}/{n}.ipynb": 60.0 for n in "abcd"}
    r = results(verification={"wall_s": 130.0, "workers": "auto", "notebooks_s": times})
    line = next(line for line in judge(r, tmp_path).splitlines()
                if line.startswith("two CI jobs"))
    # set-up: 75 s of make setup and the default 15 s site build
    assert "does not pay at 4 notebooks: saves 60 s of 120 s waiting, adds 90 s" in line
    assert "pays from 8 notebooks like today's" in line


def test_gpu_row_reads_the_last_cuda_check(tmp_path):
    source = tmp_path / "cuda-results.json"
    source.write_text(json.dumps({
        "torch": "2.11.0+cu130", "gpu": "Some GPU", "seconds": 30.0,
        "loop": {"epochs": 2, "steps": 100, "host_to_device_copies": 2,
                 "synchronisations": 4},
        "runs": {"a": {"images/s": 10763}, "b": {"images/s": 14048}}}))
    cuda = bench_run().read_cuda_results(source)
    table = judge(results(cuda=cuda), tmp_path)
    line = next(line for line in table.splitlines() if line.startswith("convnet, GPU"))
    assert "measured on Some GPU, torch 2.11.0+cu130" in line
    assert "2 host-to-device copies and 4 synchronisations" in line
    assert "10,763-14,048 images/s over 2 runs" in line
    assert verdicts(table)[line.split("  ")[0]] is None  # not a target checked here
    assert bench_run().read_cuda_results(tmp_path / "none.json") is None


def test_a_broken_cuda_results_file_is_named(tmp_path):
    source = tmp_path / "cuda-results.json"
    source.write_text(json.dumps({"gpu": "Some GPU"}))
    with pytest.raises(SystemExit, match="cuda-results.json: not a bench/cuda_check.py"):
        bench_run().read_cuda_results(source)


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


def layers(all_on_cpu, off):
    """Layer results: rebuild CPU seconds (or None for a trim) and index bytes."""
    found = {"all on": {"rebuild_s": all_on_cpu, "rebuild_cpu_s": all_on_cpu,
                        "search_index_bytes": 500_000}}
    for name, (cpu, index) in off.items():
        found[name] = {"search_index_bytes": index}
        if cpu is not None:
            found[name].update(rebuild_s=cpu, rebuild_cpu_s=cpu)
    return found


def test_each_layer_shows_its_saving_and_one_that_saves_nothing_says_so(tmp_path):
    today = grown(posts=7, notebooks=11, serve_s=0.5, serve_full_s=0.52,
                  layers=layers(1.0, {"highlight": (1.5, 500_000),
                                      "page": (1.01, 500_000),
                                      "post": (1.2, 500_000),
                                      "trim utf-8": (None, 500_000),
                                      "trim stop-words": (None, 600_000)}))
    big = grown(serve_s=1.0, serve_full_s=5.0,
                layers=layers(3.0, {"highlight": (4.0, 500_000),
                                    "page": (3.02, 500_000),
                                    "post": (2.5, 500_000),
                                    "trim utf-8": (None, 500_000),
                                    "trim stop-words": (None, 900_000)}))
    lines = {line.split("  ")[0]: line.rstrip() for line in judge(
        results(scale={"today": today, "grown": big}), tmp_path).splitlines()}
    assert "saves +0.50 -> +1.00 s CPU" in lines["scale: cache layer highlight"]
    assert "nothing measurable" not in lines["scale: cache layer highlight"]
    assert lines["scale: cache layer page"].endswith("saves nothing measurable")
    assert "saves 97.7 -> 390.6 KB" in lines["scale: trim stop-words"]
    assert lines["scale: trim utf-8"].endswith("saves nothing measurable")
    # judged where the layers are for, the grown size: a loss there is no saving
    assert lines["scale: cache layer post"].endswith("saves nothing measurable")
    dirty = lines["scale: dirty rebuild (make serve --dirty)"]
    assert "saves 0.02 -> 4.00 s per saved post" in dirty
    assert "nothing measurable" not in dirty  # measurable at the grown size
