"""The corpus of bad artifacts (tests/fixtures/artifacts/, made by
tests/fixtures/make_artifacts.py): each is refused with its own message, and
nothing it names runs or writes anything.

Each case is loaded from a copy inside a temporary folder that is also the
working directory, where the payloads would create ``payload-ran``; the test
checks that the folder is byte-for-byte what it was before.
"""

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from journal import paths
from snippets.artifact import MAX_BYTES, WEIGHTS, ArtifactError, CodeChangedWarning, \
    Predictor

FIXTURES = paths.TESTS / "fixtures"


def _import_builder():
    spec = importlib.util.spec_from_file_location(
        "make_artifacts", FIXTURES / "make_artifacts.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # inspect.getsource finds TinyNet through it
    spec.loader.exec_module(module)
    return module


builder = _import_builder()
CORPUS, REGISTRY, MARKER = builder.CORPUS, builder.REGISTRY, builder.MARKER
CHANGED = "the file was changed or damaged after the artifact was saved"

# Case -> the whole message it must be refused with.
REFUSALS = {
    "flipped-byte": f"flipped-byte/weights.pt: SHA-256 does not match the one in "
                    f"SHA256SUMS; {CHANGED}",
    "edited-manifest": f"edited-manifest/manifest.json: SHA-256 does not match the "
                       f"one in SHA256SUMS; {CHANGED}",
    "missing-weights": "missing-weights/weights.pt: missing",
    "extra-file": "extra-file/notes.txt: unexpected file; an artifact holds exactly "
                  "manifest.json, weights.pt, SHA256SUMS",
    "path-escape": "path-escape/SHA256SUMS, line 2: '../weights.pt' is a path; "
                   "entries must be files in the artifact folder",
    "unknown-architecture": "unknown-architecture/manifest.json: unknown architecture "
                            "'resnet50'; this program builds only tiny-linear",
    "names-os-system": "names-os-system/manifest.json: unknown architecture "
                       "'os.system'; this program builds only tiny-linear",
    "names-subprocess-popen": "names-subprocess-popen/manifest.json: unknown "
                              "architecture 'subprocess.Popen'; this program builds "
                              "only tiny-linear",
    "old-format-class-path": "old-format-class-path/manifest.json: format_version 1 "
                             "is not supported (this code reads 2)",
    "different-code": "different-code/manifest.json: tiny-linear was built from "
                      "different code (source sha256 9b2f35496317 in the artifact, "
                      "4804436baded here); pass allow_code_change=True "
                      "(--allow-code-change) to load it anyway",
    "missing-key": "missing-key/manifest.json: missing key 'out_of_distribution'",
    "sums-rewritten": "sums-rewritten/manifest.json: records a different weights.pt "
                      "than the one in the folder; the weights were swapped",
    "pickle-payload": "pickle-payload/weights.pt: refused by "
                      "torch.load(weights_only=True): Unsupported global: GLOBAL exec "
                      "was not an allowed global by default",
    "wrong-shapes": "wrong-shapes/weights.pt: linear.weight is (3, 4) torch.float32, "
                    "the architecture expects (2, 4) torch.float32",
    "nan-weights": "nan-weights/weights.pt: linear.bias contains NaN or infinity",
    "symlink": "symlink/weights.pt: is a symbolic link; an artifact holds only "
               "regular files",
    "oversized": f"oversized/weights.pt: larger than the {MAX_BYTES[WEIGHTS]:,} bytes "
                 f"an artifact may hold in it",
}
MALICIOUS = ["names-os-system", "names-subprocess-popen", "old-format-class-path",
             "pickle-payload"]


def snapshot(folder: Path) -> dict[str, str]:
    """Every path under ``folder`` with a hash of its content (or link target)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            out[str(path)] = "-> " + os.readlink(path)
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
    """A copy of one case under ``workdir``; symlink and oversized are made here."""
    if name in ("symlink", "oversized"):
        folder = shutil.copytree(CORPUS / "good", workdir / name)
        weights = folder / WEIGHTS
        if name == "symlink":
            outside = shutil.copy(weights, workdir / "elsewhere.pt")
            weights.unlink()
            weights.symlink_to(os.path.relpath(outside, folder))
        else:
            os.truncate(weights, MAX_BYTES[WEIGHTS] + 1)  # sparse: no disk used
        return folder
    return shutil.copytree(CORPUS / name, workdir / name)


def test_corpus_has_every_case():
    on_disk = {p.name for p in CORPUS.iterdir() if p.is_dir()} - {"good"}
    assert on_disk == set(REFUSALS) - {"symlink", "oversized"} == set(builder.CASES)


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


def test_good_artifact_loads_and_predicts(workdir):
    predictor = Predictor.load(copy_case("good", workdir), registry=REGISTRY)
    x = np.array([[0.0, 0.5, 1.0, 0.25]], dtype=np.float32)
    torch.manual_seed(0)
    want = torch.softmax(builder.TinyNet()(torch.from_numpy(x)), 1).detach().numpy()
    np.testing.assert_allclose(predictor.predict_proba(x), want, rtol=0, atol=1e-7)


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_bad_artifact_is_refused_and_runs_nothing(name, workdir):
    folder = copy_case(name, workdir)
    before = snapshot(workdir)
    with pytest.raises(ArtifactError) as info:
        Predictor.load(folder, registry=REGISTRY)
    assert str(info.value) == REFUSALS[name]
    assert not (workdir / MARKER).exists()
    assert snapshot(workdir) == before


def test_different_code_loads_when_allowed_with_a_warning(workdir):
    folder = copy_case("different-code", workdir)
    with pytest.warns(CodeChangedWarning) as caught:
        Predictor.load(folder, registry=REGISTRY, allow_code_change=True)
    assert [str(w.message) for w in caught] == [
        REFUSALS["different-code"].split("; pass")[0]]


def test_the_payload_is_real(workdir):
    """Unpickled without weights_only, the payload does create the marker, so its
    absence in the tests above means something."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.load(CORPUS / "pickle-payload" / WEIGHTS, weights_only=False)
    assert (workdir / MARKER).exists()


@pytest.mark.parametrize("name", MALICIOUS)
def test_command_line_refuses_malicious_artifacts(name, workdir):
    """From another process, with the program's own registry: exit status 1, one
    line on stderr, nothing on stdout, no marker."""
    folder = copy_case(name, workdir)
    np.save(workdir / "x.npy", np.zeros((1, 28, 28), np.float32))
    before = snapshot(workdir)
    run = subprocess.run([sys.executable, "-m", "snippets.predict", name, "x.npy"],
                         cwd=workdir, capture_output=True, text=True, timeout=120)
    assert (run.returncode, run.stdout) == (1, "")
    assert run.stderr.startswith(f"error: {folder.name}/")
    assert run.stderr.count("\n") == 1
    assert not (workdir / MARKER).exists()
    assert snapshot(workdir) == before
