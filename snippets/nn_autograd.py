"""Layers, a loss and an optimiser built on `snippets.autograd`.

Nothing here writes a gradient: each piece is a forward computation on
`Tensor`s, and ``loss.backward()`` does the rest. That is what makes a
residual connection (``x + f(x)``) free: ``x`` is used twice, and the engine
adds up both gradients.

    from snippets.nn_autograd import ResidualMLP, train
    model = ResidualMLP(784, 128, 10, blocks=2, seed=0)
    history = train(model, data, epochs=10)

Weights are drawn with NumPy from ``seed`` and then handed to the backend, so
the same seed gives the same network on NumPy and on torch.
"""

import math
from dataclasses import dataclass, field

import numpy as np

from snippets.autograd import NUMPY, Tensor


# --8<-- [start:layers]
class Linear:
    def __init__(self, fan_in, fan_out, rng, backend=NUMPY, scale=1.0):
        std = scale * np.sqrt(2.0 / fan_in)
        self.W = Tensor(rng.standard_normal((fan_in, fan_out)) * std, backend,
                        requires_grad=True)
        self.b = Tensor(np.zeros(fan_out), backend, requires_grad=True)

    def __call__(self, x):
        return x @ self.W + self.b

    def parameters(self):
        return [self.W, self.b]


class ResidualBlock:
    """x + W2 relu(W1 x): the input skips past two layers and is added back."""

    def __init__(self, width, hidden, rng, backend=NUMPY):
        self.inner = Linear(width, hidden, rng, backend)
        self.outer = Linear(hidden, width, rng, backend, scale=0.5)

    def __call__(self, x):
        return (x + self.outer(self.inner(x).relu())).relu()

    def parameters(self):
        return self.inner.parameters() + self.outer.parameters()


class ResidualMLP:
    def __init__(self, n_in, width, n_out, blocks=2, seed=0, backend=NUMPY):
        rng = np.random.default_rng(seed)
        self.stem = Linear(n_in, width, rng, backend)
        self.blocks = [ResidualBlock(width, width, rng, backend)
                       for _ in range(blocks)]
        self.head = Linear(width, n_out, rng, backend)
        self.backend = backend

    def __call__(self, x):
        h = self.stem(x).relu()
        for block in self.blocks:
            h = block(h)
        return self.head(h)

    def parameters(self):
        params = self.stem.parameters() + self.head.parameters()
        for block in self.blocks:
            params += block.parameters()
        return params
# --8<-- [end:layers]


# --8<-- [start:loss]
def cross_entropy(logits, labels):
    """Mean negative log-likelihood of integer ``labels`` under softmax(logits)."""
    n, k = logits.shape
    one_hot = np.zeros((n, k))
    one_hot[np.arange(n), np.asarray(labels)] = 1.0
    log_probs = logits - logits.logsumexp(axis=1)
    return -(log_probs * Tensor(one_hot, logits.backend)).sum() * (1.0 / n)
# --8<-- [end:loss]


# --8<-- [start:sgd]
class SGD:
    """Stochastic gradient descent with momentum and decoupled weight decay."""

    def __init__(self, params, lr=0.05, momentum=0.9, weight_decay=0.0):
        self.params, self.lr = params, lr
        self.momentum, self.weight_decay = momentum, weight_decay
        self.velocity = [None] * len(params)

    def zero_grad(self):
        for p in self.params:
            p.zero_grad()

    def step(self):
        for i, p in enumerate(self.params):
            v = p.grad if self.velocity[i] is None else (
                self.momentum * self.velocity[i] + p.grad)
            self.velocity[i] = v
            p.data = p.data * (1 - self.lr * self.weight_decay) - self.lr * v
# --8<-- [end:sgd]


@dataclass
class History:
    """Per-epoch training loss and validation accuracy."""

    train_loss: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)


def probabilities(model, X, batch_size=1000):
    """softmax(logits) for every row of ``X``, as a NumPy array."""
    out = []
    for start in range(0, len(X), batch_size):
        logits = model(Tensor(X[start:start + batch_size], model.backend)).numpy()
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        out.append(e / e.sum(axis=1, keepdims=True))
    return np.concatenate(out)


def predict(model, X, batch_size=1000):
    return probabilities(model, X, batch_size).argmax(axis=1)


def shift_images(X, rng, image_shape=(28, 28), max_shift=2):
    """Move each image by up to ``max_shift`` pixels in x and y (zero fill)."""
    n = len(X)
    images = X.reshape(n, *image_shape)
    out = np.zeros_like(images)
    dy = rng.integers(-max_shift, max_shift + 1, n)
    dx = rng.integers(-max_shift, max_shift + 1, n)
    h, w = image_shape
    for i in range(n):
        ys, xs = slice(max(dy[i], 0), h + min(dy[i], 0)), slice(max(dx[i], 0),
                                                                 w + min(dx[i], 0))
        yd = slice(max(-dy[i], 0), h + min(-dy[i], 0))
        xd = slice(max(-dx[i], 0), w + min(-dx[i], 0))
        out[i, yd, xd] = images[i, ys, xs]
    return out.reshape(n, -1)


# --8<-- [start:train]
def train(model, data, epochs=10, batch_size=64, lr=0.05, momentum=0.9,
          weight_decay=5e-4, augment=True, seed=0):
    """Mini-batch SGD with a cosine learning-rate schedule; after each epoch,
    accuracy on the validation split (``data.X_val``), never the test split."""
    rng = np.random.default_rng(seed)
    opt = SGD(model.parameters(), lr, momentum, weight_decay)
    history = History()
    steps, total = 0, epochs * -(-len(data.X_train) // batch_size)
    for _ in range(epochs):
        X = shift_images(data.X_train, rng) if augment else data.X_train
        order = rng.permutation(len(X))
        losses = []
        for start in range(0, len(X), batch_size):
            idx = order[start:start + batch_size]
            opt.lr = lr * 0.5 * (1 + math.cos(math.pi * steps / total))
            loss = cross_entropy(model(Tensor(X[idx], model.backend)),
                                 data.y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(float(loss.numpy()))
            steps += 1
        history.train_loss.append(float(np.mean(losses)))
        history.val_acc.append(float((predict(model, data.X_val)
                                      == data.y_val).mean()))
    return history
# --8<-- [end:train]
