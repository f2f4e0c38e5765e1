import pytest

from journal import compare, report


def test_metric_text_and_record():
    shown = report.metric("test_accuracy", 0.98504, abs=0.005)
    bundle = shown._repr_mimebundle_()
    assert bundle["text/plain"] == "test_accuracy = 0.9850"
    (rec,) = bundle[report.MIME]["metrics"]
    assert rec == {"name": "test_accuracy", "value": 0.98504, "tol": {"abs": 0.005}}


@pytest.mark.parametrize("reproduced, ok", [(0.9840, True), (0.9801, True),
                                            (0.9799, False), (0.9901, False)])
def test_within_absolute_tolerance(reproduced, ok):
    published = report.record("acc", 0.985, abs=0.005)
    assert compare.within(published["tol"], published["value"], reproduced) is ok


def test_within_relative_tolerance():
    published = report.record("loss", 2.0, rel=0.05)
    assert compare.within(published["tol"], 2.0, 2.09)
    assert not compare.within(published["tol"], 2.0, 2.11)


def test_either_part_of_a_tolerance_suffices():
    tol = {"abs": 0.01, "rel": 0.05}
    assert compare.within(tol, 100.0, 104.0)   # rel allows 5, abs only 0.01
    assert compare.within(tol, 0.001, 0.009)   # abs allows 0.01, rel almost nothing
    assert not compare.within(tol, 0.001, 0.02)


def test_default_tolerance_is_tight():
    published = report.record("x", 1.0)
    assert compare.within(published["tol"], 1.0, 1.0 + 5e-7)
    assert not compare.within(published["tol"], 1.0, 1.001)


def test_table_records_every_cell():
    shown = report.metric_table({"a": {"acc": 0.5}, "b": {"acc": 0.75}}, abs=0.01)
    bundle = shown._repr_mimebundle_()
    names = [r["name"] for r in bundle[report.MIME]["metrics"]]
    assert names == ["a / acc", "b / acc"]
    assert "0.7500" in bundle["text/plain"]


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "high"])
def test_bad_values_are_refused(bad):
    with pytest.raises((ValueError, TypeError), match="metric 'x'"):
        report.metric("x", bad)


def test_runs_that_are_all_equal_render_one_value_not_a_zero_spread():
    same = report.metric("svm", runs=[0.9925650557620818] * 3)
    assert same.text == "svm = 0.9926 (the same in 3 runs)"
    noisy = report.metric("svm", runs=[0.99256505576208, 0.9925650557620818, 0.99256505576])
    assert noisy.text == "svm = 0.9926 (the same in 3 runs)"  # float noise is no spread
    spread = report.metric("mlp", runs=[0.9777, 0.9733, 0.9755])
    assert spread.text == "mlp = 0.9755 ± 0.0022 (3 runs)"
    table = report.metric_table({"svm": {"acc": [0.5, 0.5]}, "mlp": {"acc": [0.4, 0.6]}})
    assert "0.5000 (the same in 2 runs)" in table.text and "± 0.1414" in table.text
