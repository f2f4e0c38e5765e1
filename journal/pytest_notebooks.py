"""pytest plugin: re-execute every project notebook and compare its outputs.

Loaded for the whole suite by ``addopts`` in pyproject.toml. Each notebook under
``projects/`` is a collector whose items are its code cells, run once through
`journal.execute` and judged by `journal.compare.compare_cell`, then one item
per claim a post makes on it (`journal.claim_checks`). At the end the
controller writes ``reports/verification.json`` (`journal.verification`). How
the suite runs: the site's "How the code is arranged" page (pages/code.md); the
rules: "How the numbers are checked" (pages/verification.md). Options: the
"journal notebooks" group of ``pytest --help``.
"""

import copy
import re
from pathlib import Path

import pytest
from nbval.plugin import IPyNbCell, IPyNbFile, coalesce_streams

from journal import (claim_checks, claims, compare, errors, execute, nbfile, paths, runenv,
                     safety, settings, verification)

RESULT_KEY = "journal_cell"
CLAIM_KEY = "journal_claim"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


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


def unverifiable(nb, path: Path) -> errors.JournalError | None:
    """Why a notebook cannot be verified as committed, or None: code cells never
    run, or a rule of `journal.execute.check_rules` broken (the same rules
    `journal run` checks before it executes anything)."""
    name = paths.display_path(path)
    cells = nbfile.code_cells(nb)
    unrun = [i for i, c in enumerate(cells)
             if c.source.strip() and c.get("execution_count") is None]
    if unrun:
        return errors.JournalError(
            f"committed without outputs ({len(unrun)} code cell(s) never run); "
            f"run `journal run {name}` and commit the result",
            at=errors.cell_at(name, cells, unrun[0]))
    try:
        execute.check_rules(nb, path)
    except errors.JournalError as err:
        return err
    return None


class NotebookFile(IPyNbFile):
    """A notebook to verify: nbval's collector, running cells as `journal run` does.

    A notebook that is not valid JSON, whose code cells were committed without
    being run, or that breaks `journal.execute.check_rules`, fails collection
    with a message naming the file and the cell.
    """

    def collect(self):
        path = Path(self.fspath)
        try:
            nb = nbfile.read(path)
        except errors.JournalError as err:
            raise self.CollectError(str(err)) from None
        cells = nbfile.code_cells(nb)
        problem = unverifiable(nb, path)
        if problem:
            raise self.CollectError(str(problem))
        for item in super().collect():
            yield NotebookCell.from_parent(
                self, name=errors.cell_label(cells, item.cell_num),
                cell_num=item.cell_num, cell=item.cell, options=item.options,
            )
        try:
            on_this = claim_checks.claims_on(path)
        except errors.JournalError as err:  # a malformed claim in a post
            yield ClaimItem.from_parent(self, name="claims in posts", error=str(err))
            return
        for claim, where in on_this:
            yield ClaimItem.from_parent(self, name=f"claim at {where}", claim=claim,
                                        where=where)

    def setup(self):
        """Run the whole notebook once, with `journal.execute` (what `journal run` uses).

        Not nbval's kernel: it executes with store_history=False, under which
        IPython ignores a trailing semicolon and shows a result Jupyter hides.
        """
        self.reproduced = copy.deepcopy(self.nb)
        self.failure: errors.NotebookError | None = None
        record: dict = {}
        try:
            execute.execute(self.reproduced, Path(self.fspath), record=record,
                            timeout=self.config.option.nbval_cell_timeout,
                            threads=self.config._journal_threads, ask_kernel=False)
        except errors.NotebookError as err:
            self.failure = err
        self.cell_seconds = record.get("cell_seconds", {})


class CellFailed(Exception):
    """A cell raised, or its outputs differ from the published ones."""


class NotebookCell(IPyNbCell):
    """One code cell; failures name the notebook and the cell first."""

    @property
    def notebook(self) -> str:
        return paths.display_path(Path(self.fspath))

    @property
    def cell_location(self) -> errors.Location:
        return errors.cell_at(self.notebook, nbfile.code_cells(self.parent.nb),
                              self.cell_num)

    def runtest(self):
        self._verdict = None
        self._problems: list[str] = []
        reason = execute.exemption(self.cell)
        try:
            self._check()
        finally:
            verdict = self._verdict or compare.Verdict()
            if reason:
                verdict.unverified.append(f"whole cell: {reason}")
            key = self.cell.get("id") or str(self.parent.nb.cells.index(self.cell))
            self.user_properties.append((RESULT_KEY, {
                "notebook": self.notebook, "cell": self.cell_num,
                "label": self.cell_location.cell_name,
                "outputs": len(self.cell.get("outputs", [])),
                "exempt": bool(reason), "checked": verdict.checked,
                "unverified": verdict.unverified, "problems": verdict.problems,
                "seconds": round(self.parent.cell_seconds.get(key, 0.0), 3),
            }))

    def _check(self):
        failure = self.parent.failure
        failed_at = None if failure is None else (failure.cell or 0)
        if failed_at is not None and self.cell_num > failed_at:
            pytest.skip(f"not run: {failure.at.cell_name or failure.where} failed first")
        if failed_at == self.cell_num:
            self._problems = [failure.message]
            raise CellFailed(self._traceback())
        if self.options["skip"]:
            pytest.skip("skipped (NBVAL_SKIP): run, but its outputs are not compared")
        if not self.options["check"]:
            return
        reproduced = self._reproduced().get("outputs", [])
        if not self.compare_outputs(coalesce_streams(copy.deepcopy(reproduced)),
                                    coalesce_streams(copy.deepcopy(self.cell.outputs))):
            self._problems = list(self._verdict.problems)
            raise CellFailed("\n".join(self.comparison_traceback))

    def _reproduced(self):
        return nbfile.code_cells(self.parent.reproduced)[self.cell_num]

    @property
    def reproduced_outputs(self) -> list:
        """The outputs this cell produced in the run (for `journal.drift_capture`)."""
        return self._reproduced().get("outputs", [])

    def _traceback(self) -> str:
        for out in self._reproduced().get("outputs", []):
            if out.get("output_type") == "error":
                return ANSI.sub("", "\n".join(out.get("traceback", [])))
        return ""

    def repr_failure(self, excinfo):
        if not isinstance(excinfo.value, CellFailed):
            return super().repr_failure(excinfo)
        lead = "\n".join(str(errors.JournalError(p, at=self.cell_location))
                         for p in self._problems or ["verification failed"])
        source = "\n".join("    " + line for line in self.cell.source.splitlines())
        return f"{lead}\n  source:\n{source}\n{excinfo.value}".rstrip()

    def reportinfo(self):
        return self.fspath, 0, f"{self.notebook}::{self.name}"

    def compare_outputs(self, test, ref, skip_compare=None):
        folder = Path(self.fspath).parent
        self._verdict = verdict = compare.compare_cell(
            ref, test, rules=self.config._journal_sanitizer,
            clean=lambda t: safety.normalise_text(t, folder))
        self.comparison_traceback = list(verdict.problems)
        return verdict.ok


class ClaimFailed(Exception):
    """A claim does not hold on the re-derived runs, or cannot be judged."""


class ClaimItem(pytest.Item):
    """A post's claim on the notebook, judged on the runs this test run re-derived."""

    def __init__(self, *, claim=None, where=None, error=None, **kwargs):
        super().__init__(**kwargs)
        self.claim, self.where, self.error = claim, where, error

    def runtest(self):
        if self.error:
            raise ClaimFailed(self.error)
        failure = self.parent.failure
        if failure is not None:
            pytest.skip(f"not judged: {failure.at.cell_name or failure.where} failed")
        notebook = paths.display_path(Path(self.fspath))
        try:
            verdict = claim_checks.judge(
                self.claim, claim_checks.records_of(self.parent.reproduced), self.where)
        except claims.ClaimError as err:
            self.user_properties.append((CLAIM_KEY, {
                "notebook": notebook, "post": self.where.file, "line": self.where.line,
                "claim": str(self.claim), "holds": False, "message": str(err)}))
            raise ClaimFailed(str(err)) from None
        self.user_properties.append((CLAIM_KEY, {
            "notebook": notebook, **claim_checks.entry(self.claim, verdict, self.where)}))
        if not verdict.holds:
            raise ClaimFailed(claims.failure_message(self.claim, verdict, self.where))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, ClaimFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.fspath, 0, f"{self.where or 'claims in posts'}: claim"


def pytest_runtest_logreport(report):
    """Collect each cell's verdict from reports, so this works under xdist too."""
    if report.when != "call":
        return
    for key, value in report.user_properties:
        if key == RESULT_KEY:
            _session_cells.append({**value, "passed": report.passed,
                                   "skipped": report.skipped})
        elif key == CLAIM_KEY:
            _session_claims.append(value)


_session_cells: list[dict] = []
_session_claims: list[dict] = []


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
                       threads=session.config._journal_threads, claims=_session_claims)


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

