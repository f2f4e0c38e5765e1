"""The corpus of bad artifacts and bad inputs (tests/fixtures/artifacts/, made by
tests/fixtures/make_artifacts.py): each is refused with its own one-line message,
and nothing it names runs or writes anything.

Each case is loaded from a copy inside a temporary folder that is also the
working directory, where the payloads would create ``payload-ran``; the test
checks that the folder is byte-for-byte what it was before. A representative
subset also goes through the command line's entry point with the program's own
registry, and one refusal of each exit status through a process of its own.
"""

import builtins
import hashlib
import io
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import fixture_builders
from digits_artifact import save_random_digits

from journal import paths
from snippets import artifact, predict
from snippets.artifact import (MAX_BYTES, PICKLE, WEIGHTS, ArtifactError,
                               CodeChangedWarning, Predictor)


builder = fixture_builders.load("make_artifacts")
CORPUS, REGISTRY, MARKER = builder.CORPUS, builder.REGISTRY, builder.MARKER
INPUTS = CORPUS / builder.INPUTS
CHANGED = "the file was changed or damaged after the artifact was saved"
PICKLE_REFUSED = ("a torch pickle, refused: unpickling can run code, so weights are "
                  "read only as safetensors")
ESCAPED = "evil\x1b]0;owned\x07\x1b[2J\u202e"  # a title change, a clear screen, RTL
ESCAPED_SHOWN = "evil\\x1b]0;owned\\x07\\x1b[2J\\u202e"

# Case -> the whole message it must be refused with.
REFUSALS = {
    "flipped-byte": f"flipped-byte/weights.safetensors: SHA-256 does not match the "
                    f"one in SHA256SUMS; {CHANGED}",
    "edited-manifest": f"edited-manifest/manifest.json: SHA-256 does not match the "
                       f"one in SHA256SUMS; {CHANGED}",
    "missing-weights": "missing-weights/weights.safetensors: no such file",
    "extra-file": "extra-file/notes.txt: unexpected file; an artifact holds exactly "
                  "manifest.json, weights.safetensors, SHA256SUMS",
    "path-escape": "path-escape/SHA256SUMS, line 2: '../weights.safetensors' is a "
                   "path; entries must be files in the artifact folder",
    "sums-rewritten": "sums-rewritten/manifest.json: records a different "
                      "weights.safetensors than the one in the folder; the weights "
                      "were swapped",
    "truncated-weights": "truncated-weights/weights.safetensors: the tensors take 112 "
                         "bytes, the file holds 108 after its header",
    "unknown-architecture": "unknown-architecture/manifest.json: unknown architecture "
                            "'resnet50'; this program builds only tiny-linear",
    "names-os-system": "names-os-system/manifest.json: unknown architecture "
                       "'os.system'; this program builds only tiny-linear",
    "names-subprocess-popen": "names-subprocess-popen/manifest.json: unknown "
                              "architecture 'subprocess.Popen'; this program builds "
                              "only tiny-linear",
    "old-format-class-path": "old-format-class-path/manifest.json: format_version 1 "
                             "is not supported (this code reads 3)",
    "different-code": "different-code/manifest.json: tiny-linear was built from "
                      "different code (source sha256 9b2f35496317 in the artifact, "
                      f"{REGISTRY['tiny-linear'].source_sha256()[:12]} here); pass "
                      "allow_code_change=True (--allow-code-change) to load it anyway",
    "missing-key": "missing-key/manifest.json: missing key 'out_of_distribution'",
    "huge-kwargs": "huge-kwargs/manifest.json: architecture.kwargs.n_in must be an "
                   "integer in [1, 64], got 1099511627776",
    "unknown-kwarg": "unknown-kwarg/manifest.json: architecture.kwargs.bias is not an "
                     "argument of this architecture (allowed: n_in, n_classes)",
    "huge-input-shape": "huge-input-shape/manifest.json: input.shape must be a list "
                        "of 1 to 4 integers in [1, 1024] whose product is at most "
                        "65,536; got [1, 100000, 100000]",
    "long-integer": "long-integer/manifest.json: an integer with 5,000 digits; at "
                    "most 20 are allowed",
    "huge-float": "huge-float/manifest.json: 1e999 overflows to infinity",
    "nan-token": "nan-token/manifest.json: NaN is not a JSON number",
    "infinity-token": "infinity-token/manifest.json: Infinity is not a JSON number",
    "duplicate-labels": "duplicate-labels/manifest.json: duplicate key 'labels'",
    "pickle-payload": f"pickle-payload/weights.pt: {PICKLE_REFUSED}",
    "pickle-stride-zero": f"pickle-stride-zero/weights.pt: {PICKLE_REFUSED}",
    "pickle-deflated": f"pickle-deflated/weights.pt: {PICKLE_REFUSED}",
    "pickle-meta-tensor": f"pickle-meta-tensor/weights.pt: {PICKLE_REFUSED}",
    "pickle-sparse-tensor": f"pickle-sparse-tensor/weights.pt: {PICKLE_REFUSED}",
    "pickle-renamed": f"pickle-renamed/weights.safetensors: {PICKLE_REFUSED}",
    "header-length-huge": "header-length-huge/weights.safetensors: not a safetensors "
                          "file (a header of 4,611,686,018,427,387,904 bytes in a "
                          "file of 600)",
    "huge-shape": "huge-shape/weights.safetensors: linear.weight is 'F32' "
                  "[100000, 100000], the architecture expects 'F32' [2, 4]",
    "overflowing-shape": "overflowing-shape/weights.safetensors: linear.weight is "
                         "'F32' [9223372036854775808, 9223372036854775808, 4], the "
                         "architecture expects 'F32' [2, 4]",
    "wrong-dtype": "wrong-dtype/weights.safetensors: linear.weight is 'F64' [2, 4], "
                   "the architecture expects 'F32' [2, 4]",
    "aliased-tensors": "aliased-tensors/weights.safetensors: norm.running_var starts "
                       "at byte 64, not 80; tensors must follow one another, no gaps "
                       "or overlaps",
    "duplicate-tensor": "duplicate-tensor/weights.safetensors header: duplicate key "
                        "'linear.bias'",
    "nan-in-header": "nan-in-header/weights.safetensors header: NaN is not a JSON "
                     "number",
    "wrong-shapes": "wrong-shapes/weights.safetensors: linear.weight is 'F32' [3, 4], "
                    "the architecture expects 'F32' [2, 4]",
    "nan-weights": "nan-weights/weights.safetensors: linear.bias contains NaN or "
                   "infinity",
    "negative-running-var": "negative-running-var/weights.safetensors: "
                            "norm.running_var holds a negative variance (-1)",
    "infinite-output": "infinite-output/weights.safetensors: the model gives NaN or "
                       "infinity for a blank or a full image",
    # made by copy_case, not committed
    "symlink": "symlink/manifest.json: is a symbolic link; only regular files are "
               "read",
    "fifo": "fifo/weights.safetensors: not a regular file",
    "oversized": f"oversized/weights.safetensors: larger than the "
                 f"{MAX_BYTES[WEIGHTS]:,} bytes allowed",
    ESCAPED: f"{ESCAPED_SHOWN}/weights.safetensors: no such file",
}
MADE_BY_TEST = {"symlink", "fifo", "oversized", ESCAPED}
# The command line sees these from another process, with its own registry.
THROUGH_CLI = ["names-os-system", "pickle-payload", "pickle-renamed", "long-integer",
               "duplicate-labels", "overflowing-shape", "fifo", ESCAPED]

# Input file -> the whole stderr line it must be refused with (exit status 2).
INPUT_REFUSALS = {
    "gif.png": "error: gif.png: not a PNG image",
    "tiff.png": "error: tiff.png: not a PNG image",
    "xpm.png": "error: xpm.png: not a PNG image",
    "eps.png": "error: eps.png: not a PNG image",
    "npz.npy": "error: npz.npy: a .npz archive (zip), not a .npy array",
    "claims-1e10x784.npy": "error: claims-1e10x784.npy: the header says "
                           "(10000000000, 784) float32, 31,360,000,000,000 bytes, and "
                           "the file holds 0",
    "object-array.npy": "error: object-array.npy: a .npy array of object; only "
                        "numbers are read",
}


def snapshot(folder: Path) -> dict[str, str]:
    """Every path under ``folder`` with a hash of its content (or link target)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            out[str(path)] = "-> " + os.readlink(path)
        elif path.is_fifo():
            out[str(path)] = "fifo"
        elif path.is_file():
            out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            out[str(path)] = "dir"
    return out


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """An empty working directory, where a payload would leave its marker."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def copy_case(name: str, workdir: Path) -> Path:
    """A copy of one case under ``workdir``; the cases in MADE_BY_TEST are made here."""
    if name not in MADE_BY_TEST:
        return shutil.copytree(CORPUS / name, workdir / name)
    folder = shutil.copytree(CORPUS / "good", workdir / name)
    if name == "symlink":  # the manifest swapped for a link to a secret
        (workdir / "secret.txt").write_text("password=hunter2\n")
        (folder / "manifest.json").unlink()
        (folder / "manifest.json").symlink_to(workdir / "secret.txt")
    elif name == "fifo":  # reading it would block until someone writes
        (folder / WEIGHTS).unlink()
        os.mkfifo(folder / WEIGHTS)
    elif name == "oversized":
        os.truncate(folder / WEIGHTS, MAX_BYTES[WEIGHTS] + 1)  # sparse: no disk used
    else:
        (folder / WEIGHTS).unlink()
    return folder


def test_corpus_has_every_case():
    on_disk = {p.name for p in CORPUS.iterdir()} - {"good", builder.INPUTS,
                                                   builder.OVERFLOWS_ON_SOME_INPUT}
    assert on_disk == set(REFUSALS) - MADE_BY_TEST == set(builder.CASES)
    assert {p.name for p in INPUTS.iterdir()} == set(INPUT_REFUSALS) | {
        builder.SIXTEEN_BIT}


def test_corpus_is_what_the_builder_writes(tmp_path, monkeypatch):
    monkeypatch.setattr(builder, "CORPUS", tmp_path / "artifacts")
    monkeypatch.chdir(paths.ROOT)
    builder.main()
    rebuilt = {str(p.relative_to(tmp_path / "artifacts")): p.read_bytes()
               for p in sorted((tmp_path / "artifacts").rglob("*")) if p.is_file()}
    committed = {str(p.relative_to(CORPUS)): p.read_bytes()
                 for p in sorted(CORPUS.rglob("*")) if p.is_file()}
    assert rebuilt.keys() == committed.keys()
    stale = [name for name in rebuilt if rebuilt[name] != committed[name]]
    assert not stale, f"re-run python tests/fixtures/make_artifacts.py: {stale}"


def test_corpus_files_are_small():
    assert max(p.stat().st_size for p in CORPUS.rglob("*") if p.is_file()) < 32_000


def test_good_artifact_loads_and_predicts(workdir):
    predictor = Predictor.load(copy_case("good", workdir), registry=REGISTRY)
    x = np.array([[0.0, 0.5, 1.0, 0.25]], dtype=np.float32)
    torch.manual_seed(0)
    net = builder.TinyNet().eval()
    want = torch.softmax(net(torch.from_numpy(x)), 1).detach().numpy()
    np.testing.assert_allclose(predictor.predict_proba(x), want, rtol=0, atol=1e-7)


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_bad_artifact_is_refused_and_runs_nothing(name, workdir):
    folder = copy_case(name, workdir)
    before = snapshot(workdir)
    with pytest.raises(ArtifactError) as info:
        Predictor.load(folder, registry=REGISTRY)
    assert str(info.value) == REFUSALS[name]
    assert "\n" not in str(info.value) and "hunter2" not in str(info.value)
    assert not (workdir / MARKER).exists()
    assert snapshot(workdir) == before


def test_each_file_is_opened_once_and_never_by_name(workdir, monkeypatch):
    """No check-then-reopen: the descriptor that is checked is the one read."""
    folder = copy_case("good", workdir)
    opened = []
    real_os_open, real_open = os.open, builtins.open

    def os_open(path, *args, **kwargs):
        opened.append(os.fspath(path))
        return real_os_open(path, *args, **kwargs)

    def by_name(file, *args, **kwargs):
        assert not str(file).startswith(str(folder)), f"re-opened {file} by name"
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(builtins, "open", by_name)
    Predictor.load(folder, registry=REGISTRY)
    assert sorted(opened) == sorted([str(folder), *MAX_BYTES])


def test_different_code_loads_when_allowed_with_a_warning(workdir):
    folder = copy_case("different-code", workdir)
    with pytest.warns(CodeChangedWarning) as caught:
        Predictor.load(folder, registry=REGISTRY, allow_code_change=True)
    assert [str(w.message) for w in caught] == [
        REFUSALS["different-code"].split("; pass")[0]]


@pytest.mark.parametrize("name", ["pickle-payload", "pickle-renamed"])
def test_the_payload_is_real(name, workdir):
    """Unpickled without weights_only, the payload does create the marker, so its
    absence in the tests above means something."""
    folder = copy_case(name, workdir)
    weights = folder / (PICKLE if name == "pickle-payload" else WEIGHTS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.load(io.BytesIO(weights.read_bytes()), weights_only=False)
    assert (workdir / MARKER).exists()


def test_output_overflow_is_refused_when_predicting(workdir, capsys):
    """Finite weights, a blank and a full image fine: one input overflows."""
    folder = copy_case(builder.OVERFLOWS_ON_SOME_INPUT, workdir)
    predictor = Predictor.load(folder, registry=REGISTRY)
    x = np.array([[0.0, 0.0, 0.0, 0.0], [1.0, 0.0, 1.0, 0.0]], np.float32)
    with pytest.raises(ArtifactError, match=r"^overflows-on-some-input/weights"
                                            r".safetensors: the model gives NaN or "
                                            r"infinity for image 1$"):
        predictor.predict_proba(x)
    np.save("x.npy", x)
    assert predict.main([folder.name, "x.npy"], registry=REGISTRY) == 1
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"error: {folder.name}/weights.safetensors: the model "
                              f"gives NaN or infinity for image 1\n")


def run_command_line(args, capsys):
    """``python -m snippets.predict ARGS`` in this process, with the program's
    own registry: (exit status, stdout, stderr)."""
    status = predict.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("name", THROUGH_CLI)
def test_command_line_refuses_bad_artifacts(name, workdir, capsys):
    """With the program's own registry: exit status 1, one line on stderr naming
    the folder, nothing on stdout, no marker."""
    folder = copy_case(name, workdir)
    np.save(workdir / "x.npy", np.zeros((1, 28, 28), np.float32))
    before = snapshot(workdir)
    status, out, err = run_command_line([folder.name, "x.npy"], capsys)
    assert (status, out) == (1, "")
    shown = ESCAPED_SHOWN if name == ESCAPED else name
    assert err.startswith(f"error: {shown}/")
    assert err.count("\n") == 1 and "\x1b" not in err
    assert not (workdir / MARKER).exists()
    assert snapshot(workdir) == before


# -- inputs -----------------------------------------------------------------------

@pytest.fixture
def tiny(workdir):
    return copy_case("good", workdir)


def predict_tiny(folder, capsys, input_name):
    """predict.main on the corpus's good artifact, in this process."""
    status = predict.main([folder.name, input_name], registry=REGISTRY)
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("name", sorted(INPUT_REFUSALS))
def test_bad_input_is_refused_and_runs_nothing(name, tiny, workdir, capsys):
    shutil.copy(INPUTS / name, workdir / name)
    before = snapshot(workdir)
    assert predict_tiny(tiny, capsys, name) == (2, "", INPUT_REFUSALS[name] + "\n")
    assert not (workdir / MARKER).exists()
    assert snapshot(workdir) == before


def test_sixteen_bit_png_is_scaled_by_65535(tiny, workdir, capsys):
    data = (INPUTS / builder.SIXTEEN_BIT).read_bytes()
    pixels = predict.read_image(data, (1, 2, 2))
    want = np.array([[[[0, 1000 / 65535], [40000 / 65535, 1.0]]]], np.float32)
    np.testing.assert_allclose(pixels, want, rtol=1e-6)
    shutil.copy(INPUTS / builder.SIXTEEN_BIT, workdir)
    np.save("same.npy", want)
    from_png = predict_tiny(tiny, capsys, builder.SIXTEEN_BIT)
    assert from_png == predict_tiny(tiny, capsys, "same.npy")
    assert from_png[0] == 0


@pytest.mark.parametrize("kind", ["symlink", "fifo", "escaped"])
def test_input_that_is_not_a_plain_file_is_refused(kind, tiny, workdir, capsys):
    if kind == "symlink":
        (workdir / "secret.txt").write_text("password=hunter2\n")
        (workdir / "in.npy").symlink_to(workdir / "secret.txt")
        name, message = "in.npy", "is a symbolic link; only regular files are read"
    elif kind == "fifo":
        os.mkfifo(workdir / "in.npy")
        name, message = "in.npy", "not a regular file"
    else:
        name = ESCAPED + ".png"
        (workdir / name).write_bytes(b"GIF89a")
        message = "not a PNG image"
    shown = ESCAPED_SHOWN + ".png" if kind == "escaped" else name
    assert predict_tiny(tiny, capsys, name) == (2, "",
                                                   f"error: {shown}: {message}\n")


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    """A digits-convnet artifact, for the command line's own registry."""
    return save_random_digits(tmp_path_factory.mktemp("digits") / "digits-v1", "1")


@pytest.mark.parametrize("name", ["eps.png", "npz.npy",
                                  "claims-1e10x784.npy", ESCAPED + ".npy"])
def test_command_line_refuses_bad_input(name, digits, workdir, capsys):
    if name.startswith(ESCAPED):
        (workdir / name).write_bytes(b"\x93NUMPY\x09\x00")
        line = f"error: {ESCAPED_SHOWN}.npy: not a readable .npy array"
    else:
        shutil.copy(INPUTS / name, workdir / name)
        line = INPUT_REFUSALS[name]
    before = snapshot(workdir)
    status, out, err = run_command_line([digits, name], capsys)
    assert (status, out) == (2, "")
    assert err.startswith(line) and err.count("\n") == 1 and "\x1b" not in err
    assert not (workdir / MARKER).exists()
    assert snapshot(workdir) == before


@pytest.mark.parametrize("case, status", [("artifact", 1), ("input", 2)])
def test_command_process_exits_with_one_escaped_line(case, status, digits, workdir):
    """As a command in a process of its own: the exit status, one line on
    stderr with the terminal's control characters escaped, nothing on stdout."""
    np.save(workdir / "x.npy", np.zeros((1, 28, 28), np.float32))
    if case == "artifact":
        args, shown = [copy_case(ESCAPED, workdir).name, "x.npy"], ESCAPED_SHOWN + "/"
    else:
        (workdir / f"{ESCAPED}.npy").write_bytes(b"\x93NUMPY\x09\x00")
        args, shown = [str(digits), f"{ESCAPED}.npy"], ESCAPED_SHOWN + ".npy: "
    before = snapshot(workdir)
    run = subprocess.run([sys.executable, "-m", "snippets.predict", *args],
                         cwd=workdir, capture_output=True, text=True, timeout=120)
    assert (run.returncode, run.stdout) == (status, "")
    assert run.stderr.startswith(f"error: {shown}") and run.stderr.count("\n") == 1
    assert "\x1b" not in run.stderr
    assert snapshot(workdir) == before
