"""The new-scanner confound, the stratified evaluation, the fixes and occlusion."""

import numpy as np
import pytest
import torch

from snippets import shortcut


def _digits(n_per_digit=100, seed=0):
    """Fake clean digits: ink in the middle, blank paper (0) around it."""
    rng = np.random.default_rng(seed)
    n = 10 * n_per_digit
    X = np.zeros((n, 784), dtype=np.float32)
    X.reshape(n, 28, 28)[:, 8:20, 8:20] = rng.random((n, 12, 12))
    X[:, 14 * 28 + 14] = 1.0  # every image has a full-ink pixel
    y = np.repeat(np.arange(10), n_per_digit)
    return X, rng.permutation(y)


def test_new_scanner_is_the_same_rule_for_every_pixel():
    X, _ = _digits(5)
    out = shortcut.new_scanner(X, paper=0.1)
    np.testing.assert_allclose(out, 0.1 + 0.9 * X, atol=1e-7)
    assert out.dtype == np.float32
    # blank paper becomes grey everywhere, full ink stays full ink
    assert np.all(out[X == 0] == pytest.approx(0.1))
    assert np.all(out[X == 1] == pytest.approx(1.0))
    # global: moving the pixels around and scanning commute (no position matters)
    perm = np.random.default_rng(1).permutation(784)
    np.testing.assert_array_equal(shortcut.new_scanner(X[:, perm], paper=0.1),
                                  out[:, perm])
    # and it changes every pixel that is not full ink, not a patch somewhere
    assert ((out != X) | (X == 1)).all()


def test_scan_collection_shares_per_digit_are_exact():
    X, y = _digits(100)
    coll = shortcut.scan_collection(X, y, seed=3, target=8, share_target=0.9,
                                    share_other=0.03)
    assert len(coll) == len(y)
    np.testing.assert_array_equal(coll.y, y)
    assert set(coll.scanner.tolist()) == {"old", "new"}
    for digit in range(10):
        new = coll.scanner[y == digit] == "new"
        assert new.sum() == (90 if digit == 8 else 3)


def test_scan_collection_transforms_exactly_the_new_scanner_images():
    X, y = _digits(50)
    before = X.copy()
    coll = shortcut.scan_collection(X, y, seed=0, paper=0.1)
    np.testing.assert_array_equal(X, before)  # the input is left alone
    new = coll.scanner == "new"
    np.testing.assert_array_equal(coll.X[~new], X[~new])
    np.testing.assert_allclose(coll.X[new], shortcut.new_scanner(X[new], 0.1))
    # the whole image changes, not a part of it: every blank pixel turns grey
    assert (coll.X[new][X[new] == 0] > 0.09).all()


def test_scan_collection_is_deterministic_by_seed():
    X, y = _digits(50)
    a = shortcut.scan_collection(X, y, seed=7)
    b = shortcut.scan_collection(X, y, seed=7)
    c = shortcut.scan_collection(X, y, seed=8)
    np.testing.assert_array_equal(a.scanner, b.scanner)
    np.testing.assert_array_equal(a.X, b.X)
    assert (a.scanner != c.scanner).any()


def test_accuracy_by_group_splits_what_the_overall_accuracy_averages():
    y = np.array([8, 8, 8, 3, 3, 3, 3, 3])
    y_hat = np.array([8, 8, 1, 3, 3, 8, 8, 3])
    scanner = np.array(["new", "new", "old", "old", "old", "new", "new", "old"])
    groups = shortcut.accuracy_by_group(y, y_hat, scanner, y == 8)
    assert groups == {("new", False): (0.0, 2), ("new", True): (1.0, 2),
                      ("old", False): (1.0, 3), ("old", True): (0.0, 1)}
    only = shortcut.accuracy_by_group(y, y_hat, scanner)
    assert only == {("new",): (0.5, 4), ("old",): (0.75, 4)}


def test_image_statistics_match_numpy_and_separate_the_scanners():
    X, _ = _digits(10)
    stats = shortcut.image_statistics(X)
    assert stats.shape == (100, len(shortcut.STATISTICS))
    np.testing.assert_allclose(stats[:, 0], X.mean(1), rtol=1e-6)
    np.testing.assert_allclose(stats[:, 1], np.median(X, 1))
    np.testing.assert_allclose(stats[:, 2], X.min(1))
    np.testing.assert_allclose(stats[:, 4], X.std(1), rtol=1e-6)
    median = shortcut.STATISTICS.index("median")
    grey = shortcut.image_statistics(shortcut.new_scanner(X, 0.1))[:, median]
    assert (grey > 0.09).all() and (stats[:, median] == 0).all()


def test_normalise_contrast_undoes_the_new_scanner():
    X, _ = _digits(10)
    np.testing.assert_allclose(shortcut.normalise_contrast(shortcut.new_scanner(X)),
                               shortcut.normalise_contrast(X), atol=1e-6)
    flat = np.full((2, 784), 0.3, dtype=np.float32)  # no division by zero
    assert np.isfinite(shortcut.normalise_contrast(flat)).all()


def test_balanced_sample_makes_the_scanner_uninformative():
    X, y = _digits(1000)  # ~1,000 draws per digit: a binomial sd of about 0.016
    coll = shortcut.scan_collection(X, y, seed=0, share_target=0.9, share_other=0.05)
    idx = shortcut.balanced_sample(coll.y, coll.scanner, seed=0)
    assert idx.shape == (len(y),)
    np.testing.assert_array_equal(idx, shortcut.balanced_sample(coll.y, coll.scanner,
                                                                seed=0))
    for digit in range(10):
        picked = coll.y[idx] == digit
        share_new = (coll.scanner[idx][picked] == "new").mean()
        assert share_new == pytest.approx(0.5, abs=0.07)       # was 0.9 or 0.05
        assert picked.mean() == pytest.approx(0.1, abs=0.03)   # digit shares kept


def test_crosstab_counts_pairs():
    rows, cols, table = shortcut.crosstab([8, 8, 3, 3, 3], ["new", "old", "old",
                                                            "old", "new"])
    assert rows == [3, 8] and cols == ["new", "old"]
    np.testing.assert_array_equal(table, [[1, 2], [1, 1]])


class _LooksAt(torch.nn.Module):
    """A 'model' whose class-3 score is the brightness of one pixel."""

    def __init__(self, r, c):
        super().__init__()
        self.r, self.c = r, c

    def forward(self, x):
        logits = torch.zeros(len(x), 10)
        logits[:, 3] = 10 * x[:, 0, self.r, self.c]
        return logits


class _LooksAtBackground(torch.nn.Module):
    """A 'model' whose class-8 score is the mean brightness of the whole image."""

    def forward(self, x):
        logits = torch.zeros(len(x), 10)
        logits[:, 8] = 20 * x.mean(dim=(1, 2, 3))
        return logits


def test_occlusion_map_peaks_where_the_model_looks():
    image = torch.ones(1, 28, 28)
    heat = shortcut.occlusion_map(_LooksAt(1, 22), image, label=3, patch=4, stride=2)
    assert heat.shape == (28, 28)
    r, c = np.unravel_index(heat.argmax(), heat.shape)
    assert abs(r - 1) <= 2 and abs(c - 22) <= 2
    assert heat[20:, :10].max() == 0.0  # far away: hiding it changes nothing


def test_occlusion_spreads_a_global_cue_thin():
    # a model that reads only the overall grey: no square matters much alone,
    # although the grey as a whole decides the answer
    image = torch.full((1, 28, 28), 0.1)
    model = _LooksAtBackground()
    heat = shortcut.occlusion_map(model, image, label=8)
    p = torch.softmax(model(image[None]), 1)[0, 8].item()
    p_old = torch.softmax(model(torch.zeros(1, 1, 28, 28)), 1)[0, 8].item()
    assert p - p_old > 0.3                    # the global change is large
    assert heat.max() < 0.05 * (p - p_old)    # every single square is small
    assert heat.min() > 0                     # and it is everywhere
