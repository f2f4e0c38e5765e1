"""What `journal run` does to one notebook: execute, stamp, clean, write atomically.

    execute (journal.execute) -> provenance stamp (journal.provenance)
      -> publish-safety clean-up (journal.safety) -> atomic write (journal.nbfile)

Nothing is written unless every cell succeeded and the outputs are safe to
publish: a failed or interrupted run leaves the notebook byte-identical.
"""

from datetime import datetime, timezone
from pathlib import Path

import nbformat

from journal import execute, nbfile, provenance, safety


def run_in_place(path: Path, **kwargs) -> nbformat.NotebookNode:
    """Read, execute, stamp and atomically rewrite one notebook."""
    nb = nbfile.read(path)
    started = datetime.now(timezone.utc)
    run: dict = {}
    execute.execute(nb, path, record=run, **kwargs)
    provenance.record(nb, provenance.build_record(
        run["kernel"], run["cell_seconds"], run["wall_seconds"], started))
    safety.clean_for_publishing(nb, path)  # relative paths in outputs; no secrets
    nbfile.write_atomic(nb, path)
    return nb
