"""Other projects' internals are reached from journal/site/internals.py only, and
each one listed there is still where it was checked to be."""

import ast

from journal import paths
from journal.site import internals

ADAPTER = paths.JOURNAL / "site" / "internals.py"
# Packages whose private attributes and internal modules only the adapter may use.
OTHERS = ("mkdocs", "material", "pymdownx", "mkdocs_jupyter", "markdown", "markdown_it",
          "mdit_py_plugins")


def private_uses(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, what) for each private attribute read or set on an object other
    than ``self``/``cls`` (the journal's own ``_journal*`` names aside), and each
    import from Material's plugins."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") \
                and not node.attr.startswith("__") \
                and not node.attr.startswith("_journal") \
                and not (isinstance(node.value, ast.Name)
                         and node.value.id in ("self", "cls")):
            found.append((node.lineno, f"private attribute .{node.attr}"))
        modules = []
        if isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        for module in modules:
            top, _, rest = module.partition(".")
            if module.startswith("material.plugins") or top in OTHERS and any(
                    part.startswith("_") for part in rest.split(".")):
                found.append((node.lineno, f"import of {module}"))
                break
    return found


def imports_others(tree: ast.AST) -> bool:
    names = [a.name for node in ast.walk(tree) if isinstance(node, ast.Import)
             for a in node.names]
    names += [node.module for node in ast.walk(tree)
              if isinstance(node, ast.ImportFrom) and node.module]
    return any(name.split(".")[0] in OTHERS for name in names)


def scanned() -> dict:
    """The modules that handle those projects' objects: every module of the site
    package, and any other that imports one of them (the kernel-side modules,
    which handle matplotlib's and IPython's, are not scanned)."""
    found = {}
    for path in sorted(paths.JOURNAL.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if path != ADAPTER and (path.parent.name == "site" or imports_others(tree)):
            found[path] = tree
    return found


def test_no_module_but_the_adapter_reaches_into_other_projects():
    modules = scanned()
    assert paths.JOURNAL / "site" / "plugin.py" in modules
    assert paths.JOURNAL / "markdown_source.py" in modules
    found = [f"{paths.display_path(path)}:{line}: {what}"
             for path, tree in modules.items() for line, what in private_uses(tree)]
    assert not found, "only journal/site/internals.py may do this:\n" + "\n".join(found)


def test_the_scan_finds_what_it_looks_for():
    tree = ast.parse("from material.plugins.blog.structure import View\n"
                     "import mkdocs._private\n"
                     "page._title_from_render = 'x'\n"
                     "self._mine = page.title\n"
                     "config._journal_threads = 1\n")
    assert [line for line, _ in private_uses(tree)] == [1, 2, 3]


def test_every_internal_is_where_it_was_checked_to_be():
    assert not internals.problems(), "\n".join(internals.problems())


def test_a_moved_internal_is_reported_by_name(monkeypatch):
    gone = internals.Internal("Thing.gone", "mkdocs", ">=1.6,<1.7", "-", lambda: False)
    old = internals.Internal("Thing.old", "mkdocs", "<1.0", "-", lambda: True)
    monkeypatch.setattr(internals, "INTERNALS", [gone, old])
    found = internals.problems()
    assert len(found) == 2 and found[0].startswith("Thing.gone (mkdocs ")
    assert "checked against mkdocs<1.0" in found[1]


def test_stop_words_come_from_the_search_worker():
    words = internals.lunr_stop_words()
    assert {"the", "of", "and", "not"} <= words and "model" not in words
