"""The confounded collection, the two fixes and the occlusion map."""

import numpy as np
import pytest
import torch

from snippets import shortcut


def _digits(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = np.zeros((n, 784), dtype=np.float32)
    X.reshape(n, 28, 28)[:, 8:20, 8:20] = rng.random((n, 12, 12))  # margins empty
    return X, rng.integers(0, 10, n)


def test_mark_positions_are_distinct_and_inside_the_margins():
    positions = [shortcut.mark_position(f) for f in range(10)]
    assert len(set(positions)) == 10
    mask = shortcut.margin_mask().reshape(28, 28)
    for r, c in positions:
        assert mask[r:r + 2, c:c + 2].all()
    with pytest.raises(ValueError, match="form must be 0..9"):
        shortcut.mark_position(10)


def test_stamp_draws_only_the_dot_and_leaves_the_input_alone():
    X, y = _digits(10)
    before = X.copy()
    out = shortcut.stamp(X, y, 0.35)  # below the digits' brightest pixels
    np.testing.assert_array_equal(X, before)
    diff = (out != X).reshape(10, 28, 28)
    for i in range(10):
        r, c = shortcut.mark_position(int(y[i]))
        assert diff[i].sum() == 4 and diff[i, r:r + 2, c:c + 2].all()
    assert np.isclose(out.max(), max(0.35, X.max()))


def test_collection_metadata_tells_the_story():
    X, y = _digits(2000)
    coll = shortcut.add_form_marks(X, y, seed=1, misfiled=0.05, old_scanner=0.1)
    assert len(coll) == 2000
    np.testing.assert_array_equal(coll.mark, coll.scanner == "new")
    agree = (coll.form == coll.y).mean()
    assert 0.92 < agree < 0.98                      # misfiled ~5%
    assert 0.07 < (coll.scanner == "old").mean() < 0.13
    marked = (coll.X != X).any(axis=1)
    np.testing.assert_array_equal(marked, coll.mark)  # old scanner: no dot
    table = shortcut.crosstab(coll.y, coll.form)
    assert table.sum() == 2000 and np.trace(table) == (coll.form == coll.y).sum()
    sub = coll.subset(np.arange(5))
    assert len(sub) == 5 and sub.scanner.shape == (5,)


def test_fixes_remove_the_information_in_the_margin():
    X, y = _digits(500)
    coll = shortcut.add_form_marks(X, y, misfiled=0.0, old_scanner=0.0)
    removed = shortcut.remove_marks(coll.X)
    np.testing.assert_array_equal(removed, X)  # the test digits never touch margins
    randomised = shortcut.randomise_marks(coll.X, seed=0)
    # every image has exactly one dot, at a position unrelated to the label
    dots = (randomised != X).reshape(500, -1).sum(axis=1)
    assert (dots == 4).all()
    same = np.mean([(randomised[i] == coll.X[i]).all() for i in range(500)])
    assert same < 0.2  # about one in ten lands on its own form's place by chance


class _LooksAt(torch.nn.Module):
    """A 'model' whose class-3 score is the brightness of one pixel."""

    def __init__(self, r, c):
        super().__init__()
        self.r, self.c = r, c

    def forward(self, x):
        logits = torch.zeros(len(x), 10)
        logits[:, 3] = 10 * x[:, 0, self.r, self.c]
        return logits


def test_occlusion_map_peaks_where_the_model_looks():
    image = torch.ones(1, 28, 28)
    heat = shortcut.occlusion_map(_LooksAt(1, 22), image, label=3, patch=4, stride=2)
    assert heat.shape == (28, 28)
    r, c = np.unravel_index(heat.argmax(), heat.shape)
    assert abs(r - 1) <= 2 and abs(c - 22) <= 2
    assert heat[20:, :10].max() == 0.0  # far away: hiding it changes nothing
