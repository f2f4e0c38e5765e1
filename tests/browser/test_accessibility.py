"""axe-core on every page of the site, in the light and the dark theme, with
each page's console errors.

axe-core is pinned by its npm integrity and read from the local cache
(`journal.vendor`); it is put into each page through the browser's own
evaluation, never fetched from a CDN and never shipped with the site. The test
fails on any violation axe rates serious or critical against WCAG 2.2 A/AA.
"""

import pytest

from conftest import new_tab
from screenshots import wait_until  # bench/screenshots.py (bench/ is on sys.path)
from journal import vendor
from sitemap_helpers import html_pages

pytestmark = pytest.mark.browser

THEMES = {"light": "default", "dark": "slate"}
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SERIOUS = ("serious", "critical")
RUN_AXE = """async (only) => {
  const result = await axe.run(document, {runOnly: only,
                                          resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary
                                  .split('\\n').slice(1).join(' ').trim())}));
}"""


def violations(tab, rules: list[str] | None = None) -> list[dict]:
    """The WCAG A/AA violations axe finds on the page open in ``tab`` (axe
    already put into it), by every rule or by ``rules`` only."""
    only = {"type": "rule", "values": rules} if rules else {"type": "tag", "values": TAGS}
    return tab.evaluate(RUN_AXE, only)


def settle(tab) -> None:
    """Colours as they end, not mid-fade: axe measures what is on screen, and the
    theme fades some elements in (the header's repository facts, whenever they
    arrive). Transitions are switched off, then running animations awaited."""
    tab.add_style_tag(content="*, *::before, *::after { transition: none !important; "
                              "animation: none !important; }")
    wait_until(tab, "document.getAnimations().every(a => a.playState !== 'running')")


def pages_to_check(site_dir) -> list[str]:
    # The 404 page is served for missing paths; its URL is not a page of its own.
    return [p for p in html_pages(site_dir) if p != "404.html"]


@pytest.fixture(scope="module")
def axe_script():
    try:
        return vendor.axe_script().read_text(encoding="utf-8")
    except vendor.VendorError as err:
        pytest.skip(f"axe-core not available: {err}")


# Only colours change with the theme, so the dark theme is checked by the rules
# that read colours, on the same page load: the page switches scheme in place.
COLOUR_RULES = ["color-contrast", "link-in-text-block"]


TOGGLE = "form[data-md-component='palette'] label:not([hidden])"


def scheme_of(tab) -> str:
    return tab.evaluate("document.body.getAttribute('data-md-color-scheme')")


def switch(tab, theme: str) -> None:
    """Switch the page to ``theme`` with the header's toggle, as a reader does."""
    tab.click(TOGGLE)
    wait_until(tab, f"document.body.getAttribute('data-md-color-scheme') === "
                    f"'{THEMES[theme]}'")
    settle(tab)


def sweep(browser, site_url, pages: list[str], axe_script: str) -> list[str]:
    """Serious or critical axe violations on ``pages`` in the light theme (every
    WCAG A/AA rule) and the dark one (the colour rules), and each page's console
    errors (CSP violations among them), exceptions and failed requests, which
    the other browser tests check only on the pages they open."""
    context, tab = new_tab(browser, site_url)
    found = []
    try:
        for path in pages:
            tab.problems.errors.clear()
            tab.goto(path)
            settle(tab)
            tab.evaluate(axe_script)
            for theme, rules in (("light", None), ("dark", COLOUR_RULES)):
                if theme == "dark":
                    switch(tab, theme)
                assert scheme_of(tab) == THEMES[theme], f"{path}: not in {theme}"
                for v in violations(tab, rules):
                    if v["impact"] in SERIOUS:
                        found.append(
                            f"{path} ({theme}): {v['impact']} {v['id']}: {v['help']}"
                            + "".join(f"\n    {n}" for n in v["nodes"][:5]))
            switch(tab, "light")  # the choice is remembered for the next page
            found += [f"{path}: {error}" for error in tab.problems.errors]
    finally:
        context.close()
    return found


def check_half(browser, site_url, site_dir, axe_script, half: int) -> None:
    found = sweep(browser, site_url, pages_to_check(site_dir)[half::2], axe_script)
    assert not found, f"{len(found)} problems:\n" + "\n".join(found)


# Every other page each: the test runner hands each class to its own worker, so
# the two halves of the site are checked side by side.
class TestOddPages:
    def test_no_serious_violation_in_either_theme_or_console_error(
            self, browser, site_url, site_dir, axe_script):
        check_half(browser, site_url, site_dir, axe_script, 0)


class TestEvenPages:
    def test_no_serious_violation_in_either_theme_or_console_error(
            self, browser, site_url, site_dir, axe_script):
        check_half(browser, site_url, site_dir, axe_script, 1)
