"""Running a project's notebook in the reader's own browser, with nothing but the site.

The "Run in your browser" control executes notebook cells with Pyodide (CPython
compiled to WebAssembly), served from the site itself rather than a CDN. This
package holds what that needs at build time: `journal.live.dist` fetches the
pinned Pyodide runtime and the scientific packages, checks every file against
Pyodide's own lock file, and installs the verified files into the built site.
"""
