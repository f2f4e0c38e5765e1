"""Measurements of the journal and its site (run each module as a script)."""
