"""Publish safety: planted leaks are caught; the real notebooks and site are clean.

Token-shaped strings are assembled at run time so that this file itself does
not look like it holds credentials.
"""

import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from built_site import build_copy, site_copy
from journal import paths, publish, safety

NO_NAMES = {}  # scans below are independent of this machine's user and host

LEAKS = {
    "home directory path": ["/home/alice/ml/data.csv", "/Users/alice/Desktop/run.log",
                            r"C:\Users\alice\Documents\x.ipynb",
                            r"'C:\\Users\\alice\\AppData'", "/root/.cache/torch"],
    "temporary folder path": ["/tmp/tmpk2j3/weights.pt",
                              "/var/folders/7x/abc123/T/x.png",
                              r"C:\Windows\Temp\x.txt"],
    "user@host prompt": ["alice@laptop:~$ ls"],
    "storage path": ["/mnt/data/x.csv", "/scratch/alice/run", "/Volumes/Backup/x"],
    "network share path": [r"\\\\nas01\\share\\x.csv", r"\\nas01\share\x.csv"],
    "private host name": ["alices-macbook-pro.local", "db.corp", "ip-10-0-1-17",
                          "node3.cluster.internal"],
    "IP address": ["10.0.0.12", "192.168.1.20:8888", "8.8.4.4"],
    "e-mail address": ["contact: alice.smith@gmail.com", "alice@example.com.evil.io",
                       "alice@my-example.com", "bob@users-noreply.github.com"],
    "AWS Access Key": ["AKIA" + "IOSFODNN7" + "EXAMPLE"],
    "GitHub Token": ["gh" + "p_" + "a1B2" * 9],
    "API Key (sk-)": ["s" + "k-" + "proj-" + "Xy9" * 10],
    "Hugging Face Token": ["h" + "f_" + "AbCd" * 9],
    "Slack Token": ["xo" + "xb-" + "1234567890-abcdef"],
    "Google API Key": ["AI" + "za" + "Sy" + "A" * 33],
    "Private Key": ["-----BEGIN " + "RSA PRIVATE KEY-----"],
    "Secret Keyword": ['API' + '_KEY = "q8ZxT2vLm4Np9Rw1"', "pass" + "word: hunter2hunter2",
                       "HF_" + "TOKEN_SECRET=abcd1234efgh"],
    "Authorization Header": ["authorization: bearer " + "abc123def456ghi789"],
}

CLEAN = [
    "test_accuracy = 0.9850",
    "X_train (1347, 64) X_test (450, 64)",
    "digits: 1347 train / 450 test, 64 features, sha256 0b3e4ee14f82",
    "write to someone@example.com",
    "projects/digits-baselines/digits-baselines.ipynb",
    "/usr/lib/python3.11/site-packages/sklearn/base.py:12: UserWarning",
    "<Figure size 720x230 with 16 Axes>",
    "learning rate 3e-4, 20 epochs, loss 0.0731",
    "serving on http://127.0.0.1:8000/ and 0.0.0.0:8888",
    "torch 2.13.0, numpy 2.0.2, cuda 12.4.1",
    "see 192.0.2.10 (an address for documentation)",
    "mail list@lists.example.org or noreply@users.noreply.github.com",
    "<threading.local object at 0x7f3a2c>",
    "secret: 42, n_secret_digits = 3",
    "a.b.c.d version 1.2.3.4.5",
    "home is ~/data and ~/.cache",
    '<svg viewBox="0 0 24 24"><path d="M12 22l-2.41-3.44c.74.27 1.55.44 2.41.44.82 0"/></svg>',
]


@pytest.mark.parametrize("kind, text",
                         [(k, t) for k, texts in LEAKS.items() for t in texts])
def test_planted_leak_is_found(kind, text):
    found = safety.scan_text(f"prefix {text} suffix", names=NO_NAMES)
    assert kind in [k for k, _ in found], found


@pytest.mark.parametrize("text", CLEAN)
def test_ordinary_output_is_clean(text):
    assert safety.scan_text(text, names=NO_NAMES) == []


def test_local_user_and_host_names_are_found():
    names = {"user name": "alice", "host name": "alices-macbook"}
    found = safety.scan_text("trained on alices-macbook by alice", names=names)
    assert sorted(k for k, _ in found) == ["local host name", "local user name"]
    assert safety.scan_text("malice aforethought", names=names) == []


def test_generic_machine_names_are_not_searched(monkeypatch):
    monkeypatch.setattr(safety.getpass, "getuser", lambda: "root")
    monkeypatch.setattr(safety.socket, "gethostname", lambda: "vm")
    assert safety.local_names() == {}


def test_script_in_html_output_only():
    html = '<div>ok</div><script>fetch("https://evil.example")</script>'
    assert ("<script> in an HTML output" in
            [k for k, _ in safety.scan_text(html, html_output=True, names=NO_NAMES)])
    assert safety.scan_text(html, names=NO_NAMES) == []


def leaky_notebook():
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "P",
                                               "language": "python"}})
    nb.cells = [
        new_code_cell("x = 1", execution_count=1),
        new_code_cell("print(path)", execution_count=2, outputs=[
            new_output("stream", name="stdout", text="saved /home/alice/x.pt\n")]),
        new_code_cell("show()", execution_count=3, outputs=[
            new_output("display_data", data={
                "text/html": "<b>hi</b><script>alert(1)</script>",
                "text/plain": "<IPython.core.display.HTML object>"})]),
    ]
    nb.metadata["author_email"] = "alice@university.edu"
    return nb


def test_notebook_scan_names_cell_and_output():
    findings = safety.scan_notebook(leaky_notebook(), "projects/x/x.ipynb", NO_NAMES)
    described = [str(f) for f in findings]
    assert ("projects/x/x.ipynb cell 1 output 0: home directory path: "
            "'/home/alice'") in described
    assert any(d.startswith("projects/x/x.ipynb cell 2 output 0 text/html: <script>")
               for d in described)
    assert any(d.startswith("projects/x/x.ipynb metadata author_email: e-mail address")
               for d in described)


def test_a_secret_is_named_by_its_first_characters_only():
    token = "gh" + "p_" + "Q7w8" * 9
    found = safety.scan_text(f"token {token}", names=NO_NAMES)
    assert found == [("GitHub Token", "ghp_… (40 characters)")]
    assert token[4:] not in str(found)


def test_a_line_without_a_keyword_cannot_match_a_keyword_rule():
    """Why `safety.KEYWORDS` may decide which lines the keyword detector reads."""
    for rule in safety.KEYWORD_RULES:
        assert safety.DENYLIST_REGEX in rule.pattern, rule.pattern
    assert safety.scan_text("db_pass: Q7w8Q7w8Q7w8", names=NO_NAMES) == [
        ("Secret Keyword", "Q7w8… (12 characters)")]


def test_terminal_colour_codes_do_not_hide_a_path():
    coloured = "File \x1b[0;32m/home/alice/x.py\x1b[0m, in \x1b[0;36mmain\x1b[0m"
    assert safety.scan_text(coloured, names=NO_NAMES) == [
        ("home directory path", "/home/alice")]


def test_the_site_build_refuses_a_notebook_that_publishes_a_leak():
    nb = leaky_notebook()
    with pytest.raises(safety.SafetyError) as caught:
        safety.check_notebooks([("ok/ok.ipynb", new_notebook()), ("x/x.ipynb", nb)],
                               names=NO_NAMES)
    message = str(caught.value)
    assert message.count("\n") == 0
    assert message.startswith("projects/x/x.ipynb metadata author_email: e-mail address: "
                              "'alice@university.edu'; not published (1 more: ")
    assert "<script>" not in message  # the sanitizer's to report, not the scan's
    safety.check_notebooks([("ok/ok.ipynb", new_notebook())], names=NO_NAMES)


# -- the hostile corpus: one notebook per class of leak ----------------------------
# Tokens in these files are split by "{{}}", removed when they are read, so that
# no committed file holds a whole token-shaped string.

CORPUS = paths.ROOT / "tests" / "fixtures" / "secrets"
CORPUS_FINDINGS = {
    "ansi-traceback-path": "cell 1 output 0 traceback: home directory path: '/home/alice'",
    "env-api-key": "cell 0 output 0: Secret Keyword: 'q8Zx… (24 characters)'",
    "aws-secret-access-key": "cell 0 output 0: Secret Keyword: 'wJal… (41 characters)'",
    "jwt": "cell 0 output 0 text/plain: JSON Web Token: 'eyJh… (",
    "stripe-live-key": "cell 0 output 0: Stripe Access Key: 'sk_l… (36 characters)'",
    "basic-auth-header": "cell 0 output 0: Authorization Header: 'ZmFr… (28 characters)'",
    "private-hostname": "cell 0 output 0: private host name: 'gpu-node-07.cluster.internal'",
    "private-ip": "cell 0 output 0: IP address: '10.12.0.5'",
    "lookalike-email": "cell 0 output 0: e-mail address: 'alice@notexample.com'",
    "homoglyph-email": "cell 0 output 0: e-mail address: 'alice@ex\u0430mple.com'",
    "mnt-path": "cell 0 output 0: storage path: '/mnt/datasets/alice/mnist.npz'",
    "scratch-path": "cell 0 output 0: storage path: '/scratch/alice/ckpt/epoch3.pt'",
    "unc-path": "cell 0 output 0: network share path: "
                "'\\\\\\\\fileserver\\\\research\\\\alice\\\\results.csv'",
    "tilde-user-path": "cell 0 output 0: home directory path: '~alice'",
    "notebook-metadata": "metadata authors[0].email: e-mail address: 'alice@university.edu'",
    "cell-metadata": "cell 1 metadata execution.cwd: home directory path: '/home/alice'",
    "attachment": "markdown cell 0 attachment 'plot.svg' image/svg+xml: home directory "
                  "path: 'C:\\\\Users\\\\alice'",
}


def read_corpus(name):
    text = (CORPUS / f"{name}.ipynb").read_text(encoding="utf-8").replace("{{}}", "")
    return nbformat.reads(text, as_version=4)


def test_the_corpus_has_a_notebook_per_class_and_no_other():
    assert sorted(p.stem for p in CORPUS.glob("*.ipynb")) == sorted(CORPUS_FINDINGS)


@pytest.mark.parametrize("name", sorted(CORPUS_FINDINGS))
def test_each_leak_of_the_corpus_is_found_and_named_in_one_line(name):
    file = f"tests/fixtures/secrets/{name}.ipynb"
    findings = [str(f) for f in safety.scan_notebook(read_corpus(name), file, NO_NAMES)]
    assert findings, f"{file}: nothing found"
    assert findings[0].startswith(f"{file} {CORPUS_FINDINGS[name]}"), findings
    assert all("\n" not in f for f in findings)
    with pytest.raises(safety.SafetyError) as caught:
        safety.check_notebooks([(f"corpus/{name}.ipynb", read_corpus(name))], NO_NAMES)
    assert str(caught.value).startswith(
        f"projects/corpus/{name}.ipynb {CORPUS_FINDINGS[name].split(': ', 1)[0]}: ")


@pytest.mark.parametrize("notebook", paths.project_notebooks(),
                         ids=lambda p: paths.display_path(p))
def test_project_notebook_publishes_nothing_private(notebook):
    findings = safety.scan_notebook_file(notebook)
    assert not findings, "\n".join(map(str, findings))


def test_site_scan_finds_planted_leaks(tmp_path):
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "index.html").write_text(
        "<p>ok</p>\n<p>data in /Users/alice/data</p>\n")
    (tmp_path / "posts" / "again.html").write_text(  # a line seen before: reported again
        "<p>data in /Users/alice/data</p>\n")
    (tmp_path / "search").mkdir()
    (tmp_path / "search" / "search_index.json").write_text(
        json.dumps({"docs": [{"text": "mail me: alice.smith@gmail.com"}]}))
    found = [str(f) for f in safety.scan_site(tmp_path, names=NO_NAMES)]
    assert found == [
        "site/posts/again.html line 1: home directory path: '/Users/alice'",
        "site/posts/index.html line 2: home directory path: '/Users/alice'",
        "site/search/search_index.json line 1: e-mail address: "
        "'alice.smith@gmail.com'",
    ]


# The real site is scanned in tests/browser/test_site_safety.py, on the build
# that the browser tests make once per session.


# -- `journal run`: paths normalised, secrets refused ----------------------------

def write_notebook(path: Path, *sources):
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "P",
                                               "language": "python"}})
    nb.cells = [new_code_cell(s) for s in sources]
    for k, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{k}"
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")


def test_journal_run_normalises_local_paths(tmp_path):
    nb_path = tmp_path / "paths.ipynb"
    write_notebook(nb_path, "from pathlib import Path\n"
                            "print(Path.cwd() / 'data.csv')\n"
                            "print(Path.home() / 'cache')\nprint(Path.cwd())")
    nb = publish.run_in_place(nb_path, timeout=60)
    assert nb.cells[0].outputs[0].text == "data.csv\n~/cache\n.\n"
    assert str(tmp_path) not in nb_path.read_text()


def test_journal_run_refuses_to_write_a_secret(tmp_path):
    nb_path = tmp_path / "leaky.ipynb"
    token = "gh" + "p_" + "Z9y8" * 9
    write_notebook(nb_path, f"print('token:', {token[:3]!r} + {token[3:]!r})")
    before = nb_path.read_bytes()
    with pytest.raises(safety.SafetyError) as err:
        publish.run_in_place(nb_path, timeout=60)
    assert str(err.value).startswith(
        f"{nb_path} cell 0 output 0: refusing to write: GitHub Token")
    assert nb_path.read_bytes() == before
    assert not list(tmp_path.glob(".*.tmp"))


def test_the_strict_site_build_scans_the_notebooks_it_publishes(tmp_path):
    """A leak planted in a project notebook's cell metadata (a field no page shows,
    but the downloadable .ipynb carries) stops the build, naming file and cell."""
    root = site_copy(tmp_path / "repo", projects=[paths.PROJECTS / "digits-baselines"])
    notebook = root / "projects" / "digits-baselines" / "digits-baselines.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    code[2].metadata["execution"] = {"cwd": "/scratch/alice/journal"}
    nbformat.write(nb, notebook)
    result = build_copy(root, tmp_path / "out")
    assert result.returncode != 0
    assert ("projects/digits-baselines/digits-baselines.ipynb cell 2 metadata execution.cwd: "
            "storage path: '/scratch/alice/journal'; not published") in result.stderr, \
        result.stderr[-3000:]
