"""A real project notebook, re-run by the plugin, passes and is recorded as such.

The run is the one the site tests share (``reports_dir`` in conftest.py). How
an edited output fails is shown on a small notebook, the cheat corpus's
(test_cheats.py: a changed figure, an edited count, a metric beyond its
tolerance, every dishonest edit).
"""

import json

from built_site import VERIFIED_NOTEBOOK
from journal import nbfile, paths


def test_untouched_notebook_passes_every_cell(reports_dir):
    out = (reports_dir / "pytest.out").read_text(encoding="utf-8")
    cells = len(nbfile.code_cells(nbfile.read(VERIFIED_NOTEBOOK)))
    name = paths.display_path(VERIFIED_NOTEBOOK)
    assert f"{name}: {cells} code cells re-executed and matched" in out, out[-3000:]
    report = json.loads((reports_dir / "verification.json").read_text(encoding="utf-8"))
    entry = report["notebooks"][name]
    assert entry["verdict"] == "passed"
    assert [c["cell"] for c in entry["cells"] if c["passed"]] == list(range(cells))
