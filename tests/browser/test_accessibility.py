"""axe-core on every page of the site, in the light and the dark theme.

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
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                          resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary
                                  .split('\\n').slice(1).join(' ').trim())}));
}"""


def violations(tab, script: str) -> list[dict]:
    """Every WCAG A/AA violation axe finds on the page open in ``tab``."""
    tab.evaluate(script)
    return tab.evaluate(RUN_AXE, TAGS)


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


@pytest.mark.parametrize("theme", THEMES)
def test_no_serious_violation_on_any_page(browser, site_url, site_dir, axe_script, theme):
    context, tab = new_tab(browser, site_url)
    tab.emulate_media(color_scheme="dark" if theme == "dark" else "light")
    found = []
    try:
        for path in pages_to_check(site_dir):
            tab.goto(path)
            settle(tab)
            scheme = tab.evaluate("document.body.getAttribute('data-md-color-scheme')")
            assert scheme == THEMES[theme], f"{path}: {scheme} instead of {theme}"
            for v in violations(tab, axe_script):
                if v["impact"] in SERIOUS:
                    found.append(f"{path} ({theme}): {v['impact']} {v['id']}: {v['help']}"
                                 + "".join(f"\n    {n}" for n in v["nodes"][:5]))
    finally:
        context.close()
    assert not found, f"{len(found)} serious or critical violations:\n" + "\n".join(found)
