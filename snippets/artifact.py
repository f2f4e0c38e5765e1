"""Shipping a trained model: a folder that is checked before anything in it is used.

An artifact is a folder holding exactly three files:

    digits-convnet-v1/
        weights.safetensors  the state_dict as safetensors: a JSON header of
                             names, dtypes, shapes and byte offsets, then the
                             raw bytes; no pickle, no compression
        manifest.json        the architecture (a name from
                             snippets.architectures, its arguments and the
                             SHA-256 of its source code), the git commit it
                             was built at, label names, the input it expects,
                             the data it was trained and evaluated on, a note
                             on data it was not tested on, library versions
        SHA256SUMS           SHA-256 of the other two, in ``sha256sum`` format

`save_artifact` writes one into a temporary folder, loads it back, and only
then renames it into place, so a crash or a bad argument never leaves half an
artifact behind.

`Predictor.load` never imports or calls anything the files name, and never
unpickles anything: a ``weights.pt`` (a torch pickle) is refused on sight.
Each file is opened once, without following a symbolic link, checked to be a
regular file under its size limit, and read from that same descriptor. Then
SHA256SUMS must list exactly the other two with matching checksums, the
manifest must be strict JSON that fits the schema (no duplicate keys, no NaN
or Infinity), its architecture must be in the registry with arguments in the
registry's declared ranges, and the registry's source code must be the code
the artifact was built from (refused by default; ``allow_code_change=True``
makes it a `CodeChangedWarning`). The model is built on the meta device, and
the safetensors header is checked against it (every name, dtype, shape and
byte range) before a single tensor is read. Non-finite weights, negative
running variances and non-finite outputs are refused. Every refusal is an
`ArtifactError` whose one-line message names the file.

What this does not give: checksums catch accidents (a truncated copy, a
hand-edited manifest, the wrong weights file), but anyone who can rewrite the
folder can rewrite SHA256SUMS too, and nothing here is signed.

`Predictor.predict` refuses input the model was not made for with an
`InputError`. ``python -m snippets.predict`` is the command-line entry point.
"""

import errno
import hashlib
import json
import math
import os
import platform
import re
import reprlib
import shutil
import stat
import subprocess
import warnings
from pathlib import Path

import numpy as np
import safetensors.torch
import torch
from safetensors import SafetensorError

from snippets.architectures import ARCHITECTURES

FORMAT_VERSION = 3
WEIGHTS, MANIFEST, SUMS = "weights.safetensors", "manifest.json", "SHA256SUMS"
PICKLE = "weights.pt"  # what torch.save writes; refused, never read
# The only files an artifact holds, and the most bytes each may have.
MAX_BYTES = {MANIFEST: 64 * 1024, WEIGHTS: 64 * 1024 * 1024, SUMS: 1024}
MAX_HEADER_BYTES = 64 * 1024     # the safetensors JSON header
MAX_INT_DIGITS = 20              # in any JSON the loader parses
MAX_INPUT_SIDE = 1024            # largest input.shape entry
MAX_INPUT_VALUES = 1 << 16       # largest product of input.shape: 256x256 grey
HEX64 = re.compile(r"[0-9a-f]{64}")
NONE = type(None)
# torch dtype -> its name in a safetensors header
SAFETENSORS_DTYPES = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16",
                      torch.bfloat16: "BF16", torch.int64: "I64", torch.int32: "I32",
                      torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
                      torch.bool: "BOOL"}
PICKLE_REFUSED = ("a torch pickle, refused: unpickling can run code, so weights are "
                  "read only as safetensors")

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


def printable(text) -> str:
    """``text`` with control characters (terminal escapes, newlines, bidi marks)
    written as Python escapes, so a message is one harmless line."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode()
                   for c in str(text))


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def library_versions() -> dict[str, str]:
    return {"python": platform.python_version(), "torch": torch.__version__,
            "numpy": np.__version__, "safetensors": safetensors.__version__}


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
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    safetensors.torch.save_file(state, tmp / WEIGHTS)
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
def read_once(name, limit: int, error=ArtifactError, dir_fd=None) -> bytes:
    """The bytes of one regular file of at most ``limit`` bytes, opened once.

    The descriptor that is checked is the one that is read: no symbolic link
    is followed, and a FIFO or device is refused without blocking on it.
    ``error`` is raised with what is wrong; the caller names the file.
    """
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(name, flags, dir_fd=dir_fd)
    except FileNotFoundError:
        raise error("no such file") from None
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise error("is a symbolic link; only regular files are read") from None
        raise error(f"cannot be opened ({err.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise error("not a regular file")
        chunks, size = [], 0
        while size <= limit and (chunk := os.read(fd, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
        if max(size, info.st_size) > limit:
            raise error(f"larger than the {limit:,} bytes allowed")
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_folder(folder) -> dict[str, bytes]:
    """The bytes of the three files, once names, kinds and sizes are checked."""
    folder = Path(folder)
    name = printable(folder.name)
    try:
        dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        raise ArtifactError(f"{name}: artifact folder not found") from None
    try:
        present = sorted(os.listdir(dir_fd))
        if PICKLE in present:
            raise ArtifactError(f"{name}/{PICKLE}: {PICKLE_REFUSED}")
        for file in present:
            if file not in MAX_BYTES:
                raise ArtifactError(f"{name}/{printable(file)}: unexpected file; an "
                                    f"artifact holds exactly {', '.join(MAX_BYTES)}")
        blobs = {}
        for file, limit in MAX_BYTES.items():
            try:
                blobs[file] = read_once(file, limit, dir_fd=dir_fd)
            except ArtifactError as err:
                raise ArtifactError(f"{name}/{file}: {err}") from None
        return blobs
    finally:
        os.close(dir_fd)


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


def strict_json(data: bytes, where: str):
    """Parse JSON, refusing duplicate keys, NaN, Infinity and huge numbers."""
    def unique_keys(pairs):
        obj = {}
        for key, value in pairs:
            if key in obj:
                raise ArtifactError(f"{where}: duplicate key {printable(repr(key))}")
            obj[key] = value
        return obj

    def no_constant(token):
        raise ArtifactError(f"{where}: {token} is not a JSON number")

    def small_int(text):
        if len(text.lstrip("-")) > MAX_INT_DIGITS:
            raise ArtifactError(f"{where}: an integer with {len(text.lstrip('-')):,} "
                                f"digits; at most {MAX_INT_DIGITS} are allowed")
        return int(text)

    def finite_float(text):
        if not math.isfinite(value := float(text)):
            raise ArtifactError(f"{where}: {text[:20]} overflows to infinity")
        return value

    try:
        return json.loads(data.decode("utf-8"), object_pairs_hook=unique_keys,
                          parse_constant=no_constant, parse_int=small_int,
                          parse_float=finite_float)
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        first = (str(err).splitlines() or [""])[0]
        raise ArtifactError(f"{where}: not valid JSON ({printable(first)})") from None


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
    manifest = strict_json(data, where)
    if not isinstance(manifest, dict):
        raise ArtifactError(f"{where}: expected a JSON object")
    found = manifest.get("format_version")
    if found != FORMAT_VERSION:
        raise ArtifactError(f"{where}: format_version {found!r} is not supported "
                            f"(this code reads {FORMAT_VERSION})")
    _check_keys(manifest, SCHEMA, where)
    spec = manifest["input"]
    shape = spec["shape"]
    if (not 1 <= len(shape) <= 4
            or not all(_is(n, int) and 0 < n <= MAX_INPUT_SIDE for n in shape)
            or math.prod(shape) > MAX_INPUT_VALUES):
        raise ArtifactError(f"{where}: input.shape must be a list of 1 to 4 integers "
                            f"in [1, {MAX_INPUT_SIDE}] whose product is at most "
                            f"{MAX_INPUT_VALUES:,}; got {reprlib.repr(shape)}")
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
    try:
        registry[name].check_kwargs(manifest["architecture"]["kwargs"])
    except ValueError as err:
        raise ArtifactError(f"{where}: architecture.{err}") from None
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


# --8<-- [start:build]
def build_model(architecture, kwargs: dict, where: str):
    """Build on the meta device: shapes and dtypes, no memory, no random numbers."""
    try:
        with torch.device("meta"):
            return architecture.build(**kwargs)
    except Exception as err:  # the constructor is ours, its complaints vary
        raise ArtifactError(f"{where}: cannot build the architecture from the "
                            f"manifest's kwargs ({type(err).__name__}: {err})"
                            ) from None


# --8<-- [end:build]


# --8<-- [start:header]
def check_header(data: bytes, expected: dict, where: str) -> None:
    """The safetensors header must list exactly the tensors in ``expected``, with
    their dtypes and shapes, packed one after another up to the end of the file."""
    if data.startswith((b"PK\x03\x04", b"\x80")):  # torch.save's zip, or a pickle
        raise ArtifactError(f"{where}: {PICKLE_REFUSED}")
    size = int.from_bytes(data[:8], "little")
    if len(data) < 8 or size > min(MAX_HEADER_BYTES, len(data) - 8):
        raise ArtifactError(f"{where}: not a safetensors file (a header of {size:,} "
                            f"bytes in a file of {len(data):,})")
    header = strict_json(data[8:8 + size], f"{where} header")
    if not isinstance(header, dict) or not isinstance(
            header.pop("__metadata__", {}), dict):
        raise ArtifactError(f"{where}: the header is not a table of tensors")
    if header.keys() != expected.keys():
        missing = sorted(expected.keys() - header.keys())
        extra = sorted(header.keys() - expected.keys())
        raise ArtifactError(f"{where}: tensors do not match the architecture "
                            f"(missing {reprlib.repr(missing)}, "
                            f"unexpected {printable(reprlib.repr(extra))})")
    spans = []
    for key, want in expected.items():
        entry = header[key]
        dtype, shape = SAFETENSORS_DTYPES[want.dtype], list(want.shape)
        fields = {"dtype", "shape", "data_offsets"}
        if not isinstance(entry, dict) or entry.keys() != fields:
            raise ArtifactError(f"{where}: {key} needs dtype, shape and data_offsets")
        if (entry["dtype"] != dtype or not _ints(entry["shape"])
                or entry["shape"] != shape):
            got = f"{reprlib.repr(entry['dtype'])} {reprlib.repr(entry['shape'])}"
            raise ArtifactError(f"{where}: {key} is {printable(got)}, the "
                                f"architecture expects '{dtype}' {shape}")
        nbytes = want.numel() * want.element_size()
        offsets = entry["data_offsets"]
        if not (_ints(offsets) and len(offsets) == 2
                and offsets[1] - offsets[0] == nbytes):
            raise ArtifactError(f"{where}: {key} has data_offsets "
                                f"{reprlib.repr(offsets)}; {dtype} {shape} takes "
                                f"{nbytes:,} bytes")
        spans.append((offsets[0], offsets[1], key))
    end = 0
    for begin, stop, key in sorted(spans):
        if begin != end:
            raise ArtifactError(f"{where}: {key} starts at byte {begin:,}, not "
                                f"{end:,}; tensors must follow one another, no gaps "
                                f"or overlaps")
        end = stop
    if end != len(data) - 8 - size:
        raise ArtifactError(f"{where}: the tensors take {end:,} bytes, the file holds "
                            f"{len(data) - 8 - size:,} after its header")


# --8<-- [end:header]


# --8<-- [start:weights]
def read_weights(data: bytes, model, where: str) -> dict[str, torch.Tensor]:
    """Check the header against ``model``, then read; refuse NaN, infinity and
    negative variances."""
    expected = model.state_dict()
    unknown = {t.dtype for t in expected.values()} - SAFETENSORS_DTYPES.keys()
    if unknown:
        raise ArtifactError(f"{where}: the architecture has {unknown} tensors")
    check_header(data, expected, where)
    try:
        state = safetensors.torch.load(data)
    except SafetensorError as err:
        raise ArtifactError(f"{where}: not a readable safetensors file "
                            f"({printable(err)})") from None
    for key, tensor in state.items():
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise ArtifactError(f"{where}: {key} contains NaN or infinity")
        if key.endswith("running_var") and (tensor < 0).any():
            raise ArtifactError(f"{where}: {key} holds a negative variance "
                                f"({tensor.min().item():g})")
    return state


def fill(model, state: dict, where: str):
    """The meta model with the checked tensors in place of its empty ones."""
    model.load_state_dict(state, assign=True)
    if any(t.is_meta for t in [*model.parameters(), *model.buffers()]):
        raise ArtifactError(f"{where}: the architecture has tensors it does not save")
    return model
# --8<-- [end:weights]


def _ints(value) -> bool:
    return isinstance(value, list) and all(_is(n, int) for n in value)


@torch.no_grad()
def check_fit(model, manifest: dict, name: str) -> None:
    """A blank and a full image in, finite scores out, one per label."""
    where = f"{name}/{MANIFEST}"
    shape = tuple(manifest["input"]["shape"])
    low, high = manifest["input"]["range"]
    x = torch.stack([torch.full(shape, float(low)), torch.full(shape, float(high))])
    try:
        out = model.eval()(x)
    except RuntimeError as err:
        raise ArtifactError(f"{where}: the model cannot take input.shape {shape} "
                            f"({(str(err).splitlines() or [''])[0]})") from None
    if tuple(out.shape) != (2, len(manifest["labels"])):
        raise ArtifactError(f"{where}: the model gives {tuple(out.shape)[1:]} outputs "
                            f"per image for {len(manifest['labels'])} labels")
    if not torch.isfinite(out).all():
        raise ArtifactError(f"{name}/{WEIGHTS}: the model gives NaN or infinity for "
                            f"a blank or a full image")


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
        from ``registry``, and the weights are raw bytes laid out as its header,
        checked against that architecture, says.
        """
        folder = Path(folder)
        name = printable(folder.name)
        blobs = read_folder(folder)
        check_checksums(blobs, name)
        where = f"{name}/{MANIFEST}"
        manifest = parse_manifest(blobs[MANIFEST], where)
        if manifest["files"][WEIGHTS] != sha256_bytes(blobs[WEIGHTS]):
            raise ArtifactError(f"{where}: records a different {WEIGHTS} than the "
                                f"one in the folder; the weights were swapped")
        architecture = check_architecture(manifest, where, registry,
                                          allow_code_change)
        # Everything above only read bytes; from here on they are used.
        model = build_model(architecture, manifest["architecture"]["kwargs"], where)
        state = read_weights(blobs[WEIGHTS], model, f"{name}/{WEIGHTS}")
        model = fill(model, state, f"{name}/{WEIGHTS}")
        check_fit(model, manifest, name)
        return cls(model, manifest, name, device)
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
            if not torch.isfinite(logits).all():
                first = start + int((~torch.isfinite(logits)).any(1).nonzero()[0])
                raise ArtifactError(f"{self.name}/{WEIGHTS}: the model gives NaN or "
                                    f"infinity for image {first}")
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
