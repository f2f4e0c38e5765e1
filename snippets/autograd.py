"""A small reverse-mode autodiff engine on whole arrays, with a pluggable backend.

Each `Tensor` holds an array (``data``), its gradient (``grad``), the tensors
it was computed from, and a closure that pushes its gradient back to them.
``backward()`` sorts the graph topologically and runs those closures in reverse,
adding into ``grad`` rather than overwriting it, so a value that feeds two
places (a residual connection, ``x * x``) collects both contributions.

The arrays live in a backend: NumPy by default, or torch tensors (on any
device) through `TorchBackend`. The graph code never calls NumPy or torch
directly, only the backend, so the same model runs on either:

    from snippets.autograd import Tensor, TorchBackend
    x = Tensor([[1.0, 2.0]], requires_grad=True)          # NumPy
    (x * x).sum().backward(); print(x.grad)                # [[2. 4.]]
    tb = TorchBackend(device="cuda")                       # or "cpu"
    y = Tensor([[1.0, 2.0]], backend=tb, requires_grad=True)

Every op is checked against ``torch.autograd`` in ``tests/test_autograd.py``.
"""

import numpy as np


class NumpyBackend:
    """The few array operations the engine needs, spelled for NumPy."""

    name = "numpy"

    def __init__(self, dtype=np.float64):
        self.dtype = dtype

    def array(self, x):
        return np.asarray(x, dtype=self.dtype)

    def to_numpy(self, x):
        return np.asarray(x)

    def sum(self, x, axis=None, keepdims=False):
        return np.sum(x, axis=axis, keepdims=keepdims)

    def max(self, x, axis, keepdims=True):
        return np.max(x, axis=axis, keepdims=keepdims)

    def exp(self, x):
        return np.exp(x)

    def log(self, x):
        return np.log(x)

    def tanh(self, x):
        return np.tanh(x)

    def swap_last(self, x):
        return np.swapaxes(x, -1, -2)

    def broadcast_to(self, x, shape):
        return np.broadcast_to(x, shape)


# --8<-- [start:backends]
class TorchBackend:
    """The same operations on torch tensors, on the device you choose."""

    name = "torch"

    def __init__(self, device="cpu", dtype=None):
        import torch

        self.torch = torch
        self.device = torch.device(device)
        self.dtype = torch.float64 if dtype is None else dtype

    def array(self, x):
        if isinstance(x, self.torch.Tensor):
            return x.to(device=self.device, dtype=self.dtype)
        return self.torch.as_tensor(np.asarray(x), dtype=self.dtype,
                                    device=self.device)

    def to_numpy(self, x):
        return x.detach().cpu().numpy()

    def sum(self, x, axis=None, keepdims=False):
        if axis is None:
            return x.sum() if not keepdims else x.sum().reshape([1] * x.dim())
        return x.sum(dim=axis, keepdim=keepdims)

    def max(self, x, axis, keepdims=True):
        return x.amax(dim=axis, keepdim=keepdims)

    def exp(self, x):
        return x.exp()

    def log(self, x):
        return x.log()

    def tanh(self, x):
        return x.tanh()

    def swap_last(self, x):
        return x.transpose(-1, -2)

    def broadcast_to(self, x, shape):
        return x.expand(shape)
# --8<-- [end:backends]


NUMPY = NumpyBackend()


def _unbroadcast(backend, grad, shape):
    """Sum ``grad`` down to ``shape``, undoing NumPy-style broadcasting."""
    extra = len(grad.shape) - len(shape)
    if extra:
        grad = backend.sum(grad, axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = backend.sum(grad, axis=axes, keepdims=True)
    return grad


# --8<-- [start:tensor]
class Tensor:
    """An array that remembers how it was made, so it can be differentiated."""

    def __init__(self, data, backend=None, requires_grad=False,
                 _parents=(), _op=""):
        self.backend = backend or NUMPY
        self.data = self.backend.array(data)
        self.requires_grad = requires_grad or any(p.requires_grad
                                                  for p in _parents)
        self.grad = None
        self._parents = _parents
        self._backward = lambda: None  # set by the op that made this tensor
        self._op = _op

    @property
    def shape(self):
        return tuple(self.data.shape)

    def _make(self, data, parents, op):
        return Tensor(data, self.backend, _parents=parents, _op=op)

    def _lift(self, other):
        if isinstance(other, Tensor):
            if other.backend is not self.backend:
                raise ValueError("cannot mix tensors from different backends")
            return other
        return Tensor(other, self.backend)

    def _accumulate(self, grad):
        """Add ``grad`` into ``self.grad``: several consumers each contribute."""
        if not self.requires_grad:
            return
        grad = _unbroadcast(self.backend, grad, self.shape)
        self.grad = grad if self.grad is None else self.grad + grad

    def zero_grad(self):
        self.grad = None

    def backward(self):
        """Fill ``grad`` of every tensor this scalar depends on."""
        if int(np.prod(self.shape)) != 1:
            raise ValueError(f"backward() needs a scalar, got shape {self.shape}")
        order, seen = [], set()
        stack = [(self, False)]
        while stack:  # iterative depth-first search: parents before children
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in node._parents if id(p) not in seen)
        self.grad = self.backend.array(np.ones(self.shape))
        for node in reversed(order):  # each node sees its full gradient first
            node._backward()
# --8<-- [end:tensor]

    # --8<-- [start:arithmetic]
    def __add__(self, other):
        other = self._lift(other)
        out = self._make(self.data + other.data, (self, other), "+")

        def _backward():
            self._accumulate(out.grad)
            other._accumulate(out.grad)
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = self._lift(other)
        out = self._make(self.data * other.data, (self, other), "*")

        def _backward():
            self._accumulate(out.grad * other.data)
            other._accumulate(out.grad * self.data)
        out._backward = _backward
        return out

    def __pow__(self, exponent):
        if not isinstance(exponent, (int, float)):
            raise TypeError("only constant (int or float) exponents are supported")
        out = self._make(self.data ** exponent, (self,), f"**{exponent}")

        def _backward():
            self._accumulate(out.grad * exponent * self.data ** (exponent - 1))
        out._backward = _backward
        return out

    def __matmul__(self, other):
        other = self._lift(other)
        out = self._make(self.data @ other.data, (self, other), "@")
        b = self.backend

        def _backward():
            self._accumulate(out.grad @ b.swap_last(other.data))
            other._accumulate(b.swap_last(self.data) @ out.grad)
        out._backward = _backward
        return out
    # --8<-- [end:arithmetic]

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-self._lift(other))

    def __truediv__(self, other):
        return self * self._lift(other) ** -1

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        return self._lift(other) - self

    def __rtruediv__(self, other):
        return self._lift(other) / self

    # --8<-- [start:elementwise]
    def relu(self):
        mask = self.data > 0
        out = self._make(self.data * mask, (self,), "relu")

        def _backward():
            self._accumulate(out.grad * mask)
        out._backward = _backward
        return out

    def tanh(self):
        t = self.backend.tanh(self.data)
        out = self._make(t, (self,), "tanh")

        def _backward():
            self._accumulate(out.grad * (1 - t * t))
        out._backward = _backward
        return out

    def exp(self):
        e = self.backend.exp(self.data)
        out = self._make(e, (self,), "exp")

        def _backward():
            self._accumulate(out.grad * e)
        out._backward = _backward
        return out

    def log(self):
        out = self._make(self.backend.log(self.data), (self,), "log")

        def _backward():
            self._accumulate(out.grad / self.data)
        out._backward = _backward
        return out
    # --8<-- [end:elementwise]

    # --8<-- [start:reductions]
    def sum(self, axis=None, keepdims=False):
        b = self.backend
        out = self._make(b.sum(self.data, axis=axis, keepdims=keepdims), (self,),
                         "sum")

        def _backward():
            grad = out.grad
            if axis is not None and not keepdims:  # put the summed axes back
                axes = (axis,) if isinstance(axis, int) else axis
                shape = list(self.shape)
                for a in axes:
                    shape[a % len(shape)] = 1
                grad = grad.reshape(shape)
            self._accumulate(b.broadcast_to(grad, self.shape) * 1.0)
        out._backward = _backward
        return out

    def mean(self, axis=None, keepdims=False):
        axes = range(len(self.shape)) if axis is None else (
            (axis,) if isinstance(axis, int) else axis)
        n = int(np.prod([self.shape[a] for a in axes]))
        return self.sum(axis=axis, keepdims=keepdims) * (1.0 / n)

    def logsumexp(self, axis=-1):
        """log(sum(exp(x))) along ``axis`` (kept), shifted by the max for safety."""
        b = self.backend
        m = b.max(self.data, axis=axis, keepdims=True)
        s = b.sum(b.exp(self.data - m), axis=axis, keepdims=True)
        out = self._make(m + b.log(s), (self,), "logsumexp")

        def _backward():  # the gradient of logsumexp is softmax
            self._accumulate(out.grad * b.exp(self.data - out.data))
        out._backward = _backward
        return out
    # --8<-- [end:reductions]

    def reshape(self, *shape):
        out = self._make(self.data.reshape(*shape), (self,), "reshape")

        def _backward():
            self._accumulate(out.grad.reshape(self.shape))
        out._backward = _backward
        return out

    @property
    def T(self):
        out = self._make(self.backend.swap_last(self.data), (self,), "T")

        def _backward():
            self._accumulate(self.backend.swap_last(out.grad))
        out._backward = _backward
        return out

    def numpy(self):
        return self.backend.to_numpy(self.data)

    def __repr__(self):
        return (f"Tensor(shape={self.shape}, op={self._op!r}, "
                f"backend={self.backend.name})")
