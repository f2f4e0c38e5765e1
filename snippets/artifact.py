"""Shipping a trained model: a folder that is checked before anything in it is used.

An artifact is a folder holding exactly three files:

    digits-convnet-v1/
        weights.pt       the state_dict: tensors only
        manifest.json    the architecture (a name from snippets.architectures,
                         its arguments and the SHA-256 of its source code), the
                         git commit it was built at, label names, the input it
                         expects, the data it was trained and evaluated on, a
                         note on data it was not tested on, library versions
        SHA256SUMS       SHA-256 of the other two, in ``sha256sum`` format

`save_artifact` writes one into a temporary folder, loads it back, and only
then renames it into place, so a crash or a bad argument never leaves half an
artifact behind.

`Predictor.load` never imports or calls anything the files name. Before any
model is built or any pickle is read, it checks that the folder holds exactly
those three regular files (no symbolic links, nothing extra, each under its
size limit), that SHA256SUMS lists exactly the other two and their checksums
match, that the manifest fits the schema, that its architecture is in the
registry, and that the registry's source code is the code the artifact was
built from (refused by default; ``allow_code_change=True`` makes it a
`CodeChangedWarning`). Only then are the weights read with
``torch.load(weights_only=True)``, which unpickles tensors and plain containers
and refuses a pickle that calls anything else, and checked for NaN, infinity
and the shapes the architecture expects. Every refusal is an `ArtifactError`
that names the file.

What this does not give: checksums catch accidents (a truncated copy, a
hand-edited manifest, the wrong weights file), but anyone who can rewrite the
folder can rewrite SHA256SUMS too, and nothing here is signed.

`Predictor.predict` refuses input the model was not made for with an
`InputError`. ``python -m snippets.predict`` is the command-line entry point.
"""

import hashlib
import io
import json
import os
import pickle
import platform
import re
import shutil
import stat
import subprocess
import warnings
import zipfile
from pathlib import Path

import numpy as np
import torch

from snippets.architectures import ARCHITECTURES

FORMAT_VERSION = 2
WEIGHTS, MANIFEST, SUMS = "weights.pt", "manifest.json", "SHA256SUMS"
# The only files an artifact holds, and the most bytes each may have.
MAX_BYTES = {MANIFEST: 64 * 1024, WEIGHTS: 64 * 1024 * 1024, SUMS: 1024}
HEX64 = re.compile(r"[0-9a-f]{64}")
NONE = type(None)

# Every key the manifest has, with its type. A nested dict is a JSON object
# whose keys are checked the same way; missing and unexpected keys are refused.
SCHEMA = {
    "format_version": int,
    "name": str,
    "version": str,
    "architecture": {"name": str, "kwargs": dict, "source_sha256": str},
    "built_from": {"git_commit": (str, NONE), "git_dirty": (bool, NONE)},
    "labels": list,
    "input": {"shape": list, "dtype": str, "range": list, "scale": (int, float),
              "description": str},
    "training": dict,
    "evaluation": {"dataset": str, "dataset_sha256": str, "split": str,
                   "images": int, "metrics": dict},
    "out_of_distribution": str,
    "versions": dict,
    "files": {WEIGHTS: str},
}


class ArtifactError(RuntimeError):
    """An artifact folder is missing, incomplete, changed, malformed or unsafe."""


class CodeChangedWarning(UserWarning):
    """An artifact was loaded with model code other than the code it was built from."""


class InputError(ValueError):
    """Input to `Predictor.predict` is not what the model was trained on."""


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def library_versions() -> dict[str, str]:
    return {"python": platform.python_version(), "torch": torch.__version__,
            "numpy": np.__version__}


def git_commit() -> dict:
    """The git commit this code is checked out at, and whether it has local edits."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=Path(__file__).parent, check=True,
                              capture_output=True, text=True, timeout=30).stdout
    try:
        commit = git("rev-parse", "HEAD").strip()
        dirty = bool(git("status", "--porcelain", "--untracked-files=no").strip())
    except (OSError, subprocess.SubprocessError):
        return {"git_commit": None, "git_dirty": None}  # not a git checkout
    return {"git_commit": commit, "git_dirty": dirty}


# --8<-- [start:save]
def save_artifact(folder, model, *, architecture, kwargs, name, version, labels,
                  input_spec, training, evaluation, out_of_distribution,
                  overwrite=False, registry=ARCHITECTURES) -> Path:
    """Write ``model`` and its manifest to ``folder``; returns the folder.

    ``architecture`` is a name in ``registry`` and ``kwargs`` rebuild the model
    with it. The folder only appears once `Predictor.load` has read it back.
    """
    folder = Path(folder)
    if folder.exists() and not overwrite:
        raise ArtifactError(f"{folder.name}: already exists (pass overwrite=True)")
    if architecture not in registry:
        raise ArtifactError(f"unknown architecture {architecture!r}")
    tmp = folder.with_name(folder.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    torch.save(state, tmp / WEIGHTS)
    manifest = {
        "format_version": FORMAT_VERSION,
        "name": name,
        "version": version,
        "architecture": {"name": architecture, "kwargs": kwargs,
                         "source_sha256": registry[architecture].source_sha256()},
        "built_from": git_commit(),
        "labels": [str(label) for label in labels],
        "input": dict(input_spec),
        "training": dict(training),
        "evaluation": dict(evaluation),
        "out_of_distribution": out_of_distribution,
        "versions": library_versions(),
        "files": {WEIGHTS: ""},  # filled in by seal
    }
    (tmp / MANIFEST).write_text(json.dumps(manifest))
    seal(tmp)
    try:
        Predictor.load(tmp, registry=registry)  # publish only what loads
    except ArtifactError:
        shutil.rmtree(tmp)
        raise
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(tmp, folder)
    return folder


def seal(folder) -> None:
    """Record the weights' SHA-256 in the manifest; write SHA256SUMS for both.

    Anyone who can write to the folder can call this too: a sealed artifact is
    consistent, which is not the same as made by me.
    """
    folder = Path(folder)
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["files"] = {WEIGHTS: sha256_bytes((folder / WEIGHTS).read_bytes())}
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    (folder / MANIFEST).write_text(text)
    sums = [f"{sha256_bytes((folder / f).read_bytes())}  {f}\n"
            for f in (MANIFEST, WEIGHTS)]
    (folder / SUMS).write_text("".join(sums))
# --8<-- [end:save]


# --8<-- [start:files]
def read_folder(folder) -> dict[str, bytes]:
    """The bytes of the three files, once names, kinds and sizes are checked."""
    folder = Path(folder)
    name = folder.name
    if not folder.is_dir():
        raise ArtifactError(f"{name}: artifact folder not found")
    present = sorted(os.listdir(folder))
    for file in present:
        if file not in MAX_BYTES:
            raise ArtifactError(f"{name}/{file}: unexpected file; an artifact "
                                f"holds exactly {', '.join(MAX_BYTES)}")
    blobs = {}
    for file, limit in MAX_BYTES.items():
        path = folder / file
        if file not in present:
            raise ArtifactError(f"{name}/{file}: missing")
        if stat.S_ISLNK(os.lstat(path).st_mode):
            raise ArtifactError(f"{name}/{file}: is a symbolic link; "
                                f"an artifact holds only regular files")
        if not path.is_file():
            raise ArtifactError(f"{name}/{file}: not a regular file")
        with open(path, "rb") as f:
            blobs[file] = f.read(limit + 1)  # never more than the limit allows
        if len(blobs[file]) > limit:
            raise ArtifactError(f"{name}/{file}: larger than the {limit:,} bytes "
                                f"an artifact may hold in it")
    return blobs


def check_checksums(blobs: dict[str, bytes], name: str) -> None:
    """SHA256SUMS must list exactly the manifest and the weights, both unchanged."""
    listed = {}
    lines = blobs[SUMS].decode("utf-8", errors="replace").splitlines()
    for n, line in enumerate(lines, start=1):
        digest, sep, file = line.partition("  ")
        if not sep or not HEX64.fullmatch(digest):
            raise ArtifactError(f"{name}/{SUMS}, line {n}: malformed entry {line!r}")
        if "/" in file or "\\" in file or file in (".", ".."):
            raise ArtifactError(f"{name}/{SUMS}, line {n}: {file!r} is a path; "
                                f"entries must be files in the artifact folder")
        if file not in (MANIFEST, WEIGHTS) or file in listed:
            raise ArtifactError(f"{name}/{SUMS}, line {n}: unexpected entry {file!r}")
        listed[file] = digest
    for file in (MANIFEST, WEIGHTS):
        if file not in listed:
            raise ArtifactError(f"{name}/{SUMS}: {file} is not listed")
        if sha256_bytes(blobs[file]) != listed[file]:
            raise ArtifactError(
                f"{name}/{file}: SHA-256 does not match the one in {SUMS}; "
                f"the file was changed or damaged after the artifact was saved")
# --8<-- [end:files]


def _is(value, kind) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        return False  # JSON true is not the number 1
    return isinstance(value, kinds)


def _type_name(kind) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join("null" if k is NONE else k.__name__ for k in kinds)


def _check_keys(obj: dict, schema: dict, where: str, prefix="") -> None:
    unexpected = sorted(obj.keys() - schema.keys())
    if unexpected:
        raise ArtifactError(f"{where}: unexpected key {prefix + unexpected[0]!r}")
    for key, kind in schema.items():
        if key not in obj:
            raise ArtifactError(f"{where}: missing key {prefix + key!r}")
        if isinstance(kind, dict):
            if not isinstance(obj[key], dict):
                raise ArtifactError(f"{where}: {prefix + key!r} should be an object")
            _check_keys(obj[key], kind, where, prefix + key + ".")
        elif not _is(obj[key], kind):
            raise ArtifactError(f"{where}: {prefix + key!r} should be "
                                f"{_type_name(kind)}, got {type(obj[key]).__name__}")


def parse_manifest(data: bytes, where: str) -> dict:
    """The manifest as a dict, or `ArtifactError` unless it fits `SCHEMA`."""
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise ArtifactError(f"{where}: not valid JSON ({err})") from None
    if not isinstance(manifest, dict):
        raise ArtifactError(f"{where}: expected a JSON object")
    found = manifest.get("format_version")
    if found != FORMAT_VERSION:
        raise ArtifactError(f"{where}: format_version {found!r} is not supported "
                            f"(this code reads {FORMAT_VERSION})")
    _check_keys(manifest, SCHEMA, where)
    spec = manifest["input"]
    if not spec["shape"] or not all(_is(n, int) and n > 0 for n in spec["shape"]):
        raise ArtifactError(f"{where}: input.shape must be a list of positive integers")
    if spec["dtype"] not in ("float32", "float64"):
        raise ArtifactError(f"{where}: input.dtype must be float32 or float64")
    low_high = spec["range"]
    if (len(low_high) != 2 or not all(_is(v, (int, float)) for v in low_high)
            or not low_high[0] < low_high[1]):
        raise ArtifactError(f"{where}: input.range must be [low, high]")
    labels = manifest["labels"]
    if (not labels or not all(isinstance(s, str) for s in labels)
            or len(set(labels)) != len(labels)):
        raise ArtifactError(f"{where}: labels must be distinct strings, at least one")
    for key, value in (("architecture.source_sha256",
                        manifest["architecture"]["source_sha256"]),
                       (f"files.{WEIGHTS}", manifest["files"][WEIGHTS])):
        if not HEX64.fullmatch(value):
            raise ArtifactError(f"{where}: {key} must be 64 lower-case hex digits")
    return manifest


# --8<-- [start:architecture]
def check_architecture(manifest: dict, where: str, registry, allow_code_change):
    """The registry's entry for the manifest's architecture, if the code matches."""
    name = manifest["architecture"]["name"]
    if name not in registry:
        raise ArtifactError(f"{where}: unknown architecture {name!r}; this program "
                            f"builds only {', '.join(sorted(registry))}")
    recorded = manifest["architecture"]["source_sha256"]
    here = registry[name].source_sha256()
    if recorded != here:
        message = (f"{where}: {name} was built from different code (source "
                   f"sha256 {recorded[:12]} in the artifact, {here[:12]} here)")
        if not allow_code_change:
            raise ArtifactError(message + "; pass allow_code_change=True "
                                "(--allow-code-change) to load it anyway")
        warnings.warn(message, CodeChangedWarning, stacklevel=3)
    return registry[name]
# --8<-- [end:architecture]


# --8<-- [start:weights]
def read_weights(data: bytes, where: str) -> dict[str, torch.Tensor]:
    """Unpickle tensors only; refuse anything else, and NaN or infinity."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ArtifactError(f"{where}: not a file written by torch.save "
                            f"(a zip archive)")
    try:
        state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        found = re.search(r"WeightsUnpickler error:\s*(.+)", str(err))
        reason = found.group(1).split(". ")[0] if found else "not a tensors-only pickle"
        raise ArtifactError(f"{where}: refused by torch.load(weights_only=True): "
                            f"{reason}") from None
    except Exception as err:  # a damaged zip or stream comes in many types
        first = (str(err).strip().splitlines() or [""])[0]
        raise ArtifactError(f"{where}: not a readable weights file "
                            f"({type(err).__name__}: {first})") from None
    named_tensors = isinstance(state, dict) and all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items())
    if not named_tensors:
        raise ArtifactError(f"{where}: expected a state_dict, a dict of named tensors")
    for key, tensor in state.items():
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise ArtifactError(f"{where}: {key} contains NaN or infinity")
    return state


def build_model(architecture, kwargs: dict, state: dict, where: str):
    """Build on the meta device (no memory, no random numbers), compare, then fill."""
    try:
        with torch.device("meta"):
            model = architecture.build(**kwargs)
    except Exception as err:  # the constructor is ours, its complaints vary
        raise ArtifactError(f"{where}: cannot build the architecture from the "
                            f"manifest's kwargs ({type(err).__name__}: {err})"
                            ) from None
    expected = model.state_dict()
    if expected.keys() != state.keys():
        missing = sorted(expected.keys() - state.keys())
        extra = sorted(state.keys() - expected.keys())
        raise ArtifactError(f"{where}: tensors do not match the architecture "
                            f"(missing {missing}, unexpected {extra})")
    for key, want in expected.items():
        got = state[key]
        if got.shape != want.shape or got.dtype != want.dtype:
            raise ArtifactError(
                f"{where}: {key} is {tuple(got.shape)} {got.dtype}, the architecture "
                f"expects {tuple(want.shape)} {want.dtype}")
    model.load_state_dict(state, assign=True)  # the loaded tensors replace meta ones
    if any(t.is_meta for t in [*model.parameters(), *model.buffers()]):
        raise ArtifactError(f"{where}: the architecture has tensors it does not save")
    return model
# --8<-- [end:weights]


@torch.no_grad()
def check_fit(model, manifest: dict, where: str) -> None:
    """One blank image of the manifest's input shape in, one score per label out."""
    shape = tuple(manifest["input"]["shape"])
    try:
        out = model.eval()(torch.zeros(1, *shape))
    except RuntimeError as err:
        raise ArtifactError(f"{where}: the model cannot take input.shape {shape} "
                            f"({(str(err).splitlines() or [''])[0]})") from None
    if tuple(out.shape) != (1, len(manifest["labels"])):
        raise ArtifactError(f"{where}: the model gives {tuple(out.shape)[1:]} outputs "
                            f"per image for {len(manifest['labels'])} labels")


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
    def load(cls, folder, device="cpu", *, allow_code_change=False,
             registry=ARCHITECTURES) -> "Predictor":
        """Check the whole folder first, then build the model it describes.

        Nothing the files name is imported or called: the architecture comes
        from ``registry`` and the weights are unpickled as tensors only.
        """
        folder = Path(folder)
        blobs = read_folder(folder)
        check_checksums(blobs, folder.name)
        where = f"{folder.name}/{MANIFEST}"
        manifest = parse_manifest(blobs[MANIFEST], where)
        if manifest["files"][WEIGHTS] != sha256_bytes(blobs[WEIGHTS]):
            raise ArtifactError(f"{where}: records a different {WEIGHTS} than the "
                                f"one in the folder; the weights were swapped")
        architecture = check_architecture(manifest, where, registry,
                                          allow_code_change)
        # Everything above only read bytes; from here on they are used.
        where = f"{folder.name}/{WEIGHTS}"
        state = read_weights(blobs[WEIGHTS], where)
        model = build_model(architecture, manifest["architecture"]["kwargs"],
                            state, where)
        check_fit(model, manifest, f"{folder.name}/{MANIFEST}")
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
