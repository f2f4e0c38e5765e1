"""Batch statistics on feature maps: the variance share, the hooks, batch-mode predictions."""

import copy

import pytest
import torch

from snippets import batch_statistics
from snippets.convnet import Net


def test_independent_values_miss_one_over_m_of_the_variance():
    a = torch.randn(4096, 2, 3, 3, generator=torch.Generator().manual_seed(0),
                    dtype=torch.float64)
    m = 2 * 3 * 3
    assert batch_statistics.batch_variance_ratio(a, 2) == pytest.approx(
        (m - 1) / m, abs=0.01)


def test_values_shared_within_an_image_miss_much_more():
    gen = torch.Generator().manual_seed(1)
    per_image = torch.randn(4096, 1, 1, 1, generator=gen, dtype=torch.float64)
    a = per_image + 0.1 * torch.randn(4096, 1, 8, 8, generator=gen, dtype=torch.float64)
    # two images: the within-batch variance sees about half the between-image part
    assert batch_statistics.batch_variance_ratio(a, 2) == pytest.approx(0.5, abs=0.05)
    assert batch_statistics.batch_variance_ratio(a, 64) > 0.97


def test_batchnorm_inputs_one_map_per_layer():
    torch.manual_seed(0)
    model = Net()
    maps = batch_statistics.batchnorm_inputs(model, torch.rand(3, 1, 28, 28))
    assert [tuple(a.shape) for a in maps] == [(3, 16, 28, 28), (3, 32, 14, 14),
                                              (3, 64, 7, 7)]


def test_batch_statistics_predictions_leave_the_model_as_it_was():
    torch.manual_seed(0)
    model = Net()
    with torch.no_grad():  # running statistics unlike any batch's own
        for layer in model.modules():
            if isinstance(layer, torch.nn.BatchNorm2d):
                layer.running_mean.fill_(0.3)
                layer.running_var.fill_(2.0)
    before = copy.deepcopy(model.state_dict())
    X = torch.rand(8, 1, 28, 28)
    pred = batch_statistics.predict_with_batch_statistics(model, X, batch_size=4)
    for name, value in model.state_dict().items():
        if not name.endswith("num_batches_tracked"):
            torch.testing.assert_close(value, before[name], atol=0, rtol=0)
    assert not model.training
    # the same as normalising each batch of 4 by itself, done by hand with train()
    reference = copy.deepcopy(model)
    reference.train()
    reference.head[1].eval()  # dropout off
    with torch.no_grad():
        expected = torch.cat([reference(X[:4]), reference(X[4:])]).argmax(1)
    assert torch.equal(pred, expected)
