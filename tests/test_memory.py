"""The paper count of training memory against the tensors torch actually holds."""

import pytest
import torch

from snippets.convnet import Net
from snippets.memory import expected_bytes, measured_bytes, training_state_bytes


@pytest.mark.parametrize("channels, batch_size", [((16, 32, 64), 2), ((4, 8), 3),
                                                  ((8,), 1)])
def test_paper_count_matches_torch_to_the_byte(channels, batch_size):
    torch.manual_seed(0)
    paper = expected_bytes(channels=channels, batch_size=batch_size)
    measured = measured_bytes(Net(channels=channels), batch_size=batch_size)
    assert measured == paper


def test_activations_grow_with_the_batch_and_nothing_else_does():
    one, four = expected_bytes(batch_size=1), expected_bytes(batch_size=4)
    for part in ("weights", "gradients", "Adam state"):
        assert one[part] == four[part]
    per_image = four["saved activations"] - expected_bytes(batch_size=3)[
        "saved activations"]
    assert four["saved activations"] - one["saved activations"] == 3 * per_image


def test_weights_are_counted_as_the_model_has_them():
    model = Net()
    assert expected_bytes()["weights"] == 4 * sum(p.numel() for p in model.parameters())


def test_a_missed_layer_shows_up_as_a_difference():
    """The measured side is not built from the paper count: a network with an
    extra layer the paper does not know about disagrees."""
    model = Net(channels=(4, 8))
    model.features.append(torch.nn.ReLU())
    assert measured_bytes(model, batch_size=2) != expected_bytes(channels=(4, 8),
                                                                 batch_size=2)


def test_training_state_is_sixteen_bytes_a_weight():
    assert training_state_bytes(1000) == 16_000
