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


def metric_output(*shown):
    bundle = {}
    for s in shown:
        b = s._repr_mimebundle_()
        bundle.setdefault("text/plain", b["text/plain"])
        bundle.setdefault(report.MIME, {"metrics": []})["metrics"] += b[report.MIME][
            "metrics"]
    return {"output_type": "execute_result", "data": bundle, "metadata": {}}


# -- metrics ---------------------------------------------------------------------

def test_metric_within_published_tolerance_passes():
    pub = [metric_output(report.metric("test_accuracy", 0.985, abs=0.005))]
    rep = [metric_output(report.metric("test_accuracy", 0.9811, abs=0.005))]
    assert compare.compare_metrics(pub, rep) == []


def test_metric_beyond_tolerance_names_values_and_tolerance():
    pub = [metric_output(report.metric("test_accuracy", 0.985, abs=0.005))]
    rep = [metric_output(report.metric("test_accuracy", 0.962, abs=0.005))]
    assert compare.compare_metrics(pub, rep) == [
        "test_accuracy published 0.985, reproduced 0.962, tolerance ±0.005"]


def test_published_tolerance_wins_over_reproduced():
    """Loosening the tolerance in the code does not excuse the published number."""
    pub = [metric_output(report.metric("loss", 2.0, rel=0.01))]
    rep = [metric_output(report.metric("loss", 2.1, rel=0.5))]
    (problem,) = compare.compare_metrics(pub, rep)
    assert problem == "loss published 2, reproduced 2.1, tolerance ±1.00% relative"


def test_missing_and_extra_metrics_are_reported():
    pub = [metric_output(report.metric("a", 1.0, abs=0.1))]
    rep = [metric_output(report.metric("b", 1.0, abs=0.1))]
    problems = compare.compare_metrics(pub, rep)
    assert any(p.startswith("a published 1, not reproduced") for p in problems)
    assert any(p.startswith("b reproduced 1 but was never published") for p in problems)


def test_table_rows_compared_one_by_one():
    pub = [metric_output(report.metric_table({"svm": {"acc": 0.99}, "tree": {"acc": 0.85}},
                                             abs=0.01))]
    rep = [metric_output(report.metric_table({"svm": {"acc": 0.985}, "tree": {"acc": 0.80}},
                                             abs=0.01))]
    assert compare.compare_metrics(pub, rep) == [
        "tree / acc published 0.85, reproduced 0.8, tolerance ±0.01"]


def test_strip_checked_drops_metric_text_but_keeps_figure_text():
    out = metric_output(report.metric("x", 1.0))
    assert compare.strip_checked(out)["data"] == {}
    fig = {"output_type": "display_data", "metadata": {},
           "data": {"image/png": "AAAA", "text/plain": "<Figure size 1x1 with 1 Axes>"}}
    assert compare.strip_checked(fig)["data"] == {"text/plain":
                                                  "<Figure size 1x1 with 1 Axes>"}


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


def test_figure_count_must_match():
    out = {"output_type": "display_data", "metadata": {},
           "data": {"image/png": curve(np.exp(-X)), "text/plain": "<Figure>"}}
    assert compare.compare_figures([out], []) == ["published 1 figure(s), reproduced 0"]


def test_undecodable_figure_is_reported():
    good = curve(np.exp(-X))
    (problem,) = compare.compare_figure("bm90IGEgcG5n", good)
    assert problem.startswith("figure: the published image cannot be decoded")


def test_cell_declares_its_own_figure_tolerance():
    a, b = curve(np.exp(-X)), curve(np.exp(-X) * 1.05)
    loose = compare.figure_tolerance({"journal": {"figure_tolerance": {"mean": 0.05,
                                                                      "block": 0.5}}})
    assert compare.compare_figure(a, b, tol=loose) == []
    (problem,) = compare.compare_figure(a, b)
    assert "(tolerance 0.004)" in problem
    assert compare.figure_tolerance({}) == {"mean": 0.004, "block": 0.02}
    with pytest.raises(ValueError, match="figure_tolerance"):
        compare.figure_tolerance({"journal": {"figure_tolerance": {"mean": "big"}}})
