"""Shortcut learning on purpose: a new scanner that gives one digit away.

The story: a lab scanned its handwritten digits over several months, and
halfway through it replaced the scanner. Most of the eights happened to be
scanned after the change; only a few of the other digits were. The new
scanner's "paper white" is a faint grey instead of zero, the same on every
pixel of every image it scans. Nobody sees it (a viewer stretches each image's
contrast), but a network can, and in this collection a grey background means
"probably an eight". After deployment every image comes from the new scanner.

- `new_scanner` is the new scanner's tone curve: one rule for every pixel.
- `scan_collection` decides which images went through which scanner and
  returns them with that metadata, as a real collection would record it.
- `accuracy_by_group` is evaluation stratified by metadata (scanner, class);
  `image_statistics` are a few whole-image numbers a simple classifier can use
  to tell the scanners apart.
- `occlusion_map` shows which pixels a decision depends on, one patch at a time.
- `normalise_contrast` and `balanced_sample` are two fixes: take the cue out
  of the pixels, or take it out of the label statistics.
"""

from dataclasses import dataclass

import numpy as np
import torch

TARGET = 8            # the digit that was mostly scanned on the new scanner
SHARE_TARGET = 0.9    # share of the eights that went through the new scanner
SHARE_OTHER = 0.03    # share of every other digit that did
PAPER_GREY = 0.1      # what the new scanner reads for blank paper (old: 0.0)


# --8<-- [start:scanner]
def new_scanner(X: np.ndarray, paper=PAPER_GREY) -> np.ndarray:
    """The new scanner's tone curve: blank paper reads ``paper``, full ink 1.

    Every pixel of every image goes through the same rule, whatever its
    position: the change is global, not a mark somewhere in the picture.
    """
    X = np.asarray(X, dtype=np.float32)
    return (paper + (1 - paper) * X).astype(np.float32)
# --8<-- [end:scanner]


@dataclass(frozen=True)
class Collection:
    """Images with the metadata a collection would keep about each one."""

    X: np.ndarray          # (N, 784) float32 in [0, 1], as scanned
    y: np.ndarray          # (N,) int64 labels
    scanner: np.ndarray    # (N,) "old" or "new"

    def __len__(self):
        return len(self.y)


# --8<-- [start:collection]
def scan_collection(X, y, *, seed=0, target=TARGET, share_target=SHARE_TARGET,
                    share_other=SHARE_OTHER, paper=PAPER_GREY) -> Collection:
    """A confounded collection built from clean (old-scanner) digits ``X``, ``y``.

    Of each digit's images, a fixed share went through the new scanner, picked
    at random: ``share_target`` of the ``target`` digit, ``share_other`` of
    every other digit (rounded to whole images).
    """
    rng = np.random.default_rng(seed)
    y = np.asarray(y, dtype=np.int64)
    new = np.zeros(len(y), dtype=bool)
    for digit in np.unique(y):
        idx = np.flatnonzero(y == digit)
        share = share_target if digit == target else share_other
        new[rng.choice(idx, round(share * len(idx)), replace=False)] = True
    X_scanned = np.array(X, dtype=np.float32, copy=True)
    X_scanned[new] = new_scanner(X_scanned[new], paper)
    return Collection(X_scanned, y, np.where(new, "new", "old"))
# --8<-- [end:collection]


# --8<-- [start:stratify]
def accuracy_by_group(y, y_hat, *groups) -> dict[tuple, tuple[float, int]]:
    """Accuracy and image count for every combination of the ``groups`` columns.

    ``accuracy_by_group(y, y_hat, scanner, y == 8)`` gives one entry per
    (scanner, is-an-eight) pair: the table an overall accuracy averages away.
    """
    y, y_hat = np.asarray(y), np.asarray(y_hat)
    keys = list(zip(*[np.asarray(g).tolist() for g in groups]))
    out = {}
    for key in sorted(set(keys)):
        mask = np.array([k == key for k in keys])
        out[key] = (float((y_hat[mask] == y[mask]).mean()), int(mask.sum()))
    return out
# --8<-- [end:stratify]


# --8<-- [start:statistics]
STATISTICS = ("mean", "median", "darkest", "brightest", "spread")


def image_statistics(X: np.ndarray) -> np.ndarray:
    """(N, 5) whole-image numbers per row of ``X``, in the order of `STATISTICS`."""
    X = np.asarray(X, dtype=np.float64)
    return np.stack([X.mean(1), np.median(X, 1), X.min(1), X.max(1), X.std(1)], 1)
# --8<-- [end:statistics]


# --8<-- [start:fixes]
def normalise_contrast(X: np.ndarray) -> np.ndarray:
    """Fix 1: stretch each image so its lowest pixel is 0 and its highest 1.

    Any tone curve of the form ``a + b * x`` (b > 0) is undone exactly, so the
    two scanners give the same input. Applied in training and prediction alike.
    """
    X = np.asarray(X, dtype=np.float32)
    low, high = X.min(1, keepdims=True), X.max(1, keepdims=True)
    return ((X - low) / np.maximum(high - low, 1e-6)).astype(np.float32)


def balanced_sample(y, groups, *, seed=0) -> np.ndarray:
    """Fix 2: indices of a resampled training set (with replacement, same size).

    Each digit keeps its share of the data, and within a digit every group
    (scanner) gets the same share, so the scanner says nothing about the label.
    """
    y, groups = np.asarray(y), np.asarray(groups)
    weight = np.zeros(len(y))
    for digit in np.unique(y):
        in_digit = y == digit
        cells = np.unique(groups[in_digit])
        for g in cells:
            cell = in_digit & (groups == g)
            weight[cell] = in_digit.sum() / (len(cells) * cell.sum())
    rng = np.random.default_rng(seed)
    return rng.choice(len(y), len(y), replace=True, p=weight / weight.sum())
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


def crosstab(rows, cols) -> tuple[list, list, np.ndarray]:
    """(row values, column values, counts) of each (row, column) pair."""
    rows, cols = np.asarray(rows), np.asarray(cols)
    r_vals, c_vals = sorted(set(rows.tolist())), sorted(set(cols.tolist()))
    table = np.array([[int(((rows == r) & (cols == c)).sum()) for c in c_vals]
                      for r in r_vals])
    return r_vals, c_vals, table
