"""Figures shared by several notebooks (style comes from journal.runtime.setup)."""

import matplotlib.pyplot as plt
import numpy as np


def confusion_matrix_figure(counts: np.ndarray, title: str = "", labels=None,
                            zeros: bool = False):
    """Heat map of a confusion matrix with the count written in each cell.

    Empty cells are left blank unless ``zeros``; writing them keeps one label
    per cell, so a count that moves between 0 and 1 changes a label's value
    rather than the number of labels.
    """
    n = counts.shape[0]
    labels = list(range(n)) if labels is None else labels
    fig, ax = plt.subplots(figsize=(4.6, 4.2))
    ax.imshow(counts, cmap="Blues")
    ax.grid(False)
    ax.set_xticks(range(n), labels)
    ax.set_yticks(range(n), labels)
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    if title:
        ax.set_title(title)
    threshold = counts.max() / 2
    for i in range(n):
        for j in range(n):
            if counts[i, j] or zeros:
                ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=8,
                        color="white" if counts[i, j] > threshold else "#333333")
    fig.tight_layout()
    return fig


def image_grid(images, titles=None, shape=None, ncols: int = 8, cmap="gray_r",
               size: float = 0.9):
    """A grid of small images (rows of ``images`` reshaped to ``shape``)."""
    images = np.asarray(images)
    if shape is not None:
        images = images.reshape(len(images), *shape)
    nrows = int(np.ceil(len(images) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * (size + 0.25)),
                             squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < len(images):
            ax.imshow(images[k], cmap=cmap)
            if titles is not None:
                ax.set_title(titles[k], fontsize=8)
    fig.tight_layout()
    return fig
