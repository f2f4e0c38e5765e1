"""Predict digits with a saved artifact, from the command line of any program.

    python -m snippets.predict ARTIFACT_DIR INPUT [--allow-code-change]

INPUT is a PNG image or a ``.npy`` array, at most 64 MB, opened once and
without following a symbolic link. A ``.png`` must really be a PNG (checked by
its first bytes, and decoded by Pillow's PNG plugin alone): it is converted to
grey, resized to the artifact's image size if it differs, and scaled to
[0, 1] by its bit depth (255 for 8 bits, 65535 for 16). A ``.npy`` array is
read without pickle, its header checked before anything is allocated: one
image shaped (28, 28), (1, 28, 28) or (784,) for the digits convnet, or a
batch of N of them. A ``.npz`` archive is not a ``.npy`` array.

For each image one line of JSON goes to stdout, with the probabilities
rounded to 4 decimals:

    {"label": "7", "probabilities": {"0": 0.0012, "1": 0.0008, ...}}

Anything wrong gives one line on stderr, ``error: ...``, with control
characters escaped, and no output on stdout: exit status 1 when the artifact
is refused (see `snippets.artifact`) or its model gives NaN, 2 for bad input
or a bad command line. ``--allow-code-change`` loads an artifact built from
other model code, with a ``warning: ...`` line on stderr.
"""

import argparse
import io
import json
import math
import sys
import warnings
from pathlib import Path

import numpy as np

from snippets.architectures import ARCHITECTURES
from snippets.artifact import (ArtifactError, CodeChangedWarning, InputError,
                               Predictor, printable, read_once)


MAX_INPUT_BYTES = 64 * 1024 * 1024
MAX_IMAGE_SIDE = 4096
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
NPY_DTYPE_KINDS = "biuf"  # booleans, integers, floats: no objects, no records
READ_HEADER = {(1, 0): np.lib.format.read_array_header_1_0,
               (2, 0): np.lib.format.read_array_header_2_0}


# --8<-- [start:read]
def read_image(data: bytes, image_shape: tuple) -> np.ndarray:
    """PNG bytes as one grey image of ``image_shape``, pixel values in [0, 1]."""
    from PIL import Image

    if not data.startswith(PNG_MAGIC):
        raise InputError("not a PNG image")
    height, width = image_shape[-2:]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=["PNG"])
        with image:
            if max(image.size) > MAX_IMAGE_SIDE:
                raise OverflowError(f"{image.size[0]}x{image.size[1]} pixels; at most "
                                    f"{MAX_IMAGE_SIDE} a side")
            if image.mode.startswith("I;16") or image.mode == "I":  # 16-bit grey
                pixels = np.asarray(image, dtype=np.float32) / 65535
            else:
                pixels = np.asarray(image.convert("L"), dtype=np.float32) / 255
    except OverflowError as err:
        raise InputError(str(err)) from None
    except (OSError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):
        raise InputError("not a readable PNG image") from None
    if pixels.shape != (height, width):
        resized = Image.fromarray(pixels).resize(  # float32: Pillow's mode F
            (width, height), Image.Resampling.LANCZOS)
        pixels = np.clip(np.asarray(resized), 0, 1)  # Lanczos rings past the range
    return pixels.reshape(1, *image_shape)


def read_npy(data: bytes) -> np.ndarray:
    """A .npy array, its header checked before anything is allocated."""
    if data.startswith(b"PK\x03\x04"):
        raise InputError("a .npz archive (zip), not a .npy array")
    f = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(f)
        if version not in READ_HEADER:
            raise ValueError(f"format version {version} is not supported")
        shape, fortran, dtype = READ_HEADER[version](f)
    except ValueError as err:
        raise InputError(f"not a readable .npy array ({err})") from None
    if not all(n >= 0 for n in shape):
        raise InputError(f"the header gives a negative size in {shape}")
    if dtype.kind not in NPY_DTYPE_KINDS or dtype.hasobject or dtype.fields:
        raise InputError(f"a .npy array of {dtype}; only numbers are read")
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes != len(data) - f.tell():
        raise InputError(f"the header says {shape} {dtype}, {nbytes:,} bytes, and "
                         f"the file holds {len(data) - f.tell():,}")
    x = np.frombuffer(data, dtype, count=math.prod(shape), offset=f.tell())
    return x.reshape(shape, order="F" if fortran else "C").copy()  # a writable array


def as_batch(x: np.ndarray, image_shape: tuple) -> np.ndarray:
    """One image or a batch of them, as (N, *image_shape)."""
    one_image = (image_shape, image_shape[1:], (int(np.prod(image_shape)),))
    if x.shape in one_image:
        return x.reshape(1, *image_shape)
    if x.ndim > 1 and x.shape[1:] in one_image:
        return x.reshape(len(x), *image_shape)
    shapes = ", ".join(str(s) for s in one_image)
    raise InputError(f"expected one image shaped {shapes}, or N of them; got {x.shape}")


def read_input(path: Path, image_shape: tuple) -> np.ndarray:
    """Images from a .png or .npy file, as (N, *image_shape)."""
    suffix = path.suffix.lower()
    if suffix not in (".png", ".npy"):
        raise InputError("expected a .png image or a .npy array")
    data = read_once(path, MAX_INPUT_BYTES, error=InputError)
    if suffix == ".png":
        return read_image(data, image_shape)
    return as_batch(read_npy(data), image_shape)
# --8<-- [end:read]


def fail(message, status: int) -> int:
    print("error: " + printable(message), file=sys.stderr)
    return status


# --8<-- [start:main]
def main(argv=None, registry=ARCHITECTURES) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m snippets.predict",
        description="Print the predicted label and probabilities of each image "
                    "in INPUT as one line of JSON.")
    parser.add_argument("artifact", help="artifact folder (snippets.artifact)")
    parser.add_argument("input", help="a .png image, or a .npy array of images")
    parser.add_argument("--allow-code-change", action="store_true",
                        help="load an artifact built from other model code, with a "
                             "warning (default: refuse it)")
    args = parser.parse_args(argv)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CodeChangedWarning)
        try:
            predictor = Predictor.load(args.artifact, registry=registry,
                                       allow_code_change=args.allow_code_change)
        except ArtifactError as err:
            return fail(err, 1)
    for warning in caught:
        print(f"warning: {printable(warning.message)}", file=sys.stderr)
    path = Path(args.input)
    try:
        probs = predictor.predict_proba(read_input(path, predictor.image_shape))
    except InputError as err:
        return fail(f"{path.name}: {err}", 2)
    except ArtifactError as err:  # the model gave NaN or infinity
        return fail(err, 1)
    for p in probs:
        answer = {"label": predictor.labels[int(p.argmax())],
                  "probabilities": {label: round(float(q), 4)
                                    for label, q in zip(predictor.labels, p)}}
        print(json.dumps(answer, allow_nan=False))
    return 0
# --8<-- [end:main]


if __name__ == "__main__":
    raise SystemExit(main())
