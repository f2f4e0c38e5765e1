"""The built site, served on localhost, and a headless Chromium to read it with.

The site is built once per test process (``site_dir`` in tests/conftest.py,
``mkdocs build --strict`` into a temporary folder) and served by a threaded ``http.server`` on 127.0.0.1 at a
free port. Tests that need the browser are marked ``browser`` and skip with the
reason when no Chromium is installed; the others (links, page weight, feed)
read the built files and always run.
"""

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import preview  # bench/preview.py

# The one request the site may make off the page's own origin: Material's header
# widget asks GitHub's API for the repository's facts (stars, forks, latest
# release) and shows nothing when that fails. Tests answer it locally, as GitHub
# would for a repository with no stars yet; any other off-site request is a bug
# (a CDN script, a web font) and is recorded as a problem.
GITHUB_API_ANSWERS = {
    "releases/latest": {"tag_name": "v0.1.0"},
    "": {"stargazers_count": 0, "forks_count": 0},
}


# A request that carries this header gets a search index without documents
# (page_visits.py says why): a header, not a route, because routing a request
# in Playwright turns the browser's cache off for the whole context.
EMPTY_SEARCH_INDEX = "X-Empty-Search-Index"
SEARCH_INDEX = "/search/search_index.json"


class SearchSwitchHandler(preview.SiteHandler):
    """The built site's files; the search index emptied on request, and never
    kept by the browser's cache (which would answer without asking)."""

    empty_index: bytes | None = None

    def end_headers(self):
        if self.path.endswith(SEARCH_INDEX):
            self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_GET(self):  # noqa: N802 - the name http.server calls
        if self.headers.get(EMPTY_SEARCH_INDEX) and self.path.endswith(SEARCH_INDEX):
            body = self.empty_search_index()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def empty_search_index(self) -> bytes:
        cls = type(self)
        if cls.empty_index is None:
            path = Path(self.directory) / "search" / "search_index.json"
            index = json.loads(path.read_text(encoding="utf-8"))
            cls.empty_index = json.dumps({**index, "docs": []}).encode()
        return cls.empty_index


@pytest.fixture(scope="session")
def site_url(site_dir):
    with preview.serve(site_dir, handler=SearchSwitchHandler) as url:
        yield url


# Every Content-Security-Policy violation (journal/site/csp.py) is logged as a
# console error, so each test that fails on console errors fails on it too.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => console.error(
  `CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"} ` +
  `(${e.sourceFile}:${e.lineNumber})`));
"""


LOCAL = ("127.0.0.1", "localhost")


def answered_off_site(url) -> bool:
    """Whether an off-site URL is one that `GITHUB_API_ANSWERS` answers."""
    return url.hostname == "api.github.com" and url.path.startswith("/repos/")


class PageProblems:
    """Console errors (CSP violations among them), uncaught exceptions and
    failed requests of one page, and every request off the page's origin but
    the GitHub API's while `route` answers it."""

    def __init__(self, page):
        self.errors = []
        self.answering = True  # `route` is in place (see `stop_routing`)
        page.on("console", lambda m: m.type == "error" and self.errors.append(
            f"console: {m.text} ({m.location.get('url', '')})"))
        page.on("pageerror", lambda e: self.errors.append(f"exception: {e}"))
        page.on("request", self.check_origin)
        page.on("requestfailed", lambda r: self.errors.append(
            f"request failed: {r.url} ({r.failure})"))
        page.on("response", lambda r: r.status >= 400 and self.errors.append(
            f"HTTP {r.status}: {r.url}"))

    def check_origin(self, request):
        url = urlsplit(request.url)
        if url.hostname in LOCAL or url.scheme == "data":
            return
        if not (self.answering and answered_off_site(url)):
            self.errors.append(f"off-site request: {request.url}")

    def route(self, route):
        """Local requests go through; off-site ones are answered or refused."""
        url = urlsplit(route.request.url)
        if url.hostname in LOCAL or url.scheme == "data":
            return route.continue_()
        if answered_off_site(url):
            rest = url.path.split("/", 4)[4] if url.path.count("/") >= 4 else ""
            answer = GITHUB_API_ANSWERS.get(rest, {})
            return route.fulfill(status=200, content_type="application/json",
                                 body=json.dumps(answer))
        return route.abort()  # recorded by `check_origin`

    def stop_routing(self, context):
        """Requests go straight to the network from now on, and the browser's
        cache is back on (Playwright turns it off while any route is in place).
        Material asks GitHub once per tab (it keeps the answer in the tab's
        session storage); any off-site request after this is a problem."""
        context.unroute_all()
        self.answering = False


def new_tab(browser, site_url, **options):
    """A tab in a fresh context (light colour scheme) that records its problems."""
    context = browser.new_context(color_scheme="light", base_url=site_url, **options)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    tab.add_init_script(REPORT_CSP_VIOLATIONS)
    tab.problems = PageProblems(tab)
    context.route("**/*", tab.problems.route)
    return context, tab


@pytest.fixture
def page(browser, site_url):
    """A fresh desktop tab, 1280×900."""
    context, tab = new_tab(browser, site_url, viewport={"width": 1280, "height": 900})
    yield tab
    context.close()


PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, site_url):
    """A fresh phone-sized tab: 390 px wide, two device pixels per CSS pixel, touch."""
    context, tab = new_tab(browser, site_url, viewport=PHONE, device_scale_factor=2,
                           is_mobile=True, has_touch=True)
    yield tab
    context.close()
