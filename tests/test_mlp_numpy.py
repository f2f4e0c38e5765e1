"""The hand-written MLP backward pass against finite differences and torch.autograd."""

import numpy as np
import pytest
import torch

from snippets.gradcheck import numerical_gradient, relative_error
from snippets.mlp_numpy import (MLP, Linear, ReLU, Sigmoid, SoftmaxCrossEntropy,
                                 train_sgd)

ATOL = 1e-10  # float64 on both sides: only rounding separates them
RTOL = 1e-8


def _batch(n=6, d=5, k=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.integers(0, k, n)


@pytest.mark.parametrize("activation", [ReLU, Sigmoid])
def test_every_layer_gradient_matches_torch(activation):
    x, y = _batch()
    net = MLP([5, 7, 6, 4], seed=1, activation=activation)
    loss = net.loss_and_grads(x, y)
    grad_x = net.backward()

    xt = torch.tensor(x, requires_grad=True)
    params = []
    h = xt
    for layer in net.layers:
        if isinstance(layer, Linear):
            W = torch.tensor(layer.W, requires_grad=True)
            b = torch.tensor(layer.b, requires_grad=True)
            params.append((layer, W, b))
            h = h @ W + b
        else:
            h = torch.relu(h) if activation is ReLU else torch.sigmoid(h)
    loss_t = torch.nn.functional.cross_entropy(h, torch.tensor(y))
    loss_t.backward()

    np.testing.assert_allclose(loss, loss_t.item(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(grad_x, xt.grad.numpy(), rtol=RTOL, atol=ATOL)
    for layer, W, b in params:
        np.testing.assert_allclose(layer.dW, W.grad.numpy(), rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(layer.db, b.grad.numpy(), rtol=RTOL, atol=ATOL)


def test_softmax_cross_entropy_gradient_matches_torch():
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((8, 10)) * 5
    labels = rng.integers(0, 10, 8)
    ce = SoftmaxCrossEntropy()
    loss = ce.forward(logits, labels)
    lt = torch.tensor(logits, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(lt, torch.tensor(labels))
    ref.backward()
    np.testing.assert_allclose(loss, ref.item(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(ce.backward(), lt.grad.numpy(), rtol=RTOL, atol=ATOL)


def test_numerical_gradient_check_passes_for_all_parameters():
    x, y = _batch(seed=2)
    net = MLP([5, 6, 4], seed=2, activation=Sigmoid)  # smooth: no kinks
    net.loss_and_grads(x, y)
    for layer in net.layers:
        for param, grad_name in layer.params():
            analytic = getattr(layer, grad_name).copy()
            numeric = numerical_gradient(lambda: net.loss.forward(net.forward(x), y),
                                         param)
            assert relative_error(numeric, analytic) < 1e-6


def test_numerical_gradient_catches_a_wrong_gradient():
    x, y = _batch(seed=4)
    net = MLP([5, 6, 4], seed=4, activation=Sigmoid)
    net.loss_and_grads(x, y)
    layer = net.layers[0]
    numeric = numerical_gradient(lambda: net.loss.forward(net.forward(x), y), layer.W)
    assert relative_error(numeric, 2 * layer.dW) > 0.1


def test_numerical_gradient_refuses_float32():
    with pytest.raises(TypeError, match="float64"):
        numerical_gradient(lambda: 0.0, np.zeros(3, dtype=np.float32))


def test_training_reduces_loss_on_a_toy_problem():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)  # XOR-like: needs the hidden layer
    net = MLP([2, 16, 2], seed=0)
    hist = train_sgd(net, X, y, X, y, epochs=40, batch_size=20, lr=0.2)
    assert hist.train_loss[-1] < 0.5 * hist.train_loss[0]
    assert hist.train_acc[-1] > 0.9


def test_probabilities_match_torch_softmax():
    x, _ = _batch(n=5, d=6, seed=5)
    net = MLP([6, 8, 4], seed=5)
    ref = torch.softmax(torch.tensor(net.forward(x)), dim=1).numpy()
    np.testing.assert_allclose(net.probabilities(x), ref, rtol=RTOL, atol=ATOL)
    np.testing.assert_array_equal(net.predict(x), ref.argmax(axis=1))


def test_history_records_validation_accuracy_each_epoch():
    x, y = _batch(n=40, d=5, k=3, seed=6)
    net = MLP([5, 8, 3], seed=6)
    history = train_sgd(net, x[:30], y[:30], x[30:], y[30:], epochs=3, batch_size=8)
    assert len(history.val_acc) == len(history.train_acc) == 3
    assert history.val_acc[-1] == float((net.predict(x[30:]) == y[30:]).mean())
