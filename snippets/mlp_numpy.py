"""A multilayer perceptron in plain NumPy, with every gradient written by hand.

This is the "first network" design: a list of layers applied in order, each
layer remembering what it saw on the way forward and turning the gradient of
the loss with respect to its output into the gradient with respect to its
input (and its parameters) on the way back. Training is mini-batch SGD; the
accuracy it records after each epoch is on the validation split, never the test
split.

    from snippets.mlp_numpy import MLP, train_sgd
    net = MLP([784, 100, 10], seed=0)
    history = train_sgd(net, X_train, y_train, X_val, y_val, epochs=10)

The gradients are checked numerically (`snippets.gradcheck`) and against
``torch.autograd`` in ``tests/test_mlp_numpy.py``.
"""

from dataclasses import dataclass, field

import numpy as np


# --8<-- [start:layers]
class Linear:
    """y = x @ W + b, for a batch x of shape (n, fan_in)."""

    def __init__(self, fan_in, fan_out, rng, dtype=np.float64):
        scale = np.sqrt(2.0 / fan_in)  # He initialisation, suits ReLU
        self.W = (rng.standard_normal((fan_in, fan_out)) * scale).astype(dtype)
        self.b = np.zeros(fan_out, dtype=dtype)

    def forward(self, x):
        self.x = x  # kept for the backward pass
        return x @ self.W + self.b

    def backward(self, grad_out):
        self.dW = self.x.T @ grad_out  # each example adds its outer product
        self.db = grad_out.sum(axis=0)
        return grad_out @ self.W.T  # gradient for the layer below

    def params(self):
        return [(self.W, "dW"), (self.b, "db")]


class ReLU:
    def forward(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, grad_out):
        return grad_out * self.mask

    def params(self):
        return []


class Sigmoid:
    def forward(self, x):
        self.y = 1.0 / (1.0 + np.exp(-x))
        return self.y

    def backward(self, grad_out):
        return grad_out * self.y * (1.0 - self.y)

    def params(self):
        return []
# --8<-- [end:layers]


# --8<-- [start:loss]
class SoftmaxCrossEntropy:
    """Mean cross-entropy of softmax(logits) against integer labels."""

    def forward(self, logits, labels):
        shifted = logits - logits.max(axis=1, keepdims=True)  # avoids overflow
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self.probs, self.labels = np.exp(log_probs), labels
        return -log_probs[np.arange(len(labels)), labels].mean()

    def backward(self):
        # d(loss)/d(logits) = (softmax - one_hot) / n: the famous tidy result
        grad = self.probs.copy()
        grad[np.arange(len(self.labels)), self.labels] -= 1.0
        return grad / len(self.labels)
# --8<-- [end:loss]


# --8<-- [start:network]
class MLP:
    """Linear layers with an activation between them, applied in order."""

    def __init__(self, sizes, seed=0, activation=ReLU, dtype=np.float64):
        rng = np.random.default_rng(seed)
        self.layers = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            self.layers.append(Linear(fan_in, fan_out, rng, dtype))
            if i < len(sizes) - 2:
                self.layers.append(activation())
        self.loss = SoftmaxCrossEntropy()

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self):
        grad = self.loss.backward()
        for layer in reversed(self.layers):  # the chain rule, one layer at a time
            grad = layer.backward(grad)
        return grad

    def loss_and_grads(self, x, labels):
        loss = self.loss.forward(self.forward(x), labels)
        self.backward()
        return loss

    def sgd_step(self, lr):
        for layer in self.layers:
            for param, grad_name in layer.params():
                param -= lr * getattr(layer, grad_name)  # in place

    def predict(self, x):
        return self.forward(x).argmax(axis=1)

    def probabilities(self, x):
        """softmax(logits): how sure the network is of each class."""
        logits = self.forward(x)
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
# --8<-- [end:network]


@dataclass
class History:
    """Per-epoch training loss, training accuracy and validation accuracy."""

    train_loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)


# --8<-- [start:train]
def train_sgd(net, X, y, X_val, y_val, epochs=10, batch_size=32, lr=0.1,
              seed=0):
    """Mini-batch SGD: shuffle each epoch, one step per batch; after each
    epoch, record accuracy on the training and the validation images."""
    rng = np.random.default_rng(seed)
    history = History()
    for _ in range(epochs):
        order = rng.permutation(len(X))
        losses = []
        for start in range(0, len(X), batch_size):
            idx = order[start:start + batch_size]
            losses.append(net.loss_and_grads(X[idx], y[idx]))
            net.sgd_step(lr)
        history.train_loss.append(float(np.mean(losses)))
        history.train_acc.append(float((net.predict(X) == y).mean()))
        history.val_acc.append(float((net.predict(X_val) == y_val).mean()))
    return history
# --8<-- [end:train]

