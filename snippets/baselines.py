"""Classic models on the 8x8 digits: how far does the unglamorous baseline go?

`MODELS` builds fresh, seeded scikit-learn estimators; `evaluate` fits each on
the training split and scores it on the test split. Used by
projects/digits-baselines and shown in the first journal post.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

SEED = 0

# --8<-- [start:models]
MODELS = {
    "decision tree": lambda: DecisionTreeClassifier(random_state=SEED),
    "logistic regression": lambda: make_pipeline(
        StandardScaler(), LogisticRegression(max_iter=2000)
    ),
    "SVM (RBF kernel)": lambda: SVC(kernel="rbf", C=10, gamma="scale"),
    "MLP (64 hidden units)": lambda: MLPClassifier(
        hidden_layer_sizes=(64,), max_iter=600, random_state=SEED
    ),
}
# --8<-- [end:models]


@dataclass
class Result:
    name: str
    accuracy: float
    y_pred: np.ndarray


# --8<-- [start:evaluate]
def evaluate(split, models=MODELS) -> dict[str, Result]:
    """Fit every model on the training split; score it on the test split."""
    results = {}
    for name, make_model in models.items():
        model = make_model().fit(split.X_train, split.y_train)
        y_hat = model.predict(split.X_test)
        accuracy = float(np.mean(y_hat == split.y_test))
        results[name] = Result(name, accuracy, y_hat)
    return results
# --8<-- [end:evaluate]


def confusion_matrix(y_true, y_pred, num_classes: int = 10) -> np.ndarray:
    """Counts[i, j] = how many images of class i were predicted as j."""
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(counts, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return counts

