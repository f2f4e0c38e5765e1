"""Check the convnet's training loop on a CUDA GPU: copies, waits and results.

The convnet entry says that inside the training loop nothing crosses from host
to device and that the CPU waits for the GPU once per epoch. This script
measures both on a real GPU with PyTorch's profiler, then trains the entry's
two architectures for its seeds and epochs and prints validation accuracy, so
the CPU numbers on the page can be compared with a GPU run.

Two steps, because a GPU machine need not have the dataset packages::

    python bench/cuda_check.py export DIR      # here: write DIR/mnist5k-split.npz
    python bench/cuda_check.py run DIR OUT.json  # on the GPU machine

``run`` needs only torch and numpy; it prints a table and writes ``OUT.json``.
"""

import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SPLIT_FILE = "mnist5k-split.npz"
ARCHITECTURES = {"three blocks": (16, 32, 64), "two blocks": (16, 32)}
SEEDS = (0, 1, 2)
EPOCHS = 10  # as in projects/convnet


def export(folder: Path) -> None:
    """Write the journal's MNIST-5k train and validation split to ``folder``."""
    from journal.datasets import load_mnist5k

    mnist = load_mnist5k()
    folder.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(folder / SPLIT_FILE, X_train=mnist.X_train, y_train=mnist.y_train,
                        X_val=mnist.X_val, y_val=mnist.y_val)
    print(f"wrote {folder / SPLIT_FILE} ({mnist.summary()})")


def copies_and_waits(X, y, epochs=2):
    """Host-to-device copies and synchronisations during one `train` call."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    from snippets.convnet import Net, train

    torch.manual_seed(0)
    model = Net().to(X.device)
    train(model, X, y, epochs=1, max_batches=3)  # warm-up: kernels, allocator
    steps = (len(y) + 63) // 64
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("warn")
    with warnings.catch_warnings(record=True) as caught, \
            profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        warnings.simplefilter("always")
        train(model, X, y, epochs=epochs, batch_size=64)
    torch.cuda.set_sync_debug_mode(0)
    events = prof.events()
    htod = [e for e in events if "HtoD" in e.name]
    syncs = [str(w.message).splitlines()[0] for w in caught
             if "synchroniz" in str(w.message).lower()]
    return {"epochs": epochs, "steps": epochs * steps,
            "host_to_device_copies": len(htod),
            "host_to_device_names": sorted({e.name for e in htod}),
            "synchronisations": len(syncs),
            "synchronisation_kinds": sorted(set(syncs))}


def train_all(X, y, X_val, y_val):
    """Validation accuracy and images/s for each architecture and seed."""
    import torch

    from snippets.convnet import Net, train

    runs = {}
    for name, channels in ARCHITECTURES.items():
        for seed in SEEDS:
            torch.manual_seed(seed)
            model = Net(channels).to(X.device)
            history = train(model, X, y, epochs=EPOCHS, batch_size=64, lr=0.01,
                            augment=True, label_smoothing=0.1, seed=seed,
                            val=(X_val, y_val))
            runs[f"{name}, seed {seed}"] = {
                "validation accuracy": history.val_accuracy[-1],
                "images/s": round(history.images_per_s),
                "train s": round(history.wall_s, 2)}
    return runs


def run(folder: Path, out: Path) -> None:
    import torch

    from snippets.convnet import to_tensors

    if not torch.cuda.is_available():
        sys.exit("cuda_check: no CUDA device here")
    torch.backends.cudnn.benchmark = False
    device = torch.device("cuda")
    with np.load(folder / SPLIT_FILE) as data:
        X, y = to_tensors(data["X_train"], data["y_train"], device)
        X_val, y_val = to_tensors(data["X_val"], data["y_val"], device)
    start = time.perf_counter()
    report = {"torch": torch.__version__, "gpu": torch.cuda.get_device_name(),
              "loop": copies_and_waits(X, y), "runs": train_all(X, y, X_val, y_val)}
    report["seconds"] = round(time.perf_counter() - start, 1)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    loop = report["loop"]
    print(f"{report['gpu']}, torch {report['torch']}")
    print(f"training loop, {loop['epochs']} epochs / {loop['steps']} steps: "
          f"{loop['host_to_device_copies']} host-to-device copies, "
          f"{loop['synchronisations']} synchronisations")
    print(f"{'run':<24} {'val acc':>8} {'images/s':>9} {'train s':>8}")
    for name, r in report["runs"].items():
        print(f"{name:<24} {r['validation accuracy']:>8.4f} {r['images/s']:>9} "
              f"{r['train s']:>8}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "export":
        export(Path(sys.argv[2]))
    elif len(sys.argv) == 4 and sys.argv[1] == "run":
        run(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        sys.exit(__doc__)
