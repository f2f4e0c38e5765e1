"""Artifacts: reload gives the same predictions; damage, bad manifests and bad input
are refused. The corpus of hostile artifacts is in test_artifact_corpus.py."""

import json
import re
import warnings

import numpy as np
import pytest
import torch

from snippets import artifact
from snippets.architectures import ARCHITECTURES, Architecture
from safetensors.torch import save_file

from snippets.artifact import (WEIGHTS, ArtifactError, CodeChangedWarning, InputError,
                               Predictor)
from snippets.convnet import Net

INPUT = {"shape": [1, 28, 28], "dtype": "float32", "range": [0.0, 1.0], "scale": 255.0,
         "description": "28x28 grey digits, white on black, in [0, 1]"}
EVALUATION = {"dataset": "random", "dataset_sha256": "0" * 64, "split": "test",
              "images": 0, "metrics": {"test_accuracy": 0.5}}


def save(folder, model, **changes):
    args = dict(architecture="digits-convnet",
                kwargs={"channels": [8, 16], "n_classes": 10}, name="digits",
                version="1.0.0", labels=[str(d) for d in range(10)], input_spec=INPUT,
                training={"seed": 0}, evaluation=EVALUATION,
                out_of_distribution="Random weights: not evaluated on anything.")
    return artifact.save_artifact(folder, model, **{**args, **changes})


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(0)
    model = Net(channels=(8, 16)).eval()
    return save(tmp_path / "digits-v1", model), model


def _images(n=20, seed=0):
    return np.random.default_rng(seed).random((n, 784), dtype=np.float32)


def rewrite_manifest(folder, change):
    """Edit the manifest and re-seal: consistent checksums, so only the schema can
    refuse it."""
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    change(manifest)
    path.write_text(json.dumps(manifest))
    artifact.seal(folder)


# -- saving ---------------------------------------------------------------------------

def test_folder_contents_and_manifest(saved):
    folder, _ = saved
    assert sorted(p.name for p in folder.iterdir()) == ["SHA256SUMS", "manifest.json",
                                                        "weights.safetensors"]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["architecture"] == {
        "name": "digits-convnet", "kwargs": {"channels": [8, 16], "n_classes": 10},
        "source_sha256": ARCHITECTURES["digits-convnet"].source_sha256()}
    commit = manifest["built_from"]["git_commit"]
    assert commit is None or re.fullmatch(r"[0-9a-f]{40}", commit)
    assert manifest["input"]["description"].startswith("28x28 grey digits")
    assert manifest["evaluation"]["metrics"] == {"test_accuracy": 0.5}
    assert manifest["out_of_distribution"].startswith("Random weights")
    assert set(manifest["versions"]) == {"python", "torch", "numpy", "safetensors"}
    weights_hash = artifact.sha256_bytes((folder / WEIGHTS).read_bytes())
    assert manifest["files"] == {WEIGHTS: weights_hash}
    sums = (folder / "SHA256SUMS").read_text().splitlines()
    assert sums[1] == f"{weights_hash}  {WEIGHTS}"
    assert not folder.with_name("digits-v1.partial").exists()


def test_refuses_to_overwrite_by_accident(saved):
    folder, model = saved
    with pytest.raises(ArtifactError, match="digits-v1: already exists"):
        save(folder, model)


def test_save_refuses_what_would_not_load(tmp_path):
    """Unknown names and kwargs that do not rebuild the model never reach disk."""
    model = Net(channels=(8, 16))
    with pytest.raises(ArtifactError, match="unknown architecture 'resnet50'"):
        save(tmp_path / "a", model, architecture="resnet50")
    with pytest.raises(ArtifactError, match=r"features.0.weight is 'F32' "
                                            r"\[8, 1, 3, 3\], the architecture "
                                            r"expects 'F32' \[4, 1, 3, 3\]"):
        save(tmp_path / "b", model, kwargs={"channels": [4, 16], "n_classes": 10})
    assert list(tmp_path.iterdir()) == []


# -- loading --------------------------------------------------------------------------

def test_reload_gives_identical_predictions(saved):
    folder, model = saved
    predictor = Predictor.load(folder)
    x = _images()
    with torch.no_grad():
        want = torch.softmax(model(torch.from_numpy(x).reshape(-1, 1, 28, 28)), 1)
    np.testing.assert_array_equal(predictor.predict_proba(x), want.numpy())
    again = Predictor.load(folder)
    np.testing.assert_array_equal(again.predict_proba(x), predictor.predict_proba(x))
    assert predictor.predict(x) == [str(i) for i in want.argmax(1).tolist()]


def test_loading_draws_no_random_numbers(saved):
    """The model is built on the meta device, so the caller's RNG is untouched."""
    torch.manual_seed(123)
    want = torch.rand(3)
    torch.manual_seed(123)
    Predictor.load(saved[0])
    torch.testing.assert_close(torch.rand(3), want, rtol=0, atol=0)


def test_batches_equal_single_predictions(saved):
    predictor = Predictor.load(saved[0])
    x = _images(13)
    whole = predictor.predict_proba(x, batch_size=256)
    for batch_size in (1, 4):
        np.testing.assert_allclose(predictor.predict_proba(x, batch_size=batch_size),
                                   whole, atol=1e-6, rtol=0)
    singles = [predictor.predict(x[i:i + 1])[0] for i in range(13)]
    assert singles == predictor.predict(x)
    assert predictor.predict(x.reshape(13, 28, 28)[:, None]) == predictor.predict(x)


def test_corrupted_weights_are_refused(saved):
    folder, _ = saved
    data = bytearray((folder / WEIGHTS).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / WEIGHTS).write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match=r"digits-v1/weights.safetensors: SHA-256 "
                                            r"does not match .*changed"):
        Predictor.load(folder)


def test_a_consistent_rewrite_is_not_detected(saved):
    """The documented limit: whoever rewrites weights, manifest and SHA256SUMS
    together gets through. Here two labels' output rows are swapped and resealed."""
    folder, model = saved
    state = model.state_dict()
    for key in ("head.2.weight", "head.2.bias"):
        state[key] = state[key][[0, 1, 2, 5, 4, 3, 6, 7, 8, 9]]
    save_file(state, folder / WEIGHTS)
    artifact.seal(folder)
    x = _images(50)
    with torch.no_grad():
        logits = model(torch.from_numpy(x).reshape(-1, 1, 28, 28))
    original = [str(i) for i in logits.argmax(1).tolist()]
    swapped = {"3": "5", "5": "3"}
    assert Predictor.load(folder).predict(x) == [swapped.get(y, y) for y in original]
    assert set(original) & {"3", "5"}  # so that something did change


@pytest.mark.parametrize("change, message", [
    (lambda m: m.pop("labels"), "missing key 'labels'"),
    (lambda m: m.update(notes="hi"), "unexpected key 'notes'"),
    (lambda m: m["input"].pop("description"), "missing key 'input.description'"),
    (lambda m: m["architecture"].update(extra=1),
     "unexpected key 'architecture.extra'"),
    (lambda m: m.update(format_version=True),
     r"format_version True is not supported \(this code reads 3\)"),
    (lambda m: m.update(input=[]), "'input' should be an object"),
    (lambda m: m["evaluation"].update(images="1000"),
     "'evaluation.images' should be int, got str"),
    (lambda m: m["built_from"].update(git_commit=7),
     "'built_from.git_commit' should be str or null, got int"),
    (lambda m: m["input"].update(dtype="object"), "input.dtype must be float32 or "),
    (lambda m: m["input"].update(shape=[1, 0, 28]), "input.shape must be a list of "),
    (lambda m: m["input"].update(range=[1, 0]), r"input.range must be \[low, high\]"),
    (lambda m: m.update(labels=["1", "1"]), "labels must be distinct strings"),
    (lambda m: m["architecture"].update(source_sha256="abc"),
     "architecture.source_sha256 must be 64 lower-case hex digits"),
    (lambda m: m.update(labels=["a", "b", "c"]),
     r"manifest.json: the model gives \(10,\) outputs per image for 3 labels"),
    (lambda m: m["input"].update(shape=[1, 8, 8]),
     r"manifest.json: the model cannot take input.shape \(1, 8, 8\) \(mat1 and mat2"),
    (lambda m: m["architecture"].update(kwargs={"channels": "abc"}),
     r"manifest.json: architecture.kwargs.channels must be a list of 1 to 3 "
     r"integers in \[1, 256\], got 'abc'"),
    (lambda m: m["architecture"].update(kwargs={"channels": [8, 16, 32, 64]}),
     r"kwargs.channels must be a list of 1 to 3 integers"),
    (lambda m: m["architecture"].update(kwargs={"channels": [8, 1 << 20]}),
     r"kwargs.channels must be .*, got \[8, 1048576\]"),
    (lambda m: m["architecture"].update(kwargs={"n_classes": True}),
     r"kwargs.n_classes must be an integer in \[1, 1000\], got True"),
    (lambda m: m["architecture"].update(kwargs={"dropout": 2}),
     r"kwargs.dropout must be a number in \[0, 1\], got 2"),
    (lambda m: m["architecture"].update(kwargs={"inplace": 1}),
     r"kwargs.inplace is not an argument of this architecture \(allowed: channels, "
     r"n_classes, dropout\)"),
    (lambda m: m["input"].update(shape=[1, 28, 28, 1, 1]), "input.shape must be a "
     "list of 1 to 4 integers"),
    (lambda m: m["input"].update(shape=[1, 2000, 28]), r"in \[1, 1024\]"),
    (lambda m: m["input"].update(shape=[1, 1024, 1024]), "product is at most 65,536"),
])
def test_sealed_but_invalid_manifest_is_refused(saved, change, message):
    """Even with SHA256SUMS rewritten to match, the manifest is checked on its own."""
    folder, _ = saved
    rewrite_manifest(folder, change)
    with pytest.raises(ArtifactError, match=message):
        Predictor.load(folder)


@pytest.mark.parametrize("text, message", [
    (b"{not json", r"manifest.json: not valid JSON \(Expecting property name"),
    (b'{"a": 1, "a": 2}', "manifest.json: duplicate key 'a'"),
    (b'{"a": [-Infinity]}', "manifest.json: -Infinity is not a JSON number"),
    (b'{"a": -' + b"1" * 4400 + b"}", "an integer with 4,400 digits"),
    (b"\xff\xfe", "manifest.json: not valid JSON"),
    (b"[1, 2]", "manifest.json: expected a JSON object"),
    (b"[" * 30000 + b"]" * 30000, "manifest.json: not valid JSON"),
])
def test_unreadable_manifest_is_refused(saved, text, message):
    folder, _ = saved
    (folder / "manifest.json").write_bytes(text)
    # seal() cannot read this manifest, so SHA256SUMS is written by hand
    sums = [f"{artifact.sha256_bytes((folder / f).read_bytes())}  {f}\n"
            for f in ("manifest.json", WEIGHTS)]
    (folder / "SHA256SUMS").write_text("".join(sums))
    with pytest.raises(ArtifactError, match=message):
        Predictor.load(folder)


def test_model_code_change_is_refused_unless_allowed(saved):
    folder, _ = saved
    # The same constructor, but the registry now says Net alone defines it.
    entry = ARCHITECTURES["digits-convnet"]
    edited = {"digits-convnet": Architecture(build=Net, source=(Net,),
                                             kwargs=entry.kwargs)}
    with pytest.raises(ArtifactError, match=r"digits-convnet was built from different "
                                            r"code \(source sha256 [0-9a-f]{12} in the "
                                            r"artifact, [0-9a-f]{12} here\); pass "
                                            r"allow_code_change=True"):
        Predictor.load(folder, registry=edited)
    with pytest.warns(CodeChangedWarning, match="built from different code"):
        predictor = Predictor.load(folder, registry=edited, allow_code_change=True)
    x = _images(5)
    np.testing.assert_array_equal(predictor.predict_proba(x),
                                  Predictor.load(folder).predict_proba(x))


def test_same_code_loads_without_warnings(saved):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Predictor.load(saved[0])


def test_missing_folder_is_refused(tmp_path):
    with pytest.raises(ArtifactError, match="nowhere: artifact folder not found"):
        Predictor.load(tmp_path / "nowhere")


def test_error_messages_hold_no_absolute_paths(saved):
    folder, _ = saved
    (folder / WEIGHTS).write_bytes(b"not a checkpoint")
    artifact.seal(folder)
    with pytest.raises(ArtifactError, match=r"weights.safetensors: not a safetensors "
                                            r"file \(a header of") as info:
        Predictor.load(folder)
    assert str(folder.parent) not in str(info.value)


# -- input ----------------------------------------------------------------------------

@pytest.mark.parametrize("bad, message", [
    (np.zeros((2, 28), np.float32), r"expected shape \(N, 1, 28, 28\)"),
    (np.zeros((784,), np.float32), r"single image needs x\[None\]"),
    (np.zeros((2, 784), np.uint8), "divide by 255 first"),
    (np.zeros((2, 784), bool), "expected floating-point pixels, got bool"),
    (np.full((2, 784), 255.0, np.float32), r"must lie in \[0, 1\], got \[255, 255\]"),
    (np.full((2, 784), -0.5, np.float32), r"must lie in \[0, 1\]"),
    ([[0.0] * 784], "expected a NumPy array, got list"),
])
def test_wrong_input_is_refused_with_a_clear_error(saved, bad, message):
    predictor = Predictor.load(saved[0])
    with pytest.raises(InputError, match=message):
        predictor.predict(bad)


def test_nan_is_refused_and_located(saved):
    predictor = Predictor.load(saved[0])
    x = _images(5)
    x[3, 100] = np.nan
    with pytest.raises(InputError, match=r"1 image\(s\) contain NaN .*index 3"):
        predictor.predict(x)
    with pytest.raises(InputError, match="batch_size must be a positive integer"):
        predictor.predict(_images(2), batch_size=0)


def test_float64_is_accepted_and_empty_input_gives_empty_output(saved):
    predictor = Predictor.load(saved[0])
    x = _images(4)
    assert predictor.predict(x.astype(np.float64)) == predictor.predict(x)
    assert predictor.predict(np.zeros((0, 784), np.float32)) == []
