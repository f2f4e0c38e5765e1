"""The environment every notebook kernel runs in, for tests and for `journal run`.

CPU results depend on the number of threads, so the count is pinned to one value
(``JOURNAL_THREADS``, default 1) for OpenMP, MKL, OpenBLAS and torch alike. The
variables are exported before a kernel starts; `journal.runtime.setup` reads the
same variable inside the kernel and pins torch and the BLAS pools to it.
"""

import os

from journal import settings

THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)


def kernel_env(threads: int | None = None) -> dict[str, str]:
    """Variables that make a kernel's run reproducible on this machine."""
    threads = settings.thread_count(threads)
    env = {name: str(threads) for name in THREAD_VARIABLES}
    env.update(
        JOURNAL_THREADS=str(threads),
        PYTHONHASHSEED="0",
        # Idle OpenMP threads sleep instead of spinning: with more threads than
        # cores (4 on a 2-core runner) spinning threads starve the working ones.
        OMP_WAIT_POLICY="PASSIVE",
        MPLBACKEND="module://matplotlib_inline.backend_inline",
        # Quiet, deterministic output: no progress bars, no colour codes.
        TQDM_DISABLE="1",
        PYDEVD_DISABLE_FILE_VALIDATION="1",
        NO_COLOR="1",
    )
    return env


def apply(threads: int | None = None) -> dict[str, str]:
    """Export `kernel_env` into this process, so kernels it starts inherit it."""
    env = kernel_env(threads)
    os.environ.update(env)
    return env
