"""Figures for the from-scratch projects: learning curves, mistakes, feature maps.

    fig = learning_curves({"train": h.train_acc, "validation": h.val_acc}, "accuracy")
    wrong = most_confident_mistakes(probs, y_test, k=24)   # indices to draw
    hardest = least_likely_truths(mean_probs, y_test, k=16)
    fig = feature_maps(maps, row_titles=["input", "edges"])

The journal style comes from `journal.runtime.setup`.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator


def learning_curves(curves, ylabel, title="", target=None, ax=None):
    """One line per named curve against the epoch number (1-based)."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.2, 3.2))
    else:
        fig = ax.figure
    for name, values in curves.items():
        ax.plot(np.arange(1, len(values) + 1), values, marker="o", markersize=3,
                label=name)
    if target is not None:
        ax.axhline(target, color="#999999", linestyle="--", linewidth=1,
                   label=f"target {target:g}")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return fig


# --8<-- [start:mistakes]
def most_confident_mistakes(probs, y_true, k=24):
    """Indices of the ``k`` wrong predictions the model was surest of, surest first.

    A grid of "the first k mistakes" changes whenever one early prediction
    flips; the most confident mistakes are the ones least likely to flip, so
    the picture stays the same when the last bits of the arithmetic move.
    """
    probs = np.asarray(probs)
    pred = probs.argmax(axis=1)
    wrong = np.flatnonzero(pred != np.asarray(y_true))
    confidence = probs[wrong, pred[wrong]]
    order = np.argsort(-confidence, kind="stable")  # ties: lower index first
    return wrong[order[:k]]


def least_likely_truths(probs, y_true, k=16):
    """Indices of the ``k`` images whose true class got the lowest probability.

    With ``probs`` averaged over several networks, these are the images the
    models agree they have wrong, which depends less on any one training run
    than which mistakes a single network is surest of.
    """
    probs = np.asarray(probs)
    p_true = probs[np.arange(len(probs)), np.asarray(y_true)]
    return np.argsort(p_true, kind="stable")[:k]  # ties: lower index first
# --8<-- [end:mistakes]


def feature_maps(rows, row_titles=None, col_titles=None, size=1.3, cmap="RdBu_r"):
    """A grid of 2-D maps: ``rows[i][j]`` is drawn at row i, column j.

    Each map gets a colour scale symmetric about zero, so positive and
    negative responses are told apart.
    """
    nrows, ncols = len(rows), max(len(r) for r in rows)
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size + 0.3),
                             squeeze=False)
    for i, row in enumerate(rows):
        for j in range(ncols):
            ax = axes[i, j]
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            if j >= len(row):
                ax.axis("off")
                continue
            m = np.asarray(row[j])
            lim = float(np.abs(m).max()) or 1.0
            ax.imshow(m, cmap=cmap, vmin=-lim, vmax=lim)
            if i == 0 and col_titles is not None:
                ax.set_title(col_titles[j], fontsize=8)
        if row_titles is not None:
            axes[i, 0].set_ylabel(row_titles[i], fontsize=8)
    fig.tight_layout()
    return fig
