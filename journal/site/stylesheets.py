"""A stylesheet cut to the rules a page can use (for notebook pages' Jupyter CSS).

`used_by` keeps, of a stylesheet parsed with tinycss2, the rules with a selector
that may match the page (one naming no class, id or element the page lacks;
what is inside ``:not()``, ``:is()`` and the like, attribute selectors and
states are not tested), and the custom properties (``--jp-...``) they read.
Classes scripts add after loading are not seen (the copy button adds none).
``@media`` and ``@supports`` are cut inside, ``@keyframes`` kept when a kept
rule names them, other at-rules kept whole. Why: pages/site.md, "What the
build adds".
"""

import functools
import re

import tinycss2

CLASS_ATTRIBUTE = re.compile(r'\bclass="([^"]*)"')
ID_ATTRIBUTE = re.compile(r'\bid="([^"]*)"')
ELEMENT = re.compile(r"<([a-zA-Z][a-zA-Z0-9-]*)")
# Within one selector: functional pseudo-classes with their arguments (one level
# of nested parentheses), other pseudo-classes and elements, attribute tests.
FUNCTIONAL = re.compile(r"::?[a-zA-Z-]+\((?:[^()]|\([^()]*\))*\)")
PSEUDO = re.compile(r"::?[a-zA-Z-]+")
ATTRIBUTE = re.compile(r"\[[^\]]*\]")
CLASS = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
ID = re.compile(r"#(-?[_a-zA-Z][\w-]*)")
TYPE = re.compile(r"(?:^|[\s>+~])([a-zA-Z][a-zA-Z0-9-]*)")
VAR = re.compile(r"var\(\s*(--[\w-]+)")
CUT_INSIDE = {"media", "supports"}
KEYFRAMES = re.compile(r"^(-[a-z]+-)?keyframes$")


class Group(list):
    """The kept rules inside a ``@media`` or ``@supports`` rule."""


class Page:
    """The classes, ids and element names a page's HTML has."""

    def __init__(self, html: str):
        self.classes = {c for value in CLASS_ATTRIBUTE.findall(html) for c in value.split()}
        self.ids = set(ID_ATTRIBUTE.findall(html))
        self.elements = {e.lower() for e in ELEMENT.findall(html)} | {"html", "body"}

    def may_match(self, selector: str) -> bool:
        plain = ATTRIBUTE.sub("", PSEUDO.sub("", FUNCTIONAL.sub("", selector)))
        return (set(CLASS.findall(plain)) <= self.classes
                and set(ID.findall(plain)) <= self.ids
                and {t.lower() for t in TYPE.findall(plain)} <= self.elements)


def selector_list(prelude: str) -> list[str]:
    """The selectors of a list, split at the commas outside parentheses."""
    selectors, depth, start = [], 0, 0
    for i, char in enumerate(prelude):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            selectors.append(prelude[start:i].strip())
            start = i + 1
    return selectors + [prelude[start:].strip()]


@functools.cache
def _parse(css: str) -> tuple:
    return tuple(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True))


def _kept_rules(rules, page: Page) -> list[str]:
    """The serialized rules of ``rules`` that may apply to ``page``."""
    kept = []
    for rule in rules:
        if rule.type == "qualified-rule":
            # A selector list is kept whole: a browser drops a list with one
            # selector it cannot parse (::-moz-selection), and so should we.
            prelude = tinycss2.serialize(rule.prelude).strip()
            if any(page.may_match(s) for s in selector_list(prelude)):
                kept.append((prelude, rule.content))
        elif rule.type == "at-rule" and rule.lower_at_keyword in CUT_INSIDE:
            inner = tinycss2.parse_rule_list(rule.content or [], skip_comments=True,
                                             skip_whitespace=True)
            body = _kept_rules(inner, page)
            if body:
                kept.append((f"@{rule.at_keyword} {tinycss2.serialize(rule.prelude).strip()}",
                             Group(body)))
        elif rule.type == "at-rule":
            kept.append(rule)
    return kept


def _declarations(content) -> list:
    return [d for d in tinycss2.parse_declaration_list(content or [], skip_comments=True,
                                                       skip_whitespace=True)
            if d.type == "declaration"]


def _walk(kept):
    """Every (prelude, content) qualified rule in ``kept``, inside at-rules too."""
    for item in kept:
        if isinstance(item, tuple) and isinstance(item[1], Group):
            yield from _walk(item[1])
        elif isinstance(item, tuple):
            yield item


def _needed_properties(kept) -> set[str]:
    """Custom properties the kept rules read, following properties through others."""
    defined: dict[str, set[str]] = {}
    needed: set[str] = set()
    for _, content in _walk(kept):
        for d in _declarations(content):
            refs = set(VAR.findall(tinycss2.serialize(d.value)))
            if d.name.startswith("--"):
                defined.setdefault(d.name, set()).update(refs)
            else:
                needed |= refs
    for item in kept:  # at-rules kept whole, at the top level or inside groups
        if not isinstance(item, tuple):
            needed |= set(VAR.findall(item.serialize()))
        elif isinstance(item[1], Group):
            needed |= {v for i in item[1] if not isinstance(i, tuple)
                       for v in VAR.findall(i.serialize())}
    todo = list(needed)
    while todo:
        for ref in defined.get(todo.pop(), ()):
            if ref not in needed:
                needed.add(ref)
                todo.append(ref)
    return needed


def _write(kept, needed: set[str], names_used: str) -> list[str]:
    out = []
    for item in kept:
        if not isinstance(item, tuple):
            if not (KEYFRAMES.match(item.lower_at_keyword) and
                    tinycss2.serialize(item.prelude).strip() not in names_used):
                out.append(item.serialize())
            continue
        prelude, content = item
        if isinstance(content, Group):
            body = _write(content, needed, names_used)
            if body:
                out.append(prelude + "{" + "".join(body) + "}")
            continue
        declarations = [f"{d.name}:{tinycss2.serialize(d.value).strip()}"
                        + ("!important" if d.important else "")
                        for d in _declarations(content)
                        if not d.name.startswith("--") or d.name in needed]
        if declarations:
            out.append(prelude + "{" + ";".join(declarations) + "}")
    return out


def used_by_each(sheets: tuple[str, ...], html: str) -> dict[str, str]:
    """Each of a page's stylesheets without the rules and custom properties
    ``html`` cannot use, keyed by the stylesheet's text.

    The sheets are cut together: a custom property one of them defines may be
    read by rules of another (a theme's colours). Each sheet is read once.
    """
    page = Page(html)
    kept = {css: _kept_rules(_parse(css), page) for css in dict.fromkeys(sheets)}
    needed = _needed_properties([rule for rules in kept.values() for rule in rules])
    cut = {}
    for css, rules in kept.items():
        names_used = " ".join(tinycss2.serialize(content) for _, content in _walk(rules)
                              if "animation" in tinycss2.serialize(content))
        body = "\n".join(_write(rules, needed, names_used))
        cut[css] = body + "\n" if body else ""
    return cut


def used_by(css: str, html: str, together: tuple[str, ...] = ()) -> str:
    """``css`` without the rules and custom properties ``html`` cannot use;
    ``together`` are the page's other stylesheets (see `used_by_each`)."""
    return used_by_each((css, *together), html)[css]
