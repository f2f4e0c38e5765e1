"""The shared plotting helpers: what a confusion matrix figure writes in its cells."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from snippets.plots import confusion_matrix_figure  # noqa: E402


def _labels(fig):
    return [t.get_text() for t in fig.axes[0].texts]


def test_confusion_matrix_labels_nonzero_cells_by_default_and_every_cell_with_zeros():
    counts = np.array([[5, 0, 1], [0, 7, 0], [2, 0, 4]])
    plain = confusion_matrix_figure(counts)
    every = confusion_matrix_figure(counts, zeros=True)
    assert _labels(plain) == ["5", "1", "7", "2", "4"]
    assert _labels(every) == [str(c) for c in counts.ravel()]
    plt.close("all")
