"""Screenshots of the site for review: ``make screenshots``.

Builds the site, serves it on localhost, and saves full-page PNGs of the home
page, the newest post and one notebook page, each in the light and the dark
theme, on a desktop screen and at phone width, into ``screenshots/`` (ignored
by git):

    screenshots/home-light.png         screenshots/home-dark.png
    screenshots/home-phone-light.png   screenshots/home-phone-dark.png
    ... and the same for post-* and notebook-*

The theme follows the browser's colour-scheme preference, which Material reads
with a script that sets ``data-md-color-scheme`` on the body; each capture
waits until the body carries the scheme asked for.

Needs Debian's ``chromium``. Options: ``--out DIR``, ``--post NAME`` (a file stem
in posts/), ``--notebook NAME`` (a project folder), ``--site DIR`` (an already
built site instead of a fresh build).
"""

import argparse
import contextlib
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import preview  # bench/preview.py, beside this script

from journal import paths

SCREENS = {  # name in the file name: (viewport, pixels per CSS pixel)
    "": ({"width": 1280, "height": 900}, 1),
    "phone-": ({"width": 390, "height": 844}, 2),
}
# theme: (the browser's preference, the scheme Material then sets on the body)
SCHEMES = {"light": ("light", "default"), "dark": ("dark", "slate")}


POST_PAGE_MARKER = 'class="md-post__back"'  # Material's blog post pages have it


def post_urls(site_dir: Path) -> list[str]:
    """Post pages of the built site, oldest first (their URLs start with the date)."""
    return sorted(page.parent.relative_to(site_dir).as_posix() + "/"
                  for page in site_dir.rglob("index.html")
                  if POST_PAGE_MARKER in page.read_text(encoding="utf-8"))


def pick(items, name, what, key=lambda item: item):
    if name is None:
        return items[-1]
    for item in items:
        if name in key(item):
            return item
    raise SystemExit(f"error: no {what} matching {name!r}")


def targets(site_dir: Path, post_name=None, notebook_name=None) -> dict[str, str]:
    found = {"home": "."}
    posts = post_urls(site_dir)
    if posts:
        # --post takes a file stem in posts/: its date is the start of its URL
        date = post_name[:10].replace("-", "/") if post_name else None
        found["post"] = pick(posts, date, "post")
    notebooks = paths.project_notebooks()
    if notebooks:
        notebook = pick(notebooks, notebook_name, "notebook",
                        key=lambda nb: (nb.stem, nb.parent.name))
        found["notebook"] = notebook.relative_to(paths.ROOT).with_suffix("").as_posix() + "/"
    return found


def wait_until(page, expression: str, timeout_s: float = 30.0) -> None:
    """Poll ``expression`` until it is true. Playwright's ``wait_for_function``
    compiles its predicate in the page, which the site's Content-Security-Policy
    (no 'unsafe-eval') refuses; ``evaluate`` runs it from outside the page."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{page.url}: still false after {timeout_s:.0f} s: "
                               f"{expression}")
        page.wait_for_timeout(50)


def capture(browser, url, site_dir, out, post_name, notebook_name) -> list[Path]:
    saved = []
    origin = "{0.scheme}://{0.netloc}/".format(urlsplit(url))
    for screen, (viewport, scale) in SCREENS.items():
        for theme, (preference, scheme) in SCHEMES.items():
            context = browser.new_context(viewport=viewport, color_scheme=preference,
                                          device_scale_factor=scale, base_url=url)
            # Off-site requests (GitHub's API for the header's repository facts)
            # are refused: the screenshots show the site as served, offline.
            context.route("**/*", lambda r: r.continue_()
                          if r.request.url.startswith(origin) else r.abort())
            page = context.new_page()
            for name, path in targets(site_dir, post_name, notebook_name).items():
                page.goto(path, wait_until="networkidle")
                wait_until(page, f"document.body.getAttribute('data-md-color-scheme') "
                                 f"=== '{scheme}'")
                wait_until(page, "[...document.images].every(i => i.complete)")
                # Material fades the tabs in: let its transitions finish first.
                wait_until(page, "document.getAnimations().every(a => a.playState "
                                 "!== 'running')")
                target = out / f"{name}-{screen}{theme}.png"
                page.screenshot(path=str(target), full_page=True)
                saved.append(target)
            context.close()
    return saved


def take(out: Path, post_name=None, notebook_name=None,
         site_dir: Path | None = None) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        if site_dir is None:
            site_dir, url = stack.enter_context(preview.built_and_served())
        else:
            url = stack.enter_context(preview.serve(site_dir))
        browser = stack.enter_context(preview.chromium())
        return capture(browser, url, site_dir, out, post_name, notebook_name)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=paths.ROOT / "screenshots")
    parser.add_argument("--post")
    parser.add_argument("--notebook")
    parser.add_argument("--site", type=Path, help="a built site (default: build one)")
    args = parser.parse_args(argv)
    if preview.find_chromium() is None:
        print("error: no Chromium installed (Debian: apt-get install chromium)",
              file=sys.stderr)
        return 1
    for path in take(args.out, args.post, args.notebook, args.site):
        print(paths.display_path(path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
