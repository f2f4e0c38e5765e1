"""The shared plotting helpers: what a confusion matrix figure writes in its cells,
and image grids whose titles stay readable at the size a phone shows them."""

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from journal import runtime  # noqa: E402
from snippets.plots import (GRID_WIDTH, confusion_matrix_figure, grid_shape,  # noqa: E402
                            image_grid)


def _labels(fig):
    return [t.get_text() for t in fig.axes[0].texts]


def test_confusion_matrix_labels_nonzero_cells_by_default_and_every_cell_with_zeros():
    counts = np.array([[5, 0, 1], [0, 7, 0], [2, 0, 4]])
    plain = confusion_matrix_figure(counts)
    every = confusion_matrix_figure(counts, zeros=True)
    assert _labels(plain) == ["5", "1", "7", "2", "4"]
    assert _labels(every) == [str(c) for c in counts.ravel()]
    plt.close("all")


# The text column a figure is scaled to (CSS px): a 390 px phone, a desktop.
CONTENT_WIDTH = {"phone": 358, "desktop": 688}
MIN_TITLE_PX = 9

# The grids the notebooks draw: (images, ncols, size, a title as they write it).
GRIDS = {
    "most confident mistakes": (24, 8, 0.9, "7 → 2"),
    "suspected labels": (24, 8, 0.9, "7 → 2?"),
    "least likely truths": (16, 8, 0.9, "7 → 2"),
    "convnet's worst": (8, 8, 0.9, "7→2"),
    "digits of each source": (24, 8, 0.9, "7"),
    "first training digits": (16, 8, 0.9, "7"),
    "baselines' mistakes": (3, 3, 1.3, "7 → 2"),
    "reviewed labels": (7, 7, 1.0, "row 2726: 7"),
}


def saved_png(fig) -> tuple[int, int]:
    """Width and height in pixels of ``fig`` saved as the notebooks save it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    return Image.open(buffer).size


def displayed_title_px(fig, content_px: dict[str, int]) -> dict[str, float]:
    """The smallest title's height in CSS px once the PNG, shown at its natural
    size, is scaled down to fit a text column ``content_px[screen]`` wide."""
    width, _ = saved_png(fig)
    points = min(ax.title.get_fontsize() for ax in fig.axes if ax.get_title())
    return {screen: points / 72 * fig.dpi * min(1.0, px / width)
            for screen, px in content_px.items()}


@pytest.mark.parametrize("grid", GRIDS, ids=str)
def test_grid_titles_are_readable_on_a_phone_and_a_desktop(grid):
    n, ncols, size, title = GRIDS[grid]
    with plt.style.context(["default", runtime.STYLE_FILE]):
        images = np.random.default_rng(0).random((n, 8, 8))
        fig = image_grid(images, titles=[title] * n, ncols=ncols, size=size)
        sizes = displayed_title_px(fig, CONTENT_WIDTH)
        # titles of neighbouring images keep a gap between them
        fig.canvas.draw()
        boxes = [ax.title.get_window_extent() for ax in fig.axes if ax.get_title()]
    plt.close(fig)
    assert all(px >= MIN_TITLE_PX for px in sizes.values()), (grid, sizes)
    gap = 0.1 * fig.dpi  # pixels: a tenth of an inch, about a character's width
    rows = {}
    for box in boxes:
        rows.setdefault(round(box.y0), []).append(box)
    for row in rows.values():
        for a, b in zip(row, row[1:]):
            assert b.x0 - a.x1 >= gap, (grid, a, b)


def test_a_grid_too_small_to_read_fails_the_measure():
    """The measure can fail: eight columns at the old 8 pt titles are under 9 px."""
    with plt.style.context(["default", runtime.STYLE_FILE]):
        fig, axes = plt.subplots(3, 8, figsize=(8 * 0.9, 3 * 1.15))
        for ax in axes.flat:
            ax.imshow(np.zeros((8, 8)))
            ax.set_title("7 → 2", fontsize=8)
        fig.tight_layout()
        px = displayed_title_px(fig, {"phone": CONTENT_WIDTH["phone"]})["phone"]
    plt.close(fig)
    assert px < MIN_TITLE_PX


def test_grid_rows_are_balanced_and_fit_the_width():
    assert grid_shape(24, 8, 0.9) == (4, 6)
    assert grid_shape(8, 8, 0.9) == (2, 4)
    assert grid_shape(16, 8, 0.9) == (3, 6)
    assert grid_shape(3, 8, 0.9) == (1, 3)
    assert grid_shape(9, 9, 1.3) == (3, 3)  # 4 columns would fit: rows balanced
    for n, ncols, size, _ in GRIDS.values():
        rows, cols = grid_shape(n, ncols, size)
        assert rows * cols >= n and cols <= ncols and cols * size <= GRID_WIDTH + 1e-9
