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
from dataclasses import dataclass

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


class Rule:
    """A qualified rule, read once per stylesheet: its selector list as written
    and what each selector needs of a page; its declarations are read when a
    page first keeps it."""

    def __init__(self, prelude: str, content: list):
        self.prelude = prelude
        self.needs = tuple(selector_needs(s) for s in selector_list(prelude))
        self.content = content

    @functools.cached_property
    def declarations(self) -> tuple[tuple[str, str, frozenset], ...]:
        """(name, ``name:value[!important]``, the custom properties it reads)."""
        found = []
        for d in tinycss2.parse_declaration_list(self.content or [], skip_comments=True,
                                                 skip_whitespace=True):
            if d.type == "declaration":
                value = tinycss2.serialize(d.value)
                found.append((d.name, f"{d.name}:{value.strip()}"
                              + ("!important" if d.important else ""),
                              frozenset(VAR.findall(value))))
        return tuple(found)

    @functools.cached_property
    def text(self) -> str:
        """The block as written (for the animations it names)."""
        return tinycss2.serialize(self.content or [])


@dataclass(frozen=True)
class AtGroup:
    """A ``@media`` or ``@supports`` rule, its inside read as rules of its own
    (in a page's cut, the ones the page keeps)."""

    prelude: str
    rules: tuple


class Page:
    """The classes, ids and element names a page's HTML has."""

    def __init__(self, html: str):
        self.classes = {c for value in CLASS_ATTRIBUTE.findall(html) for c in value.split()}
        self.ids = set(ID_ATTRIBUTE.findall(html))
        self.elements = {e.lower() for e in ELEMENT.findall(html)} | {"html", "body"}

    def meets(self, needs: tuple[frozenset, frozenset, frozenset]) -> bool:
        classes, ids, elements = needs
        return classes <= self.classes and ids <= self.ids and elements <= self.elements


def selector_needs(selector: str) -> tuple[frozenset, frozenset, frozenset]:
    """The classes, ids and element names ``selector`` names outside pseudo-classes
    and attribute tests: a page lacking one cannot match it."""
    plain = ATTRIBUTE.sub("", PSEUDO.sub("", FUNCTIONAL.sub("", selector)))
    return (frozenset(CLASS.findall(plain)), frozenset(ID.findall(plain)),
            frozenset(t.lower() for t in TYPE.findall(plain)))


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
def _rules(css: str) -> tuple:
    """``css`` read once per process: `Rule`, `AtGroup` and other at-rules (kept whole)."""
    return _read(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True))


def _read(nodes) -> tuple:
    rules = []
    for node in nodes:
        if node.type == "qualified-rule":
            # A selector list is kept whole: a browser drops a list with one
            # selector it cannot parse (::-moz-selection), and so should we.
            rules.append(Rule(tinycss2.serialize(node.prelude).strip(), node.content))
        elif node.type == "at-rule" and node.lower_at_keyword in CUT_INSIDE:
            inside = tinycss2.parse_rule_list(node.content or [], skip_comments=True,
                                              skip_whitespace=True)
            rules.append(AtGroup(f"@{node.at_keyword} "
                                 f"{tinycss2.serialize(node.prelude).strip()}",
                                 _read(inside)))
        elif node.type == "at-rule":
            rules.append(node)
    return tuple(rules)


def _kept_rules(rules: tuple, page: Page) -> list:
    """The rules of ``rules`` that may apply to ``page``."""
    kept = []
    for rule in rules:
        if isinstance(rule, Rule):
            if any(page.meets(needs) for needs in rule.needs):
                kept.append(rule)
        elif isinstance(rule, AtGroup):
            inside = _kept_rules(rule.rules, page)
            if inside:
                kept.append(AtGroup(rule.prelude, tuple(inside)))
        else:
            kept.append(rule)
    return kept


def _walk(kept):
    """Every `Rule` and every at-rule kept whole in ``kept``, inside groups too."""
    for item in kept:
        if isinstance(item, AtGroup):
            yield from _walk(item.rules)
        else:
            yield item


def _needed_properties(kept) -> set[str]:
    """Custom properties the kept rules read, following properties through others."""
    defined: dict[str, set[str]] = {}
    needed: set[str] = set()
    for item in _walk(kept):
        if not isinstance(item, Rule):  # an at-rule kept whole
            needed |= set(VAR.findall(item.serialize()))
            continue
        for name, _, refs in item.declarations:
            if name.startswith("--"):
                defined.setdefault(name, set()).update(refs)
            else:
                needed |= refs
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
        if isinstance(item, AtGroup):
            body = _write(item.rules, needed, names_used)
            if body:
                out.append(item.prelude + "{" + "".join(body) + "}")
        elif isinstance(item, Rule):
            declarations = [text for name, text, _ in item.declarations
                            if not name.startswith("--") or name in needed]
            if declarations:
                out.append(item.prelude + "{" + ";".join(declarations) + "}")
        elif not (KEYFRAMES.match(item.lower_at_keyword) and
                  tinycss2.serialize(item.prelude).strip() not in names_used):
            out.append(item.serialize())
    return out


def used_by_each(sheets: tuple[str, ...], html: str) -> dict[str, str]:
    """Each of a page's stylesheets without the rules and custom properties
    ``html`` cannot use, keyed by the stylesheet's text.

    The sheets are cut together: a custom property one of them defines may be
    read by rules of another (a theme's colours). Each sheet is read once per
    process, whatever the number of pages.
    """
    page = Page(html)
    kept = {css: _kept_rules(_rules(css), page) for css in dict.fromkeys(sheets)}
    needed = _needed_properties([rule for rules in kept.values() for rule in rules])
    cut = {}
    for css, rules in kept.items():
        names_used = " ".join(rule.text for rule in _walk(rules)
                              if isinstance(rule, Rule) and "animation" in rule.text)
        body = "\n".join(_write(rules, needed, names_used))
        cut[css] = body + "\n" if body else ""
    return cut


def used_by(css: str, html: str, together: tuple[str, ...] = ()) -> str:
    """``css`` without the rules and custom properties ``html`` cannot use;
    ``together`` are the page's other stylesheets (see `used_by_each`)."""
    return used_by_each((css, *together), html)[css]
