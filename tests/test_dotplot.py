"""The dot plot of runs: well-formed SVG, one dot per run, escaped labels, exact
positions, and a description a screen reader can read."""

import re
import xml.etree.ElementTree as ET

import pytest

from journal import dotplot, report

SVG = "{http://www.w3.org/2000/svg}"


def rec(name, runs):
    return report.record(name, runs=runs)


THREE = rec("three blocks / validation accuracy", [0.975, 0.975, 0.97875])
TWO = rec("two blocks / validation accuracy", [0.965, 0.95375, 0.96625])


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def of_class(root, tag, cls):
    return [e for e in root.iter(SVG + tag) if e.get("class") == cls]


def test_svg_parses_and_has_one_circle_per_run():
    one = rec("one block / validation accuracy", [0.9, 0.91, 0.92, 0.93])
    records = [THREE, TWO, one]
    root = parse(dotplot.dotplot(records, format=".1%"))
    assert root.tag == SVG + "svg"
    assert len(root.findall(f"{SVG}circle")) == 10
    assert len(of_class(root, "line", "jd-mean")) == 3
    assert of_class(root, "line", "jd-pair") == []
    assert root.get("width") == "100%"
    assert root.get("viewBox").startswith(f"0 0 {dotplot.WIDTH} ")


def test_paired_runs_are_joined_seed_by_seed():
    svg = dotplot.dotplot([THREE, TWO], paired=True, format=".1%")
    root = parse(svg)
    circles = [(c.get("cx"), c.get("cy")) for c in root.iter(SVG + "circle")]
    pairs = of_class(root, "line", "jd-pair")
    assert len(pairs) == 3
    for i, line in enumerate(pairs):  # seed i of the first row to seed i of the second
        assert (line.get("x1"), line.get("y1")) == circles[i]
        assert (line.get("x2"), line.get("y2")) == circles[3 + i]
    assert "Dots of the same seed are joined." in root.get("aria-label")


def test_positions_are_exact():
    # Runs 0, 0.5, 1 give ticks 0, 0.5, 1 (a step of 1, 2 or 5 times a power of
    # ten, at least a quarter of the range): the dots sit at the ends and the
    # middle of the axis, which runs from MARGIN + RADIUS to WIDTH - MARGIN - RADIUS.
    root = parse(dotplot.dotplot([rec("x", [0.0, 0.5, 1.0])], format=".1f"))
    left = dotplot.MARGIN + dotplot.RADIUS
    right = dotplot.WIDTH - dotplot.MARGIN - dotplot.RADIUS
    xs = [float(c.get("cx")) for c in root.iter(SVG + "circle")]
    assert xs == pytest.approx([left, (left + right) / 2, right], abs=0.05)
    (mean,) = of_class(root, "line", "jd-mean")
    assert float(mean.get("x1")) == pytest.approx((left + right) / 2, abs=0.05)
    ticks = [t.text for t in of_class(root, "text", "jd-tick")]
    assert ticks == ["0.0", "0.5", "1.0"]


def test_same_input_same_bytes():
    first = dotplot.dotplot([THREE, TWO], paired=True, format=".1%")
    assert dotplot.dotplot([dict(THREE), dict(TWO)], paired=True, format=".1%") == first
    assert len(first.encode()) < 4000


def test_identical_runs_stay_visible():
    root = parse(dotplot.dotplot([rec("svm", [0.99] * 3)], format=".1%"))
    dots = {(c.get("cx"), c.get("cy")) for c in root.iter(SVG + "circle")}
    assert len(dots) == 3  # stacked, not drawn on top of each other


def test_theme_colours_come_from_the_page():
    svg = dotplot.dotplot([THREE, TWO], paired=True, format=".1%")
    root = parse(svg)
    assert root.get("fill") == root.get("stroke") == "currentColor"
    assert not re.search(r"#[0-9a-fA-F]{3}|rgb\(|<style|<script", svg)


def test_screen_readers_get_every_value():
    root = parse(dotplot.dotplot([THREE, TWO], format=".1%"))
    label = root.get("aria-label")
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == label
    assert label == ("Dot plot of validation accuracy, one dot per run. three blocks: "
                     "97.5%, 97.5%, 97.9% (mean 97.6%); two blocks: 96.5%, 95.4%, 96.6% "
                     "(mean 96.2%).")
    rows = [t.text for t in of_class(root, "text", "jd-label")]
    assert rows == ["three blocks", "two blocks"]
    (axis,) = of_class(root, "text", "jd-axis-title")
    assert axis.text == "validation accuracy"


def test_hostile_labels_are_text():
    hostile = '<script>alert("x")</script> & \'quoted\' / acc'
    svg = dotplot.dotplot([rec(hostile, [0.1, 0.2, 0.3])], format=".2f")
    assert "<script" not in svg
    root = parse(svg)
    assert not list(root.iter(SVG + "script")) and not list(root.iter("script"))
    (label,) = of_class(root, "text", "jd-label")
    assert "".join(label.itertext()) == hostile
    assert hostile in root.get("aria-label")


def test_long_labels_are_shortened_with_the_full_text_kept():
    long = "MLP (64 hidden units), alpha=0.001, trained for ten epochs on every image"
    root = parse(dotplot.dotplot([rec(long, [0.96, 0.955, 0.959])], format=".1%"))
    (label,) = of_class(root, "text", "jd-label")
    assert label.find(f"{SVG}title").text == long
    shown = "".join(label.itertext())[len(long):]
    assert shown.endswith("…") and long.startswith(shown[:-1])
    assert len(shown) * dotplot.CHAR < dotplot.WIDTH - 2 * dotplot.MARGIN


def test_labels_can_be_given():
    root = parse(dotplot.dotplot([THREE, TWO], labels=["3 blocks", "2 blocks"]))
    labels = [t.text for t in of_class(root, "text", "jd-label")]
    assert labels == ["3 blocks", "2 blocks"]


@pytest.mark.parametrize("records, kwargs, error", [
    ([], {}, "at least one metric"),
    ([report.record("acc", 0.9)], {}, "metric 'acc' has no runs"),
    ([THREE, rec("b", [0.9, 0.91])], {"paired": True}, "same number of runs"),
    ([THREE, TWO], {"labels": ["one"]}, "1 labels for 2 metrics"),
])
def test_bad_input_is_refused(records, kwargs, error):
    with pytest.raises(ValueError, match=re.escape(error)):
        dotplot.dotplot(records, **kwargs)
