"""Artifacts: reload gives the same predictions; damage and bad input are refused."""

import json

import numpy as np
import pytest
import torch

from snippets import artifact
from snippets.artifact import ArtifactError, InputError, Predictor
from snippets.convnet import Net

INPUT = {"shape": [1, 28, 28], "dtype": "float32", "range": [0.0, 1.0], "scale": 255.0}


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(0)
    model = Net(channels=(8, 16)).eval()
    folder = artifact.save_artifact(
        tmp_path / "digits-v1", model, name="digits", version="1.0.0",
        model_kwargs={"channels": [8, 16], "n_classes": 10},
        labels=[str(d) for d in range(10)], input_spec=INPUT,
        metrics={"test_accuracy": 0.5}, training={"seed": 0})
    return folder, model


def _images(n=20, seed=0):
    return np.random.default_rng(seed).random((n, 784), dtype=np.float32)


def test_folder_contents_and_checksums(saved):
    folder, _ = saved
    assert sorted(p.name for p in folder.iterdir()) == ["SHA256SUMS", "manifest.json",
                                                        "weights.pt"]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["labels"] == [str(d) for d in range(10)]
    assert set(manifest["versions"]) == {"python", "torch", "numpy"}
    weights_hash = artifact.sha256_file(folder / "weights.pt")
    assert manifest["files"]["weights.pt"] == weights_hash
    listed = artifact.verify_files(folder)
    assert set(listed) == {"manifest.json", "weights.pt"}
    assert not folder.with_name("digits-v1.partial").exists()


def test_refuses_to_overwrite_by_accident(saved):
    folder, model = saved
    with pytest.raises(ArtifactError, match="digits-v1: already exists"):
        artifact.save_artifact(folder, model, name="d", version="1", model_kwargs={},
                               labels=["a"], input_spec=INPUT, metrics={}, training={})


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
    data = bytearray((folder / "weights.pt").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / "weights.pt").write_bytes(bytes(data))
    with pytest.raises(ArtifactError,
                       match=r"digits-v1/weights.pt: SHA-256 does not match .*changed"):
        Predictor.load(folder)


def test_tampered_manifest_is_refused(saved):
    folder, _ = saved
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["labels"][3], manifest["labels"][5] = "5", "3"
    path.write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match="digits-v1/manifest.json: SHA-256"):
        Predictor.load(folder)


def test_consistent_but_invalid_manifest_is_refused(saved):
    """Even with SHA256SUMS rewritten, the manifest is checked on its own terms."""
    folder, _ = saved
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    del manifest["labels"]
    path.write_text(json.dumps(manifest))
    sums = (folder / "SHA256SUMS").read_text().splitlines()
    sums[0] = f"{artifact.sha256_file(path)}  manifest.json"
    (folder / "SHA256SUMS").write_text("\n".join(sums) + "\n")
    with pytest.raises(ArtifactError, match="manifest.json: missing key 'labels'"):
        Predictor.load(folder)


@pytest.mark.parametrize("missing", ["weights.pt", "SHA256SUMS", "manifest.json"])
def test_missing_file_is_refused(saved, missing):
    folder, _ = saved
    (folder / missing).unlink()
    pattern = f"digits-v1/.*{missing}|{missing}.*missing"
    with pytest.raises(ArtifactError, match=pattern):
        Predictor.load(folder)


def test_missing_folder_is_refused(tmp_path):
    with pytest.raises(ArtifactError, match="nowhere: artifact folder not found"):
        Predictor.load(tmp_path / "nowhere")


def test_error_messages_hold_no_absolute_paths(saved):
    folder, _ = saved
    (folder / "weights.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ArtifactError) as info:
        Predictor.load(folder)
    assert str(folder.parent) not in str(info.value)


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


def test_cli_verifies_and_reports(saved, capsys):
    folder, _ = saved
    assert artifact.main([str(folder)]) == 0
    assert "Predictor(digits v1.0.0" in capsys.readouterr().out
    (folder / "weights.pt").write_bytes(b"")
    assert artifact.main([str(folder)]) == 1
    assert "weights.pt" in capsys.readouterr().err
