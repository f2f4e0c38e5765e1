"""What batch norm sees on real feature maps: batch variances and batch predictions.

Helpers for the conv-batchnorm notebook's question of how far a small batch's
statistics are from the whole dataset's, on the feature maps of a trained
`snippets.convnet.Net` rather than on independent random numbers: the inputs of
each ``BatchNorm2d``, the mean within-batch variance as a share of the total,
and predictions with batch norm normalising each batch by its own statistics.
"""

import torch
from torch import nn
# --8<-- [start:batch-statistics]
@torch.no_grad()
def batchnorm_inputs(model, X: torch.Tensor) -> list[torch.Tensor]:
    """What each ``BatchNorm2d`` of ``model`` receives for ``X``, in eval mode."""
    layers = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    seen = []
    hooks = [layer.register_forward_hook(lambda mod, inp, out: seen.append(inp[0]))
             for layer in layers]
    try:
        model.eval()
        model(X)
    finally:
        for hook in hooks:
            hook.remove()
    return seen


def batch_variance_ratio(a: torch.Tensor, batch_size: int) -> float:
    """Mean biased variance of a channel within batches, over its variance in ``a``.

    ``a`` is (N, C, H, W); it is cut into consecutive batches of ``batch_size``
    images. For m independent values per batch the ratio would be (m - 1) / m.
    """
    n, c, h, w = a.shape
    batches = a[:n - n % batch_size].reshape(-1, batch_size, c, h, w)
    within = batches.var(dim=(1, 3, 4), unbiased=False)          # (batches, C)
    return (within.mean(0) / a.var(dim=(0, 2, 3), unbiased=False)).mean().item()


@torch.no_grad()
def predict_with_batch_statistics(model, X: torch.Tensor, batch_size: int):
    """Labels when batch norm uses each batch's own statistics, as in training.

    Dropout stays off and the running mean and variance stay as they are (momentum 0
    while predicting), so the model is unchanged afterwards.
    """
    layers = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    momenta = [layer.momentum for layer in layers]
    model.eval()
    for layer in layers:
        layer.train()
        layer.momentum = 0.0
    try:
        return torch.cat([model(X[s:s + batch_size]).argmax(1)
                          for s in range(0, len(X), batch_size)])
    finally:
        for layer, momentum in zip(layers, momenta):
            layer.momentum = momentum
        model.eval()
# --8<-- [end:batch-statistics]
