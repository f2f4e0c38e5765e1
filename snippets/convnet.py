"""A small convolutional network for 28x28 digits that runs on a CPU or a GPU.

Three 3x3 convolution blocks (batch norm, ReLU, 2x2 max-pool) and a linear layer:
small enough to train on MNIST-5k in well under a minute on one CPU core, and
written so the same code uses a GPU when one is there:

- the whole dataset is moved to the device once (`to_tensors`); mini-batches are
  index slices of those tensors, so there is no host-to-device copy per batch;
- every random number a run needs (the shuffled order of each epoch, the
  augmentation's angles, zooms and shifts) is drawn up front from a CPU
  generator seeded once, so the batches are the same on every device, and is
  copied to the device in one go before the first step: the training loop
  itself never copies from host to device;
- on CUDA the forward pass runs under ``torch.autocast`` in bfloat16
  (`autocast`); elsewhere it is plain float32. The determinism switches for
  CUDA are set by the journal's ``setup``.

`train` returns a `History` with the loss per epoch (and, given validation data,
the validation loss and accuracy after each epoch), the wall time and the
throughput in images per second, which is the number that tells you whether a
GPU helps at this size.

``projects/convnet/train.py`` is the command-line version (``--help``,
``--dry-run`` for a one-batch smoke test).
"""

import contextlib
import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

IMAGE_SHAPE = (1, 28, 28)


# --8<-- [start:net]
def block(c_in, c_out):
    """3x3 convolution, batch norm, ReLU, then halve the resolution."""
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
            nn.ReLU(), nn.MaxPool2d(2)]


class Net(nn.Module):
    """Three conv blocks (28 -> 14 -> 7 -> 3 pixels), dropout, one linear layer."""

    def __init__(self, channels=(16, 32, 64), n_classes=10, dropout=0.2):
        super().__init__()
        layers, c_in = [], 1
        for c_out in channels:
            layers += block(c_in, c_out)
            c_in = c_out
        self.features = nn.Sequential(*layers)
        side = 28 // 2 ** len(channels)
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(dropout),
                                  nn.Linear(c_in * side * side, n_classes))

    def forward(self, x):
        return self.head(self.features(x))
# --8<-- [end:net]


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# --8<-- [start:device]
def to_tensors(X: np.ndarray, y: np.ndarray, device):
    """Rows of flattened 28x28 images -> (N, 1, 28, 28) float32 on ``device``, once."""
    X = torch.as_tensor(np.asarray(X, dtype=np.float32)).reshape(-1, *IMAGE_SHAPE)
    y = torch.as_tensor(np.asarray(y, dtype=np.int64))
    return X.to(device), y.to(device)


def autocast(device):
    """bfloat16 autocast on CUDA; a no-op context on CPU and MPS."""
    if torch.device(device).type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def synchronize(device) -> None:
    """Wait for queued GPU work, so wall-clock timings mean something."""
    kind = torch.device(device).type
    if kind == "cuda":
        torch.cuda.synchronize()
    elif kind == "mps":
        torch.mps.synchronize()
# --8<-- [end:device]


# --8<-- [start:augment]
def draw_plan(generator, n, epochs, steps, batch_size, augment, device):
    """Every epoch's shuffled order and, when ``augment``, each image's affine draw.

    Drawn on the CPU from ``generator`` (the same numbers on every device), then
    moved to ``device`` once, before training starts: (epochs, n) indices and
    (epochs, 4, n) uniform numbers in [-1, 1], or None without augmentation.
    """
    orders, draws = [], []
    for _ in range(epochs):
        orders.append(torch.randperm(n, generator=generator))
        if augment:
            sizes = [len(range(n)[s * batch_size:(s + 1) * batch_size])
                     for s in range(steps)]
            u = torch.cat([torch.rand(4, k, generator=generator) for k in sizes], 1)
            draws.append(u * 2 - 1)
    orders = torch.stack(orders).to(device)
    return orders, (torch.stack(draws).to(device) if augment else None)


def random_affine(x: torch.Tensor, u: torch.Tensor, degrees=10.0, scale=0.08,
                  shift=2.0) -> torch.Tensor:
    """Rotate, scale and shift each image a little (zero fill), on its device.

    ``u`` holds four numbers in [-1, 1] per image, shape (4, n), on ``x``'s
    device; the warp is one ``grid_sample`` call on the batch.
    """
    n, _, h, _ = x.shape
    angle = u[0] * math.radians(degrees)
    zoom = 1 + scale * u[1]
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    tx, ty = u[2] * 2 * shift / h, u[3] * 2 * shift / h       # pixels -> [-1, 1] units
    theta = torch.stack([torch.stack([cos, -sin, tx], 1),
                         torch.stack([sin, cos, ty], 1)], 1)   # (n, 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, align_corners=False)
# --8<-- [end:augment]


@dataclass
class History:
    """What happened during `train`: per-epoch loss, timings and throughput."""

    device: str
    epochs: int = 0
    images_seen: int = 0
    wall_s: float = 0.0  # training only: the validation passes are not counted
    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)

    @property
    def images_per_s(self) -> float:
        return self.images_seen / self.wall_s if self.wall_s > 0 else float("nan")


# --8<-- [start:train]
def train(model, X, y, *, epochs=8, batch_size=64, lr=0.01, augment=True,
          label_smoothing=0.1, weight_decay=1e-4, seed=0, max_batches=None,
          log=None, val=None) -> History:
    """Train ``model`` on tensors ``X``, ``y`` (already on the model's device).

    Adam with a one-cycle learning-rate schedule, small random rotations,
    zooms and shifts (`random_affine`) when ``augment``, label smoothing.
    ``max_batches`` stops each epoch early (dry run, tests). ``val=(X_val, y_val)``
    scores the model on held-out data after every epoch (it does not change the
    training run). Returns a `History`.
    """
    device = X.device
    gen = torch.Generator().manual_seed(seed)  # CPU: same batches on every device
    n = len(y)
    steps = math.ceil(n / batch_size)
    if max_batches is not None:
        steps = min(steps, max_batches)
    # the one host-to-device copy of the run, before the clock starts
    orders, draws = draw_plan(gen, n, epochs, steps, batch_size, augment, device)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=lr, total_steps=epochs * steps)
    history = History(device=str(device))
    model.train()
    synchronize(device)
    start, eval_s = time.perf_counter(), 0.0
    for epoch in range(epochs):
        total = torch.zeros((), device=device)
        for step in range(steps):
            batch = slice(step * batch_size, (step + 1) * batch_size)
            idx = orders[epoch, batch]
            xb = random_affine(X[idx], draws[epoch, :, batch]) if augment else X[idx]
            with autocast(device):
                loss = F.cross_entropy(model(xb), y[idx],
                                       label_smoothing=label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.detach().float() * len(idx)
            history.images_seen += len(idx)
        seen = min(n, steps * batch_size)
        history.loss.append(total.item() / seen)  # one sync per epoch, not per step
        history.epochs = epoch + 1
        if val is not None:
            eval_start = time.perf_counter()
            val_loss, val_accuracy, _ = evaluate(model, *val)
            history.val_loss.append(val_loss)
            history.val_accuracy.append(val_accuracy)
            model.train()
            eval_s += time.perf_counter() - eval_start
        if log is not None:
            log(f"epoch {epoch + 1}: loss {history.loss[-1]:.4f}")
    synchronize(device)
    history.wall_s = time.perf_counter() - start - eval_s
    return history
# --8<-- [end:train]


# --8<-- [start:evaluate]
@torch.no_grad()
def predict_logits(model, X: torch.Tensor, batch_size=500) -> torch.Tensor:
    """Float32 logits for every row of ``X``, computed in batches in eval mode."""
    model.eval()
    out = []
    for start in range(0, len(X), batch_size):
        with autocast(X.device):
            out.append(model(X[start:start + batch_size]).float())
    return torch.cat(out)


def evaluate(model, X: torch.Tensor, y: torch.Tensor, batch_size=500):
    """(mean cross-entropy, accuracy, predicted labels as a NumPy array)."""
    logits = predict_logits(model, X, batch_size)
    loss = F.cross_entropy(logits, y).item()
    pred = logits.argmax(dim=1)
    accuracy = (pred == y).float().mean().item()
    return loss, accuracy, pred.cpu().numpy()
# --8<-- [end:evaluate]


# --8<-- [start:throughput]
def measure_throughput(X, y, *, threads, steps=20, batch_size=64, seed=0) -> float:
    """Training images/s of a fresh `Net` for ``steps`` batches on ``threads`` threads.

    The thread count is restored afterwards, so a notebook can compare 1 and 2
    threads without changing its own settings.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        torch.manual_seed(seed)
        model = Net().to(X.device)
        train(model, X, y, epochs=1, batch_size=batch_size, max_batches=2)  # warm-up
        history = train(model, X, y, epochs=1, batch_size=batch_size,
                        max_batches=steps, seed=seed)
        return history.images_per_s
    finally:
        torch.set_num_threads(before)
# --8<-- [end:throughput]
