"""A digits-convnet artifact with random weights, for the command-line tests."""

import torch

from snippets import artifact
from snippets.convnet import Net


def save_random_digits(folder, version: str):
    """Save an untrained two-block digits convnet (seed 0) as an artifact at ``folder``."""
    torch.manual_seed(0)
    return artifact.save_artifact(
        folder, Net(channels=(8, 16)), architecture="digits-convnet",
        kwargs={"channels": [8, 16], "n_classes": 10}, name="digits", version=version,
        labels=[str(d) for d in range(10)],
        input_spec={"shape": [1, 28, 28], "dtype": "float32", "range": [0.0, 1.0],
                    "scale": 255.0, "description": "28x28 grey digits in [0, 1]"},
        training={}, evaluation={"dataset": "none", "dataset_sha256": "",
                                 "split": "none", "images": 0, "metrics": {}},
        out_of_distribution="Random weights.")
