"""A notebook's cells run the way Jupyter runs them, without Jupyter.

In the reader's browser Pyodide runs Python and this module plays IPython for
one notebook: `Kernel.run_cell` executes a cell in one namespace and returns
its outputs in the notebook format (streams, displays, the last expression,
figures with their records, errors), so the suite's own comparison can judge
them. Pure Python: the tests drive it in CPython. See the site's "How the site
is made" page.
"""

import ast
import base64
import contextlib
import io
import sys
import traceback
import types

from journal import figures, report


class _Stream(io.TextIOBase):
    """A file that appends what is written to the cell's outputs, in order."""

    def __init__(self, outputs: list, name: str, on_write=None):
        self.outputs, self.name, self.on_write = outputs, name, on_write

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not text:
            return 0
        if self.on_write is not None:
            self.on_write(self.name, text)
        last = self.outputs[-1] if self.outputs else None
        if last and last["output_type"] == "stream" and last["name"] == self.name:
            last["text"] += text
        else:
            self.outputs.append({"output_type": "stream", "name": self.name, "text": text})
        return len(text)


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _is_figure(obj) -> bool:
    figure_module = sys.modules.get("matplotlib.figure")
    return figure_module is not None and isinstance(obj, figure_module.Figure)


def mimebundle(obj) -> dict:
    """What a notebook would store for ``obj``: text, plus a metric or a figure."""
    if _is_figure(obj):
        width, height = obj.get_size_inches() * obj.dpi
        return {"image/png": _png(obj),
                "text/plain": f"<Figure size {width:g}x{height:g} with "
                              f"{len(obj.axes)} Axes>",
                figures.MIME: figures.describe(obj)}
    bundle = getattr(obj, "_repr_mimebundle_", None)
    if callable(bundle):
        data = dict(bundle())
        if report.MIME in data or "text/plain" in data:
            data.setdefault("text/plain", repr(obj))
            return data
    return {"text/plain": repr(obj)}


@contextlib.contextmanager
def _modules(modules: dict):
    """``sys.modules`` with ``modules`` in it, for the time of one cell."""
    saved = {name: sys.modules.get(name) for name in modules}
    sys.modules.update(modules)
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


class Kernel:
    """One notebook's namespace, and the cells run in it so far."""

    def __init__(self):
        self.namespace: dict = {"__name__": "__main__", "__builtins__": __builtins__}
        self.execution_count = 0
        self._outputs: list = []
        # Called with (stream name, text) as a cell prints, while it runs
        # (the browser's page shows progress from it).
        self.on_write = None

    def _ipython(self) -> dict:
        """Modules that make ``from IPython.display import display`` find this
        kernel's `display` (the browser has no IPython)."""
        package = types.ModuleType("IPython")
        package.get_ipython = lambda: None
        # matplotlib reads this to decide whether to hook a GUI event loop into
        # IPython; a version past 8.24 makes it leave IPython alone.
        package.version_info = (9, 0, 0)
        display_module = types.ModuleType("IPython.display")
        display_module.display = self.display
        package.display = display_module
        return {"IPython": package, "IPython.display": display_module}

    def display(self, *objects) -> None:
        for obj in objects:
            self._outputs.append({"output_type": "display_data", "data": mimebundle(obj),
                                  "metadata": {}})

    def run_cell(self, source: str) -> list[dict]:
        """Run one cell; its outputs, in the notebook format."""
        self.execution_count += 1
        self._outputs = outputs = []
        stdout = _Stream(outputs, "stdout", self.on_write)
        stderr = _Stream(outputs, "stderr", self.on_write)
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr), \
                _modules(self._ipython()):
            try:
                value = self._execute(source)
                if value is not None:
                    outputs.append({"output_type": "execute_result", "data": mimebundle(value),
                                    "metadata": {}, "execution_count": self.execution_count})
                self._flush_figures()
            except Exception as err:  # noqa: BLE001 - shown to the reader like Jupyter does
                self._flush_figures()
                outputs.append(self._error(err))
        return outputs

    def _execute(self, source: str):
        tree = ast.parse(source, filename=f"<cell {self.execution_count}>")
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr) and \
                not source.rstrip().endswith(";"):
            last = ast.Expression(tree.body.pop().value)
        filename = f"<cell {self.execution_count}>"
        exec(compile(tree, filename, "exec"), self.namespace)  # noqa: S102 - the notebook's own code
        if last is not None:
            return eval(compile(last, filename, "eval"), self.namespace)
        return None

    def _flush_figures(self) -> None:
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is None:
            return
        for number in pyplot.get_fignums():
            self.display(pyplot.figure(number))
        pyplot.close("all")

    @staticmethod
    def _error(err: BaseException) -> dict:
        lines = traceback.format_exception(type(err), err, err.__traceback__)
        # Drop this module's own frames: the reader wants the notebook's.
        return {"output_type": "error", "ename": type(err).__name__, "evalue": str(err),
                "traceback": [line for line in lines if __file__ not in line]}
