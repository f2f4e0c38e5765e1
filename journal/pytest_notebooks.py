"""pytest plugin: re-execute every project notebook and compare its outputs.

Loaded for the whole suite by ``addopts = -p journal.pytest_notebooks`` in
pyproject.toml. Each notebook under ``projects/`` becomes one pytest collector
whose items are its code cells; nbval runs them in a fresh kernel and compares
each cell's outputs with the committed ones, after the committed sanitizer
(``tests/sanitize.cfg``) has normalised volatile text. What "the same" means
per kind of output (metrics within their published tolerance, figures by
fingerprint, other text exactly) is `journal.compare`'s business.

A notebook that is not valid JSON, or was committed without being run, fails
at collection with a message naming it.

The kernel's environment (threads, hash seed, backend) comes from
`journal.runenv`, the same one `journal run` uses.

Options:
  --no-notebooks        run only the unit tests
  --journal-threads=N   thread count for the kernels (default: JOURNAL_THREADS or 1)
"""

from collections import defaultdict
from pathlib import Path

from nbval.plugin import IPyNbCell, IPyNbFile

from journal import compare, execute, paths, runenv, safety

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
    """A project notebook: nbval's collector with the journal's cell type.

    A notebook that is not valid JSON, or whose code cells were committed
    without being run, fails collection with a message naming the file.
    """

    def collect(self):
        try:
            nb = execute.read_notebook(Path(self.fspath))
        except execute.NotebookError as err:
            raise self.CollectError(str(err)) from None
        unrun = [i for i, c in enumerate(execute.code_cells(nb))
                 if c.source.strip() and c.get("execution_count") is None]
        if unrun:
            name = paths.display_path(Path(self.fspath))
            raise self.CollectError(
                f"{name} cell {unrun[0]}: committed without outputs ({len(unrun)} "
                f"code cell(s) never run); run `journal run {name}` and commit "
                f"the result"
            )
        for item in super().collect():
            yield NotebookCell.from_parent(
                self, name=item.name, cell_num=item.cell_num,
                cell=item.cell, options=item.options,
            )


class NotebookCell(IPyNbCell):
    """One code cell; failures name the notebook and the cell first.

    Outputs are compared by `journal.compare`: metrics within their published
    tolerance, figures by fingerprint, the rest exactly (by nbval), with a
    small tolerance for floats printed as bare text.
    """

    @property
    def notebook(self) -> str:
        return paths.display_path(Path(self.fspath))

    def repr_failure(self, excinfo):
        detail = super().repr_failure(excinfo)
        problems = getattr(self, "_journal_problems", None) or [self._what_failed(excinfo)]
        lead = "\n".join(f"{self.notebook} cell {self.cell_num}: {p}" for p in problems)
        return f"{lead}\n{detail}"

    def _what_failed(self, excinfo) -> str:
        message = str(excinfo.value)
        if "Timeout" in message:
            return (f"did not finish within {self.config.option.nbval_cell_timeout:g} s "
                    f"(per-cell timeout)")
        errors = [o for o in self.test_outputs or [] if o.get("output_type") == "error"]
        if errors:
            return f"raised {errors[-1].get('ename')}: {errors[-1].get('evalue')}"
        return "verification failed"

    def compare_outputs(self, test, ref, skip_compare=None):
        self._journal_problems = problems = []
        problems += compare.compare_metrics(ref, test)
        try:
            tol = compare.figure_tolerance(self.cell.get("metadata"))
        except ValueError as err:
            tol, problems = None, [f"bad cell metadata: {err}"]
        problems += compare.compare_figures(ref, test, tol)
        test_rest = [compare.strip_checked(o) for o in test]
        ref_rest = [compare.strip_checked(o) for o in ref]
        exact = super().compare_outputs(test_rest, ref_rest, skip_compare)
        if not exact and self._texts_match(test_rest, ref_rest):
            exact = True
        if not exact:
            self.comparison_traceback.insert(0, "text output differs:")
        if problems:
            self.comparison_traceback[:0] = problems
        return exact and not problems

    def sanitize(self, s):
        """Local absolute paths as `journal run` writes them, then tests/sanitize.cfg."""
        if isinstance(s, str):
            s = safety.normalise_text(s, Path(self.fspath).parent)
        return super().sanitize(s)

    def _texts_match(self, test, ref) -> bool:
        """nbval found a difference: is it only floats within the text tolerance?"""
        a, b = _texts(ref), _texts(test)
        return len(a) == len(b) and all(
            ka == kb and compare.text_matches(self.sanitize(ta), self.sanitize(tb))
            for (ka, ta), (kb, tb) in zip(a, b))



def _texts(outputs) -> list[tuple[str, str]]:
    """(kind, text) of every text in the outputs, grouped by kind like nbval."""
    found = []
    for out in outputs:
        if out.get("output_type") == "stream":
            found.append((f"stream:{out.get('name')}", out.get("text", "")))
        for key, value in (out.get("data") or {}).items():
            if isinstance(value, str) and not key.startswith("image/"):
                found.append((key, value))
    return sorted(found, key=lambda kv: kv[0])


def pytest_runtest_logreport(report):
    """Count verified cells from reports, so the summary works under xdist too."""
    if report.when != "call" or not report.passed:
        return
    # location[0] is the file relative to the rootdir (the node id is empty for
    # a notebook outside it, as with `journal check /elsewhere/x.ipynb`).
    location = report.location[0] if report.location else ""
    if location.endswith(".ipynb"):
        notebook = paths.display_path(paths.ROOT / location)
        _verified_counts[notebook] += 1


_verified_counts: defaultdict = defaultdict(int)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    verified = _verified_counts
    if not verified:
        return
    terminalreporter.section("notebooks verified")
    for notebook, count in sorted(verified.items()):
        terminalreporter.write_line(f"{notebook}: {count} code cells re-executed "
                                    f"and matched")
