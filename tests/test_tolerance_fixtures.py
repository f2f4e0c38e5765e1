"""The harness against edited copies of a small healthy notebook.

tests/fixtures/verify/centroids.ipynb publishes a metric (abs tolerance 0.005),
an exact count and a figure. Copies are edited as a careless or dishonest
author might, and the plugin must pass or fail them for the right reason:

- metric moved within its tolerance: passes;
- metric moved beyond it: fails with "published X, reproduced Y, tolerance ±T";
- figure changed: fails, naming the figure;
- count edited: fails (integers are exact).

The fixture is re-run once and each edited copy is judged against that run
as the plugin judges it (tests/verdicts.py).
"""

import base64
import copy
import io
import json

import pytest
from PIL import Image, ImageDraw
from verdicts import judge, rerun

from journal import errors, nbfile, paths
from journal.report import MIME


def cell_at(path, index: int) -> str:
    """How messages name code cell ``index`` (from 0) of the notebook at ``path``."""
    return str(errors.cell_at(str(path), nbfile.code_cells(nbfile.read(path)), index))


FIXTURE = paths.TESTS / "fixtures" / "verify" / "centroids.ipynb"


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def shift_metric(nb, delta):
    """Move the stored metric by ``delta`` (record and text, as an edit would)."""
    for i, cell in enumerate(code_cells(nb)):
        for out in cell.get("outputs", []):
            if MIME in out.get("data", {}):
                rec = out["data"][MIME]["metrics"][0]
                rec["value"] += delta
                out["data"]["text/plain"] = f"{rec['name']} = {rec['value']:.4f}"
                return i, rec
    raise AssertionError("no metric in the fixture")


def deface_figure(nb):
    """Paint a block over a quarter of the stored figure."""
    for i, cell in enumerate(code_cells(nb)):
        for out in cell.get("outputs", []):
            png = out.get("data", {}).get("image/png")
            if png:
                image = Image.open(io.BytesIO(base64.b64decode("".join(png))))
                image = image.convert("RGBA")
                w, h = image.size
                ImageDraw.Draw(image).rectangle([0, 0, w // 4, h], fill="black")
                buf = io.BytesIO()
                image.save(buf, format="PNG")
                out["data"]["image/png"] = base64.b64encode(buf.getvalue()).decode()
                return i
    raise AssertionError("no figure in the fixture")


def edit_count(nb):
    for i, cell in enumerate(code_cells(nb)):
        for out in cell.get("outputs", []):
            text = "".join(out.get("text", []))
            if "test images wrong" in text:
                n = int(text.split()[0])
                out["text"] = text.replace(f"{n} of", f"{n - 1} of", 1)
                return i
    raise AssertionError("no count in the fixture")


@pytest.fixture(scope="module")
def verified(tmp_path_factory):
    """Two copies: ``within`` must pass; in ``broken`` the metric drifted beyond
    tolerance, the figure changed and a count was edited, each in its own cell,
    so each must fail on its own. Returns each copy's failures."""
    work = tmp_path_factory.mktemp("tolerance")
    base = json.loads(FIXTURE.read_text(encoding="utf-8"))

    within = copy.deepcopy(base)
    shift_metric(within, +0.004)
    broken = copy.deepcopy(base)
    metric_cell, rec = shift_metric(broken, +0.02)
    case = {"metric_cell": metric_cell, "published": rec["value"],
            "figure_cell": deface_figure(broken), "count_cell": edit_count(broken)}
    reran = rerun(FIXTURE)
    found = {}
    for name, nb in (("within", within), ("broken", broken)):
        path = work / f"{name}.ipynb"
        path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
        found[name] = judge(path, reran)
    return found, case


def failure(found: list[str], cell: int, lead: str) -> bool:
    return any(f.startswith(f"cell {cell}: {lead}") for f in found)


def test_within_tolerance_passes(verified):
    found, _ = verified
    assert found["within"] == []


def test_metric_beyond_tolerance_fails_with_published_reproduced_tolerance(verified):
    found, case = verified
    published = case["published"]
    lead = (f"test_accuracy published {published:.6g}, reproduced "
            f"{published - 0.02:.6g}, tolerance ±0.005")
    assert failure(found["broken"], case["metric_cell"], lead), found["broken"]


def test_changed_figure_fails(verified):
    found, case = verified
    assert failure(found["broken"], case["figure_cell"],
                   "figure changed: mean difference"), found["broken"]


def test_edited_count_fails(verified):
    found, case = verified
    assert failure(found["broken"], case["count_cell"],
                   "stream stdout differs: published '"), found["broken"]
