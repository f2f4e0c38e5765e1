"""pytest plugin: re-execute every project notebook and compare its outputs.

Loaded for the whole suite by ``addopts = -p journal.pytest_notebooks`` in
pyproject.toml. Each notebook under ``projects/`` becomes one pytest collector
whose items are its code cells; nbval runs them in a fresh kernel and compares
each cell's outputs with the committed ones, after the committed sanitizer
(``tests/sanitize.cfg``) has normalised volatile text.

The kernel's environment (threads, hash seed, backend) comes from
`journal.runenv`, the same one `journal run` uses.

Options:
  --no-notebooks        run only the unit tests
  --journal-threads=N   thread count for the kernels (default: JOURNAL_THREADS or 1)
"""

from collections import defaultdict
from pathlib import Path

import pytest
from nbval.plugin import IPyNbCell, IPyNbFile

from journal import paths, runenv

CELL_TIMEOUT_S = 600


def pytest_addoption(parser):
    group = parser.getgroup("journal notebooks")
    group.addoption("--no-notebooks", action="store_true",
                    help="do not re-execute the notebooks under projects/")
    group.addoption("--journal-threads", type=int, default=None,
                    help="CPU threads for notebook kernels (default: "
                         "$JOURNAL_THREADS or 1)")


def pytest_configure(config):
    env = runenv.apply(config.getoption("--journal-threads"))
    config._journal_threads = int(env["JOURNAL_THREADS"])
    opt = config.option
    if opt.nbval_sanitize_with is None:
        opt.nbval_sanitize_with = str(paths.SANITIZE_FILE)
    if opt.nbval_cell_timeout == 2000:  # nbval's own default: far too long
        opt.nbval_cell_timeout = CELL_TIMEOUT_S
    config._journal_verified = defaultdict(int)


def pytest_report_header(config):
    return f"notebook kernels: {config._journal_threads} thread(s), sanitizer " \
           f"{paths.display_path(Path(config.option.nbval_sanitize_with))}"


def _is_notebook_to_verify(file_path: Path, config) -> bool:
    """Project notebooks, plus any notebook named on the command line."""
    path = Path(file_path).resolve()
    if path.suffix != ".ipynb" or ".ipynb_checkpoints" in path.parts:
        return False
    named = {Path(arg.split("::")[0]).resolve() for arg in config.args}
    return paths.PROJECTS in path.parents or path in named


def pytest_collect_file(file_path, parent):
    opt = parent.config.option
    if opt.no_notebooks or opt.nbval or opt.nbval_lax:
        return None  # plain nbval collects them itself when asked to
    if _is_notebook_to_verify(file_path, parent.config):
        return NotebookFile.from_parent(parent, path=file_path)
    return None


class NotebookFile(IPyNbFile):
    """A project notebook: nbval's collector with the journal's cell type."""

    def collect(self):
        for item in super().collect():
            yield NotebookCell.from_parent(
                self, name=item.name, cell_num=item.cell_num,
                cell=item.cell, options=item.options,
            )


class NotebookCell(IPyNbCell):
    """One code cell; failures name the notebook and the cell first."""

    @property
    def notebook(self) -> str:
        return paths.display_path(Path(self.fspath))

    def repr_failure(self, excinfo):
        detail = super().repr_failure(excinfo)
        return f"{self.notebook} cell {self.cell_num}: verification failed\n{detail}"

    def runtest(self):
        super().runtest()
        self.config._journal_verified[self.notebook] += 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    verified = getattr(config, "_journal_verified", {})
    if not verified:
        return
    terminalreporter.section("notebooks verified")
    for notebook, count in sorted(verified.items()):
        terminalreporter.write_line(f"{notebook}: {count} code cells re-executed "
                                    f"and matched")
