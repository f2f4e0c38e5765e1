"""journal.figures records what a figure shows; journal.compare checks the records."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from journal import compare, figures  # noqa: E402


def line_figure(y, **tol):
    fig, ax = plt.subplots()
    ax.plot(np.arange(len(y)), y, label="loss")
    ax.set_title("training")
    ax.set_xlabel("epoch")
    ax.legend()
    if tol:
        figures.figure_tolerance(fig, **tol)
    record = figures.describe(fig)
    plt.close(fig)
    return record


def grid_figure(images, titles, **tol):
    fig, axes = plt.subplots(1, len(images))
    for ax, image, title in zip(axes, images, titles):
        ax.imshow(image)
        ax.set_title(title)
    if tol:
        figures.figure_tolerance(fig, **tol)
    record = figures.describe(fig)
    plt.close(fig)
    return record


def test_record_holds_labels_values_and_tolerance():
    rec = line_figure([3.0, 2.0, 1.5], abs=0.1)
    (ax,) = rec["axes"]
    assert (ax["title"], ax["xlabel"], ax["legend"]) == ("training", "epoch", ["loss"])
    assert ax["lines"][0]["y"] == [3.0, 2.0, 1.5]
    assert rec["tol"] == {"abs": 0.1}


def test_long_lines_are_sampled():
    rec = line_figure(np.linspace(0, 1, 5000))
    assert len(rec["axes"][0]["lines"][0]["y"]) == figures.MAX_POINTS


def test_values_within_declared_tolerance_pass_and_beyond_fail():
    pub = line_figure([3.0, 2.0, 1.5], abs=0.1)
    assert compare.compare_figure_records(pub, line_figure([3.05, 2.0, 1.5], abs=0.1)).ok
    verdict = compare.compare_figure_records(pub, line_figure([3.0, 2.5, 1.5], abs=0.1))
    assert verdict.problems == [
        "figure line 1 y: value 1 published 2, reproduced 2.5, tolerance ±0.1"]


def test_default_data_tolerance_is_tight():
    verdict = compare.compare_figure_records(line_figure([1.0, 2.0]),
                                             line_figure([1.0, 2.001]))
    assert not verdict.ok


def test_grid_compared_as_a_set_with_its_titles():
    rng = np.random.default_rng(0)
    images = [rng.random((4, 4)) for _ in range(10)]
    titles = [f"{k}→{k + 1}" for k in range(10)]
    pub = grid_figure(images, titles, overlap=0.8)
    # the same images in another order, and one of ten replaced: 90% shared
    moved = images[1:] + [rng.random((4, 4))]
    assert compare.compare_figure_records(pub, grid_figure(
        moved, titles[1:] + ["x→y"], overlap=0.8)).ok
    # the same images with other labels are other items
    relabelled = grid_figure(images, [t[::-1] for t in titles], overlap=0.8)
    (problem,) = compare.compare_figure_records(pub, relabelled).problems
    assert problem == ("figure: 0 of 10 published images (with their titles) shown "
                       "again, declared overlap 0.8")


@pytest.mark.parametrize("bad", [{"overlap": 1.5}, {"abs": -1}, {"mean": float("nan")}])
def test_bad_tolerance_is_refused(bad):
    fig = plt.figure()
    with pytest.raises(ValueError, match="figure tolerance"):
        figures.figure_tolerance(fig, **bad)
    plt.close(fig)
