"""How the site's cost grows with the journal: today's, and one of a few years.

    .venv/bin/python bench/scale.py                  # prints a table, records it
    .venv/bin/python bench/scale.py --posts 100 --notebooks 30 --repeats 3 --edits 5

In a temporary copy of the repository it builds two journals: today's, and one
grown to ``--posts`` posts and ``--notebooks`` notebooks by copying the real
ones under new names, one week apart (a copied post's embeds and values point
at copied notebooks). For each journal, and for a plain-Markdown site with the
same number of pages, it measures

- a cold build: ``mkdocs build --strict`` in a new process with no build cache
  (``.cache/`` emptied);
- a warm build: the same command again, with the cache the build before left;
- a rebuild inside one process after a warm-up, as ``mkdocs serve`` rebuilds,
  and the pages per second it makes;
- under ``mkdocs serve``, the time from saving a post to the server answering
  with the page that shows the new text (the post is edited ``--edits`` times);
- the size of the search index;
- what each layer of the build cache and each trim of the search index is
  worth: a warm build in a new process (``--layer-repeats`` times; the first
  starts from a copy of the warm cache) with that layer switched off through
  the journal plugin's options (``cache_off``, ``cache: false``,
  ``search_trim_off``, ``search_index: stock``), and the index size each
  makes (``--layers`` chooses which; ``none`` skips); and what the dirty
  rebuild saves (``mkdocs serve`` with and without ``--dirty``). A layer
  within the noise says it saves nothing measurable.

Timings are medians of ``--repeats`` runs (one cold build). Targets, on a
2-core machine: at the grown size a warm build <= 8 s, a saved post served
again <= 2 s and a search index <= 1 MB; today's journal rebuilt within 1.5x
the time of the plain site. Builds show unverified notebooks with their banner
(``JOURNAL_ALLOW_UNVERIFIED``): this measures the site, it publishes nothing.

The results go to ``bench/results.json`` under ``"scale"``; ``bench/run.py``
(``make bench``) runs the same measurement and prints the same table.
"""

import argparse
import datetime as dt
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

from tables import table  # bench/tables.py, beside this script
import weight  # bench/weight.py, beside this script

from journal import markdown_source, paths
from journal.live import dist

ROOT = paths.ROOT
RESULTS = ROOT / "bench" / "results.json"

TARGETS = {
    "warm_build_s": 8.0,        # at the grown size
    "serve_s": 2.0,             # saved post to served page, at the grown size
    "search_index_bytes": weight.SEARCH_INDEX_BUDGET,
    "vs_plain_ratio": 1.5,      # today's journal rebuilt / plain site rebuilt
}

# The post edited under `mkdocs serve`: the first one, which embeds outputs.
EDITED_POST = "2026-11-02-stop-theorising.md"
# Caches a cold build starts without.
BUILD_CACHES = (".cache/mkdocs-jupyter", ".cache/journal", ".cache/plugins")


def median(values) -> float:
    return statistics.median(values)


# ---------------------------------------------------------------------------
# The journals: a copy of the repository, and the same grown by copies


def copy_repository(dest: Path) -> Path:
    """The working tree's files (tracked and untracked, not ignored) in ``dest``."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=ROOT, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        source = ROOT / rel
        if source.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / rel)
    return dest


def retitle_notebook(source: Path, dest: Path, suffix: str) -> None:
    """A copy of a notebook whose title (metadata and first heading) ends in ``suffix``."""
    nb = json.loads(source.read_text(encoding="utf-8"))
    own = nb.get("metadata", {}).get("journal", {})
    if own.get("title"):
        own["title"] += suffix
    for cell in nb["cells"]:
        text = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and text.startswith("# "):
            title, _, rest = text.partition("\n")
            cell["source"] = title + suffix + "\n" + rest
            break
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n",
                    encoding="utf-8")


def grow(root: Path, posts: int, notebooks: int) -> None:
    """Add copies of the posts and notebooks under ``root`` up to the given counts.

    Copied notebooks are ``projects/NAME-K/NAME-K.ipynb`` with "(copy K)" in their
    title, so each converts on its own; copied posts are dated a week apart
    before the first real post, titled "(entry N)", and embed the copies.
    """
    real_notebooks = paths.project_notebooks(root / "projects")
    copies: dict[str, list[str]] = {}
    for k in range(max(0, notebooks - len(real_notebooks))):
        source = real_notebooks[k % len(real_notebooks)]
        name = f"{source.stem}-{k // len(real_notebooks) + 2}"
        retitle_notebook(source, root / "projects" / name / f"{name}.ipynb",
                         f" (copy {k // len(real_notebooks) + 2})")
        rel = source.relative_to(root / "projects").as_posix()
        copies.setdefault(rel, []).append(f"{name}/{name}.ipynb")

    real_posts = sorted((root / "posts").glob("*.md"))
    first = dt.date.fromisoformat(real_posts[0].name[:10])
    for n in range(max(0, posts - len(real_posts))):
        source = real_posts[n % len(real_posts)]
        date = first - dt.timedelta(weeks=n + 1)
        text = source.read_text(encoding="utf-8")
        text = re.sub(r"(?m)^(\s*created:\s*)\S+", rf"\g<1>{date.isoformat()}", text,
                      count=1)
        front, body, _ = markdown_source.split_front_matter(text)
        body = re.sub(r"(?m)^# (.+)$", rf"# \1 (entry {n + 1})", body, count=1)
        for rel, names in copies.items():  # each copy of a post embeds another copy
            body = body.replace(f'"{rel}"', f'"{names[n % len(names)]}"')
        text = f"---\n{front}---\n{body}"
        (root / "posts" / f"{date.isoformat()}{source.name[10:-3]}-{n + 1}.md"
         ).write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------
# Builds


def build_env(root: Path) -> dict:
    # The journal package of the copy, not the installed one, builds the copy.
    # The copy takes the pinned Pyodide from this checkout's cache (journal.live.dist).
    return {**os.environ, "NO_MKDOCS_2_WARNING": "1", "JOURNAL_ALLOW_UNVERIFIED": "1",
            "PYTHONPATH": str(root), dist.CACHE_ENV: str(dist.default_cache())}


def clear_build_cache(root: Path) -> None:
    for rel in BUILD_CACHES:
        shutil.rmtree(root / rel, ignore_errors=True)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cli_build(root: Path, site: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of ``mkdocs build --strict`` in a new process."""
    start, cpu = time.perf_counter(), children_cpu()
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q",
                             "-d", str(site)], cwd=root, env=build_env(root),
                            capture_output=True, text=True, timeout=1200)
    seconds = time.perf_counter() - start, children_cpu() - cpu
    if result.returncode != 0:
        raise SystemExit(f"mkdocs build failed in {root}:\n{result.stderr[-3000:]}")
    return seconds


# Rebuilds are timed inside one process after a warm-up build, as `mkdocs serve`
# rebuilds: no interpreter start-up or imports, plugins and hooks kept.
REBUILD_TIMER = """
import json, logging, sys, time
from mkdocs.commands.build import build
from mkdocs.config import load_config
logging.disable(logging.WARNING)
config_file, site_dir, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
warmup = int(sys.argv[4])
times = []
for _ in range(repeats + warmup):  # a warm-up build loads caches and imports
    config = load_config(config_file, site_dir=site_dir)
    config.plugins.on_startup(command="build", dirty=False)
    start, cpu = time.perf_counter(), time.process_time()
    build(config)
    times.append((time.perf_counter() - start, time.process_time() - cpu))
    config.plugins.on_shutdown()
print(json.dumps(times[warmup:]))
"""


def rebuild_seconds(root: Path, site: Path, repeats: int, config: str = "mkdocs.yml",
                    warmup: bool = True) -> list[list[float]]:
    """(wall, CPU) seconds of ``repeats`` builds in one process, after a warm-up
    build unless ``warmup`` is false."""
    result = subprocess.run([sys.executable, "-c", REBUILD_TIMER, config, str(site),
                             str(repeats), str(int(warmup))], cwd=root,
                            env=build_env(root),
                            capture_output=True, text=True, timeout=1200)
    if result.returncode != 0:
        raise SystemExit(f"site build failed in {root}:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def count_pages(site: Path) -> int:
    return sum(1 for p in site.rglob("*.html") if p.name != "404.html")


# ---------------------------------------------------------------------------
# Each cache layer and the index trim, switched off on its own

# name -> the journal plugin's options for a build without it. "jupyter" is
# mkdocs-jupyter's own cache; "small" the cheap ones that keep file reads.
# Each variant starts from a copy of the warm build cache, so only its own
# layer is missing. A trim changes what the index holds, not what a build
# stores, so a trim's variant also re-parses every page and re-finishes every
# notebook page (its caches keep what the trim shapes): its row is the index
# size, built once.
LAYERS = {
    "every cache": {"cache": False},
    "page": {"cache_off": ["page"]},
    "highlight": {"cache_off": ["highlight"]},
    "post": {"cache_off": ["post"]},
    "notebook-page": {"cache_off": ["notebook-page"]},
    "jupyter": {"cache_off": ["jupyter"]},
    "search parses": {"cache_off": ["search"]},
    "page checks": {"cache_off": ["csp"]},
    "excerpts": {"cache_off": ["excerpts"]},
    "templates": {"cache_off": ["templates"]},
    "claims and safety": {"cache_off": ["claims", "safety"]},
    "small": {"cache_off": ["notebook", "quoted", "markers", "readtime", "postcheck",
                            "live-plan", "live-bundle", "sanitized"]},
    "index trim": {"search_index": "stock"},
}
TRIMS = {f"trim {name}": {"search_trim_off": [name], "cache_off": ["search",
                                                                  "notebook-page"]}
         for name in ("leave-out", "code-names", "stop-words", "utf-8")}
LAYERS.update(TRIMS)
# A layer that saves less build CPU time than either of these at the grown size
# saves nothing measurable (builds vary by about this much).
MEASURABLE_S, MEASURABLE_FRACTION = 0.05, 0.03


def variant_config(root: Path, name: str, options: dict) -> str:
    """A copy of the journal's mkdocs.yml beside it, with the journal plugin's
    ``options`` set; its file name."""
    config = yaml.safe_load((root / "mkdocs.yml").read_text(encoding="utf-8"))
    for i, plugin in enumerate(config["plugins"]):
        if plugin == "journal" or isinstance(plugin, dict) and "journal" in plugin:
            own = plugin["journal"] if isinstance(plugin, dict) else {}
            config["plugins"][i] = {"journal": {**(own or {}), **options}}
            break
    else:
        raise SystemExit(f"{root / 'mkdocs.yml'} names no journal plugin")
    # Its own cache folder, a copy of the warm one, so the variant neither
    # spoils the others' nor starts cold.
    slug = re.sub(r"[^a-z]+", "-", name)
    own = root / ".cache" / f"journal-{slug}"
    shutil.rmtree(own, ignore_errors=True)
    if (root / ".cache" / "journal").is_dir():
        shutil.copytree(root / ".cache" / "journal", own)
    config["plugins"][i]["journal"]["cache_dir"] = own.relative_to(root).as_posix()
    out = f"mkdocs-bench-{slug}.yml"
    (root / out).write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return out


def measure_layers(root: Path, out: Path, repeats: int, names) -> dict:
    """{layer: warm-build seconds and index bytes without it}, and the same with
    all (a trim: index bytes only)."""
    found = {}
    for name, options in [("all on", {})] + [(n, LAYERS[n]) for n in names]:
        config = variant_config(root, name, options)
        site = out / f"layer-{re.sub(r'[^a-z]+', '-', name)}"
        times = rebuild_seconds(root, site, 1 if name in TRIMS else repeats, config,
                                warmup=False)
        found[name] = {"search_index_bytes": (site / weight.SEARCH_INDEX).stat().st_size}
        if name not in TRIMS:
            found[name]["rebuild_s"] = median(w for w, _ in times)
            found[name]["rebuild_cpu_s"] = median(c for _, c in times)
        timing = "" if name in TRIMS else (f"{found[name]['rebuild_s']:.2f} s, "
                                           f"{found[name]['rebuild_cpu_s']:.2f} s CPU, ")
        print(f"  {name}: {timing}index "
              f"{found[name]['search_index_bytes'] / 1024:.0f} KB", flush=True)
    return found


# ---------------------------------------------------------------------------
# mkdocs serve: from saving a post to the page that shows it


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.read().decode("utf-8", "replace")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def wait_for(url: str, text: str, timeout: float, poll: float = 0.02) -> float:
    """Seconds until ``url`` answers with a page containing ``text``."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        body = fetch(url)
        if body is not None and text in body:
            return time.perf_counter() - start
        time.sleep(poll)
    raise SystemExit(f"{url} did not show {text!r} within {timeout:.0f} s")


def post_url(site: Path, post: Path) -> str:
    """The post's URL path in a built site (``YYYY/MM/DD/slug/``)."""
    day = site / post.name[:10].replace("-", "/")
    pages = sorted(p.parent for p in day.glob("*/index.html"))
    if len(pages) != 1:
        raise SystemExit(f"expected one post built under {day}, found {len(pages)}")
    return pages[0].relative_to(site).as_posix() + "/"


def serve_seconds(root: Path, url_path: str, edits: int, dirty: bool) -> list[float]:
    """Save the edited post ``edits`` times under ``mkdocs serve``; seconds each.

    ``dirty``: ``mkdocs serve --dirty``, as ``make serve`` runs it.
    """
    port = free_port()
    post = root / "posts" / EDITED_POST
    original = post.read_text(encoding="utf-8")
    log = open(root / f"serve-{port}.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "mkdocs", "serve", "-a",
                               f"127.0.0.1:{port}", *(["--dirty"] if dirty else [])],
                              cwd=root, env=build_env(root), stdout=log,
                              stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/ml-journal/{url_path}"
    times = []
    try:
        wait_for(url, "</html>", timeout=600, poll=0.2)
        for n in range(edits):
            marker = f"Saved again as edit {n + 1} of the scale benchmark"
            time.sleep(1.5)  # let the watcher settle after the last build
            start = time.perf_counter()
            post.write_text(original + f"\n{marker}.\n", encoding="utf-8")
            times.append(time.perf_counter() - start + wait_for(url, marker, 120))
    finally:
        server.send_signal(signal.SIGINT)  # mkdocs serve shuts down on Ctrl-C
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        post.write_text(original, encoding="utf-8")
    return times


# ---------------------------------------------------------------------------
# A plain-Markdown site with the same number of pages

PLAIN_PAGE = """# Page {n}

Plain Markdown text for a baseline build. It has a list, a table and code.

- one
- two

| a | b |
|---|---|
| {n} | {n2} |

```python
def f(x):
    return x * {n}
```
"""

PLAIN_CONFIG = """site_name: plain
theme:
  name: material
plugins:
  - search
markdown_extensions:
  - tables
  - pymdownx.superfences
  - pymdownx.highlight
"""


def plain_site(root: Path, pages: int) -> Path:
    (root / "docs").mkdir(parents=True)
    for n in range(pages):
        name = "index.md" if n == 0 else f"page-{n:03d}.md"
        (root / "docs" / name).write_text(PLAIN_PAGE.format(n=n, n2=n * n))
    (root / "mkdocs.yml").write_text(PLAIN_CONFIG)
    return root


# ---------------------------------------------------------------------------
# One journal, then both


def measure_journal(root: Path, out: Path, repeats: int, edits: int,
                    layers=tuple(LAYERS), layer_repeats: int = 1) -> dict:
    clear_build_cache(root)  # one cold build: it is long and has no target
    cold = [cli_build(root, out / "cold-0")]
    warm = [cli_build(root, out / f"warm-{n}") for n in range(repeats)]
    site = out / "warm-0"
    rebuild = rebuild_seconds(root, out / "rebuild", repeats)
    pages = count_pages(site)
    result = {
        "posts": len(list((root / "posts").glob("*.md"))),
        "notebooks": len(paths.project_notebooks(root / "projects")),
        "pages": pages,
        "cold_s": median(w for w, _ in cold), "cold_cpu_s": median(c for _, c in cold),
        "warm_s": median(w for w, _ in warm), "warm_cpu_s": median(c for _, c in warm),
        "rebuild_s": median(w for w, _ in rebuild),
        "rebuild_cpu_s": median(c for _, c in rebuild),
        "runs": {"cold": cold, "warm": warm, "rebuild": rebuild},
        "search_index_bytes": (site / weight.SEARCH_INDEX).stat().st_size,
    }
    result["pages_per_s"] = pages / result["rebuild_s"]
    if layers:
        result["layers"] = measure_layers(root, out, layer_repeats, layers)
    if edits:
        url = post_url(site, root / "posts" / EDITED_POST)
        for key, dirty in (("serve_s", True), ("serve_full_s", False)):
            times = serve_seconds(root, url, edits, dirty)
            result[key] = median(times)
            result["runs"][key] = times
    return result


def measure_plain(folder: Path, pages: int, repeats: int) -> dict:
    root = plain_site(folder, pages)
    rebuild = rebuild_seconds(root, folder / "site", repeats)
    seconds = median(w for w, _ in rebuild)
    return {"pages": pages, "rebuild_s": seconds,
            "rebuild_cpu_s": median(c for _, c in rebuild), "runs": rebuild,
            "pages_per_s": pages / seconds}


def measure(posts: int = 100, notebooks: int = 30, repeats: int = 3,
            edits: int = 5, layers=tuple(LAYERS), layer_repeats: int = 1) -> dict:
    """Today's journal and the grown one, each with its plain-Markdown twin."""
    results = {"repeats": repeats, "edits": edits, "layer_repeats": layer_repeats}
    with tempfile.TemporaryDirectory(prefix="journal-scale-") as tmp:
        tmp = Path(tmp)
        for name, grown in (("today", False), ("grown", True)):
            print(f"measuring {name}'s journal...", flush=True)
            root = copy_repository(tmp / name / "repo")
            if grown:
                grow(root, posts, notebooks)
            journal = measure_journal(root, tmp / name, repeats, edits, layers,
                                      layer_repeats)
            plain = measure_plain(tmp / name / "plain", journal["pages"], repeats)
            journal["plain"] = plain
            journal["plain_rebuild_s"] = plain["rebuild_s"]
            journal["vs_plain"] = journal["rebuild_s"] / plain["rebuild_s"]
            journal["vs_plain_cpu"] = journal["rebuild_cpu_s"] / plain["rebuild_cpu_s"]
            results[name] = journal
    return results


def site_summary(r: dict) -> dict:
    """Today's journal against its plain twin, as bench/run.py's site rows read it."""
    today = r["today"]
    return {"pages": today["pages"], "cold_cli_s": today["cold_s"],
            "journal_s": today["rebuild_s"], "plain_s": today["plain"]["rebuild_s"],
            "pages_per_s": today["pages_per_s"],
            "plain_pages_per_s": today["plain"]["pages_per_s"], "ratio": today["vs_plain"]}


# ---------------------------------------------------------------------------
# Report


def rows(r: dict) -> list[dict]:
    """One row per figure: today -> grown (growth), target, met."""
    today, grown = r["today"], r["grown"]

    def row(name, key, fmt, target=None, judged=None):
        a, b = today.get(key), grown.get(key)
        growth = f" ({b / a:.1f}x)" if a and b is not None else ""
        value = f"{fmt(a)} -> {fmt(b)}{growth}" if a is not None else fmt(b)
        ok = None if judged is None else judged(today, grown)
        return {"name": f"scale: {name}", "value": value, "target": target, "ok": ok}

    kb = lambda n: f"{n / 1024:.0f} KB"  # noqa: E731 - local formatters
    s = lambda n: f"{n:.2f} s"  # noqa: E731
    x = lambda n: f"{n:.2f}x"  # noqa: E731
    return [
        {"name": "scale: posts/notebooks, today -> grown",
         "value": f"{today['posts']}/{today['notebooks']} -> "
                  f"{grown['posts']}/{grown['notebooks']}", "target": None, "ok": None},
        row("pages", "pages", str),
        row("cold build, new process, no cache", "cold_s", s),
        row("cold build, CPU time", "cold_cpu_s", s),
        row("warm build, new process, cache", "warm_s", s,
            f"<= {TARGETS['warm_build_s']:.0f} s grown",
            lambda t, g: g["warm_s"] <= TARGETS["warm_build_s"]),
        row("warm build, CPU time", "warm_cpu_s", s),
        row("rebuild in one process", "rebuild_s", s),
        row("rebuild, CPU time", "rebuild_cpu_s", s),
        row("pages per second (rebuild)", "pages_per_s", lambda n: f"{n:.0f}"),
        row("saved post served, make serve (--dirty)", "serve_s", s,
            f"<= {TARGETS['serve_s']:.0f} s grown",
            lambda t, g: "serve_s" in g and g["serve_s"] <= TARGETS["serve_s"]),
        row("saved post served, plain mkdocs serve", "serve_full_s", s),
        row("search index", "search_index_bytes", kb,
            f"<= {TARGETS['search_index_bytes'] // 1024} KB grown",
            lambda t, g: g["search_index_bytes"] <= TARGETS["search_index_bytes"]),
        row("plain site rebuilt, same page count", "plain_rebuild_s", s),
        row("journal rebuild / plain rebuild", "vs_plain", x,
            f"<= {TARGETS['vs_plain_ratio']}x today",
            lambda t, g: t["vs_plain"] <= TARGETS["vs_plain_ratio"]),
        row("journal / plain, CPU time", "vs_plain_cpu", x),
    ] + layer_rows(r)


def layer_rows(r: dict) -> list[dict]:
    """Per cache layer, the dirty rebuild and each index trim: what it saves,
    today -> grown. A cache layer's saving is a warm build's CPU time without it
    less with it (wall time follows the machine's load); the dirty rebuild's,
    a saved post served under ``mkdocs serve`` and ``--dirty``; a trim's, the
    index bytes. One that saves nothing measurable says so."""
    today, grown = r["today"], r["grown"]
    out = []
    if "serve_s" in today and "serve_s" in grown:
        saved = [size["serve_full_s"] - size["serve_s"] for size in (today, grown)]
        out.append(saving_row("dirty rebuild (make serve --dirty)",
                              f"saves {saved[0]:.2f} -> {saved[1]:.2f} s per saved post",
                              saved, [today["serve_full_s"], grown["serve_full_s"]]))
    layers = [today.get("layers"), grown.get("layers")]
    if not all(layers):
        return out
    for name in [n for n in layers[0] if n != "all on" and n in layers[1]]:
        on = [size["all on"] for size in layers]
        off = [size[name] for size in layers]
        index = [b["search_index_bytes"] - a["search_index_bytes"]
                 for a, b in zip(on, off)]
        if "rebuild_cpu_s" not in off[0] or "rebuild_cpu_s" not in off[1]:
            # a trim: what it takes off the index
            value = (f"index {off[0]['search_index_bytes'] / 1024:.0f} -> "
                     f"{off[1]['search_index_bytes'] / 1024:.0f} KB without it "
                     f"(saves {index[0] / 1024:.1f} -> {index[1] / 1024:.1f} KB)")
            out.append(saving_row(name, value, index, [
                b["search_index_bytes"] for b in off], unit="bytes"))
            continue
        saved = [b["rebuild_cpu_s"] - a["rebuild_cpu_s"] for a, b in zip(on, off)]
        value = (f"{off[0]['rebuild_s']:.2f} s -> {off[1]['rebuild_s']:.2f} s without it "
                 f"(saves {saved[0]:+.2f} -> {saved[1]:+.2f} s CPU)")
        if any(index):
            value += (f"; index {off[0]['search_index_bytes'] / 1024:.0f} -> "
                      f"{off[1]['search_index_bytes'] / 1024:.0f} KB")
        label = "every index trim (stock index)" if name == "index trim" \
            else f"cache layer {name}"
        out.append(saving_row(label, value, saved, [b["rebuild_cpu_s"] for b in off]))
    return out


def saves_nothing(saved: list[float], without: list[float], unit: str = "s") -> bool:
    """Whether a saving (today, grown) is within the noise at the grown size, the
    one the layers are for: under MEASURABLE_S seconds or MEASURABLE_FRACTION
    of the time without it. Bytes: none saved at any size (an index is the
    same size every build)."""
    if unit == "bytes":
        return all(s <= 0 for s in saved)
    return saved[-1] < MEASURABLE_S or saved[-1] < MEASURABLE_FRACTION * without[-1]


def saving_row(name: str, value: str, saved, without, unit: str = "s") -> dict:
    if saves_nothing(saved, without, unit):
        value += ": saves nothing measurable"
    return {"name": f"scale: {name}", "value": value, "target": None, "ok": None}


def record(results: dict, path: Path = RESULTS) -> None:
    """Put ``results`` under "scale" (and today's site under "site") in ``path``,
    keeping everything else there."""
    data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    data["scale"] = results
    data["site"] = site_summary(results)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=100,
                        help="posts in the grown journal (default: 100)")
    parser.add_argument("--notebooks", type=int, default=30,
                        help="notebooks in the grown journal (default: 30)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs of each build timing (default: 3)")
    parser.add_argument("--edits", type=int, default=5,
                        help="saves of a post under mkdocs serve (default: 5; "
                             "0 skips serving)")
    parser.add_argument("--layer-repeats", type=int, default=1,
                        help="rebuilds timed per cache layer, after a warm-up "
                             "(default: 1)")
    parser.add_argument("--layers", default=",".join(LAYERS),
                        help="cache layers to time switched off, comma-separated, "
                             "or 'none' (default: all: " + ", ".join(LAYERS) + ")")
    parser.add_argument("--no-write", action="store_true",
                        help="print only; do not record in bench/results.json")
    args = parser.parse_args(argv)
    layers = [] if args.layers == "none" else args.layers.split(",")
    unknown = [name for name in layers if name not in LAYERS]
    if unknown:
        parser.error(f"unknown layer(s) {', '.join(unknown)}; known: {', '.join(LAYERS)}")
    results = measure(args.posts, args.notebooks, args.repeats, args.edits, layers,
                      args.layer_repeats)
    print()
    print(table(rows(results), "value (today -> grown)"))
    if not args.no_write:
        record(results)
        print(f"\nrecorded under \"scale\" in {paths.display_path(RESULTS)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
