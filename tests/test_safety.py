"""Publish safety: planted leaks are caught; the real notebooks and site are clean.

Token-shaped strings are assembled at run time so that this file itself does
not look like it holds credentials.
"""

import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

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
    "e-mail address": ["contact: alice.smith@gmail.com"],
    "AWS access key": ["AKIA" + "IOSFODNN7" + "EXAMPLE"],
    "GitHub token": ["gh" + "p_" + "a1B2" * 9],
    "OpenAI-style API key": ["s" + "k-" + "proj-" + "Xy9" * 10],
    "Hugging Face token": ["h" + "f_" + "AbCd" * 9],
    "Slack token": ["xo" + "xb-" + "1234567890-abcdef"],
    "Google API key": ["AI" + "za" + "Sy" + "A" * 33],
    "private key": ["-----BEGIN " + "RSA PRIVATE KEY-----"],
    "secret assignment": ['API' + '_KEY = "q8ZxT2vLm4Np9Rw1"', "pass" + "word: hunter2hunter2"],
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
    assert any(d.startswith("projects/x/x.ipynb metadata: e-mail address")
               for d in described)


@pytest.mark.parametrize("notebook", paths.project_notebooks(),
                         ids=lambda p: paths.display_path(p))
def test_project_notebook_publishes_nothing_private(notebook):
    findings = safety.scan_notebook_file(notebook)
    assert not findings, "\n".join(map(str, findings))


def test_site_scan_finds_planted_leaks(tmp_path):
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "index.html").write_text(
        "<p>ok</p>\n<p>data in /Users/alice/data</p>\n")
    (tmp_path / "search").mkdir()
    (tmp_path / "search" / "search_index.json").write_text(
        json.dumps({"docs": [{"text": "mail me: alice.smith@gmail.com"}]}))
    found = [str(f) for f in safety.scan_site(tmp_path, names=NO_NAMES)]
    assert found == [
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
        f"{nb_path} cell 0 output 0: refusing to write: GitHub token")
    assert nb_path.read_bytes() == before
    assert not list(tmp_path.glob(".*.tmp"))
