"""The built site publishes nothing private (journal/safety.py's site scan).

Uses the session's strict build (``site_dir`` in conftest.py); needs no browser.
"""

from journal import safety


def test_built_site_publishes_nothing_private(site_dir):
    assert (site_dir / "search" / "search_index.json").is_file()
    findings = safety.scan_site(site_dir)
    assert not findings, "\n".join(map(str, findings[:20]))
