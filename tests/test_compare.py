"""journal.compare: metrics within tolerance, figures by fingerprint, text exact."""

import base64
import io

import matplotlib
import numpy as np
import pytest

from journal import compare
from journal import report

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def default_style():
    """Matplotlib's defaults, whatever style an earlier test's `setup` applied."""
    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        yield


def metric_output(shown):
    return {"output_type": "execute_result", "data": shown._repr_mimebundle_(),
            "metadata": {}}


# -- metrics ---------------------------------------------------------------------

def problems(pub, rep):
    return compare.compare_cell(pub, rep, rules=[]).problems


def test_metric_within_published_tolerance_passes():
    pub = [metric_output(report.metric("test_accuracy", 0.985, abs=0.005))]
    rep = [metric_output(report.metric("test_accuracy", 0.9811, abs=0.005))]
    assert problems(pub, rep) == []


def test_metric_beyond_tolerance_names_values_and_tolerance():
    pub = [metric_output(report.metric("test_accuracy", 0.985, abs=0.005))]
    rep = [metric_output(report.metric("test_accuracy", 0.962, abs=0.005))]
    assert problems(pub, rep) == [
        "test_accuracy published 0.985, reproduced 0.962, tolerance ±0.005"]


def test_published_tolerance_must_be_the_declared_one():
    """A tolerance widened in the committed notebook does not count."""
    pub = [metric_output(report.metric("loss", 2.0, rel=0.5))]
    rep = [metric_output(report.metric("loss", 2.1, rel=0.01))]
    (problem,) = problems(pub, rep)
    assert problem == ("loss: published tolerance ±50.00% relative is not the one the "
                       "code declares (±1.00% relative)")


def test_missing_and_extra_metrics_are_reported():
    pub = [metric_output(report.metric("a", 1.0, abs=0.1))]
    rep = [metric_output(report.metric("b", 1.0, abs=0.1))]
    found = problems(pub, rep)
    assert any(p.startswith("a published 1, not reproduced") for p in found)
    assert any(p.startswith("b reproduced 1 but was never published") for p in found)


def test_table_rows_compared_one_by_one():
    pub = [metric_output(report.metric_table({"svm": {"acc": 0.99}, "tree": {"acc": 0.85}},
                                             abs=0.01))]
    rep = [metric_output(report.metric_table({"svm": {"acc": 0.985}, "tree": {"acc": 0.80}},
                                             abs=0.01))]
    assert problems(pub, rep) == [
        "tree / acc published 0.85, reproduced 0.8, tolerance ±0.01"]


def test_metric_text_must_be_the_rendering_of_its_record():
    """Editing only the number a reader sees fails, naming both texts."""
    pub = metric_output(report.metric("test_accuracy", 0.989, abs=0.005))
    pub["data"]["text/plain"] = "test_accuracy = 0.9990"
    rep = metric_output(report.metric("test_accuracy", 0.989, abs=0.005))
    (problem,) = problems([pub], [rep])
    assert "shows 'test_accuracy = 0.9990', record renders 'test_accuracy = 0.9890'" \
        in problem


def test_runs_are_checked_by_mean_spread_and_count():
    pub = [metric_output(report.metric("acc", runs=[0.989, 0.986, 0.988], abs=0.005))]
    same = [metric_output(report.metric("acc", runs=[0.988, 0.987, 0.988], abs=0.005))]
    assert problems(pub, same) == []
    fewer = [metric_output(report.metric("acc", runs=[0.989, 0.986], abs=0.005))]
    assert problems(pub, fewer) == ["acc: published 3 runs, reproduced 2"]
    wide = [metric_output(report.metric("acc", runs=[0.999, 0.976, 0.988], abs=0.005))]
    assert problems(pub, wide)[0].startswith("acc spread published")


def test_edited_run_breaks_the_published_mean():
    pub = metric_output(report.metric("acc", runs=[0.989, 0.986, 0.988], abs=0.005))
    pub["data"][report.MIME]["metrics"][0]["runs"][0] = 0.999
    rep = metric_output(report.metric("acc", runs=[0.989, 0.986, 0.988], abs=0.005))
    assert problems([pub], [rep]) == [
        "acc: the published mean and spread are not those of the published runs"]


def test_runs_render_with_their_spread():
    shown = report.metric("acc", runs=[0.989, 0.986, 0.988, 0.989], abs=0.005)
    assert shown.text == "acc = 0.9880 ± 0.0014 (4 runs)"


def test_stored_error_must_be_the_same_exception():
    def error(name):
        return {"output_type": "error", "ename": name, "evalue": "bad", "traceback": []}

    assert problems([error("ValueError")], [error("ValueError")]) == []
    (problem,) = problems([error("ValueError")], [error("TypeError")])
    assert problem == "expected to raise ValueError, raised TypeError: bad"


def test_sanitized_text_is_reported_as_not_verified():
    def stream(text):
        return {"output_type": "stream", "name": "stdout", "text": text}

    verdict = compare.compare_cell([stream("25 epochs in 12.3 s\n")],
                                   [stream("25 epochs in 9.1 s\n")])
    assert verdict.ok
    assert verdict.unverified == ["stream stdout: timings depend on the machine"]


def test_publishes_results():
    assert compare.publishes_results([metric_output(report.metric("x", 1.0))])
    assert not compare.publishes_results([{"output_type": "stream", "name": "stdout",
                                           "text": "hi"}])


# -- text ------------------------------------------------------------------------

@pytest.mark.parametrize("published, reproduced, ok", [
    ("X_train (1347, 64)", "X_train (1347, 64)", True),
    ("X_train (1347, 64)", "X_train (1346, 64)", False),       # shapes exact
    ("4 of 450 wrong", "5 of 450 wrong", False),                # counts exact
    ("loss 0.98495", "loss 0.98496", True),                     # last-digit noise
    ("acc 0.9850", "acc 0.9849", True),                         # rounding flip
    ("acc 0.9850", "acc 0.9846", False),                        # a real change
    ("acc 0.9850", "acc 1", False),                             # float vs integer
    ("epoch 3: loss 1.234e-03", "epoch 3: loss 1.2341e-03", True),
    ("epoch 3: loss 1.234e-03", "epoch 4: loss 1.234e-03", False),
    ("loss 0.5 (model a)", "loss 0.5 (model b)", False),        # words exact
])
def test_text_floats_have_a_small_default_tolerance(published, reproduced, ok):
    assert compare.text_matches(published, reproduced) is ok


# -- figures ---------------------------------------------------------------------

def png_of(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=72, bbox_inches=None)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def curve(values, figsize=(4, 3)):
    fig, ax = plt.subplots(figsize=figsize)
    ax.plot(values)
    ax.set_ylim(0, 1.2)
    return png_of(fig)


def bars(values):
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar(range(len(values)), values)
    ax.set_ylim(0, 10)
    return png_of(fig)


X = np.linspace(0, 4, 200)


def test_identical_figure_passes():
    a = curve(np.exp(-X))
    assert compare.compare_figure(a, a) == []


def test_figure_within_metric_noise_passes():
    """A curve that moved by 0.1% (ordinary run-to-run noise) is the same figure."""
    assert compare.compare_figure(curve(np.exp(-X)), curve(np.exp(-X) * 1.001)) == []


def test_changed_curve_fails():
    (problem,) = compare.compare_figure(curve(np.exp(-X)), curve(np.exp(-X / 2)))
    assert problem.startswith("figure changed: mean difference")


def test_one_changed_bar_fails():
    (problem,) = compare.compare_figure(bars([3, 5, 7, 4, 6]), bars([3, 5, 4, 4, 6]))
    assert "worst region" in problem


def test_resized_figure_fails():
    (problem,) = compare.compare_figure(curve(np.exp(-X)),
                                        curve(np.exp(-X), figsize=(5, 3)))
    assert problem.startswith("figure changed size: published 288x216 px")


def figure_output(png):
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/png": png, "text/plain": "<Figure>"}}


def test_figure_count_must_match():
    assert problems([figure_output(curve(np.exp(-X)))], []) == [
        "outputs changed: published figure, reproduced nothing"]


def test_undecodable_figure_is_reported():
    good = curve(np.exp(-X))
    (problem,) = compare.compare_figure("bm90IGEgcG5n", good)
    assert problem.startswith("figure: the published image cannot be decoded")


def test_declared_figure_tolerance_applies():
    a, b = curve(np.exp(-X)), curve(np.exp(-X) * 1.05)
    assert compare.compare_figure(a, b, tol={"mean": 0.004, "block": 0.05}) == []
    (problem,) = compare.compare_figure(a, b)
    assert "(tolerance 0.004)" in problem


@pytest.mark.parametrize("tol, impostor", [
    ({"mean": 0.5, "block": 1.0}, "a blank picture"),
    ({"mean": 0.12, "block": 1.0}, "mirrored left to right"),
])
def test_tolerance_that_passes_a_blank_or_mirrored_picture_is_refused(tol, impostor):
    a = bars([3, 5, 7, 4, 6])
    (problem,) = compare.compare_figure(a, a, tol=tol)
    assert "is so loose that" in problem and impostor in problem


# -- the sanitizer a run is given ------------------------------------------------

def stream(text):
    return [{"output_type": "stream", "name": "stdout", "text": text}]


def test_the_sanitizer_named_on_the_command_line_is_the_one_used(pytester, tmp_path):
    own = tmp_path / "own.cfg"
    own.write_text("# run ids change on every run\nregex: run \\d+\nreplace: run N\n")
    default = pytester.parseconfigure("-p", "journal.pytest_notebooks")
    chosen = pytester.parseconfigure("-p", "journal.pytest_notebooks",
                                     f"--nbval-sanitize-with={own}")
    published, reproduced = stream("run 17 done\n"), stream("run 42 done\n")
    assert not compare.compare_cell(published, reproduced,
                                    rules=default._journal_sanitizer).ok
    verdict = compare.compare_cell(published, reproduced,
                                   rules=chosen._journal_sanitizer)
    assert verdict.ok and verdict.unverified
    assert "run ids change on every run" in " ".join(verdict.unverified)


def test_an_unreadable_sanitizer_is_a_usage_error(pytester, tmp_path):
    bad = tmp_path / "bad.cfg"
    bad.write_text("regex: x\nsubstitute: y\n")
    with pytest.raises(pytest.UsageError, match="bad.cfg:2"):
        pytester.parseconfigure("-p", "journal.pytest_notebooks",
                                f"--nbval-sanitize-with={bad}")
