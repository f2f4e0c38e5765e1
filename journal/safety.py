"""Publish-safety scan: nothing private leaves this machine in a notebook or the site.

What counts as a leak (`PATTERNS`): absolute local paths (home directories on
Linux, macOS and Windows, temporary folders), the local user and host names,
``user@host`` prompts, e-mail addresses, common API-token shapes and private
keys; in notebook HTML outputs also ``<script>``.

- `scan_notebook` looks at every output and the metadata of a notebook.
- `scan_site` looks at the built site's HTML, JSON and XML files.
- `clean_for_publishing` is what `journal run` calls before writing: it turns
  local absolute paths in outputs into relative ones (`normalise_text`) and
  refuses to write a notebook in which anything above remains.

The test suite runs the scans over every project notebook and a site build.
"""

import getpass
import json
import re
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

from journal import nbfile, paths
from journal.errors import NotebookError

# Addresses that are placeholders by definition (RFC 2606) or a project's public
# no-reply address; anything else that looks like an e-mail address is a leak.
ALLOWED_EMAIL_DOMAINS = ("example.com", "example.org", "example.net",
                         "users.noreply.github.com")

# User and host names too common to mean anyone in particular.
GENERIC_NAMES = {"root", "user", "users", "admin", "runner", "jovyan", "ubuntu",
                 "debian", "vm", "localhost", "host", "docker", "runner", "build",
                 "home", "mac", "pc", "test", "local"}

PATTERNS = {
    "home directory path": re.compile(
        r"(?<![\w.])(?:/home/[A-Za-z0-9._-]+|/Users/[A-Za-z0-9._-]+|/root(?=/)"
        r"|[A-Za-z]:(?:\\\\|\\|/)(?:Users|Documents and Settings)(?:\\\\|\\|/)"
        r"[^\\/\s\"'<>]+)"),
    "temporary folder path": re.compile(
        r"(?<![\w.])(?:/tmp/|/var/tmp/|/var/folders/|/private/var/folders/"
        r"|[A-Za-z]:(?:\\\\|\\|/)(?:Windows(?:\\\\|\\|/))?Temp(?:\\\\|\\|/)"
        r"|AppData(?:\\\\|\\|/)Local(?:\\\\|\\|/)Temp)[^\s\"'<>]*"),
    "user@host prompt": re.compile(r"\b[a-z_][a-z0-9_-]{0,31}@[A-Za-z0-9-]+:[~/]"),
    "e-mail address": re.compile(
        r"\b[A-Za-z0-9._%+-]+@((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})\b"),
    "AWS access key": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_\w{40,})"),
    "OpenAI-style API key": re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}"),
    "Hugging Face token": re.compile(r"\bhf_[A-Za-z0-9]{30,}\b"),
    "Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "private key": re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----"),
    "secret assignment": re.compile(
        r"(?i)\b(?:api[_-]?key|secret[_-]?key|access[_-]?token|auth[_-]?token"
        r"|password|passwd)\b\s*[:=]\s*['\"]?[A-Za-z0-9/+_.-]{12,}"),
}
SCRIPT = re.compile(r"<script\b", re.IGNORECASE)
DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+")
SITE_SUFFIXES = {".html", ".json", ".xml"}


class SafetyError(NotebookError):
    """A notebook or site would publish something private."""


@dataclass(frozen=True)
class Finding:
    file: str
    where: str       # "cell 3 output 0", "metadata", "line 12"
    kind: str
    excerpt: str

    def __str__(self):
        return f"{self.file} {self.where}: {self.kind}: {self.excerpt!r}"


def local_names() -> dict[str, str]:
    """This machine's user and host names, when they are specific enough to leak."""
    names = {}
    for kind, get in (("user name", getpass.getuser), ("host name", socket.gethostname)):
        try:
            value = get().split(".")[0]
        except Exception:  # no user database entry, no hostname: nothing to look for
            continue
        if len(value) >= 3 and value.lower() not in GENERIC_NAMES:
            names[kind] = value
    return names


def scan_text(text: str, *, html_output: bool = False,
              names: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(kind, excerpt) for each leak in ``text``."""
    text = DATA_URI.sub("data:", text)
    found = []
    for kind, pattern in PATTERNS.items():
        for m in pattern.finditer(text):
            if kind == "e-mail address" and m.group(1).lower().endswith(
                    ALLOWED_EMAIL_DOMAINS):
                continue
            found.append((kind, m.group(0)[:80]))
    names = local_names() if names is None else names
    for kind, value in names.items():
        for m in re.finditer(rf"(?<![\w-]){re.escape(value)}(?![\w-])", text):
            found.append((f"local {kind}", text[max(0, m.start() - 20):m.end() + 20]))
    if html_output:
        for m in SCRIPT.finditer(text):
            found.append(("<script> in an HTML output", text[m.start():m.start() + 60]))
    return found


def _as_text(value) -> str:
    if isinstance(value, list):
        return "".join(map(str, value))
    return value if isinstance(value, str) else json.dumps(value)


def _output_texts(output):
    """(label, text, is_html) for each piece of text in one output; images skipped."""
    if output.get("output_type") == "stream":
        yield "", _as_text(output.get("text", "")), False
    if output.get("output_type") == "error":
        yield " traceback", "\n".join(output.get("traceback", [])), False
        yield " error", f"{output.get('ename')}: {output.get('evalue')}", False
    for mime, value in (output.get("data") or {}).items():
        if mime.startswith("image/") and mime != "image/svg+xml":
            continue
        yield f" {mime}", _as_text(value), mime == "text/html"
    if output.get("metadata"):
        yield " metadata", json.dumps(output["metadata"]), False


def scan_notebook(nb, name: str, names: dict[str, str] | None = None) -> list[Finding]:
    """Leaks in a notebook's outputs and metadata (code and prose are the author's)."""
    findings = []

    def add(where, text, html=False):
        for kind, excerpt in scan_text(text, html_output=html, names=names):
            findings.append(Finding(name, where, kind, excerpt))

    add("metadata", json.dumps(nb.get("metadata", {})))
    code_index = -1
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        code_index += 1
        if cell.get("metadata"):
            add(f"cell {code_index} metadata", json.dumps(cell["metadata"]))
        for k, out in enumerate(cell.get("outputs", [])):
            for label, text, html in _output_texts(out):
                add(f"cell {code_index} output {k}{label}", text, html)
    return findings


def scan_notebook_file(path: Path, names=None) -> list[Finding]:

    return scan_notebook(nbfile.read(path), paths.display_path(path), names)


def scan_site(site_dir: Path, names: dict[str, str] | None = None) -> list[Finding]:
    """Leaks in a built site's HTML, JSON and XML files (theme assets skipped)."""
    site_dir = Path(site_dir)
    findings = []
    for path in sorted(site_dir.rglob("*")):
        if path.suffix not in SITE_SUFFIXES or not path.is_file():
            continue
        rel = path.relative_to(site_dir).as_posix()
        if rel.startswith("assets/"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for lineno, line in enumerate(text.splitlines(), start=1):
            for kind, excerpt in scan_text(line, names=names):
                findings.append(Finding(f"site/{rel}", f"line {lineno}", kind, excerpt))
    return findings


# -- normalising outputs before they are written ---------------------------------

def _replacements(notebook_dir: Path) -> list[tuple[re.Pattern, str]]:
    """(pattern, replacement) for each local absolute prefix, longest first.

    The notebook's folder and the repository become relative paths, the
    temporary folder ``<tmp>`` and the home directory ``~``.
    """
    prefixes = {str(Path(notebook_dir).resolve()): ".", str(paths.ROOT): ".",
                str(Path(tempfile.gettempdir()).resolve()): "<tmp>",
                str(Path.home()): "~"}
    result = []
    for old in sorted(prefixes, key=len, reverse=True):
        if len(old) > 1:
            pattern = re.compile(re.escape(old) + r"(?:[/\\]|(?![\w.-]))")
            result.append((pattern, prefixes[old]))
    return result


def normalise_text(text: str, notebook_dir: Path) -> str:
    """Local absolute paths in ``text`` made relative (repository) or ``~``/``<tmp>``."""
    for pattern, new in _replacements(notebook_dir):
        text = pattern.sub(
            lambda m: ("" if new == "." else new + "/") if m.group(0)[-1] in "/\\"
            else new, text)
    return text


def _normalise(value, notebook_dir):
    if isinstance(value, str):
        return normalise_text(value, notebook_dir)
    if isinstance(value, list):
        return [_normalise(v, notebook_dir) for v in value]
    return value


def normalise_outputs(nb, notebook_dir: Path) -> None:
    """Rewrite local paths in every text output of ``nb`` (in place)."""
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) or []:
            if "text" in out:
                out["text"] = _normalise(out["text"], notebook_dir)
            if "traceback" in out:
                out["traceback"] = _normalise(out["traceback"], notebook_dir)
            if "evalue" in out:
                out["evalue"] = _normalise(out["evalue"], notebook_dir)
            for mime, value in (out.get("data") or {}).items():
                if not mime.startswith("image/") or mime == "image/svg+xml":
                    out["data"][mime] = _normalise(value, notebook_dir)


def clean_for_publishing(nb, path: Path) -> None:
    """Normalise paths in ``nb``'s outputs; raise `SafetyError` if a leak remains."""
    path = Path(path)
    normalise_outputs(nb, path.parent)
    findings = scan_notebook(nb, paths.display_path(path))
    if findings:
        listing = "\n".join(f"  {f}" for f in findings[:10])
        more = f"\n  ... and {len(findings) - 10} more" if len(findings) > 10 else ""
        raise SafetyError(f"{findings[0].file} {findings[0].where}: refusing to write: "
                          f"{findings[0].kind} in the outputs\n{listing}{more}")
