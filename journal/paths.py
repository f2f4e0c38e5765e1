"""Where things live in the repository (one place, so nothing else hard-codes it)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTS = ROOT / "posts"
PROJECTS = ROOT / "projects"
SNIPPETS = ROOT / "snippets"
JOURNAL = ROOT / "journal"
TESTS = ROOT / "tests"
SANITIZE_FILE = ROOT / "journal" / "sanitize.cfg"
LOCK_FILE = ROOT / "requirements.lock"


def project_notebooks(root: Path = PROJECTS) -> list[Path]:
    """Every project notebook, sorted, checkpoints excluded."""
    return sorted(
        p for p in root.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
    )


def display_path(path: Path) -> str:
    """A path relative to the repository root when it is inside it."""
    path = Path(path).resolve()
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)
