"""Out-of-fold predictions, flagging and label fixes in snippets.label_noise."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import PredefinedSplit, cross_val_predict

from snippets.label_noise import (apply_review, drop, flag_suspects, flip_labels,
                                  knn_proba, mlp_proba, out_of_fold_proba,
                                  precision_recall, relabel, softmax,
                                  stratified_folds)


def _labels(n_per_class=(7, 12, 5, 9), seed=0):
    y = np.concatenate([np.full(n, c) for c, n in enumerate(n_per_class)])
    return np.random.default_rng(seed).permutation(y)


@pytest.mark.parametrize("n_folds", [2, 3, 5])
def test_folds_are_level_and_stratified(n_folds):
    y = _labels()
    fold = stratified_folds(y, n_folds, seed=1)
    sizes = np.bincount(fold, minlength=n_folds)
    assert sizes.sum() == len(y) and sizes.max() - sizes.min() <= 1
    for label in np.unique(y):
        per_fold = np.bincount(fold[y == label], minlength=n_folds)
        assert per_fold.max() - per_fold.min() <= 1


def test_folds_depend_on_the_seed_only():
    y = _labels()
    np.testing.assert_array_equal(stratified_folds(y, 3, 4), stratified_folds(y, 3, 4))
    assert (stratified_folds(y, 3, 4) != stratified_folds(y, 3, 5)).any()


def test_out_of_fold_never_sees_the_row_it_predicts():
    # A model that memorises: certain of the label of any row it trained on,
    # uniform otherwise. Out of fold, it must be uniform everywhere.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))
    y = _labels((10, 10, 10, 10))

    def memoriser(X_train, y_train, X_new, seed=0):
        out = np.full((len(X_new), 4), 0.25)
        for i, row in enumerate(X_new):
            hit = np.flatnonzero((X_train == row).all(axis=1))
            if len(hit):
                out[i] = np.eye(4)[y_train[hit[0]]]
        return out

    proba = out_of_fold_proba(memoriser, X, y, n_folds=4, n_classes=4)
    np.testing.assert_array_equal(proba, np.full((40, 4), 0.25))


def test_out_of_fold_matches_scikit_learn_cross_val_predict():
    rng = np.random.default_rng(2)
    y = _labels((15, 15, 15))
    X = rng.standard_normal((45, 4)) + y[:, None]

    def logreg(X_train, y_train, X_new, seed=0):
        return LogisticRegression().fit(X_train, y_train).predict_proba(X_new)

    fold = stratified_folds(y, 5, seed=3)
    ours = out_of_fold_proba(logreg, X, y, n_folds=5, seed=3, n_classes=3)
    reference = cross_val_predict(LogisticRegression(), X, y, cv=PredefinedSplit(fold),
                                  method="predict_proba")
    np.testing.assert_allclose(ours, reference, rtol=0, atol=1e-12)


def test_flag_needs_every_seed_against_the_label_and_sorts_by_confidence():
    y = np.array([0, 1, 2, 0, 1])
    p = np.array([
        [0.9, 0.05, 0.05],   # row 0: agrees with its label
        [0.6, 0.01, 0.39],   # row 1: rejected, p(given) 0.01
        [0.02, 0.96, 0.02],  # row 2: rejected, p(given) 0.02
        [0.01, 0.98, 0.01],  # row 3: rejected, p(given) 0.01 (ties with row 1)
        [0.2, 0.3, 0.5],     # row 4: rejected, but p(given) 0.3 is too high
    ])
    one_seed_agrees = p.copy()
    one_seed_agrees[2] = [0.02, 0.02, 0.96]  # seed 3 keeps row 2's label
    suspects = flag_suspects([p, p, one_seed_agrees], y, max_p_given=0.05)
    np.testing.assert_array_equal(suspects.index, [1, 3])   # ties broken by row
    np.testing.assert_array_equal(suspects.given, [1, 0])
    np.testing.assert_array_equal(suspects.vote, [0, 1])
    np.testing.assert_array_equal(suspects.votes, [3, 3])
    np.testing.assert_allclose(suspects.p_given, [0.01, 0.01])
    assert len(flag_suspects([p, p, p], y, max_p_given=1.0)) == 4


def test_fixes_leave_the_input_alone():
    X = np.arange(10.0).reshape(5, 2)
    y = np.array([0, 1, 2, 3, 4])
    X_d, y_d = drop(X, y, [1, 3])
    np.testing.assert_array_equal(y_d, [0, 2, 4])
    np.testing.assert_array_equal(X_d[:, 0], [0, 4, 8])
    _, y_r = relabel(X, y, [0, 4], [9, 8])
    np.testing.assert_array_equal(y_r, [9, 1, 2, 3, 8])
    np.testing.assert_array_equal(y, [0, 1, 2, 3, 4])
    X_v, y_v = apply_review(X, y, {0: "keep", 1: "drop", 2: 7, 4: np.int64(6)})
    np.testing.assert_array_equal(y_v, [0, 7, 3, 6])
    assert len(X_v) == 4


def test_softmax_rows_sum_to_one_without_overflow():
    p = softmax(np.array([[1000.0, 0.0], [1.0, 1.0]]))
    np.testing.assert_allclose(p, [[1.0, 0.0], [0.5, 0.5]], atol=1e-12)


def test_mlp_proba_learns_a_separable_problem_and_repeats_itself():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 20)
    X = (np.eye(10)[y] + 0.1 * rng.standard_normal((200, 10))).astype(np.float32)
    p = mlp_proba(X, y, X, seed=1, hidden=16, epochs=20)
    assert p.shape == (200, 10)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-9)
    assert (p.argmax(axis=1) == y).mean() > 0.95
    np.testing.assert_array_equal(p, mlp_proba(X, y, X, seed=1, hidden=16, epochs=20))


def test_knn_proba_with_one_neighbour_returns_the_training_labels():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 5))
    y = np.arange(30) % 10
    np.testing.assert_array_equal(knn_proba(X, y, X, k=1).argmax(axis=1), y)


def test_flipped_labels_change_exactly_the_rows_returned_and_nothing_else():
    y = _labels()
    noisy, flipped = flip_labels(y, 6, seed=3, n_classes=4)
    changed = np.flatnonzero(noisy != y)
    assert changed.tolist() == flipped.tolist() and len(flipped) == 6
    assert noisy.min() >= 0 and noisy.max() < 4
    again, _ = flip_labels(y, 6, seed=3, n_classes=4)
    assert np.array_equal(noisy, again)  # the seed decides everything
    assert not np.array_equal(flip_labels(y, 6, seed=4, n_classes=4)[1], flipped)


def test_precision_and_recall_count_hits_against_the_planted_rows():
    assert precision_recall(np.array([1, 2, 3, 9]), np.array([2, 3, 5])) == (0.5, 2 / 3)
    precision, recall = precision_recall(np.array([], dtype=int), np.array([2]))
    assert np.isnan(precision) and recall == 0.0
