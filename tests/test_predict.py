"""The command line another program uses: JSON on stdout for good input, one line
on stderr and a non-zero status for anything wrong."""

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from digits_artifact import save_random_digits
from PIL import Image

from snippets import artifact, predict
from snippets.artifact import WEIGHTS, Predictor


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return save_random_digits(tmp_path / "digits-v1", "1.0.0")


def np_bytes(x):
    buffer = io.BytesIO()
    np.save(buffer, x)
    return buffer.getvalue()


def images(n, seed=0):
    return np.random.default_rng(seed).random((n, 28, 28), dtype=np.float32)


def run(capsys, *argv):
    status = predict.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_npy_batch_gives_one_json_line_per_image(folder, capsys):
    x = images(5)
    np.save("five.npy", x)
    status, out, err = run(capsys, "digits-v1", "five.npy")
    assert (status, err) == (0, "")
    answers = [json.loads(line) for line in out.splitlines()]
    want = Predictor.load(folder).predict_proba(x.reshape(5, 784))
    assert [a["label"] for a in answers] == [str(k) for k in want.argmax(1)]
    got = np.array([[a["probabilities"][str(d)] for d in range(10)] for a in answers])
    np.testing.assert_allclose(got, want, rtol=0, atol=0.5e-4 + 1e-7)  # 4 decimals


@pytest.mark.parametrize("shape", [(28, 28), (1, 28, 28), (784,), (1, 784)])
def test_one_image_in_any_of_its_shapes(folder, capsys, shape):
    np.save("one.npy", images(1).reshape(shape))
    status, out, _ = run(capsys, "digits-v1", "one.npy")
    assert status == 0 and len(out.splitlines()) == 1


def test_png_is_read_as_grey_pixels_over_255(folder, capsys):
    pixels = (images(1)[0] * 255).round().astype(np.uint8)
    Image.fromarray(pixels).save("digit.png")
    Image.fromarray(pixels).convert("RGB").save("digit-rgb.png")
    np.save("digit.npy", pixels.astype(np.float32) / 255)
    outputs = [run(capsys, "digits-v1", name)
               for name in ("digit.png", "digit-rgb.png", "digit.npy")]
    assert outputs[0] == outputs[1] == outputs[2]
    assert outputs[0][0] == 0


def test_larger_png_is_resized(folder, capsys):
    Image.fromarray(np.zeros((280, 200), np.uint8)).save("big.png")
    status, out, _ = run(capsys, "digits-v1", "big.png")
    assert status == 0 and len(out.splitlines()) == 1


def test_sixteen_bit_png_is_scaled_not_clipped(folder, capsys):
    """The same picture at 8 and 16 bits gives the same pixels in [0, 1]."""
    pixels = (images(1)[0] * 255).round().astype(np.uint8)
    Image.fromarray(pixels).save("eight.png")
    Image.fromarray(pixels.astype(np.uint16) * 257).save("sixteen.png")
    assert Image.open("sixteen.png").mode.startswith("I")  # really 16-bit
    read = [predict.read_input(Path(name), (1, 28, 28))
            for name in ("eight.png", "sixteen.png")]
    np.testing.assert_allclose(read[0], read[1], rtol=0, atol=1e-7)
    assert read[1].max() <= 1.0 and read[1].max() > 0.9
    assert run(capsys, "digits-v1", "eight.png") == run(capsys, "digits-v1",
                                                        "sixteen.png")
    Image.fromarray(np.full((56, 56), 65535, np.uint16)).save("big16.png")
    np.testing.assert_allclose(predict.read_input(Path("big16.png"), (1, 28, 28)),
                               1.0, rtol=0, atol=1e-6)


def test_image_too_large_is_refused(folder, capsys):
    Image.new("L", (5000, 10)).save("wide.png")
    assert run(capsys, "digits-v1", "wide.png") == (
        2, "", "error: wide.png: 5000x10 pixels; at most 4096 a side\n")


def test_control_characters_in_names_are_escaped(folder, capsys):
    name = "a\x1b[31mred\rline\n.npy"
    np.save(name, np.zeros((8, 8), np.float32))
    status, out, err = run(capsys, "digits-v1", name)
    assert (status, out) == (2, "")
    assert err.startswith("error: a\\x1b[31mred\\rline\\n.npy: expected one image")
    assert err.count("\n") == 1
    assert run(capsys, "no\x1b[2Jwhere", name) == (
        1, "", "error: no\\x1b[2Jwhere: artifact folder not found\n")


@pytest.mark.parametrize("make, message", [
    (lambda: None, "error: in.npy: no such file"),
    (lambda: np.save("in.npy", np.zeros((8, 8), np.float32)),
     "error: in.npy: expected one image shaped (1, 28, 28), (28, 28), (784,), or N "
     "of them; got (8, 8)"),
    (lambda: np.save("in.npy", np.zeros((2, 784), np.uint8)),
     "error: in.npy: expected floating-point pixels, got uint8; divide by 255 first"),
    (lambda: np.save("in.npy", np.full((2, 784), 255.0, np.float32)),
     "error: in.npy: pixel values must lie in [0, 1], got [255, 255]; raw pixels are "
     "divided by 255"),
    (lambda: np.save("in.npy", np.array([None] * 784, dtype=object)),
     "error: in.npy: a .npy array of object; only numbers are read"),
    (lambda: np.save("in.npy", np.zeros(784, [("x", "f4")])),
     "error: in.npy: a .npy array of [('x', '<f4')]; only numbers are read"),
    (lambda: open("in.npy", "wb").write(b"\x93NUMPY garbage"),
     "error: in.npy: not a readable .npy array (format version (32, 103) is not "
     "supported)"),
    (lambda: open("in.npy", "wb").write(np_bytes(np.zeros((2, 784), np.float32))[:-4]),
     "error: in.npy: the header says (2, 784) float32, 6,272 bytes, and the file "
     "holds 6,268"),
    (lambda: open("in.npy", "wb").write(b"PK\x03\x04 a zip"),
     "error: in.npy: a .npz archive (zip), not a .npy array"),
])
def test_bad_npy_input(folder, capsys, make, message):
    make()
    status, out, err = run(capsys, "digits-v1", "in.npy")
    assert (status, out, err) == (2, "", message + "\n")


@pytest.mark.parametrize("name, content, message", [
    ("in.png", b"not a png", "error: in.png: not a PNG image"),
    ("in.png", b"\x89PNG\r\n\x1a\n broken", "error: in.png: not a readable PNG image"),
    ("in.txt", b"0.5", "error: in.txt: expected a .png image or a .npy array"),
])
def test_bad_file_input(folder, capsys, name, content, message):
    with open(name, "wb") as f:
        f.write(content)
    assert run(capsys, "digits-v1", name) == (2, "", message + "\n")


def test_bad_artifact_exits_1_with_one_line(folder, capsys):
    np.save("x.npy", images(1))
    (folder / WEIGHTS).write_bytes(b"")
    status, out, err = run(capsys, "digits-v1", "x.npy")
    assert (status, out) == (1, "")
    assert err == ("error: digits-v1/weights.safetensors: SHA-256 does not match the "
                   "one in SHA256SUMS; the file was changed or damaged after the "
                   "artifact was saved\n")
    assert run(capsys, "nowhere", "x.npy") == (
        1, "", "error: nowhere: artifact folder not found\n")


def test_code_change_is_refused_unless_the_flag_is_given(folder, capsys):
    np.save("x.npy", images(1))
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["architecture"]["source_sha256"] = "0" * 64
    (folder / "manifest.json").write_text(json.dumps(manifest))
    artifact.seal(folder)
    status, out, err = run(capsys, "digits-v1", "x.npy")
    assert (status, out) == (1, "")
    assert "different code (source sha256 000000000000 in the artifact" in err
    assert err.endswith("(--allow-code-change) to load it anyway\n")
    status, out, err = run(capsys, "digits-v1", "x.npy", "--allow-code-change")
    assert status == 0 and len(out.splitlines()) == 1
    assert err.startswith("warning: digits-v1/manifest.json: digits-convnet was built "
                          "from different code")


def test_another_process_can_use_the_artifact(folder):
    x = images(3)
    np.save("three.npy", x)
    done = subprocess.run([sys.executable, "-m", "snippets.predict", "digits-v1",
                           "three.npy"], cwd=folder.parent, capture_output=True,
                          text=True, timeout=120)
    assert (done.returncode, done.stderr) == (0, "")
    labels = [json.loads(line)["label"] for line in done.stdout.splitlines()]
    assert labels == Predictor.load(folder).predict(x.reshape(3, 784))
