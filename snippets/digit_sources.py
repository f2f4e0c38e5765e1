"""Two public digit datasets that look alike and are not: how far does a model travel?

scikit-learn's 8x8 digits were made from 32x32 black-and-white bitmaps, each cut
into 4x4 blocks whose "on" pixels were counted (0..16). `to_8x8` makes MNIST
28x28 images the same way: pad to 32x32, threshold, count each 4x4 block.
`fill_box` first crops an MNIST digit to its ink and stretches it, keeping its
shape, to fill the 32x32 frame, as the 8x8 digits' bitmaps fill theirs (MNIST
centres a digit in a 20x20 box inside 28x28, so it fills less of the frame).

`transfer_scores` trains one model per seed on a subsample of one source and
scores it on the validation split of both:

    scores = transfer_scores(sources, "8x8 digits", seeds=(0, 1, 2))

Used by projects/digit-sources.
"""

import numpy as np
from PIL import Image
from sklearn.svm import SVC

FRAME = 32        # the side of the bitmaps the 8x8 digits were counted from
BLOCK = 4         # 32 / 4 = 8 pixels a side
THRESHOLD = 0.5   # grey MNIST pixel -> "on"
TRAIN_SIZE = 1000  # images drawn from each source's training split, per seed


# --8<-- [start:downsample]
def to_8x8(X28: np.ndarray) -> np.ndarray:
    """(N, 784) MNIST rows in [0, 1] -> (N, 64) rows in [0, 1], counted as the
    8x8 digits were: on-pixels per 4x4 block of a 32x32 bitmap, over 16."""
    images = X28.reshape(-1, 28, 28)
    frame = np.pad(images, ((0, 0), (2, 2), (2, 2)))          # (N, 32, 32)
    bits = frame >= THRESHOLD
    blocks = bits.reshape(-1, 8, BLOCK, 8, BLOCK).sum(axis=(2, 4))  # (N, 8, 8)
    return (blocks / BLOCK**2).reshape(len(X28), 64).astype(np.float32)


def fill_box(X28: np.ndarray) -> np.ndarray:
    """Each digit cropped to its ink, centred in a square (its shape kept) and
    stretched to fill the 32x32 frame, then counted as in `to_8x8`."""
    out = np.zeros((len(X28), 64), dtype=np.float32)
    for i, image in enumerate(X28.reshape(-1, 28, 28)):
        rows, cols = np.nonzero(image >= THRESHOLD)
        if len(rows) == 0:
            continue  # a blank image stays blank
        ink = image[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
        h, w = ink.shape
        side = max(h, w)
        square = np.zeros((side, side), dtype=np.float32)
        top, left = (side - h) // 2, (side - w) // 2
        square[top:top + h, left:left + w] = ink
        big = Image.fromarray(square).resize((FRAME, FRAME), Image.Resampling.BILINEAR)
        bits = np.asarray(big) >= THRESHOLD
        out[i] = bits.reshape(8, BLOCK, 8, BLOCK).sum(axis=(1, 3)).ravel() / BLOCK**2
    return out
# --8<-- [end:downsample]


# --8<-- [start:transfer]
def make_model():
    """The 8x8 digits' best baseline: an RBF-kernel SVM with C=10."""
    return SVC(kernel="rbf", C=10.0, gamma="scale")


def transfer_scores(sources: dict, train_on: str, seeds) -> dict[str, list[float]]:
    """Validation accuracy on every source of models trained on ``train_on``.

    ``sources`` maps a name to ``(X_train, y_train, X_val, y_val)`` of 64-pixel
    rows. Each seed draws ``TRAIN_SIZE`` training images (so both sources train
    on as many) and fits one model. Returns {source: [accuracy per seed]}.
    """
    X, y = sources[train_on][:2]
    scores = {name: [] for name in sources}
    for seed in seeds:
        pick = np.random.default_rng(seed).choice(len(y), TRAIN_SIZE, replace=False)
        model = make_model().fit(X[pick], y[pick])
        for name, (_, _, X_val, y_val) in sources.items():
            scores[name].append(float(np.mean(model.predict(X_val) == y_val)))
    return scores
# --8<-- [end:transfer]
