"""The architectures an artifact may name: a registry written in code, not in files.

A manifest says which architecture to build by *name*. The loader looks that
name up in `ARCHITECTURES` and nowhere else, so an artifact cannot make it
import a module or call a function of the artifact's choosing: the worst a
manifest can do is name something that is not here, and be refused.

Each entry declares the keyword arguments it may be built with and their
ranges (`Ints`, `Floats`), so a manifest cannot ask for a billion channels;
and it lists the functions and classes whose code defines the architecture.
`Architecture.source_sha256` hashes their source text; the artifact records
that hash when it is saved, and loading it under different code is refused
unless the caller opts in (see `snippets.artifact`).

To ship a new kind of model, add an entry here, with a test.
"""

import hashlib
import inspect
import reprlib
from collections.abc import Callable
from dataclasses import dataclass, field

from torch import nn

from snippets.convnet import Net, block


# --8<-- [start:registry]
@dataclass(frozen=True)
class Ints:
    """A whole number in [low, high]; with ``length``, a list of such numbers
    whose length lies in [length[0], length[1]]."""
    low: int
    high: int
    length: tuple | None = None

    def fits(self, value) -> bool:
        if self.length is None:
            return _int(value) and self.low <= value <= self.high
        return (isinstance(value, list)
                and self.length[0] <= len(value) <= self.length[1]
                and all(Ints(self.low, self.high).fits(v) for v in value))

    def __str__(self):
        if self.length is None:
            return f"an integer in [{self.low}, {self.high}]"
        return (f"a list of {self.length[0]} to {self.length[1]} integers "
                f"in [{self.low}, {self.high}]")


@dataclass(frozen=True)
class Floats:
    """A number in [low, high]."""
    low: float
    high: float

    def fits(self, value) -> bool:
        return (_int(value) or isinstance(value, float)) and \
            self.low <= value <= self.high

    def __str__(self):
        return f"a number in [{self.low:g}, {self.high:g}]"


def _int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Architecture:
    build: Callable[..., nn.Module]  # called with the manifest's keyword arguments
    source: tuple                    # the functions and classes whose code defines it
    kwargs: dict = field(default_factory=dict)  # argument name -> Ints or Floats

    def check_kwargs(self, kwargs: dict) -> None:
        """Raise ValueError unless every argument is declared and in its range."""
        for key, value in kwargs.items():
            if key not in self.kwargs:
                allowed = ", ".join(self.kwargs) or "none"
                raise ValueError(f"kwargs.{key} is not an argument of this "
                                 f"architecture (allowed: {allowed})")
            if not self.kwargs[key].fits(value):
                raise ValueError(f"kwargs.{key} must be {self.kwargs[key]}, "
                                 f"got {reprlib.repr(value)}")

    def source_sha256(self) -> str:
        """SHA-256 of the source text of everything in ``source``, in order."""
        h = hashlib.sha256()
        for obj in self.source:
            h.update(inspect.getsource(obj).encode())
        return h.hexdigest()


ARCHITECTURES = {
    "digits-convnet": Architecture(
        build=Net, source=(block, Net),
        kwargs={"channels": Ints(1, 256, length=(1, 3)),  # 28 -> 14 -> 7 -> 3
                "n_classes": Ints(1, 1000), "dropout": Floats(0.0, 1.0)}),
}
# --8<-- [end:registry]
