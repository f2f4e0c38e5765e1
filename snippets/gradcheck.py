"""Numerical gradient checking by central differences.

The check that tells you whether a hand-written backward pass is right:
nudge each input entry by ±eps, see how the scalar loss moves, and compare
that slope with the analytic gradient.

    from snippets.gradcheck import numerical_gradient, relative_error
    num = numerical_gradient(lambda: loss_of(W), W)   # W is perturbed in place
    print(relative_error(num, analytic))

Use float64: in float32 the differences drown in rounding error.
"""

import numpy as np


# --8<-- [start:numerical]
def numerical_gradient(f, x, eps=1e-6):
    """d f() / d x by central differences; ``x`` is perturbed in place.

    ``f`` takes no arguments and reads ``x`` itself, so the same function
    works for any array a model holds (weights, biases, inputs).
    """
    if x.dtype != np.float64:
        raise TypeError(f"gradient checks need float64, got {x.dtype}")
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        saved = x[i]
        x[i] = saved + eps
        f_plus = f()
        x[i] = saved - eps
        f_minus = f()
        x[i] = saved  # restore before moving on
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(a, b, floor=1e-12):
    """||a - b|| / (||a|| + ||b||): scale-free, and not fooled by the many
    entries that are (almost) zero, where an entry-by-entry ratio is noise."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b),
                                             floor))
# --8<-- [end:numerical]
