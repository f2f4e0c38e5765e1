"""The committed sanitizer normalises volatile text, and only that."""

import re

import pytest
from nbval.plugin import get_sanitize_patterns

from journal import paths

PATTERNS = get_sanitize_patterns(paths.SANITIZE_FILE.read_text())


def sanitize(text: str) -> str:
    for regex, replace in PATTERNS:
        text = re.sub(regex, replace, text)
    return text


@pytest.mark.parametrize("a, b", [
    ("trained 8 epochs in 17.6 s, 1818 images/s", "trained 8 epochs in 16.4 s, 1950 images/s"),
    ("<Net object at 0x7f3a2c1b4d30>", "<Net object at 0x7f00deadbeef>"),
    ("saved to /home/alice/journal/x.pt", "saved to /home/bob/work/x.pt"),
    ("wrote /tmp/tmpab12cd/model.pt", "wrote /tmp/tmpzz99yy/model.pt"),
    ("device: cpu", "device: cuda"),
    ("run at 2026-11-23 06:41:07", "run at 2026-11-24 11:02:59"),
])
def test_volatile_text_is_normalised(a, b):
    assert sanitize(a) == sanitize(b)


@pytest.mark.parametrize("a, b", [
    ("4 of 450 test images wrong", "3 of 450 test images wrong"),
    ("X_train (1347, 64)", "X_train (1346, 64)"),
    ("trained 8 epochs", "trained 6 epochs"),
    ("target ≥ 0.985: met", "target ≥ 0.985: missed"),
])
def test_results_are_left_alone(a, b):
    assert sanitize(a) != sanitize(b)
