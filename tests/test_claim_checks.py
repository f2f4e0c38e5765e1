"""Claims in posts checked like outputs: rendered from the records, refused by a
strict build and failed by the test run when they do not hold, naming post:line
and both numbers; the dot-plot marker; numbers inside markers are not prose."""

import json
import textwrap
from types import SimpleNamespace

import nbformat
import pytest
from bs4 import BeautifulSoup
from in_process import run_plugin
from mkdocs.exceptions import PluginError

from journal import claim_checks, embed, markdown_source, paths, postcheck, report
from journal.errors import Location
from journal.site import csp
from journal.site.plugin import JournalPlugin

NB = "demo/demo.ipynb"
RUNS = {
    "a": [0.90, 0.91, 0.92],
    "b": [0.80, 0.82, 0.81],       # below a with every seed: a > b holds
    "c": [0.93, 0.90],             # two runs: too few for the rule
    "det": [0.95, 0.95, 0.95],     # a deterministic model
    "det2": [0.94, 0.94, 0.94],
    "near": [0.905, 0.905, 0.925],  # within a's spread
}


def demo_notebook():
    """A notebook whose outputs hold metric records with runs (as `metric_table`)."""
    table = report.metric_table({k: {"acc": v} for k, v in RUNS.items()})
    single = report.metric("single", 0.5)
    cells = [nbformat.v4.new_code_cell(
        "from journal.notebook import setup\n\ndevice = setup(seed=0)", execution_count=1)]
    for i, shown in enumerate((table, single), start=2):
        bundle = shown._repr_mimebundle_()
        cells.append(nbformat.v4.new_code_cell(
            "# published", execution_count=i, outputs=[nbformat.v4.new_output(
                "execute_result", data=bundle, execution_count=i)]))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["journal"] = {"title": "Demo", "summary": "Runs to compare."}
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


def post(*claims_text: str) -> str:
    body = "\n\n".join(f"Line {i}: {c}." for i, c in enumerate(claims_text))
    return ("---\ndate:\n  created: 2026-01-01\n---\n\n# Demo\n\nIntro.\n\n"
            "<!-- more -->\n\n" + body + "\n")


def claim(first, relation, second, pairing="paired", extra=""):
    return f'{{% claim "{NB}" "{first} / acc" {relation} "{second} / acc" {pairing}' \
           f'{extra} %}}'


FLIPPED = [  # (claim, both numbers as the message writes them)
    (claim("b", ">", "a", extra=' format=".1%"'), ("81.0%", "91.0%")),
    (claim("a", "<", "b", "unpaired"), ("0.9100", "0.8100")),
    (claim("det2", ">", "det"), ("0.9400", "0.9500")),
    (claim("a", "~", "b"), ("0.9100", "0.8100")),
    (claim("a", "~", "near", extra=" within=0.001"), ("0.9100", "0.9117")),
]
INSUFFICIENT = [  # (claim, what the message says)
    (claim("c", ">", "b", "unpaired"), "too few runs to judge (2 and 3"),
    (claim("a", ">", "c"), "too few runs to judge (3 and 2"),
    (f'{{% claim "{NB}" "single" > "b / acc" unpaired %}}', "'single' has no runs"),
]
CONTROLS = [claim("a", ">", "b"), claim("b", "<", "a", "unpaired"),
            claim("det", ">", "det2"), claim("a", "~", "near"),
            claim("a", "~", "near", extra=" within=0.05")]


@pytest.fixture
def demo(tmp_path, monkeypatch):
    """A repository of one notebook (projects/demo/demo.ipynb) and a posts folder."""
    root = tmp_path / "repo"
    (root / "projects" / "demo").mkdir(parents=True)
    (root / "posts").mkdir()
    nbformat.write(demo_notebook(), root / "projects" / NB)
    monkeypatch.setattr(paths, "ROOT", root)
    monkeypatch.setattr(paths, "PROJECTS", root / "projects")
    monkeypatch.setattr(paths, "POSTS", root / "posts")
    return root


def notebooks(root):
    return embed.NotebookCache(root / "projects").get


def write_post(root, *claims_text):
    path = root / "posts" / "2026-01-01-demo.md"
    path.write_text(post(*claims_text), encoding="utf-8")
    return path


def line_of(root, text):
    lines = (root / "posts" / "2026-01-01-demo.md").read_text().splitlines()
    return next(i for i, line in enumerate(lines, start=1) if text in line)


# -- what the page shows ---------------------------------------------------------------

def test_a_claim_renders_as_its_verdicts_words(demo):
    md = f"Three blocks win: {claim('a', '>', 'b', extra=' format=.1%')}."
    out = embed.expand(md, "posts/x.md", cache=embed.NotebookCache(demo / "projects"))
    span = BeautifulSoup(out, "html.parser").select_one("span.journal-claim")
    assert span.get_text() == ("higher: higher in 3 of 3 seeds; paired difference "
                               "+10.0 points (95% interval +7.5 to +12.5 points)")
    assert "journal-claim-fails" not in span["class"]


def test_a_claim_that_does_not_hold_is_marked_on_a_preview(demo):
    out = embed.expand(claim("b", ">", "a"), "posts/x.md",
                       cache=embed.NotebookCache(demo / "projects"))
    span = BeautifulSoup(out, "html.parser").select_one("span.journal-claim-fails")
    assert span.get_text().startswith("claim not supported by the runs: lower:")


def test_identical_runs_show_one_value(demo):
    md = f'{{% value "{NB}" "det / acc" format=".1%" %}}'
    out = embed.expand(md, "posts/x.md", cache=embed.NotebookCache(demo / "projects"))
    assert out == "95.0%, the same with each of 3 seeds"
    exact = claim("det", ">", "det2", extra=' format=".1%"')
    out = embed.expand(exact, "posts/x.md", cache=embed.NotebookCache(demo / "projects"))
    assert "higher by exactly 1.0 points with every seed" in out and "±" not in out


def test_a_metric_name_with_an_equals_sign_is_a_name_not_an_option():
    md = ('{% value "digits-baselines/digits-baselines.ipynb" '
          '"logistic regression, C=1.0 / validation accuracy" format=".1%" %}')
    assert embed.expand(md, "posts/x.md") == "96.7%, the same with each of 3 seeds"
    assert markdown_source.marker_words('"x" C=1 "C=2" tag="t=1"') == (
        ["x", "C=2"], {"C": "1", "tag": "t=1"})


def test_numbers_inside_claim_and_runs_markers_are_not_typed_prose():
    text = (f'A {claim("a", "~", "b", extra=" within=0.01 format=.1%")} and\n'
            f'{{% claim "{NB}" "a / acc" >\n    "b / acc" paired format=".2%" %}}\n\n'
            f'{{% runs "{NB}" "a / acc" "b / acc" paired format=".1%" %}}\n')
    postcheck.check_numbers(text, "posts/x.md")
    with pytest.raises(Exception, match=r"posts/x.md:1: the number '0.5'"):
        postcheck.check_numbers("typed 0.5 here " + text, "posts/x.md")


# -- the strict build ------------------------------------------------------------------

@pytest.mark.parametrize("text, numbers", FLIPPED)
def test_a_flipped_claim_stops_a_strict_build_with_post_line_and_both_numbers(
        demo, text, numbers):
    write_post(demo, CONTROLS[0], text)
    found = claim_checks.problems(notebooks(demo), {}, judged=False)
    assert len(found) == 1, found
    where = f"posts/2026-01-01-demo.md:{line_of(demo, 'Line 1')}: "
    assert found[0].startswith(where + "claim ")
    assert "does not hold on the published runs" in found[0]
    assert all(n in found[0] for n in numbers), found[0]


@pytest.mark.parametrize("text, reason", INSUFFICIENT)
def test_too_few_runs_stop_a_strict_build_with_post_line(demo, text, reason):
    write_post(demo, text)
    (found,) = claim_checks.problems(notebooks(demo), {}, judged=False)
    assert found.startswith(f"posts/2026-01-01-demo.md:{line_of(demo, 'Line 0')}: ")
    assert "cannot be judged: insufficient evidence" in found and reason in found


def test_controls_pass(demo):
    write_post(demo, *CONTROLS)
    assert claim_checks.problems(notebooks(demo), {}, judged=False) == []


def verified_report(demo, claims_recorded):
    name = "projects/" + NB
    return {"notebooks": {name: {"verdict": "passed", "date": "2026-11-23T10:00:00Z",
                                 "claims": claims_recorded}}}


def test_a_claim_the_test_run_found_false_stops_a_strict_build(demo):
    write_post(demo, CONTROLS[0])
    message = "posts/2026-01-01-demo.md:12: claim ... does not hold on the re-derived runs"
    recorded = [{"claim": "'a / acc' > 'b / acc' (paired)", "holds": False,
                 "message": message}]
    (found,) = claim_checks.problems(notebooks(demo), verified_report(demo, recorded),
                                     judged=True)
    assert found == message + " (the test run of 2026-11-23)"


def test_a_claim_the_test_run_did_not_judge_stops_a_publishing_build(demo):
    write_post(demo, CONTROLS[0])
    (found,) = claim_checks.problems(notebooks(demo), verified_report(demo, []),
                                     judged=True)
    assert "has no verdict from the last `make test` of projects/demo/demo.ipynb" in found
    assert claim_checks.problems(notebooks(demo), verified_report(demo, []),
                                 judged=False) == []
    held = [{"claim": "'a / acc' > 'b / acc' (paired)", "holds": True}]
    assert claim_checks.problems(notebooks(demo), verified_report(demo, held),
                                 judged=True) == []


def plugin_on_config(strict: bool):
    plugin = JournalPlugin()
    plugin.load_config({})
    plugin.on_startup(command="build", dirty=False)
    plugin.on_config({"strict": strict, "nav": None})
    return plugin


def test_the_plugin_refuses_a_strict_build_and_warns_a_preview(tmp_path, monkeypatch,
                                                                caplog):
    """The real plugin on a post with a flipped claim on a published notebook."""
    monkeypatch.setenv("JOURNAL_NO_CACHE", "1")
    monkeypatch.setenv("JOURNAL_REPORTS", str(tmp_path / "reports"))
    (tmp_path / "posts").mkdir()
    monkeypatch.setattr(paths, "POSTS", tmp_path / "posts")
    text = ('{% claim "digits-baselines/digits-baselines.ipynb" '
            '"logistic regression / test accuracy" > "SVM (RBF kernel) / test accuracy" '
            'paired format=".1%" %}')
    write_post(tmp_path, text)
    with pytest.raises(PluginError) as caught:
        plugin_on_config(strict=True)
    line = line_of(tmp_path, "Line 0")
    assert f"posts/2026-01-01-demo.md:{line}: claim 'logistic regression / test " \
        f"accuracy' > 'SVM (RBF kernel) / test accuracy' (paired) does not hold" \
        in str(caught.value)
    assert "96.2%" in str(caught.value) and "99.3%" in str(caught.value)
    plugin_on_config(strict=False)
    assert "does not hold" in caplog.text


# -- the test run ----------------------------------------------------------------------

def test_the_test_run_fails_and_records_claims_on_the_rederived_runs(demo, pytester,
                                                                     monkeypatch):
    """One re-run of a tiny notebook: each planted claim fails as its own item,
    named by post:line with both numbers; the controls pass; every verdict is
    in the report."""
    code = "from journal.notebook import metric_table\nmetric_table({})".format(
        {k: {"acc": v} for k, v in RUNS.items()})
    nb = demo_notebook()
    nb.cells[1].source = code
    nb.cells[2].source = 'from journal.notebook import metric\nmetric("single", 0.5)'
    nbformat.write(nb, demo / "projects" / NB)
    planted = [t for t, _ in FLIPPED[:2]] + [t for t, _ in INSUFFICIENT[:2]]
    write_post(demo, *CONTROLS[:2], *planted)
    # -rN: no short summary, which repeats each message in full on CI machines
    result = run_plugin(pytester, monkeypatch, "-rN", "--rootdir", demo,
                        demo / "projects" / NB)
    out_report = pytester.path / "verification.json"
    out = result.stdout.str() + result.stderr.str()
    assert result.ret == 1, out[-3000:]
    assert "4 failed, 5 passed" in out, out[-3000:]
    assert out.count("does not hold on the re-derived runs") == 2, out[-3000:]
    for text, numbers in FLIPPED[:2]:
        n = line_of(demo, text)
        assert f"posts/2026-01-01-demo.md:{n}: claim" in out
        assert all(x in out for x in numbers)
    for text, reason in INSUFFICIENT[:2]:
        assert f"posts/2026-01-01-demo.md:{line_of(demo, text)}: claim" in out
        assert reason in out
    entry = json.loads(out_report.read_text())["notebooks"]["projects/" + NB]
    verdicts = [(c["line"], c["holds"]) for c in entry["claims"]]
    lines = [line_of(demo, f"Line {i}") for i in range(6)]
    assert verdicts == list(zip(lines, [True, True, False, False, False, False]))
    assert entry["claims"][2]["first"] == pytest.approx(0.81)
    assert entry["claims"][2]["second"] == pytest.approx(0.91)


# -- the runs marker -------------------------------------------------------------------

def test_the_runs_marker_draws_the_records_inline(demo):
    md = f'Text.\n\n{{% runs "{NB}" "a / acc" "b / acc" paired format=".1%" %}}\n'
    out = embed.expand(md, "posts/x.md", cache=embed.NotebookCache(demo / "projects"))
    soup = BeautifulSoup(out, "html.parser")
    svg = soup.select_one("figure.journal-runs svg.journal-dotplot")
    assert len(svg.select("circle.jd-run")) == 6 and len(svg.select("line.jd-pair")) == 3
    assert svg["fill"] == "currentColor"  # the page's text colour, in either theme
    assert "a: 90.0%, 91.0%, 92.0% (mean 91.0%)" in svg["aria-label"]


@pytest.mark.parametrize("body, error", [
    (f'"{NB}" "nope / acc"', "publishes no metric named 'nope / acc'"),
    (f'"{NB}" "a / acc" "c / acc" paired', "paired runs need the same number"),
    (f'"{NB}" "single"', "has no runs to plot"),
    (f'"{NB}" paired', "names no metric"),
    (f'"{NB}" "a / acc" colour=red', "unknown option 'colour'"),
])
def test_a_bad_runs_marker_names_post_and_line(demo, body, error):
    with pytest.raises(Exception, match=rf"posts/x.md:3: .*{error}"):
        embed.expand(f"x\n\n{{% runs {body} %}}\n", "posts/x.md",
                     cache=embed.NotebookCache(demo / "projects"))


def test_our_svg_passes_the_site_scan_while_output_svg_is_cleaned(demo, tmp_path):
    figure = claim_checks.render_runs(NB, ["a / acc", "b / acc", "paired"], {},
                                      claim_checks.records_of(demo_notebook()),
                                      Location("posts/x.md", line=1))
    site = tmp_path / "site"
    site.mkdir()
    page = site / "index.html"
    page.write_text(f'<html><head></head><body><div class="md-content">{figure}'
                    f'</div></body></html>')
    assert csp.check_and_protect(site) == []
    from journal import sanitize_html
    assert "<svg" not in sanitize_html.clean(figure)
