"""Choosing the baselines' settings on validation, and scoring test only at the end."""

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix as sk_confusion_matrix

from journal.datasets import load_digits
from snippets.baselines import (GRIDS, MNIST_GRIDS, MNIST_MODELS, MODELS,
                                confusion_matrix, score_on_test, select,
                                try_settings)


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def test_every_model_has_a_grid():
    assert set(GRIDS) == set(MODELS)
    assert set(MNIST_GRIDS) == set(MNIST_MODELS)


def test_the_mnist_baselines_ignore_the_seed(digits):
    """They are fitted once per setting in the notebook: a seed must not matter."""
    for name, grid in MNIST_GRIDS.items():
        (value, *_), = grid.values()
        fits = [MNIST_MODELS[name](seed, value).fit(digits.X_train, digits.y_train)
                for seed in (0, 1)]
        assert np.array_equal(fits[0].predict(digits.X_val),
                              fits[1].predict(digits.X_val)), name


def test_settings_are_scored_on_validation_and_test_only_at_the_end(digits):
    tried = try_settings(digits, "SVM (RBF kernel)", seeds=(0, 1))
    assert [c.setting for c in tried] == ["C=1.0", "C=10.0", "C=100.0"]
    for choice in tried:
        predicted = choice.fitted[0].predict(digits.X_val)
        expected = float(np.mean(predicted == digits.y_val))
        assert choice.val_accuracy == [expected, expected]  # the SVM ignores the seed
    best = select(tried)
    assert np.mean(best.val_accuracy) == max(np.mean(c.val_accuracy) for c in tried)
    result = score_on_test(digits, best)
    expected = float(np.mean(best.fitted[1].predict(digits.X_test) == digits.y_test))
    assert result.test_accuracy[1] == expected
    assert result.val_accuracy == best.val_accuracy


def test_a_tie_goes_to_the_first_setting():
    from snippets.baselines import Choice

    tried = [Choice("m", "a", [0.5, 0.7], []), Choice("m", "b", [0.6, 0.6], [])]
    assert select(tried).setting == "a"


def test_confusion_matrix_matches_scikit_learn():
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 10, 300), rng.integers(0, 10, 300)
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred),
                                  sk_confusion_matrix(y_true, y_pred, labels=range(10)))
