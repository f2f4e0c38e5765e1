"""The table the benchmark scripts print: measure, value, target, met."""


def table(rows: list[dict], value_header: str = "value") -> str:
    """Rows of ``{"name", "value", "target", "ok"}`` as aligned plain text."""
    cells = [("measure", value_header, "target", "met")] + [
        (r["name"], r["value"], r["target"] or "", "" if r["ok"] is None
         else ("yes" if r["ok"] else "NO")) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(4)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(line, widths)) for line in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
