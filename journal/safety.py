"""Publish-safety scan: nothing private leaves this machine in a notebook or the site.

Finds keys and tokens (detect-secrets' detectors, `SECRET_DETECTORS`) and traces
of where the work was done (`PATTERNS`: local paths, private hosts and
addresses, e-mail addresses, the local user and host names). `scan_notebook`
reads outputs, metadata and attachments; `check_notebooks` is what the site
build runs; `scan_site` reads the built site; `clean_for_publishing`, called by
`journal run`, makes local paths relative and refuses a notebook with a leak
left. What is looked for and why: the site's "How the numbers are checked"
page (pages/verification.md).
"""

import getpass
import ipaddress
import json
import re
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.plugins.keyword import DENYLIST_REGEX, REGEX_BY_FILETYPE, KeywordDetector
from detect_secrets.util.filetype import FileType
from nbconvert.filters import strip_ansi

from journal import nbfile, paths
from journal.errors import NotebookError

# Addresses that are placeholders by definition (RFC 2606) or a project's public
# no-reply address: the domain must be one of these or end in "." + one of them.
ALLOWED_EMAIL_DOMAINS = ("example.com", "example.org", "example.net",
                         "users.noreply.github.com")

# User and host names too common to mean anyone in particular.
GENERIC_NAMES = {"root", "user", "users", "admin", "runner", "jovyan", "ubuntu",
                 "debian", "vm", "localhost", "host", "docker", "runner", "build",
                 "home", "mac", "pc", "test", "local"}

_SEP = r"(?:\\\\|\\|/)"  # a path separator, also as escaped in JSON or a repr
PATTERNS = {
    "home directory path": re.compile(
        r"(?<![\w.~])(?:/home/[A-Za-z0-9._-]+|/Users/[A-Za-z0-9._-]+|/root(?=/)"
        rf"|[A-Za-z]:{_SEP}(?:Users|Documents and Settings){_SEP}"
        r"[^\\/\s\"'<>]+"
        r"|~[A-Za-z_][A-Za-z0-9._-]*(?=/|\\))"),
    "temporary folder path": re.compile(
        r"(?<![\w.])(?:/tmp/|/var/tmp/|/var/folders/|/private/var/folders/"
        rf"|[A-Za-z]:{_SEP}(?:Windows{_SEP})?Temp{_SEP}"
        rf"|AppData{_SEP}Local{_SEP}Temp)[^\s\"'<>]*"),
    "storage path": re.compile(
        r"(?<![\w.])/(?:mnt|media|scratch|Volumes|nfs|gpfs|lustre|net|cluster)/"
        r"[^\s\"'<>]+"),
    "network share path": re.compile(
        r"(?<![\w\\])(?:\\\\){1,2}[A-Za-z0-9][A-Za-z0-9._$-]*(?:\\\\|\\)"
        r"[A-Za-z0-9$][^\s\"'<>]*"),
    "user@host prompt": re.compile(r"\b[a-z_][a-z0-9_-]{0,31}@[A-Za-z0-9-]+:[~/]"),
    "private host name": re.compile(
        r"(?i)(?<![\w.-])(?:(?:[a-z0-9-]+\.)+(?:lan|internal|intranet|corp|localdomain"
        r"|home\.arpa)|(?:[a-z0-9-]*[-0-9][a-z0-9-]*\.)+local"
        r"|ip-\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3})(?![\w.(-])"),
}
EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]+@((?:[\w-]+\.)+[^\W\d_]{2,})(?![\w-])")
IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
# Addresses that name no machine: loopback, "any", and the documentation ranges.
HARMLESS_NETWORKS = [ipaddress.ip_network(n) for n in (
    "127.0.0.0/8", "0.0.0.0/32", "255.255.255.255/32", "192.0.2.0/24",
    "198.51.100.0/24", "203.0.113.0/24")]
SCRIPT = re.compile(r"<script\b", re.IGNORECASE)
SCRIPT_KIND = "<script> in an HTML output"
DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+")
# SVG geometry: numbers such as "2.41.44.82" in path data are not addresses.
SVG_GEOMETRY = re.compile(r"""\s(?:d|points|viewBox|transform)\s*=\s*(["'])[^"']*\1""")
SITE_SUFFIXES = {".html", ".json", ".xml"}
THIRD_PARTY = ("assets/", "live/pyodide/")  # folders of the site that are not ours


# -- keys and tokens: detect-secrets ------------------------------------------------

class HuggingFaceTokenDetector(RegexBasedDetector):
    """Hugging Face access tokens."""

    secret_type = "Hugging Face Token"
    denylist = (re.compile(r"\bhf_[A-Za-z0-9]{30,}\b"),)


class GoogleApiKeyDetector(RegexBasedDetector):
    """Google Cloud and Maps API keys."""

    secret_type = "Google API Key"
    denylist = (re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),)


class SkApiKeyDetector(RegexBasedDetector):
    """``sk-...`` keys of OpenAI's and Anthropic's current formats (project keys too)."""

    secret_type = "API Key (sk-)"
    denylist = (re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}"),)


class AuthorizationHeaderDetector(RegexBasedDetector):
    """An HTTP ``Authorization`` header with its credentials (Basic is base64 of
    user:password)."""

    secret_type = "Authorization Header"
    denylist = (re.compile(r"(?i)\bauthorization[\"']?\s*[:=]\s*[\"']?"
                           r"(?:basic|bearer|token|digest)\s+([A-Za-z0-9+/=._~-]{8,})"),)


# Printed digests (sha256 of data, of notebooks) are everywhere in this journal:
# entropy alone says nothing here. IP addresses are judged in `PATTERNS`' terms.
LEFT_OUT = {"Base64HighEntropyString", "HexHighEntropyString", "IPPublicDetector"}
SECRET_DETECTORS = tuple(
    [cls() for cls in get_mapping_from_secret_type_to_class().values()
     if cls.__name__ not in LEFT_OUT]
    + [HuggingFaceTokenDetector(), GoogleApiKeyDetector(), SkApiKeyDetector(),
       AuthorizationHeaderDetector()])
# ``key = value`` and ``key: value`` without quotes, as in a printed environment
# or config file (the detector's rules for INI files).
KEYWORD_RULES = REGEX_BY_FILETYPE[FileType.INI]
# Each of those rules contains the detector's keywords (``password``, ``secret``,
# ...; a test checks it), so a line without one is not asked: most lines.
KEYWORDS = re.compile(DENYLIST_REGEX, re.IGNORECASE)


# The whole token around what a detector reports (some report only a prefix).
_TOKEN = re.compile(r"[^\s'\"`,;]+")


def _secrets(line: str):
    """(secret type, token) for each key or token detect-secrets finds in ``line``.

    Only ``analyze_string`` is called: the detectors' ``verify``, which would send
    a found secret to its service, never runs.
    """
    for detector in SECRET_DETECTORS:
        keyword = isinstance(detector, KeywordDetector)
        if keyword and not KEYWORDS.search(line):
            continue
        values = (detector.analyze_string(line, KEYWORD_RULES) if keyword
                  else detector.analyze_string(line))
        for value in values:
            start = line.find(value)
            token = _TOKEN.match(line, start) if start >= 0 else None
            token = token.group(0) if token else value
            # A keyword followed by a short word or a number ("secret: 42") is no secret.
            if keyword and (len(token) < 8 or token.replace(".", "").isdigit()):
                continue
            yield detector.secret_type, token


def redact(secret: str) -> str:
    """What a message shows of a secret: its first characters and its length."""
    return f"{secret[:4]}… ({len(secret)} characters)"


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


def _allowed_email(domain: str) -> bool:
    domain = domain.lower()
    return any(domain == d or domain.endswith("." + d) for d in ALLOWED_EMAIL_DOMAINS)


def _named_ip(text: str) -> bool:
    """Whether ``text`` is an IPv4 address of a machine (not loopback or an example)."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:  # 999.1.2.3: not an address
        return False
    return not any(address in net for net in HARMLESS_NETWORKS)


def scan_text(text: str, *, html_output: bool = False,
              names: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(kind, excerpt) for each leak in ``text`` (terminal colour codes removed)."""
    text = SVG_GEOMETRY.sub(" ", DATA_URI.sub("data:", strip_ansi(text)))
    found = []
    for kind, pattern in PATTERNS.items():
        for m in pattern.finditer(text):
            found.append((kind, m.group(0)[:80]))
    for m in EMAIL.finditer(text):
        if not _allowed_email(m.group(1)):
            found.append(("e-mail address", m.group(0)[:80]))
    for m in IPV4.finditer(text):
        if _named_ip(m.group(0)):
            found.append(("IP address", m.group(0)))
    for line in text.splitlines():
        for kind, value in _secrets(line):
            found.append((kind, redact(value)))
    names = local_names() if names is None else names
    for kind, value in names.items():
        for m in re.finditer(rf"(?<![\w-]){re.escape(value)}(?![\w-])", text):
            found.append((f"local {kind}", text[max(0, m.start() - 20):m.end() + 20]))
    if html_output:
        for m in SCRIPT.finditer(text):
            found.append((SCRIPT_KIND, text[m.start():m.start() + 60]))
    return found


def _as_text(value) -> str:
    if isinstance(value, list):
        return "".join(map(str, value))
    return value if isinstance(value, str) else json.dumps(value)


def _strings(value, label: str = ""):
    """(label, text) for every key and string inside a JSON value, labelled by path."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield f"{label} key".strip(), str(key)
            yield from _strings(item, f"{label}.{key}" if label else str(key))
    elif isinstance(value, list):
        for k, item in enumerate(value):
            yield from _strings(item, f"{label}[{k}]")
    elif isinstance(value, str):
        yield label, value


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
    for label, text in _strings(output.get("metadata") or {}, " metadata"):
        yield label, text, False


def _attachment_texts(attachments):
    """(label, text) for each attachment's name and its non-image content."""
    for name, bundle in (attachments or {}).items():
        yield " name", name
        for mime, value in (bundle or {}).items():
            if not mime.startswith("image/") or mime == "image/svg+xml":
                yield f" {name!r} {mime}", _as_text(value)


def scan_notebook(nb, name: str, names: dict[str, str] | None = None) -> list[Finding]:
    """Leaks in a notebook's outputs, metadata, cell metadata and attachments.

    Code and prose are the author's and are not scanned. Code cells are counted
    from 0 as `journal run` prints them, Markdown and raw cells apart.
    """
    findings = []

    def add(where, text, html=False):
        for kind, excerpt in scan_text(text, html_output=html, names=names):
            findings.append(Finding(name, where, kind, excerpt))

    for label, text in _strings(nb.get("metadata", {})):
        add(f"metadata {label}".rstrip(), text)
    counts: dict[str, int] = {}
    for cell in nb.get("cells", []):
        kind = cell.get("cell_type", "code")
        index = counts[kind] = counts.get(kind, -1) + 1
        where = f"cell {index}" if kind == "code" else f"{kind} cell {index}"
        for label, text in _strings(cell.get("metadata") or {}):
            add(f"{where} metadata {label}", text)
        for label, text in _attachment_texts(cell.get("attachments")):
            add(f"{where} attachment{label}", text)
        for k, out in enumerate(cell.get("outputs", []) or []):
            for label, text, html in _output_texts(out):
                add(f"{where} output {k}{label}", text, html)
    return findings


def scan_notebook_file(path: Path, names=None) -> list[Finding]:
    return scan_notebook(nbfile.read(path), paths.display_path(path), names)


def check_notebooks(notebooks, names: dict[str, str] | None = None,
                    scan=scan_notebook) -> None:
    """Raise `SafetyError` naming the first leak in ``(rel, notebook)`` pairs, the
    notebooks under projects/ that the site publishes (pages and ``.ipynb`` files).
    ``scan(nb, name, names)`` is `scan_notebook` (the site build keeps what it
    found)."""
    # Scripts are the sanitizer's to remove and report (journal.sanitize_html):
    # here they would stop even a preview build of the page that shows them inert.
    findings = [f for rel, nb in notebooks
                for f in scan(nb, f"projects/{rel}", names)
                if f.kind != SCRIPT_KIND]
    if findings:
        raise SafetyError(f"{findings[0].kind}: {findings[0].excerpt!r}; not published"
                          + _more(findings), at=f"{findings[0].file} {findings[0].where}")


def _more(findings: list[Finding]) -> str:
    return f" ({len(findings) - 1} more: {findings[1]} ...)" if len(findings) > 1 else ""


def scan_site(site_dir: Path, names: dict[str, str] | None = None) -> list[Finding]:
    """Leaks in a built site's HTML, JSON and XML files (the theme's assets and the
    pinned Pyodide, files checked by their digests, skipped)."""
    site_dir = Path(site_dir)
    names = local_names() if names is None else names  # once, not once a line
    findings = []
    # Every page repeats the header, navigation and footer: nine lines in ten are
    # ones already seen, so each distinct line is scanned once.
    scanned: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(site_dir.rglob("*")):
        if path.suffix not in SITE_SUFFIXES or not path.is_file():
            continue
        rel = path.relative_to(site_dir).as_posix()
        if rel.startswith(THIRD_PARTY):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for lineno, line in enumerate(text.splitlines(), start=1):
            if line not in scanned:
                scanned[line] = scan_text(line, names=names)
            for kind, excerpt in scanned[line]:
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
