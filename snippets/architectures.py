"""The architectures an artifact may name: a registry written in code, not in files.

A manifest says which architecture to build by *name*. The loader looks that
name up in `ARCHITECTURES` and nowhere else, so an artifact cannot make it
import a module or call a function of the artifact's choosing: the worst a
manifest can do is name something that is not here, and be refused.

Each entry also lists the functions and classes whose code defines the
architecture. `Architecture.source_sha256` hashes their source text; the
artifact records that hash when it is saved, and loading it under different
code is refused unless the caller opts in (see `snippets.artifact`).

To ship a new kind of model, add an entry here, with a test.
"""

import hashlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from snippets.convnet import Net, block


# --8<-- [start:registry]
@dataclass(frozen=True)
class Architecture:
    build: Callable[..., nn.Module]  # called with the manifest's keyword arguments
    source: tuple                    # the functions and classes whose code defines it

    def source_sha256(self) -> str:
        """SHA-256 of the source text of everything in ``source``, in order."""
        h = hashlib.sha256()
        for obj in self.source:
            h.update(inspect.getsource(obj).encode())
        return h.hexdigest()


ARCHITECTURES = {
    "digits-convnet": Architecture(build=Net, source=(block, Net)),
}
# --8<-- [end:registry]
