"""The small convnet: shapes, a training step that helps, determinism, the CLI."""

import importlib.util

import numpy as np
import pytest
import torch
from torch.overrides import TorchFunctionMode

from journal import paths
from snippets import convnet


def _draws(n, seed):
    return torch.rand(4, n, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def _batch(n=64, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 784), dtype=np.float32)
    y = rng.integers(0, 10, n)
    return X, y


def test_forward_shape_and_parameter_count():
    model = convnet.Net()
    out = model(torch.zeros(5, 1, 28, 28))
    assert out.shape == (5, 10)
    # convs 9*(1*16 + 16*32 + 32*64), batch norms 2*(16+32+64), linear 64*3*3*10 + 10
    assert convnet.count_parameters(model) == 9 * 2576 + 224 + 5770
    assert convnet.Net(channels=(8, 8)).head[-1].in_features == 8 * 7 * 7


def test_to_tensors_reshapes_and_keeps_values():
    X, y = _batch(3)
    Xt, yt = convnet.to_tensors(X, y, "cpu")
    assert Xt.shape == (3, 1, 28, 28) and Xt.dtype == torch.float32
    assert yt.dtype == torch.int64
    np.testing.assert_array_equal(Xt.reshape(3, -1).numpy(), X)


@pytest.mark.filterwarnings("ignore:CUDA is not available")
def test_autocast_is_a_no_op_off_cuda():
    with convnet.autocast("cpu"):
        out = torch.ones(2, 2) @ torch.ones(2, 2)
    assert out.dtype == torch.float32
    assert isinstance(convnet.autocast("cuda"), torch.autocast)


def test_random_affine_moves_a_dot_only_a_little():
    x = torch.zeros(200, 1, 28, 28)
    x[:, 0, 14, 14] = 1.0
    out = convnet.random_affine(x, _draws(200, 0))
    assert out.shape == x.shape
    # bilinear resampling spreads the dot but keeps (most of) its mass nearby
    mass = out.sum(dim=(1, 2, 3))
    assert torch.all(mass > 0.8) and torch.all(mass < 1.25)
    peak = out.reshape(200, -1).argmax(1)
    rows, cols = peak // 28, peak % 28
    assert rows.min() >= 11 and rows.max() <= 17
    assert cols.min() >= 11 and cols.max() <= 17
    assert len(set(zip(rows.tolist(), cols.tolist()))) > 5


def test_random_affine_with_zero_ranges_is_the_identity():
    x = torch.rand(4, 1, 28, 28)
    out = convnet.random_affine(x, _draws(4, 0), degrees=0,
                                scale=0, shift=0)
    torch.testing.assert_close(out, x, atol=1e-5, rtol=0)


def test_the_plan_depends_only_on_the_generator():
    plans = [convnet.draw_plan(torch.Generator().manual_seed(7), 100, epochs=2,
                               steps=4, batch_size=32, augment=True, device="cpu")
             for _ in range(2)]
    (orders, draws), (orders_again, draws_again) = plans
    assert orders.shape == (2, 100) and draws.shape == (2, 4, 100)
    assert torch.equal(orders, orders_again) and torch.equal(draws, draws_again)
    assert sorted(orders[1].tolist()) == list(range(100))
    assert draws.min() >= -1 and draws.max() <= 1
    x = torch.rand(8, 1, 28, 28)
    a = convnet.random_affine(x, draws[0, :, :8])
    b = convnet.random_affine(x, draws_again[0, :, :8])
    torch.testing.assert_close(a, b, atol=0, rtol=0)


class _CopyCounter(TorchFunctionMode):
    """Counts the tensor calls that can copy between host and device."""

    COPIES = (torch.Tensor.to, torch.Tensor.cuda, torch.Tensor.copy_)

    def __init__(self):
        super().__init__()
        self.copies = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.copies += func in self.COPIES
        return func(*args, **(kwargs or {}))


@pytest.mark.parametrize("augment", [True, False])
def test_training_copies_to_the_device_once_per_run_not_per_batch(augment):
    # On a CPU no copy is visible, so count the calls that would make one: the
    # plan's two, however many epochs and batches the run has.
    X, y = _batch(128)
    Xt, yt = convnet.to_tensors(X, y, "cpu")
    copies = {}
    for epochs, batch_size in ((1, 64), (3, 16)):
        with _CopyCounter() as counter:
            convnet.train(convnet.Net(), Xt, yt, epochs=epochs, batch_size=batch_size,
                          augment=augment)
        copies[epochs] = counter.copies
    assert copies[1] == copies[3] <= 2


def test_training_decreases_loss_on_a_fixed_batch():
    torch.manual_seed(0)
    X, y = _batch(64)
    Xt, yt = convnet.to_tensors(X, y, "cpu")
    model = convnet.Net()
    before, _, _ = convnet.evaluate(model, Xt, yt)
    convnet.train(model, Xt, yt, epochs=5, batch_size=64, lr=0.01, augment=False)
    after, _, _ = convnet.evaluate(model, Xt, yt)
    assert after < before


def test_training_is_deterministic_given_the_seed():
    X, y = _batch(128)
    Xt, yt = convnet.to_tensors(X, y, "cpu")
    runs = []
    for _ in range(2):
        torch.manual_seed(1)
        model = convnet.Net()
        hist = convnet.train(model, Xt, yt, epochs=2, batch_size=32, seed=5)
        runs.append((hist.loss, convnet.predict_logits(model, Xt)))
    assert runs[0][0] == runs[1][0]
    torch.testing.assert_close(runs[0][1], runs[1][1], atol=0, rtol=0)


def test_validation_each_epoch_leaves_the_training_run_unchanged():
    X, y = _batch(96)
    Xt, yt = convnet.to_tensors(X, y, "cpu")
    Xv, yv = convnet.to_tensors(*_batch(40, seed=1), "cpu")
    runs = []
    for val in (None, (Xv, yv)):
        torch.manual_seed(2)
        model = convnet.Net()
        hist = convnet.train(model, Xt, yt, epochs=3, batch_size=32, seed=3, val=val)
        runs.append((hist, convnet.predict_logits(model, Xv)))
    (plain, plain_logits), (checked, checked_logits) = runs
    assert plain.loss == checked.loss and plain.val_accuracy == []
    torch.testing.assert_close(plain_logits, checked_logits, atol=0, rtol=0)
    assert len(checked.val_loss) == len(checked.val_accuracy) == 3
    # the last entry is exactly what `evaluate` says about the trained model
    loss, accuracy, _ = convnet.evaluate(model, Xv, yv)  # model: the run with val
    assert checked.val_loss[-1] == pytest.approx(loss, rel=1e-6)
    assert checked.val_accuracy[-1] == accuracy


def test_history_counts_images_and_throughput():
    X, y = _batch(100)
    Xt, yt = convnet.to_tensors(X, y, "cpu")
    hist = convnet.train(convnet.Net(), Xt, yt, epochs=2, batch_size=32, max_batches=2)
    assert hist.epochs == 2 and len(hist.loss) == 2
    assert hist.images_seen == 2 * 2 * 32
    assert hist.wall_s > 0 and hist.images_per_s > 0


def test_evaluate_returns_accuracy_of_argmax():
    X, y = _batch(20)
    Xt, yt = convnet.to_tensors(X, y, "cpu")
    model = convnet.Net()
    loss, acc, pred = convnet.evaluate(model, Xt, yt, batch_size=7)
    logits = convnet.predict_logits(model, Xt, batch_size=20)
    np.testing.assert_array_equal(pred, logits.argmax(1).numpy())
    assert acc == pytest.approx((pred == y).mean())
    assert loss == pytest.approx(torch.nn.functional.cross_entropy(logits, yt).item(),
                                 rel=1e-5)


def _train_script():
    spec = importlib.util.spec_from_file_location(
        "train_convnet", paths.PROJECTS / "convnet" / "train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_help_states_defaults(capsys):
    with pytest.raises(SystemExit):
        _train_script().main(["--help"])
    text = capsys.readouterr().out
    assert "--dry-run" in text and "(default: 10)" in text
    assert "(default: 16,32,64)" in text


def test_cli_dry_run_with_two_blocks(capsys):
    """The script end to end (data, --channels, training, evaluation), once: the
    default three blocks are the model the tests above build."""
    assert _train_script().main(["--dry-run", "--device", "cpu",
                                 "--channels", "16,32"]) == 0
    out = capsys.readouterr().out
    assert "device: cpu" in out and "images/s" in out and "validation accuracy" in out
