import pytest

from journal import shard


def fake_times(monkeypatch, seconds):
    monkeypatch.setattr(shard, "recorded_seconds", lambda p: seconds[p])


def test_longest_first_balances_recorded_times(monkeypatch):
    seconds = {"a": 40.0, "b": 30.0, "c": 20.0, "d": 10.0, "e": 10.0}
    fake_times(monkeypatch, seconds)
    shards = shard.plan(list(seconds), 2)
    totals = sorted(sum(seconds[p] for p in s) for s in shards)
    assert totals == [50.0, 60.0]
    assert sorted(p for s in shards for p in s) == sorted(seconds)  # each exactly once


def test_unrecorded_notebook_counts_as_the_slowest(monkeypatch):
    seconds = {"a": 30.0, "b": 5.0, "new": None}
    fake_times(monkeypatch, seconds)
    shards = shard.plan(list(seconds), 2)
    assert ["new"] in shards or ["a"] in shards
    assert not any({"a", "new"} <= set(s) for s in shards)


def test_more_shards_than_notebooks_leaves_some_empty(monkeypatch):
    fake_times(monkeypatch, {"a": 1.0})
    assert shard.plan(["a"], 3) == [["a"], [], []]


@pytest.mark.parametrize("index, count", [(2, 2), (-1, 2), (0, 0)])
def test_bad_index_or_count_is_refused(index, count):
    with pytest.raises(ValueError, match="shard"):
        shard.shard(index, count, notebooks=[])


def test_real_notebooks_are_all_assigned_once():
    from journal import paths

    notebooks = paths.project_notebooks()
    shards = shard.plan(notebooks, 2)
    assert sorted(p for s in shards for p in s) == sorted(notebooks)
