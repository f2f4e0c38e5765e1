"""Shipping a trained model: a checked artifact folder and a careful `Predictor`.

An artifact is a folder that holds everything another program needs to use the
model, and nothing it has to guess:

    digits-convnet-v1/
        weights.pt       the state_dict (tensors only, loaded with weights_only)
        manifest.json    format version, model class and arguments, label names,
                         expected input (shape, dtype, value range, scaling),
                         training data and metrics, library versions
        SHA256SUMS       SHA-256 of every other file, in ``sha256sum`` format

`save_artifact` writes one (into a temporary folder, renamed at the end, so a
crash never leaves half an artifact). `Predictor.load` refuses a folder whose
files are missing, changed or malformed with an `ArtifactError` naming the
file, and `Predictor.predict` refuses input it was not trained for with an
`InputError` that says what was expected, before the model sees it.

Checksums catch accidents (a truncated copy, an edited manifest, the wrong
weights file); they do not stop someone who rewrites SHA256SUMS as well.

Run ``python -m snippets.artifact FOLDER`` to verify an artifact and print its
manifest.
"""

import hashlib
import importlib
import json
import os
import platform
import shutil
import sys
from pathlib import Path

import numpy as np
import torch

FORMAT_VERSION = 1
WEIGHTS = "weights.pt"
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
REQUIRED_KEYS = {
    "format_version": int, "name": str, "version": str, "model": dict,
    "labels": list, "input": dict, "metrics": dict, "training": dict,
    "versions": dict, "files": dict,
}
INPUT_KEYS = {"shape": list, "dtype": str, "range": list, "scale": (int, float)}


class ArtifactError(RuntimeError):
    """An artifact folder is missing, incomplete, changed or malformed."""


class InputError(ValueError):
    """Input to `Predictor.predict` is not what the model was trained on."""


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def library_versions() -> dict[str, str]:
    return {"python": platform.python_version(), "torch": torch.__version__,
            "numpy": np.__version__}


# --8<-- [start:save]
def save_artifact(folder, model, *, name, version, model_kwargs, labels, input_spec,
                  metrics, training, overwrite=False) -> Path:
    """Write ``model`` and its manifest to ``folder``; returns the folder.

    ``model_kwargs`` must rebuild the model as ``type(model)(**model_kwargs)``;
    ``input_spec`` describes the expected input: ``shape`` (per image),
    ``dtype``, ``range`` [low, high] and ``scale`` (what raw pixels were
    divided by).
    """
    folder = Path(folder)
    if folder.exists() and not overwrite:
        raise ArtifactError(f"{folder.name}: already exists (pass overwrite=True)")
    tmp = folder.with_name(folder.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    torch.save(state, tmp / WEIGHTS)
    cls = type(model)
    manifest = {
        "format_version": FORMAT_VERSION,
        "name": name,
        "version": version,
        "model": {"class": f"{cls.__module__}.{cls.__qualname__}",
                  "kwargs": model_kwargs},
        "labels": [str(label) for label in labels],
        "input": dict(input_spec),
        "metrics": dict(metrics),
        "training": dict(training),
        "versions": library_versions(),
        "files": {WEIGHTS: sha256_file(tmp / WEIGHTS)},
    }
    _check_manifest(manifest, f"{folder.name}/{MANIFEST}")
    (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    sums = "".join(f"{sha256_file(tmp / f)}  {f}\n" for f in (MANIFEST, WEIGHTS))
    (tmp / SUMS).write_text(sums)
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(tmp, folder)
    return folder
# --8<-- [end:save]


def _check_manifest(manifest, where: str) -> None:
    """Raise `ArtifactError` unless ``manifest`` has the keys and types we rely on."""
    if not isinstance(manifest, dict):
        raise ArtifactError(f"{where}: expected a JSON object")
    for key, kind in REQUIRED_KEYS.items():
        if key not in manifest:
            raise ArtifactError(f"{where}: missing key {key!r}")
        if not isinstance(manifest[key], kind):
            raise ArtifactError(f"{where}: {key!r} should be a {kind.__name__}, "
                                f"got {type(manifest[key]).__name__}")
    if manifest["format_version"] != FORMAT_VERSION:
        raise ArtifactError(f"{where}: format_version {manifest['format_version']} "
                            f"is not supported (this code reads {FORMAT_VERSION})")
    for key, kind in INPUT_KEYS.items():
        if not isinstance(manifest["input"].get(key), kind):
            raise ArtifactError(f"{where}: input.{key} is missing or malformed")
    low_high = manifest["input"]["range"]
    if len(low_high) != 2 or not low_high[0] < low_high[1]:
        raise ArtifactError(f"{where}: input.range must be [low, high]")
    labels = manifest["labels"]
    if not labels or len(set(labels)) != len(labels):
        raise ArtifactError(f"{where}: labels must be distinct and not empty")
    model = manifest["model"]
    if not isinstance(model.get("class"), str) or not isinstance(model.get("kwargs"),
                                                                   dict):
        raise ArtifactError(f"{where}: model needs 'class' (str) and 'kwargs' (object)")


# --8<-- [start:verify]
def verify_files(folder) -> dict[str, str]:
    """Check every file listed in SHA256SUMS; return {file name: sha256}."""
    folder = Path(folder)
    name = folder.name
    if not folder.is_dir():
        raise ArtifactError(f"{name}: artifact folder not found")
    if not (folder / SUMS).is_file():
        raise ArtifactError(f"{name}/{SUMS}: missing, so nothing can be verified")
    listed = {}
    for n, line in enumerate((folder / SUMS).read_text().splitlines(), start=1):
        digest, sep, file = line.partition("  ")
        if not sep or len(digest) != 64 or "/" in file or file in ("", ".", ".."):
            raise ArtifactError(f"{name}/{SUMS}, line {n}: malformed entry {line!r}")
        listed[file] = digest
    for required in (MANIFEST, WEIGHTS):
        if required not in listed:
            raise ArtifactError(f"{name}/{SUMS}: {required} is not listed")
    for file, digest in listed.items():
        path = folder / file
        if not path.is_file():
            raise ArtifactError(f"{name}/{file}: listed in {SUMS} but missing")
        if sha256_file(path) != digest:
            raise ArtifactError(
                f"{name}/{file}: SHA-256 does not match the one in {SUMS}; "
                f"the file was changed or damaged after the artifact was saved")
    return listed
# --8<-- [end:verify]


def _import(qualified: str):
    module, _, attr = qualified.rpartition(".")
    return getattr(importlib.import_module(module), attr)


class Predictor:
    """A loaded, verified model that checks its input before predicting."""

    def __init__(self, model, manifest: dict, name: str, device="cpu"):
        self.model = model.to(device).eval()
        self.manifest = manifest
        self.name = name
        self.device = torch.device(device)
        spec = manifest["input"]
        self.image_shape = tuple(spec["shape"])
        self.dtype = np.dtype(spec["dtype"])
        self.low, self.high = spec["range"]
        self.labels = list(manifest["labels"])

    # --8<-- [start:load]
    @classmethod
    def load(cls, folder, device="cpu") -> "Predictor":
        """Verify checksums and manifest, rebuild the model, load the weights."""
        folder = Path(folder)
        listed = verify_files(folder)
        where = f"{folder.name}/{MANIFEST}"
        try:
            manifest = json.loads((folder / MANIFEST).read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise ArtifactError(f"{where}: not valid JSON ({err})") from None
        _check_manifest(manifest, where)
        if manifest["files"].get(WEIGHTS) != listed[WEIGHTS]:
            raise ArtifactError(f"{where}: records a different {WEIGHTS} than {SUMS}")
        try:
            model = _import(manifest["model"]["class"])(**manifest["model"]["kwargs"])
        except (ImportError, AttributeError, TypeError, ValueError) as err:
            raise ArtifactError(f"{where}: cannot build model "
                                f"{manifest['model']['class']}: {err}") from None
        try:
            state = torch.load(folder / WEIGHTS, map_location="cpu", weights_only=True)
            model.load_state_dict(state)
        except Exception as err:  # unpickling and shape errors come in many types
            first = str(err).strip().splitlines()[0] if str(err).strip() else ""
            raise ArtifactError(f"{folder.name}/{WEIGHTS}: cannot load weights "
                                f"({type(err).__name__}: {first})") from None
        return cls(model, manifest, folder.name, device)
    # --8<-- [end:load]

    # --8<-- [start:validate]
    def validate(self, x) -> np.ndarray:
        """Return ``x`` as (N, *image_shape) float32, or raise `InputError`."""
        if isinstance(x, torch.Tensor):
            x = x.detach().cpu().numpy()
        if not isinstance(x, np.ndarray):
            raise InputError(f"expected a NumPy array, got {type(x).__name__}")
        per_image = int(np.prod(self.image_shape))
        if x.ndim == 2 and x.shape[1] == per_image:
            x = x.reshape(len(x), *self.image_shape)
        if x.ndim != 1 + len(self.image_shape) or x.shape[1:] != self.image_shape:
            single = x.shape in (self.image_shape, (per_image,), self.image_shape[1:])
            raise InputError(
                f"expected shape (N, {', '.join(map(str, self.image_shape))}) or "
                f"(N, {per_image}), got {x.shape}"
                + ("; a single image needs x[None]" if single else ""))
        if x.dtype.kind != "f":
            hint = (f"; divide by {self.manifest['input']['scale']:g} first"
                    if x.dtype.kind in "ui" else "")
            raise InputError(f"expected floating-point pixels, got {x.dtype}{hint}")
        finite = np.isfinite(x)
        if not finite.all():
            bad = np.flatnonzero(~finite.reshape(len(x), -1).all(axis=1))
            raise InputError(f"{len(bad)} image(s) contain NaN or infinity "
                             f"(first: index {bad[0]})")
        if len(x) and (x.min() < self.low or x.max() > self.high):
            raise InputError(
                f"pixel values must lie in [{self.low:g}, {self.high:g}], got "
                f"[{x.min():g}, {x.max():g}]; raw pixels are divided by "
                f"{self.manifest['input']['scale']:g}")
        return x.astype(self.dtype, copy=False)
    # --8<-- [end:validate]

    # --8<-- [start:predict]
    @torch.no_grad()
    def predict_proba(self, x, batch_size=256) -> np.ndarray:
        """Class probabilities, (N, n_labels) float32, computed in batches."""
        if not isinstance(batch_size, int) or batch_size < 1:
            raise InputError(
                f"batch_size must be a positive integer, got {batch_size!r}")
        x = self.validate(x)
        out = np.zeros((len(x), len(self.labels)), dtype=np.float32)
        for start in range(0, len(x), batch_size):
            batch = torch.from_numpy(x[start:start + batch_size]).to(self.device)
            logits = self.model(batch).float()
            out[start:start + batch_size] = torch.softmax(logits, 1).cpu().numpy()
        return out

    def predict(self, x, batch_size=256) -> list[str]:
        """Label names of the most probable class for each image."""
        probs = self.predict_proba(x, batch_size)
        return [self.labels[i] for i in probs.argmax(axis=1)]
    # --8<-- [end:predict]

    def __repr__(self):
        m = self.manifest
        return (f"Predictor({m['name']} v{m['version']}, {len(self.labels)} labels, "
                f"input {self.image_shape} {self.dtype} "
                f"in [{self.low:g}, {self.high:g}])")


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m snippets.artifact",
                                     description="Verify an artifact folder.")
    parser.add_argument("folder", help="artifact folder written by save_artifact")
    args = parser.parse_args(argv)
    try:
        predictor = Predictor.load(args.folder)
    except ArtifactError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(predictor)
    print(json.dumps(predictor.manifest, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
