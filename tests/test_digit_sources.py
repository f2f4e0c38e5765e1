"""Bringing MNIST down to 8x8 the way the 8x8 digits were made, and scoring across."""

import numpy as np

from snippets.digit_sources import TRAIN_SIZE, fill_box, to_8x8, transfer_scores


def square(top, left, side, size=28):
    image = np.zeros((size, size), dtype=np.float32)
    image[top:top + side, left:left + side] = 1.0
    return image.reshape(1, -1)


def test_to_8x8_counts_on_pixels_per_block_of_the_padded_frame():
    # a 4x4 square at rows 2..5, cols 2..5 of the 28x28 image sits at 4..7 in the
    # 32x32 frame: exactly block (1, 1)
    out = to_8x8(square(2, 2, 4)).reshape(8, 8)
    expected = np.zeros((8, 8))
    expected[1, 1] = 1.0
    np.testing.assert_array_equal(out, expected)
    half = square(2, 2, 4) * 0.4  # below the threshold: off
    assert to_8x8(half).sum() == 0


def test_fill_box_stretches_the_ink_to_the_frame():
    out = fill_box(square(10, 10, 6)).reshape(8, 8)
    np.testing.assert_array_equal(out, np.ones((8, 8)))
    assert fill_box(np.zeros((1, 784), dtype=np.float32)).sum() == 0


def test_fill_box_keeps_a_digit_s_shape():
    tall = np.zeros((28, 28), dtype=np.float32)
    tall[4:24, 12:16] = 1.0  # a "1": 20 high, 4 wide
    out = fill_box(tall.reshape(1, -1)).reshape(8, 8)
    assert out[:, 0].sum() == 0 and out[:, -1].sum() == 0  # not stretched sideways
    assert out[:, 3:5].min() > 0.5  # ...and inked down the middle, top to bottom


def test_transfer_scores_one_run_per_seed_on_every_source():
    rng = np.random.default_rng(0)
    X = rng.random((TRAIN_SIZE + 50, 64)).astype(np.float32)
    y = np.arange(len(X)) % 10
    flipped = 1 - X
    sources = {"a": (X, y, X[:40], y[:40]), "b": (flipped, y, flipped[:40], y[:40])}
    scores = transfer_scores(sources, "a", seeds=(0, 1, 2))
    assert set(scores) == {"a", "b"}
    assert all(len(runs) == 3 for runs in scores.values())
    assert all(0.0 <= s <= 1.0 for runs in scores.values() for s in runs)
