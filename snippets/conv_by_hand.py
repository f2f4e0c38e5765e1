"""2-D convolution and batch normalisation by hand, smallest case first.

The module grows in the order I could understand it:

1. `conv2d_single`: one image, one channel, one kernel, written as loops.
2. `conv2d`: a batch of multi-channel images and a bank of kernels, with
   stride and zero padding, as one ``einsum`` over sliding windows.
3. `conv2d_backward`: the gradients of (2) for the input, kernels and bias.
4. `batchnorm2d_forward` / `batchnorm2d_backward` and `BatchNorm2d`, which
   also keeps the running statistics that evaluation mode uses.

    from snippets.conv_by_hand import conv2d, BatchNorm2d
    maps = conv2d(images, kernels, bias, stride=1, padding=1)   # (N, O, H, W)
    out = BatchNorm2d(maps.shape[1])(maps)

Everything works on NumPy arrays (use float64 to compare with torch at 1e-5);
``tests/test_conv_by_hand.py`` checks outputs and gradients against
``torch.nn.Conv2d`` and ``torch.nn.BatchNorm2d``.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


# --8<-- [start:single]
def conv2d_single(image, kernel):
    """One channel, no padding, stride 1: slide the kernel, multiply, add up.

    (Deep-learning "convolution" does not flip the kernel: strictly it is a
    cross-correlation, which is what torch computes too.)
    """
    H, W = image.shape
    kh, kw = kernel.shape
    out = np.zeros((H - kh + 1, W - kw + 1), dtype=image.dtype)
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def conv2d_single_backward(image, kernel, grad_out):
    """Each output pixel touched one window: send its gradient back there."""
    kh, kw = kernel.shape
    grad_image = np.zeros_like(image)
    grad_kernel = np.zeros_like(kernel)
    for i in range(grad_out.shape[0]):
        for j in range(grad_out.shape[1]):
            grad_image[i:i + kh, j:j + kw] += grad_out[i, j] * kernel
            grad_kernel += grad_out[i, j] * image[i:i + kh, j:j + kw]
    return grad_image, grad_kernel
# --8<-- [end:single]


def _pad(x, padding):
    if padding == 0:
        return x
    p = padding
    return np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))


# --8<-- [start:batched]
def conv2d(x, weight, bias=None, stride=1, padding=0):
    """x: (N, C, H, W), weight: (O, C, kh, kw) -> (N, O, H_out, W_out)."""
    if x.ndim != 4 or weight.ndim != 4 or x.shape[1] != weight.shape[1]:
        raise ValueError(f"shapes do not fit: input {x.shape}, weight {weight.shape}")
    kh, kw = weight.shape[2:]
    # windows[n, c, i, j, a, b] = x_padded[n, c, i*stride + a, j*stride + b]
    windows = sliding_window_view(_pad(x, padding), (kh, kw), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride]
    out = np.einsum("ncijab,ocab->noij", windows, weight, optimize=True)
    if bias is not None:
        out = out + bias[None, :, None, None]
    return out
# --8<-- [end:batched]


# --8<-- [start:batched-backward]
def conv2d_backward(x, weight, grad_out, stride=1, padding=0):
    """Gradients of `conv2d` for x, weight and bias, given d(loss)/d(output)."""
    kh, kw = weight.shape[2:]
    xp = _pad(x, padding)
    windows = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]
    grad_weight = np.einsum("ncijab,noij->ocab", windows, grad_out, optimize=True)
    grad_bias = grad_out.sum(axis=(0, 2, 3))
    # Input gradient: kernel offset (a, b) read x at (i*stride + a, j*stride + b),
    # so that is where each output gradient goes back to, weighted by the kernel.
    grad_xp = np.zeros_like(xp)
    H_out, W_out = grad_out.shape[2:]
    for a in range(kh):
        for b in range(kw):
            contrib = np.einsum("noij,oc->ncij", grad_out, weight[:, :, a, b])
            grad_xp[:, :, a:a + stride * H_out:stride,
                    b:b + stride * W_out:stride] += contrib
    p = padding
    grad_x = grad_xp[:, :, p:xp.shape[2] - p, p:xp.shape[3] - p]
    return grad_x, grad_weight, grad_bias
# --8<-- [end:batched-backward]


# --8<-- [start:batchnorm]
def batchnorm2d_forward(x, gamma, beta, eps=1e-5):
    """Normalise each channel over (N, H, W) with the *biased* batch variance."""
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    var = x.var(axis=(0, 2, 3), keepdims=True)  # divides by m, not m - 1
    x_hat = (x - mean) / np.sqrt(var + eps)
    out = gamma[None, :, None, None] * x_hat + beta[None, :, None, None]
    return out, (x_hat, var, gamma, eps)


def batchnorm2d_backward(grad_out, cache):
    """Gradients for x, gamma, beta. Every x moves the mean and the variance,
    which is where the two extra terms come from."""
    x_hat, var, gamma, eps = cache
    m = grad_out.shape[0] * grad_out.shape[2] * grad_out.shape[3]
    grad_gamma = (grad_out * x_hat).sum(axis=(0, 2, 3))
    grad_beta = grad_out.sum(axis=(0, 2, 3))
    g = grad_out * gamma[None, :, None, None]  # gradient w.r.t. x_hat
    grad_x = (g - g.sum(axis=(0, 2, 3), keepdims=True) / m
              - x_hat * (g * x_hat).sum(axis=(0, 2, 3), keepdims=True) / m)
    return grad_x / np.sqrt(var + eps), grad_gamma, grad_beta
# --8<-- [end:batchnorm]


# --8<-- [start:running]
class BatchNorm2d:
    """Batch norm with the running statistics that evaluation mode uses."""

    def __init__(self, channels, eps=1e-5, momentum=0.1):
        self.gamma, self.beta = np.ones(channels), np.zeros(channels)
        self.running_mean = np.zeros(channels)
        self.running_var = np.ones(channels)
        self.eps, self.momentum, self.training = eps, momentum, True

    def __call__(self, x):
        if not self.training:  # evaluation: use the tracked statistics
            scale = self.gamma / np.sqrt(self.running_var + self.eps)
            shift = self.beta - self.running_mean * scale
            return x * scale[None, :, None, None] + shift[None, :, None, None]
        out, self.cache = batchnorm2d_forward(x, self.gamma, self.beta, self.eps)
        m = x.shape[0] * x.shape[2] * x.shape[3]
        biased = x.var(axis=(0, 2, 3))
        unbiased = biased * m / (m - 1)  # Bessel's correction, for tracking only
        mom = self.momentum
        batch_mean = x.mean(axis=(0, 2, 3))
        self.running_mean = (1 - mom) * self.running_mean + mom * batch_mean
        self.running_var = (1 - mom) * self.running_var + mom * unbiased
        return out

    def backward(self, grad_out):
        grad_x, self.grad_gamma, self.grad_beta = batchnorm2d_backward(grad_out,
                                                                       self.cache)
        return grad_x
# --8<-- [end:running]
