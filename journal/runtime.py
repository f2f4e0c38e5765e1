"""One set-up call for every notebook: seeds, threads, device, figure style.

    from journal.notebook import setup
    device = setup(seed=0)

`setup` seeds Python, NumPy and torch, pins torch and the BLAS pools to
``JOURNAL_THREADS``, picks the device (`pick_device`; ``JOURNAL_DEVICE``
overrides, see `journal.settings`), applies ``journal.mplstyle`` and, inside
IPython, makes figures carry their records (`journal.figures`); without torch it
returns ``"cpu"``. `run_record` tells the harness what the kernel ran with. Why:
the site's "How the code is arranged" page (pages/code.md).
"""

import os
import platform
import random
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from journal import datasets, figures, settings

STYLE_FILE = Path(__file__).with_name("journal.mplstyle")


@dataclass(frozen=True)
class RunInfo:
    """What `setup` chose; notebooks print only the parts that do not vary."""

    seed: int
    threads: int
    device: str


def _torch():
    """torch, or None where it is not installed (a browser runs NumPy only)."""
    try:
        import torch  # deferred: heavy, and not needed to read settings
    except ImportError:
        return None
    return torch


def pick_device(prefer: str | None = None) -> str:
    """CUDA if present, then Apple MPS, then CPU (``JOURNAL_DEVICE`` overrides)."""
    prefer = prefer or os.environ.get("JOURNAL_DEVICE")
    torch = _torch()
    if torch is None:
        if prefer not in (None, "cpu"):
            raise RuntimeError(f"device {prefer!r} asked for, but torch is not installed")
        return "cpu"
    if prefer:
        if prefer == "cuda" and not torch.cuda.is_available():
            raise RuntimeError("JOURNAL_DEVICE=cuda but no CUDA device is available")
        if prefer == "mps" and not torch.backends.mps.is_available():
            raise RuntimeError("JOURNAL_DEVICE=mps but Apple MPS is not available")
        if prefer not in settings.DEVICES:
            raise ValueError(f"JOURNAL_DEVICE must be cpu, cuda or mps, got {prefer!r}")
        return prefer
    if torch.cuda.is_available():
        return "cuda"
    if torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices) from one integer."""
    random.seed(seed)
    np.random.seed(seed)
    torch = _torch()
    if torch is not None:
        torch.manual_seed(seed)  # also seeds every CUDA device


def setup(seed: int = 0, device: str | None = None):
    """Seed, pin threads, choose the device and set the figure style.

    Returns the ``torch.device`` to train on (``"cpu"`` without torch). The full
    choice is kept in ``setup.last`` (a `RunInfo`) for provenance stamps.
    """
    torch = _torch()
    threads = settings.thread_count()
    if torch is not None:
        torch.set_num_threads(threads)
    try:  # BLAS pools that NumPy and scikit-learn use
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads)
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        pass

    seed_everything(seed)
    name = pick_device(device)
    if name == "cuda":
        # Deterministic kernels where they exist; cuBLAS needs this workspace.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
        torch.use_deterministic_algorithms(True, warn_only=True)

    import matplotlib.pyplot as plt  # deferred: pyplot picks its backend on import

    plt.style.use(STYLE_FILE)
    _record_figures()
    setup.last = RunInfo(seed=seed, threads=threads, device=name)
    return torch.device(name) if torch is not None else name


setup.last = None


def _record_figures() -> None:
    try:
        from IPython import get_ipython  # deferred: absent outside a kernel
    except ImportError:  # pragma: no cover - plain Python: nothing displays figures
        return
    shell = get_ipython()
    if shell is not None and hasattr(shell, "display_formatter"):
        figures.register(shell)


def device_name(device: str) -> str:
    """A human name for the device: the GPU's name, or the CPU model."""
    if device == "cuda":
        import torch  # deferred: heavy, and not needed to read settings

        return torch.cuda.get_device_name(0)
    if device == "mps":
        return f"Apple MPS ({platform.machine()})"
    return cpu_model()


def cpu_model() -> str:
    """The CPU model from /proc/cpuinfo, else what `platform` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def installed_version(package: str) -> str | None:
    """The installed version of ``package`` from its metadata, or None: no import
    (torch's alone costs a notebook that never used it seconds of CPU)."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def run_record() -> dict:
    """What this process ran with, for the provenance stamp of `journal run`.

    Versions, the `setup` choices (seed, threads, device) and the checksums of
    every dataset loaded through `journal.datasets`. Without a `setup` call, seed
    and device are ``None`` and threads is the pinned ``JOURNAL_THREADS``.
    """
    last = setup.last
    return {
        "python": platform.python_version(),
        "torch": installed_version("torch"),
        "numpy": np.__version__,
        "platform": f"{sys.platform}-{platform.machine()}",
        "seed": last.seed if last else None,
        "threads": last.threads if last else settings.thread_count(),
        "device": last.device if last else None,
        "device_name": device_name(last.device) if last else cpu_model(),
        "datasets": dict(sorted(datasets.LOADED.items())),
    }
