"""How many bytes does training the convnet hold? Counted on paper, then by torch.

Training memory has four parts: the weights, one gradient per weight, the
optimiser's state (Adam keeps two running averages per weight and a step
count per tensor), and the activations that autograd saves during the forward
pass to use in the backward pass. `expected_bytes` counts each from the
network's shape alone; `measured_bytes` asks torch, on the CPU, by adding up
the tensors it actually holds (`saved_tensors_hooks` sees every tensor saved
for backward). The two agree when the paper model of a layer is right.

    expected_bytes(channels=(16, 32, 64), batch_size=64)
    measured_bytes(Net(), batch_size=64)

Used by projects/memory-budget.
"""

import torch
import torch.nn.functional as F

# Bytes per number. Dropout's mask is float32 too: torch keeps it in the
# input's dtype (on the CPU, where this was checked), not as one byte per bit.
FLOAT, INDEX = 4, 8  # float32; int64 (max-pool indices, labels)


# --8<-- [start:paper]
def expected_bytes(channels=(16, 32, 64), batch_size=64, n_classes=10,
                   side=28) -> dict[str, int]:
    """Bytes of each part of one training step of `snippets.convnet.Net`."""
    B, weights, saved = batch_size, 0, 0
    c_in, h = 1, side
    saved += B * c_in * h * h * FLOAT                 # the input images
    for c in channels:
        weights += c * c_in * 3 * 3 + 2 * c           # conv kernel; BN scale, shift
        saved += B * c * h * h * FLOAT                # conv output (for BN)
        saved += 4 * c * FLOAT                        # BN: running and batch stats
        saved += B * c * h * h * FLOAT                # ReLU output (for pool, ReLU)
        h //= 2
        saved += B * c * h * h * INDEX                # where each pool max came from
        if c != channels[-1]:
            saved += B * c * h * h * FLOAT            # pool output (next conv's input)
        c_in = c
    features = c_in * h * h
    weights += features * n_classes + n_classes       # linear layer
    saved += B * features * 2 * FLOAT                 # dropout mask; linear input
    saved += B * n_classes * FLOAT + B * INDEX + FLOAT  # log-softmax, labels, total
    params = 3 * len(channels) + 2  # weight tensors: Adam keeps a step count each
    return {"weights": weights * FLOAT,
            "gradients": weights * FLOAT,
            "Adam state": 2 * weights * FLOAT + params * FLOAT,
            "saved activations": saved}
# --8<-- [end:paper]


def _nbytes(tensors) -> int:
    """Bytes of the distinct storages behind ``tensors`` (views counted once)."""
    seen = {}
    for t in tensors:
        storage = t.untyped_storage()
        seen[storage.data_ptr()] = storage.nbytes()
    return sum(seen.values())


# --8<-- [start:measured]
def measured_bytes(model, batch_size=64, n_classes=10, side=28, seed=0):
    """The same four parts, read from torch after one real training step."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(batch_size, 1, side, side, generator=gen)
    y = torch.randint(0, n_classes, (batch_size,), generator=gen)
    model.train()
    opt = torch.optim.Adam(model.parameters())
    weights = list(model.parameters())
    skip = {p.untyped_storage().data_ptr() for p in weights}  # counted as weights
    saved = []

    def pack(t):
        if t.untyped_storage().data_ptr() not in skip:
            saved.append(t)
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = F.cross_entropy(model(x), y)
    loss.backward()
    grads = _nbytes(p.grad for p in weights)
    opt.step()
    state = [t for s in opt.state.values() for t in s.values()]
    return {"weights": _nbytes(weights), "gradients": grads,
            "Adam state": _nbytes(state), "saved activations": _nbytes(saved)}
# --8<-- [end:measured]


def training_state_bytes(n_weights: int) -> int:
    """Weights, gradients and Adam's two averages in float32: 16 bytes a weight,
    before a single activation is stored."""
    return n_weights * (FLOAT + FLOAT + 2 * FLOAT)
