"""Every autograd op, forward and gradient, against torch.autograd on random shapes."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from snippets.autograd import Tensor, TorchBackend
from snippets.nn_autograd import ResidualMLP, cross_entropy

ATOL, RTOL = 1e-9, 1e-7  # float64 on both sides
SETTINGS = settings(max_examples=25)

dims = st.integers(1, 5)
shapes = st.lists(dims, min_size=1, max_size=3).map(tuple)
finite = st.floats(-3, 3, allow_nan=False, width=64)


def array_of(shape, elements=finite):
    return arrays(np.float64, shape, elements=elements)


def compare(fn_ours, fn_torch, *inputs):
    """Run the same expression in both engines; compare value and every gradient."""
    ours = [Tensor(a.copy(), requires_grad=True) for a in inputs]
    ref = [torch.tensor(a, requires_grad=True) for a in inputs]
    out, out_ref = fn_ours(*ours), fn_torch(*ref)
    np.testing.assert_allclose(out.numpy(), out_ref.detach().numpy(), atol=ATOL,
                               rtol=RTOL)
    # A fixed random weighting makes the scalar depend on every output entry.
    w = np.random.default_rng(0).standard_normal(out.shape)
    (out * w).sum().backward()
    (out_ref * torch.tensor(w)).sum().backward()
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), atol=ATOL, rtol=RTOL)


@st.composite
def broadcast_pair(draw):
    """Two arrays whose shapes broadcast: some axes of the second are 1 or missing."""
    shape = draw(shapes)
    other = [1 if draw(st.booleans()) else n for n in shape]
    other = other[draw(st.integers(0, len(other) - 1)):]
    return draw(array_of(shape)), draw(array_of(tuple(other)))


@SETTINGS
@given(broadcast_pair())
def test_add_mul_sub_with_broadcasting(pair):
    a, b = pair
    compare(lambda x, y: x + y, lambda x, y: x + y, a, b)
    compare(lambda x, y: x * y, lambda x, y: x * y, a, b)
    compare(lambda x, y: x - y, lambda x, y: x - y, a, b)


@SETTINGS
@given(broadcast_pair())
def test_division(pair):
    a, b = pair
    b = np.where(np.abs(b) < 0.5, 0.5, b)  # keep away from zero
    compare(lambda x, y: x / y, lambda x, y: x / y, a, b)


@SETTINGS
@given(st.tuples(dims, dims, dims).flatmap(
    lambda s: st.tuples(array_of((s[0], s[1])), array_of((s[1], s[2])))))
def test_matmul(pair):
    compare(lambda x, y: x @ y, lambda x, y: x @ y, *pair)


@SETTINGS
@given(st.tuples(dims, dims, dims, dims).flatmap(
    lambda s: st.tuples(array_of((s[0], s[1], s[2])), array_of((s[2], s[3])))))
def test_batched_matmul_broadcasts_the_second_operand(pair):
    compare(lambda x, y: x @ y, lambda x, y: x @ y, *pair)


@SETTINGS
@given(shapes.flatmap(array_of))
def test_elementwise_ops(a):
    compare(lambda x: x.relu(), torch.relu, a)
    compare(lambda x: x.tanh(), torch.tanh, a)
    compare(lambda x: x.exp(), torch.exp, a)
    compare(lambda x: -x, lambda x: -x, a)
    compare(lambda x: x ** 3, lambda x: x ** 3, a)
    compare(lambda x: 2.0 - x, lambda x: 2.0 - x, a)


@SETTINGS
@given(shapes.flatmap(lambda s: array_of(s, st.floats(0.1, 5, width=64))))
def test_log_and_fractional_power(a):
    compare(lambda x: x.log(), torch.log, a)
    compare(lambda x: x ** 0.5, lambda x: x ** 0.5, a)
    compare(lambda x: 1.0 / x, lambda x: 1.0 / x, a)


@SETTINGS
@given(shapes.flatmap(lambda s: st.tuples(array_of(s), st.integers(0, len(s) - 1),
                                          st.booleans())))
def test_reductions(case):
    a, axis, keep = case
    compare(lambda x: x.sum(axis=axis, keepdims=keep),
            lambda x: x.sum(dim=axis, keepdim=keep), a)
    compare(lambda x: x.mean(axis=axis, keepdims=keep),
            lambda x: x.mean(dim=axis, keepdim=keep), a)
    compare(lambda x: x.logsumexp(axis=axis),
            lambda x: torch.logsumexp(x, dim=axis, keepdim=True), a)
    compare(lambda x: x.sum().reshape(1), lambda x: x.sum().reshape(1), a)
    compare(lambda x: x.mean().reshape(1), lambda x: x.mean().reshape(1), a)


@SETTINGS
@given(st.tuples(dims, dims).flatmap(lambda s: array_of(s)))
def test_reshape_and_transpose(a):
    compare(lambda x: x.reshape(-1), lambda x: x.reshape(-1), a)
    compare(lambda x: x.T, lambda x: x.T, a)


@SETTINGS
@given(shapes.flatmap(array_of))
def test_a_value_used_twice_accumulates_both_gradients(a):
    compare(lambda x: x * x + x, lambda x: x * x + x, a)
    compare(lambda x: (x.tanh() + x).relu() * x.exp(),
            lambda x: (x.tanh() + x).relu() * x.exp(), a)


def test_logsumexp_survives_large_inputs():
    a = np.array([[1000.0, 1000.0], [-1000.0, 0.0]])
    compare(lambda x: x.logsumexp(axis=1),
            lambda x: torch.logsumexp(x, dim=1, keepdim=True), a)


def test_residual_network_and_cross_entropy_match_torch():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((7, 12)), rng.integers(0, 5, 7)
    model = ResidualMLP(12, 8, 5, blocks=2, seed=3)
    loss = cross_entropy(model(Tensor(X)), y)
    loss.backward()

    params = [torch.tensor(p.data, requires_grad=True) for p in model.parameters()]
    (W0, b0, Wh, bh, *blocks) = params
    h = torch.relu(torch.tensor(X) @ W0 + b0)
    for i in range(0, len(blocks), 4):
        W1, b1, W2, b2 = blocks[i:i + 4]
        h = torch.relu(h + torch.relu(h @ W1 + b1) @ W2 + b2)
    ref = torch.nn.functional.cross_entropy(h @ Wh + bh, torch.tensor(y))
    ref.backward()
    np.testing.assert_allclose(loss.numpy(), ref.item(), atol=ATOL, rtol=RTOL)
    for ours, theirs in zip(model.parameters(), params):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), atol=ATOL,
                                   rtol=RTOL)


def test_torch_backend_runs_the_same_graph():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((9, 6)), rng.integers(0, 3, 9)
    results = []
    for backend in (None, TorchBackend("cpu")):
        model = ResidualMLP(6, 5, 3, blocks=1, seed=0, backend=backend) \
            if backend else ResidualMLP(6, 5, 3, blocks=1, seed=0)
        loss = cross_entropy(model(Tensor(X, model.backend)), y)
        loss.backward()
        results.append([loss.numpy()] + [
            model.backend.to_numpy(p.grad) for p in model.parameters()])
    assert isinstance(results[1][0], np.ndarray)
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, atol=1e-12, rtol=1e-10)


def test_backward_needs_a_scalar_and_backends_do_not_mix():
    x = Tensor(np.ones((2, 2)), requires_grad=True)
    with pytest.raises(ValueError, match="scalar"):
        (x * 2).backward()
    with pytest.raises(ValueError, match="different backends"):
        x + Tensor(np.ones((2, 2)), backend=TorchBackend("cpu"))


def test_zero_grad_clears_accumulated_gradients():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * x).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, [4.0, 8.0])  # two passes add up
    x.zero_grad()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, [2.0, 4.0])
