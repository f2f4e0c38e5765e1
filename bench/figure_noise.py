"""Measure the figure fingerprint distance for noise and for real changes.

    python bench/figure_noise.py

Prints (mean, worst block) distances from `journal.compare.figure_distance` for
pairs of figures that should match (the same data re-rendered, data moved by
ordinary run-to-run noise) and pairs that should not (a changed count, a
changed image, a changed curve). The thresholds in journal/compare.py sit
between the two groups; pages/verification.md records the numbers.
"""

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from journal import compare  # noqa: E402
from journal.notebook import load_digits  # noqa: E402
from snippets.plots import confusion_matrix_figure, image_grid  # noqa: E402
from journal.runtime import STYLE_FILE  # noqa: E402


def png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")  # as the inline backend does
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def distance(a: str, b: str) -> tuple[float, float]:
    (sa, fa), (sb, fb) = (compare.fingerprint(compare.decode_png(x)) for x in (a, b))
    if sa != sb:
        return float("inf"), float("inf")
    return compare.figure_distance(fa, fb)


def curve(values):
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.plot(values, label="train loss")
    ax.set_xlabel("epoch")
    ax.legend()
    return png(fig)


def main():
    plt.style.use(STYLE_FILE)
    rng = np.random.default_rng(0)
    digits = load_digits()
    counts = np.diag([45] * 10)
    counts[3, 8], counts[3, 3] = 4, 41
    changed = counts.copy()
    changed[3, 8], changed[3, 3] = 3, 42
    grid = digits.X_train[:16]
    grid_changed = grid.copy()
    grid_changed[5] = digits.X_train[100]
    epochs = np.arange(1, 31)
    loss = 2.3 * np.exp(-epochs / 8) + 0.1

    should_match = {
        "same confusion matrix re-rendered":
            (png(confusion_matrix_figure(counts)), png(confusion_matrix_figure(counts))),
        "loss curve moved by 0.1% (run-to-run noise)":
            (curve(loss), curve(loss * (1 + 1e-3 * rng.standard_normal(loss.size)))),
        "loss curve moved by 0.5%":
            (curve(loss), curve(loss * (1 + 5e-3 * rng.standard_normal(loss.size)))),
        "image grid, pixels moved by 1e-3":
            (png(image_grid(grid, shape=(8, 8))),
             png(image_grid(np.clip(grid + 1e-3 * rng.standard_normal(grid.shape), 0, 1),
                            shape=(8, 8)))),
    }
    should_fail = {
        "confusion matrix, one count 4 -> 3":
            (png(confusion_matrix_figure(counts)), png(confusion_matrix_figure(changed))),
        "image grid, one of 16 images replaced":
            (png(image_grid(grid, shape=(8, 8))),
             png(image_grid(grid_changed, shape=(8, 8)))),
        "loss curve 10% higher":
            (curve(loss), curve(loss * 1.10)),
        "loss curve, last 5 epochs diverge":
            (curve(loss), curve(np.where(epochs > 25, loss + 0.3, loss))),
    }
    print(f"thresholds: mean {compare.FIGURE_MEAN_TOLERANCE}, "
          f"worst block {compare.FIGURE_BLOCK_TOLERANCE}\n")
    for title, group in (("should match", should_match), ("should fail", should_fail)):
        print(title)
        for name, (a, b) in group.items():
            mean, block = distance(a, b)
            verdict = "fails" if compare.compare_figure(a, b) else "passes"
            print(f"  {name:45s} mean {mean:.5f}  worst block {block:.5f}  -> {verdict}")


if __name__ == "__main__":
    main()
