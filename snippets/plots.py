"""Figures shared by several notebooks (style comes from journal.runtime.setup)."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.textpath import TextPath


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


# Grids are shown scaled to the text column, 358 CSS px wide on a 390 px phone.
# No wider than GRID_WIDTH inches, their TITLE_SIZE titles stay 9 px or more
# there (tests/test_plots.py measures it on the saved PNG).
GRID_WIDTH = 5.4  # inches
TITLE_SIZE = 11   # points, as axes.titlesize in journal.mplstyle
TITLE_GAP = 0.25  # inches kept beside a title in its cell


def title_width(title) -> float:
    """How wide ``title`` is drawn at TITLE_SIZE, in inches."""
    return TextPath((0, 0), str(title), size=TITLE_SIZE).get_extents().width / 72


def grid_shape(n: int, ncols: int, size: float) -> tuple[int, int]:
    """(rows, columns) for ``n`` images in cells ``size`` inches wide: at most
    ``ncols`` a row and GRID_WIDTH inches, the rows balanced (8 images that fit
    6 a row are two rows of 4, not 6 and 2)."""
    fit = max(1, min(ncols, int(GRID_WIDTH / size + 1e-9)))
    nrows = max(1, -(-n // fit))
    return nrows, max(1, -(-n // nrows))


def image_grid(images, titles=None, shape=None, ncols: int = 8, cmap="gray_r",
               size: float = 0.9):
    """A grid of small images (rows of ``images`` reshaped to ``shape``), laid
    out by `grid_shape` in cells ``size`` inches wide, or wider where a title
    needs it."""
    images = np.asarray(images)
    if shape is not None:
        images = images.reshape(len(images), *shape)
    width = size
    if titles is not None and len(titles):
        width = max(size, max(map(title_width, titles)) + TITLE_GAP)
    nrows, ncols = grid_shape(len(images), ncols, width)
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * width, nrows * (size + 0.4)),
                             squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < len(images):
            ax.imshow(images[k], cmap=cmap)
            if titles is not None:
                ax.set_title(titles[k], fontsize=TITLE_SIZE)
    fig.tight_layout()
    return fig
