"""Links into the journal's repository, every one derived from mkdocs.yml's ``repo_url``.

A ``repo:PATH`` link target in a post or page, such as ``repo:snippets/data.py``,
becomes that file's page on the forge (``<repo_url>/blob/main/snippets/data.py``);
`journal.postcheck` checks that the file exists. The re-run box's clone command
comes from here too. See pages/site.md, "Configuring, and forking".
"""

import posixpath
from urllib.parse import urlsplit

from journal import markdown_source

BRANCH = "main"  # the branch the site is published from (.github/workflows/pages.yml)
SCHEME = markdown_source.REPO_SCHEME


def file_url(repo_url: str, path: str) -> str:
    """The forge's page of a file in the repository."""
    return f"{repo_url.rstrip('/')}/blob/{BRANCH}/{path.lstrip('/')}"


def clone_url(repo_url: str) -> str:
    return repo_url.rstrip("/") + ".git"


def folder_name(repo_url: str) -> str:
    """The folder ``git clone`` makes: the repository's name."""
    return posixpath.basename(urlsplit(repo_url).path.rstrip("/")).removesuffix(".git")


def expand_links(markdown: str, repo_url: str | None) -> str:
    """Every ``repo:PATH`` link target outside code, as the file's forge URL."""
    if SCHEME not in markdown:
        return markdown
    pieces, last = [], 0
    for link in markdown_source.links(markdown):
        if not link.target.startswith(SCHEME):
            continue
        if repo_url is None:
            raise ValueError("a repo: link needs repo_url in mkdocs.yml")
        pieces += [markdown[last:link.start],
                   file_url(repo_url, link.target.removeprefix(SCHEME))]
        last = link.end
    pieces.append(markdown[last:])
    return "".join(pieces)
