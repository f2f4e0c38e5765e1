"""Train the journal's small convnet on MNIST-5k from the command line.

    python projects/convnet/train.py --help
    python projects/convnet/train.py --dry-run     # one epoch of two batches
    python projects/convnet/train.py --channels 16,32 --seed 1   # two blocks

The same model, data split and set-up as projects/convnet/convnet.ipynb; the
notebook is what the journal publishes, this script is for quick experiments.
It reports validation accuracy only: choices are made on the validation split,
and the test split is left to the notebook, which scores it once.
"""

import argparse

from journal.notebook import load_mnist5k, setup
from snippets.convnet import Net, evaluate, to_tensors, train


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python projects/convnet/train.py",
        description="Train the small convnet on MNIST-5k and print validation "
                    "accuracy (the test split is left to the notebook).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--epochs", type=int, default=10, help="passes over the data")
    parser.add_argument("--channels", default="16,32,64",
                        help="output channels of each conv block, comma-separated")
    parser.add_argument("--batch-size", type=int, default=64, help="images per step")
    parser.add_argument("--lr", type=float, default=0.01, help="peak learning rate")
    parser.add_argument("--no-augment", action="store_true",
                        help="train without random rotations, zooms and shifts")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--device", choices=["cpu", "cuda", "mps"], default=None,
                        help="device (default: CUDA, then MPS, then CPU)")
    parser.add_argument("--dry-run", action="store_true",
                        help="one epoch of two batches, to check that everything runs")
    args = parser.parse_args(argv)

    device = setup(seed=args.seed, device=args.device)
    data = load_mnist5k()
    X_train, y_train = to_tensors(data.X_train, data.y_train, device)
    X_val, y_val = to_tensors(data.X_val, data.y_val, device)
    channels = tuple(int(c) for c in args.channels.split(","))
    model = Net(channels).to(device)
    epochs, max_batches = (1, 2) if args.dry_run else (args.epochs, None)
    history = train(model, X_train, y_train, epochs=epochs, batch_size=args.batch_size,
                    lr=args.lr, augment=not args.no_augment, seed=args.seed,
                    max_batches=max_batches, log=print)
    _, accuracy, _ = evaluate(model, X_val, y_val)
    print(f"device: {device.type}")
    print(f"trained in {history.wall_s:.1f} s, {history.images_per_s:.0f} images/s")
    print(f"validation accuracy: {accuracy:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
