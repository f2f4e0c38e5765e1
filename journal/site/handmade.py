"""Pictures drawn by hand, marked on the page as not re-derived.

A post shows a checked notebook's figure only through ``{% embed %}``; any
other picture must be declared with the class ``journal-unverified``
(`journal.postcheck` fails the build otherwise). Here each declared picture
gets a line of text under it that says so, which readers and screen readers
get alike (a tooltip or a style alone would reach neither reliably).
"""

import re

from journal.postcheck import HANDMADE, PICTURE_TAG

MARK = "Drawn by the author: not re-derived by the journal's checks."
NOTE = f'<small class="journal-unverified-note">{MARK}</small>'
DECLARED = re.compile(PICTURE_TAG.pattern + r"""[^>]*\bclass\s*=\s*["'][^"']*(?<![\w-])"""
                      + HANDMADE + r"""(?![\w-])[^>]*>""", re.IGNORECASE)
VOID = {"img", "embed"}  # elements without a closing tag


def mark(html: str) -> str:
    """``html`` with `NOTE` after every declared picture (after its closing tag)."""
    out, last = [], 0
    for match in DECLARED.finditer(html):
        tag = match.group(1).lower()
        end = match.end()
        if tag not in VOID:
            close = re.compile(rf"</{tag}\s*>", re.IGNORECASE).search(html, end)
            end = close.end() if close else end
        if end < last:
            continue  # inside a picture already marked
        out += [html[last:end], NOTE]
        last = end
    out.append(html[last:])
    return "".join(out)
