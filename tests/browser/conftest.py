"""The built site, served on localhost, and a headless Chromium to read it with.

The site is built once per test process (``site_dir`` in tests/conftest.py,
``mkdocs build --strict`` into a temporary folder) and served by a threaded ``http.server`` on 127.0.0.1 at a
free port. Tests that need the browser are marked ``browser`` and skip with the
reason when no Chromium is installed; the others (links, page weight, feed)
read the built files and always run.
"""

import json
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


@pytest.fixture(scope="session")
def site_url(site_dir):
    with preview.serve(site_dir) as url:
        yield url


# Every Content-Security-Policy violation (journal/site/csp.py) is logged as a
# console error, so each test that fails on console errors fails on it too.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => console.error(
  `CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"} ` +
  `(${e.sourceFile}:${e.lineNumber})`));
"""


class PageProblems:
    """Console errors (CSP violations among them), uncaught exceptions and
    failed requests of one page."""

    def __init__(self, page):
        self.errors = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(
            f"console: {m.text} ({m.location.get('url', '')})"))
        page.on("pageerror", lambda e: self.errors.append(f"exception: {e}"))
        page.on("requestfailed", lambda r: self.errors.append(
            f"request failed: {r.url} ({r.failure})"))
        page.on("response", lambda r: r.status >= 400 and self.errors.append(
            f"HTTP {r.status}: {r.url}"))

    def route(self, route):
        """Local requests go through; off-site ones are answered or refused."""
        url = urlsplit(route.request.url)
        if url.hostname in ("127.0.0.1", "localhost") or url.scheme == "data":
            return route.continue_()
        if url.hostname == "api.github.com" and url.path.startswith("/repos/"):
            rest = url.path.split("/", 4)[4] if url.path.count("/") >= 4 else ""
            answer = GITHUB_API_ANSWERS.get(rest, {})
            return route.fulfill(status=200, content_type="application/json",
                                 body=json.dumps(answer))
        self.errors.append(f"off-site request: {route.request.url}")
        return route.abort()


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
