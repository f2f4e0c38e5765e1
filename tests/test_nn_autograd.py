"""The optimiser, augmentation and evaluation used to train the autograd network."""

from types import SimpleNamespace

import numpy as np
import torch

from snippets.autograd import Tensor
from snippets.nn_autograd import (SGD, ResidualMLP, cross_entropy, predict,
                                  probabilities, shift_images, train)


def test_sgd_with_momentum_matches_torch_optim_sgd():
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((4, 3))
    grads = [rng.standard_normal((4, 3)) for _ in range(5)]
    ours = Tensor(w0.copy(), requires_grad=True)
    ref = torch.tensor(w0.copy(), requires_grad=True)
    opt, ref_opt = SGD([ours], lr=0.1, momentum=0.9), torch.optim.SGD(
        [ref], lr=0.1, momentum=0.9)
    for g in grads:
        ours.grad, ref.grad = g, torch.tensor(g)
        opt.step()
        ref_opt.step()
    np.testing.assert_allclose(ours.data, ref.detach().numpy(), atol=1e-12)


def test_weight_decay_shrinks_weights_without_gradient():
    w = Tensor(np.ones(3), requires_grad=True)
    w.grad = np.zeros(3)
    SGD([w], lr=0.1, momentum=0.0, weight_decay=0.5).step()
    np.testing.assert_allclose(w.data, np.full(3, 0.95))


def test_shift_images_moves_pixels_and_keeps_them():
    image = np.zeros((1, 28, 28), dtype=np.float32)
    image[0, 10:14, 12:15] = 1.0  # a blob well inside the frame
    X = image.reshape(1, -1)
    assert np.array_equal(shift_images(X, np.random.default_rng(0), max_shift=0), X)
    moved = shift_images(X, np.random.default_rng(3), max_shift=2).reshape(28, 28)
    assert moved.sum() == image.sum()  # nothing fell off the edge
    ys, xs = np.nonzero(moved)
    assert abs(ys.min() - 10) <= 2 and abs(xs.min() - 12) <= 2


def test_a_few_steps_reduce_the_loss():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 10))
    y = (X[:, 0] > 0).astype(np.int64)
    model = ResidualMLP(10, 16, 2, blocks=1, seed=0)
    opt = SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(30):
        loss = cross_entropy(model(Tensor(X)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.numpy()))
    assert losses[-1] < 0.5 * losses[0]


def test_probabilities_match_torch_softmax_and_predict_is_their_argmax():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((7, 10))
    model = ResidualMLP(10, 16, 4, blocks=1, seed=0)
    probs = probabilities(model, X, batch_size=3)  # several batches
    logits = model(Tensor(X)).numpy()
    ref = torch.softmax(torch.tensor(logits), dim=1).numpy()
    np.testing.assert_allclose(probs, ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(predict(model, X), ref.argmax(axis=1))


def test_training_history_reports_validation_accuracy():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((40, 784)).astype(np.float32)
    y = rng.integers(0, 10, 40)
    data = SimpleNamespace(X_train=X[:30], y_train=y[:30], X_val=X[30:], y_val=y[30:])
    model = ResidualMLP(784, 8, 10, blocks=1, seed=0)
    history = train(model, data, epochs=2, batch_size=10, augment=False)
    assert len(history.val_acc) == len(history.train_loss) == 2
    expected = float((predict(model, data.X_val) == data.y_val).mean())
    assert history.val_acc[-1] == expected
