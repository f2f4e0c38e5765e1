"""What a page says about verification: the compact stamp, notes, and banners.

The verification report (`journal.verification`, written by `make test`) says
when, where and how each notebook was last checked. Every notebook page and
every embed gets one short line from it ("verified 2026-11-23 at `abc1234` on
1 CPU thread: 14/14 outputs within tolerance"), with the checking platform, the
author's own run and anything not verified one click away.

A notebook with no passing, current entry cannot be published: a strict
``mkdocs build`` stops with the reason; ``mkdocs serve`` (and a non-strict
build) shows the page with a visible "not verified" banner instead.
"""

import html
import re

from mkdocs.exceptions import PluginError

from journal import paths, provenance, verification
from journal.verification import Status


def _inline(text: str) -> str:
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text, quote=False))


class Verification:
    """The report as this build reads it, and the policy for unverified pages."""

    def __init__(self, report: dict, strict: bool):
        self.report, self.strict = report, strict
        self._checks: dict[str, verification.Check] = {}

    def check(self, rel: str, nb) -> verification.Check:
        if rel not in self._checks:
            self._checks[rel] = verification.status(paths.PROJECTS / rel, nb, self.report)
        return self._checks[rel]

    def stamp(self, rel: str, nb) -> str:
        """The HTML block after an embed or under a notebook page's title."""
        check = self.check(rel, nb)
        if check.status is not Status.VERIFIED:
            return self.banner(check)
        entry = check.entry
        plat = entry.get("platform", {})
        details = [
            f"Checked by the test suite on {html.escape(plat.get('cpu') or '?')} "
            f"({plat.get('device', 'cpu')}, {plat.get('threads')} thread(s)) with "
            f"Python {plat.get('python')}, torch {plat.get('torch')}, NumPy "
            f"{plat.get('numpy')}; the cells took {entry.get('seconds', 0):.1f} s.",
            "Author's run: " + _inline(provenance.stamp(nb, paths.PROJECTS / rel)) + ".",
        ]
        for item in entry.get("unverified", []):
            details.append("Not verified: " + html.escape(item) + ".")
        items = "".join(f"<li>{d}</li>" for d in details)
        return (f'<details class="journal-check journal-verified" markdown="0">'
                f'<summary>{_inline(verification.summary(entry))}</summary>'
                f'<ul>{items}</ul></details>')

    def banner(self, check: verification.Check) -> str:
        if self.strict:
            raise PluginError(f"{check.reason} (a strict build publishes only notebooks "
                              f"that passed `make test`; `make serve` shows them with a "
                              f"'not verified' banner)")
        return (f'<div class="admonition warning journal-not-verified" markdown="0">'
                f'<p class="admonition-title">Not verified</p>'
                f'<p>{_inline(check.reason)}. What this page shows has not been '
                f're-derived by the test suite.</p></div>')

    def notes(self, rel: str, cell: int) -> list[str]:
        """What the check could not verify in one cell's outputs (and why)."""
        entry = self.report.get("notebooks", {}).get(paths.display_path(
            paths.PROJECTS / rel)) or {}
        for record in entry.get("cells", []):
            if record.get("cell") == cell:
                reasons = [u.rsplit(": ", 1)[-1] for u in record.get("unverified", [])]
                return list(dict.fromkeys(reasons))
        return []

    def last_run(self) -> str | None:
        return self.report.get("date")
