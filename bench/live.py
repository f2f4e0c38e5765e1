"""How long "Run in your browser" takes: load and run times in headless Chromium.

    .venv/bin/python bench/live.py [SITE_DIR] [--notebook NAME ...] [--timeout-min N]

Builds the site (unless SITE_DIR is given), serves it on localhost with every
other request refused, and for each notebook the site offers to run in the
browser, opens the notebook page in a fresh browser context (nothing cached),
clicks the control and waits. It records the time to load Pyodide, its
packages and the data (``load``), the time from the click to the last cell
(``run``), how many cells ran, and how many published metrics the browser
reproduced. A run still going after the time limit is recorded as such, with
the cells it had finished.

``make bench`` runs it through bench/run.py; the numbers are for this machine's
Chromium, one thread, and a cold browser cache.
"""

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

import preview  # bench/preview.py, beside this script

DEFAULT_TIMEOUT_MIN = 15


def notebooks_offered(site_dir: Path) -> dict[str, str]:
    """{notebook name: its notebook page} for every notebook with a control."""
    found = {}
    control = re.compile(r'data-layout="notebook"[^>]*>\s*<button[^>]*'
                         r'data-bundle="live/([^"]+)\.json"')
    for page in sorted((site_dir / "projects").rglob("index.html")):
        match = control.search(page.read_text(encoding="utf-8"))
        if match:
            found[match.group(1)] = page.relative_to(site_dir).parent.as_posix() + "/"
    return found


def run_one(browser, url: str, page: str, timeout_s: float) -> dict:
    context = browser.new_context()
    context.route("**/*", lambda route: route.continue_()
                  if route.request.url.startswith((url, "data:")) else route.abort())
    tab = context.new_page()
    tab.goto(url + page, wait_until="load")
    started = time.perf_counter()
    tab.click(".journal-live-button")
    try:
        tab.wait_for_selector('.journal-live[data-state="finished"], '
                              '.journal-live[data-state="failed"]', timeout=timeout_s * 1000)
        state = tab.get_attribute(".journal-live", "data-state")
    except Exception:  # noqa: BLE001 - Playwright's timeout: still running
        state = "still running"
    wall = time.perf_counter() - started
    load = tab.get_attribute(".journal-live", "data-load-seconds")
    cells = tab.locator(".journal-live-cell:not(.journal-live-skipped)").count()
    skipped = tab.locator(".journal-live-skipped").count()
    rows = tab.locator(".journal-live-summary li[data-metric]")
    metrics = rows.count()
    ok = sum(rows.nth(i).get_attribute("class") == "journal-live-ok" for i in range(metrics))
    context.close()
    return {"state": state, "seconds": wall, "load_s": float(load) if load else None,
            "cells_run": cells, "cells_left_out": skipped, "metrics": metrics,
            "reproduced": ok}


def measure(site_dir: Path, names: list[str] | None = None,
            timeout_min: float = DEFAULT_TIMEOUT_MIN) -> dict:
    offered = notebooks_offered(site_dir)
    results = {}
    with preview.serve(site_dir, prefix="/") as url, preview.chromium() as browser:
        for name, page in offered.items():
            if names and name not in names:
                continue
            print(f"  running {name} in Chromium...", flush=True)
            results[name] = run_one(browser, url.rstrip("/") + "/", page, timeout_min * 60)
            results[name]["timeout_s"] = timeout_min * 60
    return results


def rows(results: dict) -> list[dict]:
    out = []
    for name, r in results.items():
        load = f"load {r['load_s']:.1f} s, " if r["load_s"] is not None else ""
        if r["state"] == "still running":
            value = (f"{load}not finished after {r['timeout_s'] / 60:.0f} min "
                     f"({r['cells_run']} cells done)")
        else:
            value = (f"{load}{r['seconds']:.1f} s in all, {r['cells_run']} cells run, "
                     f"{r['cells_left_out']} left out (torch), {r['reproduced']}/"
                     f"{r['metrics']} metrics reproduced"
                     + ("" if r["state"] == "finished" else f", {r['state']}"))
        out.append({"name": f"browser run {name} (Chromium, 1 thread)", "value": value,
                    "target": None, "ok": None})
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("site", nargs="?", type=Path, help="a built site (default: build one)")
    parser.add_argument("--notebook", action="append", help="only this notebook (repeatable)")
    parser.add_argument("--timeout-min", type=float, default=DEFAULT_TIMEOUT_MIN)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="journal-site-") as tmp:
        site = args.site or preview.build_site(Path(tmp), allow_unverified=True)
        results = measure(site, args.notebook, args.timeout_min)
    print(json.dumps(results, indent=2))
    for r in rows(results):
        print(f"{r['name']}: {r['value']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
