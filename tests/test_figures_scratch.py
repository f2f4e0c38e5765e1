"""Picking which mistakes a figure shows: stable when the arithmetic wobbles."""

import numpy as np

from snippets.figures_scratch import least_likely_truths, most_confident_mistakes


def test_most_confident_mistakes_are_sorted_surest_first():
    probs = np.array([[0.9, 0.1],    # right
                      [0.3, 0.7],    # wrong, 0.7
                      [0.05, 0.95],  # wrong, 0.95
                      [0.2, 0.8],    # right
                      [0.4, 0.6]])   # wrong, 0.6
    y = np.array([0, 0, 0, 1, 0])
    assert most_confident_mistakes(probs, y, k=10).tolist() == [2, 1, 4]
    assert most_confident_mistakes(probs, y, k=2).tolist() == [2, 1]


def test_ties_keep_index_order_and_a_flip_far_down_leaves_the_top_alone():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((200, 10)) * 3
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = rng.integers(0, 10, 200)
    top = most_confident_mistakes(probs, y, k=24)
    # a barely-wrong prediction becoming right must not shift the surest mistakes,
    # as it would shift "the first 24 mistakes"
    wrong = np.flatnonzero(probs.argmax(axis=1) != y)
    least_sure = wrong[np.argmin(probs[wrong].max(axis=1))]
    y_flipped = y.copy()
    y_flipped[least_sure] = probs[least_sure].argmax()
    assert most_confident_mistakes(probs, y_flipped, k=24).tolist() == top.tolist()
    tied = np.full((4, 2), 0.5)
    tied[:, 1] += 1e-9
    assert most_confident_mistakes(tied, np.zeros(4, int), k=4).tolist() == [0, 1, 2, 3]


def test_least_likely_truths_ranks_by_the_probability_of_the_true_class():
    probs = np.array([[0.9, 0.1],   # true 0: 0.9
                      [0.6, 0.4],   # true 1: 0.4
                      [0.99, 0.01],  # true 1: 0.01
                      [0.2, 0.8]])  # true 0: 0.2
    y = np.array([0, 1, 1, 0])
    assert least_likely_truths(probs, y, k=3).tolist() == [2, 3, 1]
