"""pytest plugin: re-execute every project notebook and compare its outputs.

Loaded for the whole suite by ``addopts = -p journal.pytest_notebooks`` in
pyproject.toml. Each notebook under ``projects/`` becomes one pytest collector
whose items are its code cells; nbval runs them in a fresh kernel, and
`journal.compare.compare_cell` decides whether each cell reproduced what was
published. nbval's own exemptions (``NBVAL_IGNORE_OUTPUT``, ``NBVAL_SKIP`` and
their tags) are honoured only for cells that publish no metric and no figure,
and are reported as *not verified*; a cell that publishes a result and carries
one fails collection, naming the notebook and the cell.

A notebook that is not valid JSON, or was committed without being run, fails
at collection with a message naming it.

At the end of the session the controller writes what the check found to
``reports/verification.json`` (`journal.verification`), which the site reads.

Options:
  --no-notebooks        run only the unit tests
  --journal-threads=N   thread count for the kernels (default: JOURNAL_THREADS or 1)
  --nbval-sanitize-with=FILE
                        the sanitizer (default: journal/sanitize.cfg)
"""

from pathlib import Path

import pytest
from nbval.plugin import IPyNbCell, IPyNbFile, find_comment_markers, find_metadata_tags

from journal import compare, errors, nbfile, paths, runenv, safety, settings, verification

RESULT_KEY = "journal_cell"


def pytest_addoption(parser):
    group = parser.getgroup("journal notebooks")
    group.addoption("--no-notebooks", action="store_true",
                    help="do not re-execute the notebooks under projects/")
    group.addoption("--journal-threads", type=int, default=None,
                    help="CPU threads for notebook kernels (default: "
                         "$JOURNAL_THREADS or 1)")
    group.addoption("--journal-report", default=None,
                    help="where to write the verification report (default: "
                         "reports/verification.json, or in $JOURNAL_REPORTS)")


def pytest_configure(config):
    env = runenv.apply(config.getoption("--journal-threads"))
    config._journal_threads = int(env["JOURNAL_THREADS"])
    opt = config.option
    if opt.nbval_sanitize_with is None:
        opt.nbval_sanitize_with = str(paths.SANITIZE_FILE)
    try:
        config._journal_sanitizer = compare.load_sanitizer(Path(opt.nbval_sanitize_with))
    except (OSError, ValueError) as err:
        raise pytest.UsageError(f"--nbval-sanitize-with: {err}") from None
    if opt.nbval_cell_timeout == 2000:  # nbval's own default: far too long
        opt.nbval_cell_timeout = settings.CELL_TIMEOUT_S


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


def exemption(cell) -> str | None:
    """The nbval marker or tag that takes a cell out of the comparison, if any."""
    found = dict(find_metadata_tags(cell.get("metadata", {})) or [])
    found.update(dict(find_comment_markers(cell.get("source", ""))))
    if found.get("skip"):
        return "skipped (NBVAL_SKIP)"
    if found.get("check") is False:
        return "output ignored (NBVAL_IGNORE_OUTPUT)"
    return None


def unverifiable(nb, name: str) -> errors.JournalError | None:
    """Why a notebook cannot be verified as committed, or None: code cells never
    run, or a cell that publishes a result but is exempted from comparison."""
    cells = nbfile.code_cells(nb)
    unrun = [i for i, c in enumerate(cells)
             if c.source.strip() and c.get("execution_count") is None]
    if unrun:
        return errors.JournalError(
            f"committed without outputs ({len(unrun)} code cell(s) never run); "
            f"run `journal run {name}` and commit the result", file=name, cell=unrun[0])
    for i, cell in enumerate(cells):
        reason = exemption(cell)
        if reason and compare.publishes_results(cell.get("outputs", [])):
            return errors.JournalError(
                f"publishes a metric or a figure and cannot be exempted from "
                f"verification ({reason}); remove the marker", file=name, cell=i)
    return None


class NotebookFile(IPyNbFile):
    """A project notebook: nbval's collector with the journal's cell type.

    A notebook that is not valid JSON, whose code cells were committed without
    being run, or that exempts a cell publishing a result, fails collection
    with a message naming the file and the cell.
    """

    def collect(self):
        path = Path(self.fspath)
        try:
            nb = nbfile.read(path)
        except errors.JournalError as err:
            raise self.CollectError(str(err)) from None
        problem = unverifiable(nb, paths.display_path(path))
        if problem:
            raise self.CollectError(str(problem))
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

    def runtest(self):
        self._verdict = None
        reason = exemption(self.cell)
        try:
            super().runtest()
        finally:
            verdict = self._verdict or compare.Verdict()
            if reason:
                verdict.unverified.append(f"whole cell: {reason}")
            self.user_properties.append((RESULT_KEY, {
                "notebook": self.notebook, "cell": self.cell_num,
                "outputs": len(self.cell.get("outputs", [])),
                "exempt": bool(reason), "checked": verdict.checked,
                "unverified": verdict.unverified, "problems": verdict.problems,
            }))

    def repr_failure(self, excinfo):
        detail = super().repr_failure(excinfo)
        verdict = getattr(self, "_verdict", None)
        problems = (verdict.problems if verdict else None) or [self._what_failed(excinfo)]
        lead = "\n".join(str(errors.JournalError(p, file=self.notebook, cell=self.cell_num))
                         for p in problems)
        return f"{lead}\n{detail}"

    def _what_failed(self, excinfo) -> str:
        message = str(excinfo.value)
        if "Timeout" in message:
            return (f"did not finish within {self.config.option.nbval_cell_timeout:g} s "
                    f"(per-cell timeout)")
        errors_out = [o for o in self.test_outputs or [] if o.get("output_type") == "error"]
        if errors_out:
            return f"raised {errors_out[-1].get('ename')}: {errors_out[-1].get('evalue')}"
        return "verification failed"

    def compare_outputs(self, test, ref, skip_compare=None):
        folder = Path(self.fspath).parent
        self._verdict = verdict = compare.compare_cell(
            ref, test, rules=self.config._journal_sanitizer,
            clean=lambda t: safety.normalise_text(t, folder))
        self.comparison_traceback = list(verdict.problems)
        return verdict.ok


def pytest_runtest_logreport(report):
    """Collect each cell's verdict from reports, so this works under xdist too."""
    if report.when != "call":
        return
    for key, value in report.user_properties:
        if key == RESULT_KEY:
            _session_cells.append({**value, "passed": report.passed,
                                   "skipped": report.skipped,
                                   "seconds": round(report.duration, 3)})


_session_cells: list[dict] = []


def pytest_collectreport(report):
    """A notebook that fails collection is recorded as failed."""
    if report.failed and str(report.nodeid).endswith(".ipynb"):
        _session_collect_errors[paths.display_path(paths.ROOT / report.nodeid)] = \
            str(report.longrepr).strip().splitlines()[-1][:500]


_session_collect_errors: dict[str, str] = {}


def pytest_sessionfinish(session, exitstatus):
    if hasattr(session.config, "workerinput"):  # an xdist worker: the controller writes
        return
    if not _session_cells and not _session_collect_errors:
        return
    target = session.config.getoption("--journal-report")
    verification.write(Path(target) if target else verification.report_file(),
                       _session_cells, _session_collect_errors,
                       threads=session.config._journal_threads)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    verified: dict[str, int] = {}
    for cell in _session_cells:
        if cell["passed"]:
            verified[cell["notebook"]] = verified.get(cell["notebook"], 0) + 1
    if not verified:
        return
    terminalreporter.section("notebooks verified")
    for notebook, count in sorted(verified.items()):
        terminalreporter.write_line(f"{notebook}: {count} code cells re-executed "
                                    f"and matched")

