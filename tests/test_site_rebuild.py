"""``make serve`` (``mkdocs serve --dirty``): a saved post is rebuilt alone when
nothing other pages show of it changed, every page otherwise
(journal/site/rebuild.py).

The rebuilds run as ``mkdocs serve`` runs them (one process, plugins kept,
``dirty=True``) in a copy of the site with two posts, so the repository's
posts are never edited. How long they take is for ``make bench`` (bench/scale.py).
"""

import json
import os

import prewarmed
from built_site import site_copy
from journal import paths

POST = "posts/2026-11-02-stop-theorising.md"
# A second entry of the same year, so the views list more than one post; its
# notebook is the smallest to convert.
OTHER_POST = "posts/2026-11-21-machine-learning-is-software-engineering.md"
TITLE = "# I stopped reading and fitted four models"

# Run in the copy: build, save the post with a new last paragraph, build, save it
# with a new title, build; print which pages each rebuild wrote and what they say.
SERVE = r'''
import json, logging, sys
from pathlib import Path
from mkdocs.commands.build import build
from mkdocs.config import load_config

logging.disable(logging.WARNING)
site, post, title = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
url = "http://127.0.0.1:8000/ml-journal/"
load_config("mkdocs.yml", site_dir=str(site)).plugins.on_startup(command="serve",
                                                                dirty=True)

def rebuild():
    config = load_config("mkdocs.yml", site_dir=str(site))
    config.site_url = url
    build(config, serve_url=url, dirty=True)
    return {p.relative_to(site).as_posix(): p.read_text(errors="replace")
            for p in site.rglob("*.html")}

def index():
    docs = json.loads((site / "search/search_index.json").read_text())["docs"]
    return [(d["location"], d["text"]) for d in docs]

def cached():
    return {"conversions": len(list(Path(".cache/mkdocs-jupyter").glob("*.json"))),
            "highlighted": len(json.loads(Path(".cache/journal/highlight.json")
                                          .read_text()))}

report = {}
before = rebuild()
report["cached"] = cached()
text = post.read_text()
post.write_text(text + "\nSentence saved during preview.\n")
after = rebuild()
report["body"] = {"written": sorted(p for p in after if after[p] != before.get(p)),
                  "pages": after, "index": index(), "cached": cached(),
                  "listed": before["archive/2026/index.html"].count("md-post--excerpt")}
post.write_text(text.replace(title, title + " again"))
report["title"] = {"pages": rebuild(), "index": index()}
print(json.dumps(report))
'''


def test_saved_post_is_rebuilt_alone_and_a_new_title_rebuilds_every_page(tmp_path):
    root = site_copy(tmp_path / "repo", posts=[paths.ROOT / POST, paths.ROOT / OTHER_POST],
                     projects=[paths.PROJECTS / "digits-baselines",
                               paths.PROJECTS / "shipping-a-model"])
    env = {**os.environ, "PYTHONPATH": str(root), "NO_MKDOCS_2_WARNING": "1",
           "JOURNAL_ALLOW_UNVERIFIED": "1"}
    result = prewarmed.run(["-c", SERVE, str(tmp_path / "site"), str(root / POST), TITLE],
                           cwd=root, env=env, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])

    body = report["body"]
    post = "2026/11/02/i-stopped-reading-and-fitted-four-models/index.html"
    assert "Sentence saved during preview." in body["pages"][post]
    # only the post, and the pages made anew on every build, were written again
    assert set(body["written"]) <= {post, "404.html", "notebooks/index.html",
                                    "projects/index.html", "still-reproducible/index.html"}
    listed = body["pages"]["archive/2026/index.html"].count("md-post--excerpt")
    assert listed == body["listed"] > 1  # the views still list every post
    # what the other pages were made from stays cached for the next whole build
    assert body["cached"] == report["cached"]
    assert report["cached"]["conversions"] == len(paths.project_notebooks(root / "projects"))
    locations = [loc for loc, _ in body["index"]]
    assert len(locations) == len(set(locations))
    # (no stop words in it: the index holds it as written)
    assert any("Sentence saved during preview." in text for _, text in body["index"])

    title = report["title"]
    for view in ("index.html", "archive/2026/index.html", "category/baselines/index.html"):
        assert "fitted four models again" in title["pages"][view], view
    assert post not in title["pages"]  # the old address is gone with the old title
    assert not [loc for loc, _ in title["index"]
                if loc.startswith(post.removesuffix("index.html"))]
