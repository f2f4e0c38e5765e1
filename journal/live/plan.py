"""Which cells of a notebook can run in the reader's browser, decided at build time.

A cell is left out, with the reason shown in its place, when it imports torch
(directly or through a `snippets` module) or another library the browser lacks
(`UNAVAILABLE`), or reads a name a left-out cell set; a left-out cell's other
imports still run. Read from the source with `ast`, so the plan does not depend
on what is installed. See the site's "How the site is made" page.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

from journal import paths
from journal.errors import NotebookError

BROWSER_PACKAGES = ("numpy", "scikit-learn", "matplotlib")
# Libraries the browser's Python lacks, with the name a reason gives each.
UNAVAILABLE = {"torch": "PyTorch", "cleanlab": "cleanlab"}


@dataclass(frozen=True)
class CellPlan:
    index: int                 # position among all the notebook's cells
    code_index: int            # position among its code cells (as errors count)
    runs: bool
    why: str = ""              # why a cell is left out
    imports: str = ""          # a left-out cell's imports that still run


def _imports(tree: ast.AST) -> list[tuple[str, list[str]]]:
    """(module, names imported from it) for every import anywhere in ``tree``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def _top_module(name: str) -> str:
    return name.split(".")[0]


@dataclass
class SnippetsIndex:
    """What of `snippets` needs torch: whole modules, and single names."""

    modules: set[str]
    names: dict[str, set[str]]          # module -> names with a torch import inside

    @classmethod
    def read(cls, snippets: Path) -> "SnippetsIndex":
        top_level: dict[str, list[str]] = {}
        inner: dict[str, set[str]] = {}
        for path in sorted(snippets.glob("*.py")):
            module = f"snippets.{path.stem}"
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            top_level[module] = [m for stmt in tree.body
                                 if isinstance(stmt, (ast.Import, ast.ImportFrom))
                                 for m, _ in _imports(stmt)]
            inner[module] = {stmt.name for stmt in tree.body
                             if isinstance(stmt, (ast.FunctionDef, ast.ClassDef))
                             and any(_top_module(m) in UNAVAILABLE
                                     for m, _ in _imports(stmt))}
        needs = {m for m, deps in top_level.items()
                 if any(_top_module(d) in UNAVAILABLE for d in deps)}
        changed = True
        while changed:  # a module importing a torch module needs torch too
            changed = False
            for module, deps in top_level.items():
                if module not in needs and any(d in needs for d in deps):
                    needs.add(module)
                    changed = True
        return cls(needs, inner)

    def browser_modules(self) -> list[str]:
        """The snippets modules a browser can import."""
        return sorted(m for m in self.names if m not in self.modules)


def _assigned(tree: ast.AST) -> set[str]:
    """Names a cell binds other than by importing (assignments, defs, loops)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
    return names


def _imported(stmt: ast.stmt) -> set[str]:
    return {(a.asname or a.name).split(".")[0] for a in stmt.names}


def _used(tree: ast.AST) -> set[str]:
    """Names a cell reads that it does not bind itself."""
    loaded = {node.id for node in ast.walk(tree)
              if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    bound = _assigned(tree) | {name for stmt in ast.walk(tree)
                               if isinstance(stmt, (ast.Import, ast.ImportFrom))
                               for name in _imported(stmt)}
    return loaded - bound


def _torch_reason(tree: ast.AST, index: SnippetsIndex) -> str:
    for module, names in _imports(tree):
        if _top_module(module) in UNAVAILABLE:
            return f"imports {module}, which does not run in the browser"
        if module in index.modules:
            return f"imports {module}, which needs PyTorch"
        for name in names:
            if name in index.names.get(module, ()):
                return f"uses {module}.{name}, which needs PyTorch"
    return ""


def _parse(source: str, where: str | None, code_index: int) -> tuple[ast.Module, bool]:
    """A cell's syntax tree, and whether it needed IPython's syntax (magics,
    shell escapes) to parse; IPython's own transformer reads those."""
    try:
        return ast.parse(source), False
    except SyntaxError as err:
        try:
            from IPython.core.inputtransformer2 import TransformerManager
            return ast.parse(TransformerManager().transform_cell(source)), True
        except (ImportError, SyntaxError):
            raise NotebookError(f"cell does not parse: {err.msg}", file=where,
                                cell=code_index) from err


def plan(notebook: dict, snippets: Path, path: Path | None = None,
         index: SnippetsIndex | None = None) -> list[CellPlan]:
    """One `CellPlan` per code cell, in order (``index``: `snippets` read already)."""
    index = index or SnippetsIndex.read(snippets)
    where = paths.display_path(path) if path else None
    missing: dict[str, str] = {}        # name -> why it is not there in the browser
    plans = []
    code_cells = [(i, c) for i, c in enumerate(notebook.get("cells", []))
                  if c.get("cell_type") == "code"]
    for code_index, (i, cell) in enumerate(code_cells):
        source = "".join(cell.get("source", ""))
        tree, ipython = _parse(source, where, code_index)
        if ipython:  # `%matplotlib inline` and the like: Jupyter's, not Python's
            for name in _assigned(tree):
                missing[name] = f"which code cell {code_index + 1} sets with IPython syntax"
            plans.append(CellPlan(i, code_index, False, "uses IPython syntax (magics), "
                                  "which the browser's kernel does not run"))
            continue
        why = _torch_reason(tree, index)
        lacking = next((UNAVAILABLE[_top_module(m)] for m, _ in _imports(tree)
                        if _top_module(m) in UNAVAILABLE), "PyTorch")
        if not why:
            needed = sorted(n for n in _used(tree) if n in missing)
            if needed:
                why = f"uses {needed[0]}, {missing[needed[0]]}"
        imports = [stmt for stmt in tree.body if isinstance(stmt, (ast.Import, ast.ImportFrom))]
        if why:
            for name in _assigned(tree):
                missing[name] = f"which code cell {code_index + 1} sets with {lacking}"
            for stmt in imports:
                for name in _imported(stmt):
                    if not _torch_reason(stmt, index):
                        missing.pop(name, None)
                    else:
                        missing[name] = "which does not run in the browser"
            kept = "\n".join(ast.unparse(s) for s in imports if not _torch_reason(s, index))
            plans.append(CellPlan(i, code_index, False, why, kept))
        else:
            for name in _assigned(tree) | {n for s in imports for n in _imported(s)}:
                missing.pop(name, None)
            plans.append(CellPlan(i, code_index, True))
    return plans
