"""Predict digits with a saved artifact, from the command line of any program.

    python -m snippets.predict ARTIFACT_DIR INPUT [--allow-code-change]

INPUT is a ``.png`` image (converted to grey, resized to the artifact's image
size if it differs, pixel values divided by 255) or a ``.npy`` array (read
without pickle) holding one image, shaped (28, 28), (1, 28, 28) or (784,) for
the digits convnet, or a batch of N of them.

For each image one line of JSON goes to stdout, with the probabilities
rounded to 4 decimals:

    {"label": "7", "probabilities": {"0": 0.0012, "1": 0.0008, ...}}

Anything wrong gives one line on stderr, ``error: ...``, and no output on
stdout: exit status 1 when the artifact is refused (see `snippets.artifact`),
2 for bad input or a bad command line. ``--allow-code-change`` loads an
artifact built from other model code, with a ``warning: ...`` line on stderr.
"""

import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np

from snippets.artifact import ArtifactError, CodeChangedWarning, InputError, Predictor


# --8<-- [start:read]
def read_image(path: Path, image_shape: tuple) -> np.ndarray:
    """A PNG as one grey image of ``image_shape``, pixel values in [0, 1]."""
    from PIL import Image

    height, width = image_shape[-2:]
    try:
        with Image.open(path) as image:
            grey = image.convert("L")
    except (OSError, Image.DecompressionBombError):
        raise InputError("not a readable PNG image") from None
    if grey.size != (width, height):
        grey = grey.resize((width, height), Image.Resampling.LANCZOS)
    pixels = np.asarray(grey, dtype=np.float32) / 255
    return pixels.reshape(1, *image_shape)


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
    if not path.is_file():
        raise InputError("no such file")
    if path.suffix.lower() == ".png":
        return read_image(path, image_shape)
    if path.suffix.lower() == ".npy":
        try:
            x = np.load(path, allow_pickle=False)
        except ValueError as err:  # includes object arrays, which need pickle
            raise InputError(f"not a readable .npy array ({err})") from None
        except (OSError, EOFError):
            raise InputError("not a readable .npy array") from None
        return as_batch(x, image_shape)
    raise InputError("expected a .png image or a .npy array")
# --8<-- [end:read]


def fail(message, status: int) -> int:
    print("error: " + " ".join(str(message).split()), file=sys.stderr)
    return status


# --8<-- [start:main]
def main(argv=None) -> int:
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
            predictor = Predictor.load(args.artifact,
                                       allow_code_change=args.allow_code_change)
        except ArtifactError as err:
            return fail(err, 1)
    for warning in caught:
        print(f"warning: {warning.message}", file=sys.stderr)
    path = Path(args.input)
    try:
        probs = predictor.predict_proba(read_input(path, predictor.image_shape))
    except InputError as err:
        return fail(f"{path.name}: {err}", 2)
    for p in probs:
        answer = {"label": predictor.labels[int(p.argmax())],
                  "probabilities": {label: round(float(q), 4)
                                    for label, q in zip(predictor.labels, p)}}
        print(json.dumps(answer))
    return 0
# --8<-- [end:main]


if __name__ == "__main__":
    raise SystemExit(main())
