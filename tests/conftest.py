"""Shared fixtures for the unit tests."""

from pathlib import Path

import pytest

from journal import paths

# Notebooks kept as bad-input fixtures are data, not project notebooks.
collect_ignore_glob = ["fixtures/*"]


@pytest.fixture
def repo_root() -> Path:
    return paths.ROOT
