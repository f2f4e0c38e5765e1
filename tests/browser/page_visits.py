"""One visit to each page of the built site in headless Chromium, recording what
the page tests judge (tests/browser/test_pages.py says what and why).

A visit opens the page, runs axe-core in the theme the page opens in, switches
theme with the header's toggle as a reader does and runs axe's colour rules,
then reads the facts the content tests need, and keeps the page's console
errors, exceptions and failed requests once its requests have all ended.
"""

from dataclasses import dataclass, field

from conftest import EMPTY_SEARCH_INDEX, new_tab
from screenshots import wait_until  # bench/screenshots.py (bench/ is on sys.path)

THEMES = {"light": "default", "dark": "slate"}
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SERIOUS = ("serious", "critical")
# Only colours change with the theme, so the dark theme is checked by the rules
# that read colours.
COLOUR_RULES = ["color-contrast", "link-in-text-block"]
TOGGLE = "form[data-md-component='palette'] label:not([hidden])"
SCHEME = "document.body.getAttribute('data-md-color-scheme')"
# The site's chrome, the same templates on every page: checked in full on the
# first page of each kind, left out of axe's context on the others.
CHROME = [".md-header", ".md-tabs", ".md-sidebar--primary", ".md-footer"]

# Colours as they end, not mid-fade: axe measures what is on screen. In place
# before the page's first paint, so nothing ever fades.
NO_MOTION = """(() => {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync('*, *::before, *::after { transition: none !important; ' +
                    'animation: none !important; }');
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
})();"""

# Syntax highlighting makes thousands of <span>s of a dozen styles. A span whose
# colour, font and backgrounds up to its <pre> match one already marked for
# checking has the same contrast; it is marked to be skipped by the colour rule.
SAME_COLOURS = "data-axe-same-colours"
MARK_REPEATED_CODE_COLOURS = f"""() => {{
  for (const e of document.querySelectorAll('[{SAME_COLOURS}]'))
    e.removeAttribute('{SAME_COLOURS}');
  const seen = new Set();
  for (const span of document.querySelectorAll('pre span')) {{
    const parts = [];
    for (let e = span; e; e = e.parentElement) {{
      const s = getComputedStyle(e);
      if (e === span) parts.push(s.color, s.fontSize, s.fontWeight, s.textShadow,
                                 s.position);
      parts.push(s.backgroundColor, s.backgroundImage, s.opacity, s.mixBlendMode);
      if (e.tagName === 'PRE') break;
    }}
    const key = parts.join('|');
    if (seen.has(key)) span.setAttribute('{SAME_COLOURS}', '');
    else seen.add(key);
  }}
}}"""
CONFIGURE_AXE = f"""() => axe.configure({{rules: [
  {{id: 'color-contrast', selector: '*:not([{SAME_COLOURS}])'}}]}})"""
RUN_AXE = """async ([exclude, only]) => {
  const result = await axe.run({include: [document], exclude: exclude},
                               {runOnly: only, resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary
                                  .split('\\n').slice(1).join(' ').trim())}));
}"""
# Which templates drew the page, and under which navigation tab: pages of one
# kind share their chrome.
KIND = """() => [
  document.querySelector('.jp-Notebook') ? 'notebook'
    : document.querySelector('.md-post__back') ? 'post'
    : document.querySelector('article.md-post--excerpt') ? 'listing' : 'page',
  (document.querySelector('.md-tabs__item--active') || {}).textContent || '']
  .map(s => s.trim()).join(' | ')"""
# Every content image has loaded or failed.
IMAGES_DONE = """() => Promise.all([...document.querySelectorAll('.md-content img')]
  .filter(i => !i.complete).map(i => new Promise(done => {
    i.addEventListener('load', done); i.addEventListener('error', done); })))"""
# A code block is cut when an ancestor (or the block itself) clips it sideways
# before one scrolls: the end of its longest line is then out of reach.
CUT_CODE = """[...document.querySelectorAll('article pre')].filter(pre => {
  const end = pre.getBoundingClientRect().left + pre.scrollWidth;
  for (let e = pre; e && e.tagName !== 'ARTICLE'; e = e.parentElement) {
    const x = getComputedStyle(e).overflowX;
    if (x === 'auto' || x === 'scroll') return false;
    if ((x === 'hidden' || x === 'clip') && end > e.getBoundingClientRect().right + 1)
      return true;
  }
  return false;
}).map(pre => pre.innerText.slice(0, 60))"""
FACTS = f"""() => {{
  const text = e => e ? e.innerText : null;
  const article = document.querySelector('article');
  return {{
    h1: text(document.querySelector('article h1')),
    article: text(article),
    code_blocks: document.querySelectorAll('article pre code').length,
    broken_images: [...document.querySelectorAll('.md-content img')]
      .filter(i => !(i.naturalWidth > 0)).map(i => i.src),
    cut_code: {CUT_CODE},
    // Maths is MathML written at build time and laid out by the browser.
    maths: [...document.querySelectorAll('article .arithmatex')].map(m => {{
      const box = m.querySelector('math') && m.querySelector('math').getBoundingClientRect();
      return {{text: m.innerText, mathml: !!box, width: box ? box.width : 0,
               height: box ? box.height : 0}};
    }}),
    summary_visible: !!document.querySelector('article .journal-summary')
      && document.querySelector('article .journal-summary').checkVisibility(),
    cell_tags: document.querySelectorAll('article .cell-tag').length,
    code_cells: document.querySelectorAll('.jp-CodeCell').length,
    excerpts: [...document.querySelectorAll('article.md-post--excerpt')].map(a => ({{
      title: a.querySelector('h2').innerText, href: a.querySelector('h2 a').href,
      text: a.innerText}})),
    pagination: [...document.querySelectorAll('.md-pagination a[href]')].map(a => a.href),
  }};
}}"""


@dataclass
class Visit:
    path: str
    kind: str
    chrome_checked: bool  # the header, tabs, sidebar and footer were in axe's context
    violations: list[str] = field(default_factory=list)  # serious or critical
    errors: list[str] = field(default_factory=list)
    facts: dict = field(default_factory=dict)


def visit_every_page(browser, site_url, pages: list[str],
                     axe_script: str) -> dict[str, Visit]:
    """A `Visit` of each of ``pages``, in one tab (1280×900, light colour scheme)."""
    context, tab = new_tab(browser, site_url, viewport={"width": 1280, "height": 900})
    context.add_init_script(NO_MOTION)
    context.add_init_script(axe_script)  # compiled once, not once a page
    in_flight = set()
    tab.on("request", lambda request: in_flight.add(request))
    tab.on("requestfinished", lambda request: in_flight.discard(request))
    tab.on("requestfailed", lambda request: in_flight.discard(request))
    visits, kinds_seen = {}, set()
    try:
        for number, path in enumerate(pages):
            if number == 1:
                # The tab's route answered GitHub's API for the first page; the
                # others load without routing, so the browser's cache works.
                tab.problems.stop_routing(context)
                # Material's search worker builds its index on every page load;
                # the first page gets the real one, the others one without
                # documents: the same worker, file and requests, for less CPU
                # time a page. Search itself: test_themes.py.
                context.set_extra_http_headers({EMPTY_SEARCH_INDEX: "1"})
            tab.problems.errors.clear()
            tab.goto(path)
            wait_until(tab, "document.getAnimations().every(a => a.playState !== 'running')")
            kind = tab.evaluate(KIND)
            visit = visits[path] = Visit(path, kind, chrome_checked=kind not in kinds_seen)
            kinds_seen.add(kind)
            exclude = [] if visit.chrome_checked else [[selector] for selector in CHROME]
            tab.evaluate(CONFIGURE_AXE)
            first = "light" if tab.evaluate(SCHEME) == THEMES["light"] else "dark"
            for theme in (first, "dark" if first == "light" else "light"):
                if theme != first:
                    tab.click(TOGGLE)
                    wait_until(tab, f"{SCHEME} === '{THEMES[theme]}'")
                tab.evaluate(MARK_REPEATED_CODE_COLOURS)
                only = ({"type": "tag", "values": TAGS} if theme == "light"
                        else {"type": "rule", "values": COLOUR_RULES})
                visit.violations += [
                    f"{path} ({theme}): {v['impact']} {v['id']}: {v['help']}"
                    + "".join(f"\n    {n}" for n in v["nodes"][:5])
                    for v in tab.evaluate(RUN_AXE, [exclude, only]) if v["impact"] in SERIOUS]
            tab.evaluate(IMAGES_DONE)
            visit.facts = tab.evaluate(FACTS)
            _wait_for_requests(tab, in_flight)
            visit.errors = list(tab.problems.errors)
    finally:
        context.close()
    return visits


def _wait_for_requests(tab, in_flight: set, timeout_ms: int = 15_000) -> None:
    """Until every request the page made has finished or failed."""
    waited = 0
    while in_flight:
        if waited > timeout_ms:
            raise TimeoutError(f"{tab.url}: requests still open: "
                               f"{sorted(r.url for r in in_flight)}")
        tab.wait_for_timeout(20)
        waited += 20
