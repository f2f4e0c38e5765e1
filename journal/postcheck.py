"""Checks on a post before the site is built, with errors that name file and line.

`check_post` raises `PostError` on a post's first problem: front matter missing
or malformed, a missing or impossible date, no ``<!-- more -->`` marker, a
broken link, image or ``repo:`` link, a picture no notebook made that is not
declared ``.journal-unverified``, or a number typed in prose or front matter
instead of a ``value`` or ``literal`` marker. The plugin runs it on every post
first (`journal.site.plugin`). Why and what is exempt: the site's "How the
numbers are checked" page (pages/verification.md).

Run ``python -m journal.postcheck posts/*.md`` to check posts by hand.
"""

import datetime as dt
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from journal import markdown_source, paths
from journal.errors import PostError

PROSE_NUMBER = re.compile(r"(?<![\w.,])\d+(?:,\d{3})*(?:\.\d+)?\s?%"
                          r"|(?<![\w.,])\d*\.\d+(?![\w.])")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A picture drawn elsewhere is declared with this class; the page marks it.
HANDMADE = "journal-unverified"
PICTURE_TAG = re.compile(r"<(img|svg|picture|object|embed|iframe|video|canvas)\b",
                         re.IGNORECASE)
HANDMADE_ATTR = re.compile(r"[ \t]*\{[^}\n]*\." + HANDMADE + r"(?![\w-])[^}\n]*\}")
HANDMADE_CLASS = re.compile(r"""\bclass\s*=\s*["'][^"']*(?<![\w-])""" + HANDMADE +
                            r"""(?![\w-])""", re.IGNORECASE)


class _Loader(yaml.SafeLoader):
    """YAML that keeps dates as text, so a bad one is reported here, with its line."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp",
                        lambda loader, node: loader.construct_scalar(node))




def _front_matter(text: str, name: str) -> tuple[dict, dict[str, int], int]:
    """(front matter, the line of each field, line where the body starts)."""
    front, _, before_body = markdown_source.split_front_matter(text)
    if front is None:
        if text.splitlines()[:1] == ["---"] or text.startswith("---\n"):
            raise PostError(f"{name}:1: front matter is not closed by a '---' line")
        raise PostError(f"{name}:1: no front matter: a post starts with a '---' line, "
                        f"then date.created, categories and tags, then '---'")
    try:
        meta = yaml.load(front, Loader=_Loader)
        lines = _field_lines(yaml.compose(front, Loader=_Loader))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 2
        problem = getattr(err, "problem", None) or str(err)
        raise PostError(f"{name}:{line}: malformed front matter: {problem}") from None
    if not isinstance(meta, dict):
        raise PostError(f"{name}:2: front matter must be a mapping of fields, "
                        f"got {type(meta).__name__}")
    return meta, lines, before_body + 1


def _field_lines(node, prefix: str = "") -> dict[str, int]:
    """{"date": 3, "date.created": 4, ...}: the line of each field (the file's,
    past the opening '---')."""
    found = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = f"{prefix}{key.value}"
            found[name] = key.start_mark.line + 2
            found.update(_field_lines(value, name + "."))
    return found


def check_date(meta: dict, lines: dict[str, int], name: str) -> None:
    line = lines.get("date", 1)
    if "date" not in meta or meta["date"] is None:
        raise PostError(f"{name}:{line}: front matter has no date; add\n"
                        f"date:\n  created: YYYY-MM-DD")
    date = meta["date"]
    created = date.get("created") if isinstance(date, dict) else date
    where = "date.created" if isinstance(date, dict) else "date"
    if isinstance(date, dict):
        line = lines.get("date.created", line)
    if created is None:
        raise PostError(f"{name}:{line}: front matter has no date.created")
    if isinstance(created, (dt.date, dt.datetime)):
        return
    value = str(created).strip()
    if DATE.match(value[:10]):
        try:
            dt.datetime.fromisoformat(value)
            return
        except ValueError as err:
            raise PostError(f"{name}:{line}: {where} {value!r} is not a real date: "
                            f"{err}") from None
    raise PostError(f"{name}:{line}: {where} {value!r} is not a date in the form "
                    f"YYYY-MM-DD")


def _target_file(target: str, post: Path) -> Path | None:
    """The file a relative link from ``post`` points at (None: not a local file)."""
    target = target.split("#", 1)[0].split("?", 1)[0]
    if target.startswith(markdown_source.REPO_SCHEME):
        return paths.ROOT / target.removeprefix(markdown_source.REPO_SCHEME)
    if not target or target.startswith(("//", "#")) or urlsplit(target).scheme:
        return None
    # Posts are mounted at pages/posts/, projects at pages/projects/.
    try:
        folder = post.resolve().relative_to(paths.POSTS).parent
    except ValueError:  # a post checked from elsewhere is treated as if in posts/
        folder = Path()
    virtual = Path("posts") / folder / target
    parts = []
    for part in virtual.parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    if parts and parts[0] == "posts":
        return paths.POSTS.joinpath(*parts[1:])
    if parts and parts[0] == "projects":
        return paths.PROJECTS.joinpath(*parts[1:])
    return paths.ROOT.joinpath("pages", *parts)


def check_links(text: str, post: Path, name: str) -> None:
    for link in markdown_source.links(text):
        path = _target_file(link.target, post)
        if path is not None and not path.exists():
            kind = "image" if link.kind == "image" else "link"
            raise PostError(f"{name}:{link.line}: broken {kind} {link.target!r}: "
                            f"{paths.display_path(path)} does not exist")


HOW_TO_QUOTE = ("quote a published result with {% value \"<notebook>\" \"<metric>\" %} "
                "or mark a number from elsewhere with {% literal \"...\" %}")


def typed_numbers(text: str) -> list[tuple[int, str]]:
    """(line from 1, number) of each decimal number and percentage in ``text``'s prose."""
    body = markdown_source.prose(text)
    return [(markdown_source.line_of(body, m.start()), m.group(0).strip())
            for m in PROSE_NUMBER.finditer(body)]


def check_front_matter_numbers(meta: dict, lines: dict[str, int], name: str) -> None:
    """No typed number in a field readers see (every text field but the dates)."""
    def texts(node, key):
        if isinstance(node, dict):
            for k, v in node.items():
                if f"{key}{k}" != "date":
                    yield from texts(v, f"{key}{k}.")
        elif isinstance(node, list):
            for v in node:
                yield from texts(v, key)
        elif isinstance(node, str):
            yield key.rstrip("."), node

    for field, text in texts(meta, ""):
        found = [m.group(0).strip() for m in PROSE_NUMBER.finditer(text)]
        if found:
            raise PostError(f"{name}:{lines.get(field, 2)}: the number {found[0]!r} is "
                            f"typed in the front matter's {field}, which readers see; "
                            f"{HOW_TO_QUOTE} in the post's text instead")


def check_pictures(text: str, name: str, first_line: int = 1) -> None:
    """Every picture in a post's text is declared drawn by hand (`HANDMADE`): a
    post shows a checked figure only through ``{% embed %}``."""
    read = markdown_source.read(text)
    found = []
    for start, end in read.images:
        if not HANDMADE_ATTR.match(text, end):
            found.append((start, text[start:end]))
    for start, end in read.html:
        tag = text[start:end]
        if PICTURE_TAG.match(tag) and not HANDMADE_CLASS.search(tag):
            found.append((start, tag))
    if found:
        start, what = min(found)
        line = markdown_source.line_of(text, start) + first_line - 1
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise PostError(
            f"{name}:{line}: the picture {what[:60]!r}{more} is not a figure of a checked "
            f"notebook; show one with {{% embed %}}, or declare a picture drawn "
            f"elsewhere with {{ .{HANDMADE} }} after it (class=\"{HANDMADE}\" on a tag) "
            f"so the page says it is not re-derived")


def check_numbers(text: str, name: str, first_line: int = 1) -> None:
    """Every decimal number and percentage in prose comes from a marker."""
    found = [(line + first_line - 1, number) for line, number in typed_numbers(text)]
    if found:
        line, number = found[0]
        others = "".join(f"\n  {name}:{n}: {num!r}" for n, num in found[1:10])
        raise PostError(
            f"{name}:{line}: the number {number!r} is typed in prose; {HOW_TO_QUOTE}"
            f"{others}")


def check_post(path: Path) -> None:
    """Raise `PostError` (naming file and line) if ``path`` is not a valid post."""
    path = Path(path)
    name = paths.display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise PostError(f"{name}: cannot read post: {err}") from None
    meta, lines, body_start = _front_matter(text, name)
    check_date(meta, lines, name)
    check_front_matter_numbers(meta, lines, name)
    if "<!-- more -->" not in text:
        raise PostError(f"{name}: no '<!-- more -->' excerpt marker after the first "
                        f"paragraph")
    check_links(text, path, name)
    body = "\n".join(text.splitlines()[body_start - 1:])
    check_numbers(body, name, body_start)
    check_pictures(body, name, body_start)


def check_posts(folder: Path = paths.POSTS) -> None:
    """Check every post under ``folder`` (drafts included)."""
    for path in sorted(Path(folder).rglob("*.md")):
        check_post(path)


if __name__ == "__main__":
    status = 0
    for arg in sys.argv[1:] or [str(p) for p in sorted(paths.POSTS.rglob("*.md"))]:
        try:
            check_post(Path(arg))
        except PostError as err:
            print(f"error: {err}", file=sys.stderr)
            status = 1
    sys.exit(status)
