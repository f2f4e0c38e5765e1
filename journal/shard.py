"""Split the notebooks into shards of about equal recorded run time.

CI can verify notebooks on several runners at once; each runner asks for its
share with ``journal shard --count N --index I`` and passes the printed paths
to ``make test``. Shards are balanced with the longest-first greedy rule on the
wall time each notebook's provenance stamp recorded (notebooks never run count
as the slowest recorded one, so a new notebook does not pile onto one shard).
"""

from pathlib import Path

from journal import paths, provenance
from journal.nbfile import read as read_notebook

UNKNOWN_S = 60.0


def recorded_seconds(path: Path) -> float | None:
    prov = provenance.recorded(read_notebook(path)).get("provenance", {})
    seconds = prov.get("wall_seconds")
    return float(seconds) if seconds is not None else None


def plan(notebooks: list[Path], count: int) -> list[list[Path]]:
    """``count`` lists of notebooks whose recorded times are balanced."""
    if count < 1:
        raise ValueError(f"shard count must be at least 1, got {count}")
    known = {p: recorded_seconds(p) for p in notebooks}
    fallback = max([s for s in known.values() if s is not None], default=UNKNOWN_S)
    cost = {p: (s if s is not None else fallback) for p, s in known.items()}
    shards: list[list[Path]] = [[] for _ in range(count)]
    totals = [0.0] * count
    for path in sorted(notebooks, key=lambda p: (-cost[p], str(p))):
        k = totals.index(min(totals))
        shards[k].append(path)
        totals[k] += cost[path]
    return [sorted(s) for s in shards]


def shard(index: int, count: int, notebooks: list[Path] | None = None) -> list[Path]:
    if not 0 <= index < count:
        raise ValueError(f"shard index must be in 0..{count - 1}, got {index}")
    notebooks = paths.project_notebooks() if notebooks is None else notebooks
    return plan(notebooks, count)[index]
