"""Running notebooks without Jupyter, for the reader's browser (`journal.live`).

The Python half of a browser run is plain Python, so it is tested here in
CPython: which cells run (`plan`), the kernel's outputs in the notebook format
(`kernel`), the reader's verdict (`check`) and what a bundle holds (`bundle`).
A whole notebook then runs through the same steps the browser's worker takes
and must reproduce every published metric. tests/browser/test_run_in_browser.py runs the
real thing in Chromium.
"""

import ast
import hashlib
import json
import sys

import nbformat
import numpy as np
import pytest

from journal import datasets, paths, report, runtime
from journal.errors import NotebookError
from journal.live import bundle, check, kernel, plan

DIGITS = paths.PROJECTS / "digits-baselines" / "digits-baselines.ipynb"
CONV = paths.PROJECTS / "conv-batchnorm" / "conv-batchnorm.ipynb"


def notebook(*sources: str) -> dict:
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


# -- plan ------------------------------------------------------------------------

def test_a_torch_cell_is_left_out_with_its_reason_and_its_imports_kept():
    nb = notebook("import numpy as np\nx = np.ones(3)",
                  "import torch\nfrom snippets.gradcheck import relative_error\n"
                  "t = torch.tensor(x)\ny = 2 * x",
                  "print(relative_error(x, x))",
                  "print(y)",
                  "y = x + 1\nprint(y)")
    cells = plan.plan(nb, paths.SNIPPETS)
    assert [c.runs for c in cells] == [True, False, True, False, True]
    assert cells[1].why == "imports torch, which does not run in the browser"
    assert cells[1].imports == "from snippets.gradcheck import relative_error"
    assert cells[3].why == "uses y, which code cell 2 sets with PyTorch"
    assert cells[4].runs  # binds y itself before reading it


def test_a_cell_with_another_library_the_browser_lacks_is_left_out_by_name():
    nb = notebook("import numpy as np\nx = np.ones(3)",
                  "from cleanlab.filter import find_label_issues\nz = x + 1",
                  "print(z)")
    cells = plan.plan(nb, paths.SNIPPETS)
    assert [c.runs for c in cells] == [True, False, False]
    assert cells[1].why == "imports cleanlab.filter, which does not run in the browser"
    assert cells[2].why == "uses z, which code cell 2 sets with cleanlab"


def test_snippets_that_need_torch_are_found_by_module_and_by_name():
    index = plan.SnippetsIndex.read(paths.SNIPPETS)
    assert {"snippets.convnet", "snippets.architectures", "snippets.artifact"} <= index.modules
    assert "snippets.conv_by_hand" not in index.modules
    assert "TorchBackend" in index.names["snippets.autograd"]
    nb = notebook("from snippets.autograd import TorchBackend\nb = TorchBackend('cpu')",
                  "from snippets.convnet import Net")
    whys = [c.why for c in plan.plan(nb, paths.SNIPPETS)]
    assert whys == ["uses snippets.autograd.TorchBackend, which needs PyTorch",
                    "imports snippets.convnet, which needs PyTorch"]


def test_a_cell_that_does_not_parse_names_the_notebook_and_cell(tmp_path):
    nb = notebook("x = 1", "def broken(:\n    pass")
    with pytest.raises(NotebookError) as err:
        plan.plan(nb, paths.SNIPPETS, paths.PROJECTS / "x" / "x.ipynb")
    assert str(err.value).startswith("projects/x/x.ipynb, code cell 2: cell does not parse")


def test_the_real_notebooks_split_as_expected():
    digits = plan.plan(nbformat.read(DIGITS, 4), paths.SNIPPETS)
    assert all(c.runs for c in digits)
    conv = {c.code_index: c for c in plan.plan(nbformat.read(CONV, 4), paths.SNIPPETS)}
    assert conv[2].why == "imports torch, which does not run in the browser"
    assert conv[7].runs  # the finite-difference check needs no torch


# -- kernel ----------------------------------------------------------------------

def test_the_kernel_returns_outputs_in_the_notebook_format():
    k = kernel.Kernel()
    assert k.run_cell("x = 41\nprint('hello')\nx + 1") == [
        {"output_type": "stream", "name": "stdout", "text": "hello\n"},
        {"output_type": "execute_result", "data": {"text/plain": "42"}, "metadata": {},
         "execution_count": 1}]
    assert k.run_cell("x + 1;") == []  # a trailing semicolon hides the value
    out = k.run_cell("from IPython.display import display\n"
                     "from journal.report import metric\n"
                     "display(metric('m', 0.5, abs=0.1))\n"
                     "import sys\nprint('oops', file=sys.stderr)")
    assert [o["output_type"] for o in out] == ["display_data", "stream"]
    assert out[0]["data"][report.MIME]["metrics"][0]["value"] == 0.5
    assert out[0]["data"]["text/plain"] == "m = 0.5000"
    assert out[1]["name"] == "stderr"
    assert "IPython.display" not in sys.modules or \
        sys.modules["IPython.display"].display is not k.display  # put back after the cell


def test_the_kernel_passes_on_what_a_cell_prints_while_it_runs():
    k = kernel.Kernel()
    seen = []
    k.on_write = lambda name, text: seen.append((name, text, len(k._outputs)))
    out = k.run_cell("import sys\nfor epoch in range(2):\n    print(f'epoch {epoch + 1}/2')\n"
                     "print('late', file=sys.stderr)")
    # each piece as it is written, before the next one is kept in the outputs
    assert [(n, t) for n, t, _ in seen] == [("stdout", "epoch 1/2"), ("stdout", "\n"),
                                            ("stdout", "epoch 2/2"), ("stdout", "\n"),
                                            ("stderr", "late"), ("stderr", "\n")]
    assert [c for _, _, c in seen][:2] == [0, 1]
    assert out[0]["text"] == "epoch 1/2\nepoch 2/2\n"


def test_the_kernel_shows_figures_with_their_record_and_errors():
    k = kernel.Kernel()
    out = k.run_cell("import matplotlib\nmatplotlib.use('agg')\n"
                     "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])")
    kinds = [o["output_type"] for o in out]
    assert kinds == ["execute_result", "display_data"]  # the line list, then the figure
    figure = out[1]["data"]
    assert figure["image/png"] and figure["text/plain"].startswith("<Figure size")
    assert figure["application/vnd.journal.figure+json"]["axes"][0]["lines"][0]["y"] == \
        [1, 2, 3]
    assert k.run_cell("plt.get_fignums()")[0]["data"]["text/plain"] == "[]"
    error = k.run_cell("1 / 0")[0]
    assert error["output_type"] == "error" and error["ename"] == "ZeroDivisionError"
    assert not any(kernel.__file__ in line for line in error["traceback"])


# -- check -----------------------------------------------------------------------

def metric_output(value, **kw):
    data = report.metric("test_accuracy", value, **kw)._repr_mimebundle_()
    return {"output_type": "display_data", "data": data, "metadata": {}}


def test_the_readers_verdict_uses_the_declared_tolerance():
    published = [metric_output(0.935, abs=0.01)]
    close = check.judge(published, [metric_output(0.934, abs=0.01)])
    assert close["passed"]
    assert close["metrics"] == [{
        "name": "test_accuracy", "published": 0.935, "published_text": "0.9350",
        "tolerance": "±0.01", "reproduced": 0.934, "reproduced_text": "0.9340",
        "reproduced_ok": True, "problem": ""}]
    far = check.judge(published, [metric_output(0.9, abs=0.01)])
    assert not far["passed"] and not far["metrics"][0]["reproduced_ok"]
    assert "published 0.935, reproduced 0.9" in far["metrics"][0]["problem"]
    missing = check.judge(published, [])
    assert missing["metrics"][0]["reproduced_text"] is None


def figure_outputs(code: str) -> list[dict]:
    k = kernel.Kernel()
    return k.run_cell("import matplotlib\nmatplotlib.use('agg')\n"
                      "import matplotlib.pyplot as plt\n" + code + ";")


def test_only_a_pictures_fingerprint_counts_as_drawn_differently():
    published = figure_outputs("plt.plot([1, 2, 3])")
    thicker = check.judge(published, figure_outputs("plt.plot([1, 2, 3], linewidth=8)"))
    assert thicker["passed"] and thicker["problems"] == []
    assert thicker["drawn"] and thicker["drawn"][0].startswith("figure changed:")
    other_data = check.judge(published, figure_outputs("plt.plot([1, 2, 30])"))
    assert not other_data["passed"]
    assert other_data["problems"] == [
        "figure line 1 y: value 2 published 3, reproduced 30, tolerance ±1e-06 or ±0.00% relative"]
    assert all(p not in other_data["problems"] for p in other_data["drawn"])


# -- bundle ----------------------------------------------------------------------

def journal_imports(module: str) -> set[str]:
    """The journal modules a file imports (``from journal import x`` counts as x)."""
    found = set()
    for node in ast.walk(ast.parse((paths.ROOT / module).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("journal.")}
        elif isinstance(node, ast.ImportFrom) and node.module == "journal":
            found |= {f"journal.{a.name}" for a in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("journal."):
            found.add(node.module)
    return found


def test_the_browsers_journal_modules_import_only_each_other():
    shipped = {m.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
               for m in bundle.KERNEL_MODULES}
    for module in bundle.KERNEL_MODULES:
        missing = journal_imports(module) - shipped
        assert not missing, f"{module} imports {missing}, which the browser lacks"


def test_sources_hold_no_snippet_that_needs_torch():
    files = bundle.sources()
    assert "snippets/conv_by_hand.py" in files and "journal/live/kernel.py" in files
    assert "snippets/convnet.py" not in files and "snippets/artifact.py" not in files
    assert files["journal/report.py"] == (paths.JOURNAL / "report.py").read_text()


def test_a_data_file_is_the_same_bytes_every_time_and_loads_as_the_package(tmp_path,
                                                                          monkeypatch):
    uri, content = bundle.data_file("digits", cache=None)
    assert uri == "live/data/digits.npz"
    assert bundle.data_file("digits", cache=None)[1] == content
    assert bundle.data_file("digits", cache=tmp_path / "kept")[1] == content  # made
    assert bundle.data_file("digits", cache=tmp_path / "kept")[1] == content  # read back
    assert [p.name for p in (tmp_path / "kept").iterdir()] == [
        f"digits-{datasets.EXPECTED_SHA256['digits'][:16]}.npz"]  # no partial file left
    (tmp_path / "digits.npz").write_bytes(content)
    monkeypatch.setenv(datasets.DATA_DIR, str(tmp_path))
    split = datasets.load_digits()  # raises if the arrays' digest moved
    assert split.sha256 == datasets.EXPECTED_SHA256["digits"]
    (tmp_path / "digits.npz").write_bytes(content[:100])
    with pytest.raises(datasets.DatasetMissingError, match="digits.npz"):
        datasets.load_digits()


def test_setup_runs_without_torch(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch -> ImportError
    assert runtime.setup(seed=3) == "cpu"
    assert np.random.rand() == np.random.RandomState(3).rand()


def test_a_bundle_lists_cells_data_and_versions():
    nb = nbformat.read(CONV, 4)
    cells = plan.plan(nb, paths.SNIPPETS)
    data = {"mnist5k": ("live/data/mnist5k.npz", b"bytes")}
    made = bundle.notebook_bundle("conv-batchnorm/conv-batchnorm.ipynb", nb, cells, data,
                                  {"date": "2026-11-23", "platform": {"python": "3.11.7"}})
    assert made["data"] == [{"name": "mnist5k", "url": "live/data/mnist5k.npz",
                             "sha256": hashlib.sha256(b"bytes").hexdigest()}]
    assert made["verified"]["versions"]["python"] == "3.11.7"
    assert set(made["verified"]["versions"]) >= {"numpy", "scikit-learn", "matplotlib"}
    left_out = [c for c in made["cells"] if not c["runs"]]
    assert all(c["published"] == [] and c["why"] for c in left_out)
    json.dumps(made)  # the worker reads it as JSON


# -- a whole notebook, the way the worker runs it --------------------------------

@pytest.mark.parametrize("path", [DIGITS, CONV], ids=lambda p: p.stem)
def test_a_notebook_run_the_browsers_way_reproduces_every_published_metric(
        path, tmp_path, monkeypatch, request):
    if request.config.getoption("no_notebooks"):
        pytest.skip("re-runs a project notebook; part of the notebook runs")
    nb = nbformat.read(path, 4)
    cells = plan.plan(nb, paths.SNIPPETS, path)
    for name in ("digits", "mnist5k"):
        (tmp_path / f"{name}.npz").write_bytes(bundle.data_file(name)[1])
    monkeypatch.setenv(datasets.DATA_DIR, str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "agg")
    k, rows, problems = kernel.Kernel(), [], []
    for p in cells:
        if not p.runs:
            assert k.run_cell(p.imports) == [], p
            continue
        cell = nb.cells[p.index]
        verdict = check.judge(cell.outputs, k.run_cell(cell.source))
        problems += [f"cell {p.code_index}: {x}" for x in verdict["problems"]]
        rows += verdict["metrics"]
    assert not problems
    assert rows and all(r["reproduced_ok"] for r in rows)


def test_a_cell_with_ipython_magics_is_left_out_not_refused():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("%matplotlib inline\nx = 1"),
        nbformat.v4.new_code_cell("y = x + 1"),
        nbformat.v4.new_code_cell("z = 2"),
    ])
    cells = plan.plan(nb, paths.SNIPPETS)
    assert [c.runs for c in cells] == [False, False, True]
    assert "IPython syntax" in cells[0].why
    assert cells[1].why == "uses x, which code cell 1 sets with IPython syntax"
