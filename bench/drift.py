"""How long the drift check takes (``make drift``), and where the time goes.

    .venv/bin/python bench/drift.py            # prints the rows, and the JSON

Runs ``journal drift`` as ``make drift`` does (venvs under ``.cache/drift/``: the
first run installs them, later runs reuse them while their versions stay the
same) and reads the phases from the report it writes: per set of versions the
resolution and install, the verification, and the one-upgrade-at-a-time search
for the package that moved a result. ``measure`` returns the numbers, ``rows``
the lines for the benchmark table (no target: the time grows with the
notebooks and with how much moved).
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from journal import drift, paths, verification


def measure(threads: int = 1) -> dict:
    """Wall time of one ``journal drift`` run and the phases its report records."""
    journal = str(Path(sys.executable).with_name("journal"))
    start = time.perf_counter()
    done = subprocess.run([journal, "drift", f"--threads={threads}"], cwd=paths.ROOT,
                          capture_output=True, text=True, env=os.environ)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        return {"seconds": round(seconds, 1), "error": done.stderr.strip()[-500:]}
    result = from_report(drift.load_report())
    result.update(seconds=round(seconds, 1), threads=threads, cores=os.cpu_count())
    return result


def from_report(report: dict | None) -> dict | None:
    """The phases of a drift check from its report (None: no check has run).
    ``make bench`` reads the last report rather than spend half an hour on a new
    check; ``bench/run.py --drift`` (or this script) runs one."""
    if report is None:
        return None
    sets = {kind: {k: info.get(k) for k in ("available", "install_s", "seconds",
                                             "attribution_s")}
            for kind, info in report["sets"].items() if kind != drift.LOCK}
    notebooks = report["notebooks"]
    return {"seconds": report.get("seconds"), "date": (report.get("date") or "")[:10],
            "cores": report.get("cores"), "notebooks": len(notebooks), "sets": sets,
            "drifted": {kind: sum(bool(e["moves"].get(kind)) for e in notebooks.values())
                        for kind in sets}}


def rows(result: dict | None) -> list[dict]:
    if result is None:
        return [{"name": "drift check (make drift)", "value": "not measured: no "
                 "reports/drift.json (run `make drift`)", "target": None, "ok": None}]
    if "error" in result:
        return [{"name": "drift check (make drift)", "value": f"failed after "
                 f"{result['seconds']:.0f} s: {result['error']}", "target": None, "ok": None}]
    cores = f", {result['cores']} cores" if result.get("cores") else ""
    when = f" (check of {result['date']})" if result.get("date") else ""
    out = [{"name": f"drift check (make drift), {result['notebooks']} notebooks{cores}",
            "value": f"{result['seconds']:.0f} s{when}", "target": None, "ok": None}]
    for kind, s in result["sets"].items():
        if not s["available"]:
            value = "unavailable (see reports/drift.json)"
        else:
            value = (f"resolve and install {s['install_s']:.0f} s, verify "
                     f"{s['seconds'] - s['install_s']:.0f} s, "
                     f"{result['drifted'][kind]} notebook(s) moved")
            if s.get("attribution_s") is not None:
                value += f", attribution {s['attribution_s']:.0f} s"
        out.append({"name": f"  {drift.TITLES[kind]}", "value": value, "target": None,
                    "ok": None})
    return out


def main() -> int:
    result = measure()
    print(json.dumps(result, indent=2))
    for r in rows(result):
        print(f"{r['name']}: {r['value']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
