"""Hand-written conv2d and batch norm against torch.nn.Conv2d / BatchNorm2d."""

import numpy as np
import pytest
import torch

from snippets.conv_by_hand import (
    BatchNorm2d,
    batchnorm2d_backward,
    batchnorm2d_forward,
    conv2d,
    conv2d_backward,
    conv2d_single,
    conv2d_single_backward,
)

ATOL = 1e-5  # the tolerance the post promises; float64 actually agrees to ~1e-12


def torch_conv(x, w, b, stride, padding, grad_out):
    conv = torch.nn.Conv2d(w.shape[1], w.shape[0], w.shape[2:], stride=stride,
                           padding=padding, dtype=torch.float64)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(w))
        conv.bias.copy_(torch.tensor(b))
    xt = torch.tensor(x, requires_grad=True)
    out = conv(xt)
    out.backward(torch.tensor(grad_out))
    return out.detach().numpy(), xt.grad.numpy(), conv.weight.grad.numpy(), \
        conv.bias.grad.numpy()


def test_single_channel_loops_match_torch():
    rng = np.random.default_rng(0)
    image, kernel = rng.standard_normal((7, 6)), rng.standard_normal((3, 2))
    grad_out = rng.standard_normal((5, 5))
    out = conv2d_single(image, kernel)
    gi, gk = conv2d_single_backward(image, kernel, grad_out)
    ref, rgi, rgk, _ = torch_conv(image[None, None], kernel[None, None], np.zeros(1),
                                  1, 0, grad_out[None, None])
    np.testing.assert_allclose(out, ref[0, 0], atol=ATOL)
    np.testing.assert_allclose(gi, rgi[0, 0], atol=ATOL)
    np.testing.assert_allclose(gk, rgk[0, 0], atol=ATOL)


@pytest.mark.parametrize("n,c,o,h,w,k,stride,padding", [
    (1, 1, 1, 6, 6, 3, 1, 0),   # the smallest case, through the batched code
    (4, 1, 1, 6, 5, 3, 1, 0),   # a batch
    (4, 3, 1, 7, 7, 3, 1, 0),   # input channels
    (4, 3, 5, 7, 7, 3, 1, 1),   # output channels, padding
    (2, 2, 3, 9, 8, 3, 2, 1),   # stride
    (3, 2, 4, 8, 8, 2, 2, 0),   # even kernel, stride 2
    (2, 3, 2, 5, 5, 5, 1, 2),   # kernel as large as the image
])
def test_batched_conv_forward_and_gradients_match_torch(n, c, o, h, w, k, stride,
                                                        padding):
    rng = np.random.default_rng(n * 100 + c * 10 + o)
    x = rng.standard_normal((n, c, h, w))
    weight, bias = rng.standard_normal((o, c, k, k)), rng.standard_normal(o)
    out = conv2d(x, weight, bias, stride, padding)
    grad_out = rng.standard_normal(out.shape)
    gx, gw, gb = conv2d_backward(x, weight, grad_out, stride, padding)
    ref, rgx, rgw, rgb = torch_conv(x, weight, bias, stride, padding, grad_out)
    assert out.shape == ref.shape
    for ours, theirs in [(out, ref), (gx, rgx), (gw, rgw), (gb, rgb)]:
        np.testing.assert_allclose(ours, theirs, atol=ATOL, rtol=0)


def test_conv_rejects_mismatched_channels():
    with pytest.raises(ValueError, match="shapes do not fit"):
        conv2d(np.zeros((1, 2, 5, 5)), np.zeros((1, 3, 3, 3)))


@pytest.mark.parametrize("shape", [(1, 1, 4, 4), (5, 1, 3, 3), (4, 3, 5, 6)])
def test_batchnorm_training_forward_and_gradients_match_torch(shape):
    rng = np.random.default_rng(len(shape) + shape[0])
    x = rng.standard_normal(shape) * 3 + 1
    gamma, beta = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    out, cache = batchnorm2d_forward(x, gamma, beta)
    grad_out = rng.standard_normal(shape)
    gx, gg, gb = batchnorm2d_backward(grad_out, cache)

    bn = torch.nn.BatchNorm2d(shape[1], dtype=torch.float64)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(gamma))
        bn.bias.copy_(torch.tensor(beta))
    xt = torch.tensor(x, requires_grad=True)
    ref = bn(xt)
    ref.backward(torch.tensor(grad_out))
    for ours, theirs in [(out, ref.detach()), (gx, xt.grad), (gg, bn.weight.grad),
                         (gb, bn.bias.grad)]:
        np.testing.assert_allclose(ours, theirs.numpy(), atol=ATOL, rtol=0)


def test_running_statistics_and_eval_mode_match_torch():
    rng = np.random.default_rng(7)
    ours, ref = BatchNorm2d(3), torch.nn.BatchNorm2d(3, dtype=torch.float64)
    for _ in range(5):
        x = rng.standard_normal((4, 3, 5, 5)) * 2 + 0.5
        ours(x)
        ref(torch.tensor(x))
    np.testing.assert_allclose(ours.running_mean, ref.running_mean.numpy(), atol=ATOL)
    np.testing.assert_allclose(ours.running_var, ref.running_var.numpy(), atol=ATOL)
    ours.training = False
    ref.eval()
    x = rng.standard_normal((2, 3, 5, 5))
    np.testing.assert_allclose(ours(x), ref(torch.tensor(x)).detach().numpy(),
                               atol=ATOL)


def test_running_var_tracks_the_unbiased_variance_but_normalises_with_biased():
    # One step from running_var = 1 with momentum 1 leaves exactly the batch's
    # variance estimate in running_var: torch stores the unbiased one (m - 1) ...
    x = np.array([1.0, 2.0, 4.0, 7.0]).reshape(1, 1, 2, 2)  # m = 4 values
    bn = torch.nn.BatchNorm2d(1, momentum=1.0, dtype=torch.float64)
    out = bn(torch.tensor(x)).detach().numpy()
    biased, unbiased = x.var(), x.var(ddof=1)
    assert not np.isclose(biased, unbiased)
    np.testing.assert_allclose(bn.running_var.numpy(), [unbiased], atol=1e-12)
    # ... while the output it returns was divided by the biased standard deviation.
    np.testing.assert_allclose(out, (x - x.mean()) / np.sqrt(biased + bn.eps),
                               atol=1e-12)
    assert not np.allclose(out, (x - x.mean()) / np.sqrt(unbiased + bn.eps),
                           atol=1e-3)
    ours = BatchNorm2d(1, momentum=1.0)
    ours(x)
    np.testing.assert_allclose(ours.running_var, [unbiased], atol=1e-12)
