"""The corpus builders of tests/fixtures (``make_*.py``) as modules, for tests
that check a committed corpus against what its builder lists. Loaded from their
files (tests/fixtures is data, not a package); a builder's ``main()`` is not run.
"""

import importlib.util
import sys

from journal import paths


def load(name: str):
    """The module ``tests/fixtures/<name>.py``."""
    spec = importlib.util.spec_from_file_location(
        name, paths.TESTS / "fixtures" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # inspect.getsource finds its classes through it
    spec.loader.exec_module(module)
    return module
