"""Settings shared by the tooling and the notebook kernels, defined once.

- ``JOURNAL_THREADS``: CPU threads for torch and BLAS (default 1). CPU results
  depend on it, so it is fixed rather than left to the machine.
- ``JOURNAL_DEVICE``: force ``cpu``, ``cuda`` or ``mps`` (default: the best
  available; see `journal.runtime.pick_device`).
"""

import os

DEFAULT_THREADS = 1
CELL_TIMEOUT_S = 600      # per code cell, for `journal run` and the test suite
DEVICES = ("cpu", "cuda", "mps")


def thread_count(value: str | int | None = None) -> int:
    """The pinned CPU thread count: ``value``, else ``JOURNAL_THREADS``, else 1."""
    if value is None:
        value = os.environ.get("JOURNAL_THREADS", str(DEFAULT_THREADS))
    try:
        threads = int(value)
    except (TypeError, ValueError):
        threads = 0
    if threads < 1 or str(threads) != str(value).strip():
        raise ValueError(f"JOURNAL_THREADS must be a positive integer, got {value!r}")
    return threads
