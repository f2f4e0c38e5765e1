"""Shortcut learning on purpose: a confounded digit collection, and how to catch it.

The story: digits were collected on printed forms, one form per digit ("please
write twenty sevens"). Each form template carries a small printed registration
dot for the scanning software, and its position depends on the template. So in
the collection, the dot's position tells you the label, and a model can score
very well by finding the dot instead of reading the digit. In the next round of
collection the forms are handed out at random, or people write on plain paper:
the dot no longer says anything about the digit.

- `add_form_marks` stamps the dots and returns the images with their metadata
  (`form`, `scanner`, `mark`), as a real collection would record them.
- `occlusion_map` shows which pixels a model's decision depends on, by greying
  out one patch at a time and measuring the drop in the predicted probability.
- `remove_marks` and `randomise_marks` are the two fixes: erase the margin that
  holds the dots, or stamp dots that carry no information about the label.
"""

from dataclasses import dataclass

import numpy as np
import torch

SIDE = 28
MARK_SIZE = 2
MARK_COLUMNS = (2, 8, 14, 20, 26 - MARK_SIZE)   # five places along each margin
MARK_ROWS = (0, SIDE - MARK_SIZE)                # top and bottom margins


# --8<-- [start:marks]
def mark_position(form: int) -> tuple[int, int]:
    """Top-left pixel of the registration dot printed on form template ``form``."""
    if not 0 <= form < len(MARK_COLUMNS) * len(MARK_ROWS):
        raise ValueError(f"form must be 0..9, got {form}")
    return MARK_ROWS[form // len(MARK_COLUMNS)], MARK_COLUMNS[form % len(MARK_COLUMNS)]


def stamp(images: np.ndarray, forms: np.ndarray, intensity: float) -> np.ndarray:
    """Copy of ``images`` (N, 784) with each image's form dot drawn at ``intensity``."""
    out = np.array(images, dtype=np.float32, copy=True).reshape(-1, SIDE, SIDE)
    for i, form in enumerate(forms):
        r, c = mark_position(int(form))
        patch = out[i, r:r + MARK_SIZE, c:c + MARK_SIZE]
        np.maximum(patch, intensity, out=patch)
    return out.reshape(len(out), -1)
# --8<-- [end:marks]


@dataclass(frozen=True)
class Collection:
    """Images with the metadata a collection would keep about each one."""

    X: np.ndarray          # (N, 784) float32 in [0, 1]
    y: np.ndarray          # (N,) int64 labels
    form: np.ndarray       # which printed form template the digit was written on
    scanner: np.ndarray    # "old" or "new": the old scanner crops the dot away
    mark: np.ndarray       # whether the dot is visible in the image

    def __len__(self):
        return len(self.y)

    def subset(self, idx) -> "Collection":
        return Collection(self.X[idx], self.y[idx], self.form[idx], self.scanner[idx],
                          self.mark[idx])


# --8<-- [start:collection]
def add_form_marks(X, y, *, seed=0, intensity=1.0, misfiled=0.0,
                   old_scanner=0.05) -> Collection:
    """A confounded collection built from clean digits ``X``, ``y``.

    Each digit was written on the form for its own label, except a fraction
    ``misfiled`` written on a random other form. The new scanner records the
    dot at ``intensity``; a fraction ``old_scanner`` of the images went
    through the old scanner, whose tighter crop cuts it off.
    """
    rng = np.random.default_rng(seed)
    n = len(y)
    y = np.asarray(y, dtype=np.int64)
    form = y.copy()
    wrong = rng.random(n) < misfiled
    form[wrong] = (y[wrong] + rng.integers(1, 10, wrong.sum())) % 10
    scanner = np.where(rng.random(n) < old_scanner, "old", "new")
    mark = scanner == "new"
    X_marked = np.array(X, dtype=np.float32, copy=True)
    X_marked[mark] = stamp(X_marked[mark], form[mark], intensity)
    return Collection(X_marked, y, form, scanner, mark)
# --8<-- [end:collection]


# --8<-- [start:fixes]
def margin_mask() -> np.ndarray:
    """Boolean (784,) mask of the rows where form dots can appear."""
    mask = np.zeros((SIDE, SIDE), dtype=bool)
    for r in MARK_ROWS:
        mask[r:r + MARK_SIZE, :] = True
    return mask.reshape(-1)


def remove_marks(X: np.ndarray) -> np.ndarray:
    """Fix 1: blank the margin rows, in training and at prediction time alike."""
    out = np.array(X, dtype=np.float32, copy=True)
    out[:, margin_mask()] = 0.0
    return out


def randomise_marks(X: np.ndarray, *, seed=0, intensity=1.0) -> np.ndarray:
    """Fix 2: erase the dots, then stamp one at a random form position per image.

    The dot stays in the data but no longer says anything about the label.
    """
    rng = np.random.default_rng(seed)
    return stamp(remove_marks(X), rng.integers(0, 10, len(X)), intensity)
# --8<-- [end:fixes]


# --8<-- [start:occlusion]
@torch.no_grad()
def occlusion_map(model, image: torch.Tensor, label: int, patch=4, stride=2,
                  fill=0.0) -> np.ndarray:
    """How much the probability of ``label`` drops when each region is hidden.

    ``image`` is (1, 28, 28) on the model's device. Every position of a
    ``patch``x``patch`` square (moved by ``stride``) is filled with ``fill``;
    all occluded copies go through the model in one batch. Each pixel gets the
    mean drop over the squares that cover it: large values mark the pixels the
    decision depends on.
    """
    model.eval()
    h, w = image.shape[-2:]
    starts = [(r, c) for r in range(0, h - patch + 1, stride)
              for c in range(0, w - patch + 1, stride)]
    batch = image.expand(len(starts) + 1, *image.shape).clone()
    for k, (r, c) in enumerate(starts, start=1):
        batch[k, :, r:r + patch, c:c + patch] = fill
    probs = torch.softmax(model(batch).float(), dim=1)[:, label].cpu().numpy()
    drop = probs[0] - probs[1:]
    total = np.zeros((h, w))
    count = np.zeros((h, w))
    for d, (r, c) in zip(drop, starts):
        total[r:r + patch, c:c + patch] += d
        count[r:r + patch, c:c + patch] += 1
    return total / np.maximum(count, 1)
# --8<-- [end:occlusion]


def crosstab(rows: np.ndarray, cols: np.ndarray, n_rows=10, n_cols=10) -> np.ndarray:
    """Counts of each (row value, column value) pair, as an integer matrix."""
    table = np.zeros((n_rows, n_cols), dtype=np.int64)
    np.add.at(table, (np.asarray(rows), np.asarray(cols)), 1)
    return table

