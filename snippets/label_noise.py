"""Finding training labels that are probably wrong, and what to do about them.

A model can only be as right as the labels it is scored against. The idea here
is to let models vote on every label without ever having seen it:

- `stratified_folds` cuts a dataset into folds with the same mix of classes;
- `out_of_fold_proba` trains one model per fold on the other folds and keeps its
  predicted probabilities for the held-out fold, so every image is judged by a
  model that never saw its label;
- `flag_suspects` takes such predictions from several seeds and flags the
  images on which every seed votes against the given label with confidence,
  most confident disagreement first;
- `drop` and `relabel` are the two automatic fixes; a reviewed list of
  decisions (`apply_review`) is the manual one;
- `flip_labels` plants known errors, and `precision_recall` scores a list of
  flagged rows against them.

Any model fits, given as ``fit_proba(X_train, y_train, X_new, seed=...)``
returning (n_new, C) probabilities: `mlp_proba` wraps the NumPy MLP of
`snippets.mlp_numpy`, `knn_proba` scikit-learn's nearest neighbours.

    probas = [out_of_fold_proba(mlp_proba, X, y, seed=s) for s in (0, 1, 2)]
    suspects = flag_suspects(probas, y)
"""

from dataclasses import dataclass
from functools import partial

import numpy as np
from sklearn.neighbors import KNeighborsClassifier

from snippets.mlp_numpy import MLP


# --8<-- [start:folds]
def stratified_folds(y, n_folds=5, seed=0) -> np.ndarray:
    """A fold number in 0..n_folds-1 for every label, each class spread evenly."""
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    fold = np.empty(len(y), dtype=np.int64)
    offset = 0
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        # deal the class out like cards; the offset keeps fold sizes level
        fold[members] = (np.arange(len(members)) + offset) % n_folds
        offset += len(members)
    return fold


def out_of_fold_proba(fit_proba, X, y, n_folds=5, seed=0, n_classes=10):
    """(N, n_classes) probabilities, each row from a model that never saw it."""
    fold = stratified_folds(y, n_folds, seed)
    proba = np.full((len(y), n_classes), np.nan)
    for k in range(n_folds):
        held_out = fold == k
        proba[held_out] = fit_proba(X[~held_out], y[~held_out], X[held_out],
                                    seed=seed * n_folds + k)
    return proba
# --8<-- [end:folds]


def softmax(logits) -> np.ndarray:
    """Row-wise softmax, shifted by each row's maximum so exp cannot overflow."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def mlp_proba(X_train, y_train, X_new, *, seed=0, hidden=100, epochs=10, lr=0.1,
              batch_size=32):
    """Train the NumPy MLP (float32) on one set, return probabilities on another."""
    net = MLP([X_train.shape[1], hidden, 10], seed=seed, dtype=np.float32)
    rng = np.random.default_rng(seed)
    for _ in range(epochs):  # plain mini-batch SGD, as in `train_sgd`
        order = rng.permutation(len(y_train))
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            net.loss_and_grads(X_train[idx], y_train[idx])
            net.sgd_step(lr)
    return softmax(net.forward(X_new).astype(np.float64))


def mlp(**settings):
    """`mlp_proba` with its settings fixed, in the ``fit_proba`` shape."""
    return partial(mlp_proba, **settings)


def knn_proba(X_train, y_train, X_new, *, seed=0, k=10):
    """k-nearest neighbours in pixel space, weighted by distance (``seed`` unused)."""
    model = KNeighborsClassifier(n_neighbors=k, weights="distance")
    return model.fit(X_train, y_train).predict_proba(X_new)


# --8<-- [start:flag]
@dataclass(frozen=True)
class Suspects:
    """Images whose given label the models reject, most confident first."""

    index: np.ndarray       # rows of the data, in order of suspicion
    given: np.ndarray       # the label the dataset gives
    vote: np.ndarray        # the label most seeds predict
    votes: np.ndarray       # how many seeds predict it
    p_given: np.ndarray     # mean probability the models give the given label

    def __len__(self):
        return len(self.index)


def flag_suspects(probas, y, max_p_given=0.05) -> Suspects:
    """Flag images that every seed predicts as another class.

    ``probas`` holds one (N, C) out-of-fold array per seed. An image is a
    suspect when no seed's top class is its label and the seeds' mean
    probability for the label is at most ``max_p_given``. Sorted by that
    probability, then by row, so the order does not depend on ties.
    """
    probas = np.stack(probas)                           # (S, N, C)
    y = np.asarray(y)
    rows = np.arange(len(y))
    top = probas.argmax(axis=2)                         # (S, N)
    p_given = probas[:, rows, y].mean(axis=0)           # (N,)
    counts = np.stack([(top == c).sum(axis=0) for c in range(probas.shape[2])], 1)
    vote = counts.argmax(axis=1)
    rejected = (top != y).all(axis=0) & (p_given <= max_p_given)
    index = rows[rejected]
    index = index[np.lexsort((index, p_given[index]))]
    return Suspects(index, y[index], vote[index], counts[index, vote[index]],
                    p_given[index])
# --8<-- [end:flag]


# --8<-- [start:fixes]
def drop(X, y, index):
    """The data without the rows in ``index``."""
    keep = np.ones(len(y), dtype=bool)
    keep[index] = False
    return X[keep], y[keep]


def relabel(X, y, index, new_labels):
    """The data with the rows in ``index`` given ``new_labels`` instead."""
    y = np.array(y, copy=True)
    y[index] = new_labels
    return X, y


def apply_review(X, y, review):
    """Apply reviewed decisions ``{row: "keep" | "drop" | new_label}``."""
    to_drop = [i for i, d in review.items() if d == "drop"]
    fixes = {i: d for i, d in review.items() if isinstance(d, (int, np.integer))}
    X, y = relabel(X, y, list(fixes), list(fixes.values()))
    return drop(X, y, to_drop)
# --8<-- [end:fixes]


# --8<-- [start:injected]
def flip_labels(y, n_flips, seed=0, n_classes=10):
    """A copy of ``y`` with ``n_flips`` labels changed to another class at random.

    Returns ``(noisy labels, rows that were flipped)``; every flipped row gets a
    class other than its own, each of the others equally likely.
    """
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    flipped = np.sort(rng.choice(len(y), size=n_flips, replace=False))
    noisy = y.copy()
    noisy[flipped] = (y[flipped] + rng.integers(1, n_classes, size=n_flips)) % n_classes
    return noisy, flipped


def precision_recall(flagged, flipped) -> tuple[float, float]:
    """Share of flagged rows that were flipped, share of flipped rows flagged."""
    hits = int(np.isin(flagged, flipped).sum())
    precision = hits / len(flagged) if len(flagged) else float("nan")
    return precision, hits / len(flipped)
# --8<-- [end:injected]
