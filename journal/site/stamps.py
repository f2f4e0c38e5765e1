"""What a page says about verification: one line, small marks, and banners.

The verification report (`journal.verification`, written by `make test`) says
when, where and how each notebook was last checked. A post and a notebook page
get one muted line under their title ("✓ 12 numbers and 3 claims re-derived on
2026-11-23 at `abc1234` · what this means"); every embed gets a small ✓ (⚠
where part is not verified) that opens what was checked, naming outputs as the
page shows them (`journal.readable`), the checking platform and the author's run.

A notebook with no passing, current entry cannot be published: a strict
``mkdocs build`` stops with the reason; ``mkdocs serve`` (and a non-strict
build) shows the page with a visible "not verified" banner instead.
"""

import html
import posixpath
import re

from mkdocs.exceptions import PluginError

from journal import (claims, drift, embed, markdown_source, paths, provenance, readable,
                     verification)
from journal.errors import Location
from journal.verification import Status


def _inline(text: str) -> str:
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text, quote=False))


class Verification:
    """The report as this build reads it, and the policy for unverified pages."""

    def __init__(self, report: dict, strict: bool, drift_report: dict | None = None):
        self.report, self.strict = report, strict
        self.drift = drift_report  # the last `journal drift`, if any
        self._checks: dict[str, verification.Check] = {}

    def check(self, rel: str, nb) -> verification.Check:
        if rel not in self._checks:
            self._checks[rel] = verification.status(paths.PROJECTS / rel, nb, self.report)
        return self._checks[rel]

    def stamp(self, rel: str, nb, cells=None, tag: str | None = None) -> str:
        """The small ✓ (⚠ where part is not verified) after an embed of ``cells``
        (tagged ``tag``), or under a notebook page's line (every cell), that
        opens what was checked, naming outputs as the page shows them."""
        check = self.check(rel, nb)
        if check.status is not Status.VERIFIED:
            return self.banner(check)
        entry = check.entry
        code = [c for c in nb.cells if c.cell_type == "code"]
        cells = code if cells is None else [c for c in cells if c in code]
        names, notes = [], []
        for cell in cells:
            cell_tag = tag if tag in cell.get("metadata", {}).get("tags", []) else None
            names += [n for out in cell.get("outputs", [])
                      if (n := readable.output_name(out, cell_tag))]
            notes += self.notes(rel, code.index(cell))
        names, notes = list(dict.fromkeys(names)), list(dict.fromkeys(notes))
        plat = entry.get("platform", {})
        commit = html.escape(entry.get("commit") or "an uncommitted tree")
        when = f"{entry.get('date', '?')[:10]} at <code>{commit}</code>"
        details = []
        if names:
            details.append(f"Re-derived by the test suite on {when}: "
                           f"{html.escape(_join(names))}.")
        details += [f"Not checked: {html.escape(n)}." for n in notes]
        details += [
            f"Checked on {html.escape(plat.get('cpu') or '?')} "
            f"({plat.get('device', 'cpu')}, {plat.get('threads')} thread(s)) with "
            f"Python {plat.get('python')}, torch {plat.get('torch')}, NumPy "
            f"{plat.get('numpy')}; the cells took {entry.get('seconds', 0):.1f} s.",
            "Author's run: " + _inline(provenance.stamp(nb, paths.PROJECTS / rel)) + ".",
        ]
        mark, state = ("⚠", "journal-partly") if notes else ("✓", "journal-verified")
        label = ("Partly verified: what was and was not checked" if notes
                 else "Verified: what was checked")
        items = "".join(f"<li>{d}</li>" for d in details)
        return (f'<details class="journal-check {state}" markdown="0">'
                f'<summary title="{label}"><span aria-hidden="true">{mark}</span>'
                f'<span class="journal-sr">{label}</span></summary>'
                f'<ul>{items}</ul></details>')

    def post_line(self, markdown: str, source: str, offset: int, notebooks,
                  explain: str, still: str = "") -> str:
        """The line at the top of a post: the numbers (``value`` markers), embedded
        outputs and claims it shows, re-derived when, and what this means."""
        values = outputs = literals = 0
        entries, failed = {}, False
        for _, marker in embed.parse(markdown, source, offset):
            if marker.kind == "literal":
                literals += 1
                continue
            where = Location(source, line=marker.line)
            nb = notebooks.get(marker.notebook, where)
            rel = posixpath.normpath(marker.notebook)
            check = self.check(rel, nb)
            if check.status is not Status.VERIFIED:
                failed = True
                continue
            entries[rel] = check.entry
            if marker.kind == "value":
                values += 1
            elif marker.kind != "embed":
                continue  # claims are counted below; a dot plot is not an output
            elif marker.options.get("show", "both") != "code":
                outputs += sum(1 for cell in embed.select_cells(nb, marker, where)
                               if not {embed.REMOVE_CELL, embed.REMOVE_OUTPUT}
                               & embed.tags(cell)
                               for out in cell.get("outputs", [])
                               if readable.output_name(out))
        found = len(list(claims.find_claims(markdown, source, offset)))
        counts = [_count(n, noun) for n, noun in ((values, "number"), (outputs, "output"),
                                                  (found, "claim")) if n]
        if failed:  # banners on the page say which; the line claims nothing
            counts = []
        return line(counts, list(entries.values()), explain, literals=literals) \
            + self.drift_line(list(entries), still)

    def notebook_line(self, rel: str, nb, explain: str, still: str = "") -> str:
        """The one line under a notebook page's title, then its ✓ details."""
        check = self.check(rel, nb)
        if check.status is not Status.VERIFIED:
            return self.banner(check)
        out = check.entry.get("outputs", {})
        counts = [_count(out.get("verified", 0), "output")]
        return line(counts, [check.entry], explain, self.stamp(rel, nb)) \
            + self.drift_line([rel], still)

    def drift_line(self, rels: list[str], still: str) -> str:
        """A second muted line from the last drift check: do these notebooks'
        results still reproduce with the newest releases, and what moved them.
        The verified line above stays the lock's."""
        text = self.drift and rels and drift.page_line(
            self.drift, [f"projects/{posixpath.normpath(r)}" for r in rels])
        if not text:
            return ""
        return (f'<div class="journal-line journal-drift" markdown="{_mode(still)}">'
                f'{text} · {_link(still, "still reproducible?")}</div>')

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
                reasons = [readable.reason(u) for u in record.get("unverified", [])]
                return list(dict.fromkeys(reasons))
        return []

    def last_run(self) -> str | None:
        return self.report.get("date")


# The plain-language explanation every verification line links to.
EXPLAINED = "verification/#what-verified-means"
STILL = "still-reproducible/"  # the drift check's page (journal.site.pages)
# The same two pages as a post's Markdown names them (`source_link`).
EXPLAINED_SOURCE = "verification.md#what-verified-means"
STILL_SOURCE = "still-reproducible.md"


def source_link(target: str, post: str) -> str:
    """``target`` (a page's source under pages/) relative to the post ``post``."""
    return posixpath.relpath(target, posixpath.dirname(post) or ".")
H1 = re.compile(r"^# .*\n", re.MULTILINE)


def after_title(markdown: str, html_line: str) -> str:
    """``html_line`` put right after a post's first ``# title`` (or at the top)."""
    if not html_line:
        return markdown
    title = H1.search(markdown_source.blank_code(markdown))
    at = title.end() if title else 0
    return f"{markdown[:at]}\n{html_line}\n\n{markdown[at:].lstrip(chr(10))}"


def post_date(page_html: str, page) -> str:
    """A post's date under its title, for screens on which the theme's sidebar
    (where Material's blog shows it) is hidden; other pages unchanged."""
    date = getattr(getattr(page.config, "date", None), "created", None) \
        if page.file.src_uri.startswith("posts/") else None
    if date is None or "</h1>" not in page_html:
        return page_html
    when = f"{date:%B} {date.day}, {date:%Y}"
    head, tail = page_html.split("</h1>", 1)
    return (f'{head}</h1>\n<p class="journal-post-date"><time datetime="{date:%Y-%m-%d}">'
            f"{when}</time></p>{tail}")


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def line(counts: list[str], entries: list[dict], explain: str, after: str = "",
         literals: int = 0) -> str:
    """One muted line: "✓ 12 numbers and 3 claims re-derived on DATE at `abc1234` ·
    what this means", from the report entries of the notebooks a page shows.

    ``explain`` is the URL of the plain-language explanation; ``literals`` the
    number of hand-typed values (†) on the page, which the line says are not
    re-derived; ``after`` goes at the end (a notebook page's ✓ details).
    """
    parts = []
    if entries and counts:
        newest = max(entries, key=lambda e: e.get("date", ""))
        commits = {e.get("commit") for e in entries}
        where = (f"at <code>{html.escape(newest.get('commit') or '?')}</code>"
                 if len(commits) == 1 else f"at {len(commits)} commits")
        parts.append(f'<span aria-hidden="true">✓</span> {_join(counts)} re-derived '
                     f'on {newest.get("date", "?")[:10]} {where}')
    if literals:
        parts.append(f'<span id="{embed.LITERAL_ANCHOR}">† marks '
                     f'{_count(literals, "number")} typed by hand, not re-derived</span>')
    if not parts:
        return ""
    parts.append(_link(explain, "what this means"))
    return (f'<div class="journal-line" markdown="{_mode(explain)}">'
            f'{" · ".join(parts)}{after}</div>')


def _mode(url: str) -> str:
    """A post's line is Markdown whose links name pages by source file, which
    MkDocs resolves for the post and for every view that shows its excerpt; a
    notebook page's line is HTML with a URL."""
    return "span" if ".md" in url else "0"


def _link(url: str, text: str) -> str:
    if _mode(url) == "span":
        return f"[{text}]({url})"
    return f'<a href="{html.escape(url)}">{text}</a>'
