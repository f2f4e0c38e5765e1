"""Classic models on the digits: how far does the unglamorous baseline go?

`MODELS` builds fresh scikit-learn estimators from a seed and one setting;
`GRIDS` lists the few settings tried for each on the 8x8 digits, and
`MNIST_MODELS` / `MNIST_GRIDS` the baselines for the 28x28 MNIST-5k images.
`try_settings` fits every setting on the training split, once per seed, and
scores it on the *validation* split; `select` keeps the best; `score_on_test`
then scores the chosen model on the test split, once. Used by
projects/digits-baselines (shown in the first journal post) and by
projects/mlp-from-scratch, where the MNIST baselines are the bar the
hand-written network is judged against.

    tried = try_settings(split, "SVM (RBF kernel)", seeds=(0, 1, 2))
    result = score_on_test(split, select(tried))
"""

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

# --8<-- [start:models]
MODELS = {  # name -> function(seed, setting) returning an unfitted model
    "decision tree": lambda seed, depth: DecisionTreeClassifier(
        max_depth=depth, random_state=seed),
    "logistic regression": lambda seed, C: make_pipeline(
        StandardScaler(), LogisticRegression(C=C, max_iter=2000)),
    "SVM (RBF kernel)": lambda seed, C: SVC(kernel="rbf", C=C, gamma="scale"),
    "MLP (64 hidden units)": lambda seed, alpha: MLPClassifier(
        hidden_layer_sizes=(64,), alpha=alpha, solver="lbfgs", max_iter=500,
        random_state=seed),
}

# The settings tried, most constrained first: a tie goes to the simpler model.
GRIDS = {
    "decision tree": {"max_depth": [5, 10, None]},
    "logistic regression": {"C": [0.1, 1.0, 10.0]},
    "SVM (RBF kernel)": {"C": [1.0, 10.0, 100.0]},
    "MLP (64 hidden units)": {"alpha": [0.1, 0.001, 0.00001]},  # L2 penalty
}
# --8<-- [end:models]

# --8<-- [start:mnist]
MNIST_MODELS = {  # none of these draws anything at random: the seed is unused
    "logistic regression": lambda seed, C: LogisticRegression(C=C, max_iter=1000),
    "k nearest neighbours": lambda seed, k: KNeighborsClassifier(n_neighbors=k),
    "SVM (RBF kernel)": lambda seed, C: SVC(kernel="rbf", C=C, gamma="scale"),
}

MNIST_GRIDS = {  # pixels in [0, 1] as they come; most constrained first
    "logistic regression": {"C": [0.01, 0.1]},   # inverse L2 strength
    "k nearest neighbours": {"k": [5, 3, 1]},
    "SVM (RBF kernel)": {"C": [1.0, 10.0, 100.0]},
}
# --8<-- [end:mnist]


@dataclass
class Choice:
    """One model's setting, with its fitted copies (one per seed)."""

    name: str
    setting: str
    val_accuracy: list[float]
    fitted: list


@dataclass
class Result:
    name: str
    setting: str
    val_accuracy: list[float]
    test_accuracy: list[float]
    y_pred: np.ndarray  # test predictions of the first seed


def accuracy(model, X, y) -> float:
    return float(np.mean(model.predict(X) == y))


# --8<-- [start:select]
def try_settings(split, name, seeds, models=MODELS, grids=GRIDS) -> list[Choice]:
    """Fit each setting of one model once per seed; score it on validation."""
    (label, values), = grids[name].items()
    tried = []
    for value in values:
        fitted = [models[name](seed, value).fit(split.X_train, split.y_train)
                  for seed in seeds]
        val = [accuracy(m, split.X_val, split.y_val) for m in fitted]
        tried.append(Choice(name, f"{label}={value}", val, fitted))
    return tried


def select(tried: list[Choice]) -> Choice:
    """The setting with the best mean validation accuracy (first one on a tie)."""
    return max(tried, key=lambda c: np.mean(c.val_accuracy))


def score_on_test(split, choice: Choice) -> Result:
    """The one look at the test split, for a model already chosen."""
    test = [accuracy(m, split.X_test, split.y_test) for m in choice.fitted]
    y_pred = choice.fitted[0].predict(split.X_test)
    return Result(choice.name, choice.setting, choice.val_accuracy, test, y_pred)
# --8<-- [end:select]


def confusion_matrix(y_true, y_pred, num_classes: int = 10) -> np.ndarray:
    """Counts[i, j] = how many images of class i were predicted as j."""
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(counts, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return counts
