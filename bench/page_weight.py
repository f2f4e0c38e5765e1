"""Page weights of the built site against their budgets (bench/weight.py).

    python bench/page_weight.py [SITE_DIR]     # default: build into a temp dir

opens every page in headless Chromium with an empty cache and prints one row
per page (its kind: post, notebook or other page; the bytes of its first visit
by kind: HTML, CSS, JavaScript, images, fonts, other; the total against the
page's budget) and the size of the search index, and exits non-zero when
anything is over budget.
"""

import sys
import tempfile
from pathlib import Path

from preview import build_site  # bench/preview.py, beside this script
from weight import measure  # bench/weight.py


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv:
        report = measure(Path(argv[0]))
    else:
        with tempfile.TemporaryDirectory(prefix="journal-site-") as tmp:
            report = measure(build_site(Path(tmp), allow_unverified=True))
    print(report.table())
    if not report.of_kind("post"):
        print("no post pages found")
        return 1
    print("within budget" if report.ok else "OVER BUDGET")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
