"""A shipped model behind a small service: a versioned home, checked requests, an alarm.

`snippets.artifact` makes a folder that can be trusted; this module is what a
program around it adds:

- `ArtifactStore`: one home for artifacts, ``<root>/<name>/<version>/``. A
  version is published once and never overwritten; loading names the version.
- `InputMonitor`: what the training images looked like, batch by batch (the
  share of each image that is ink), and a warning when a request's batch falls
  outside that range. `Predictor.validate` refuses malformed input; this
  notices well-formed input of a different kind, which no check on shape,
  type or range can.
- `DigitService.handle`: one request in, one JSON-ready answer out, naming the
  model version that gave it; bad input becomes an error answer, not a crash.

Used by projects/serving-a-model.
"""

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from snippets.artifact import ArtifactError, InputError, Predictor

INK = 0.5  # a pixel at least half dark counts as ink


# --8<-- [start:store]
class ArtifactStore:
    """Artifacts kept as ``root/<name>/<version>/``, each version written once."""

    def __init__(self, root):
        self.root = Path(root)

    def publish(self, folder) -> Path:
        """Copy a checked artifact folder to its versioned home; returns that home."""
        manifest = Predictor.load(folder).manifest  # only what loads is published
        home = self.root / manifest["name"] / manifest["version"]
        if home.exists():
            raise ArtifactError(f"{manifest['name']} {manifest['version']}: already "
                                f"published; a new model gets a new version")
        home.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(folder, home)
        return home

    def versions(self, name: str) -> list[str]:
        folder = self.root / name
        return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []

    def load(self, name: str, version: str) -> Predictor:
        if version not in self.versions(name):
            raise ArtifactError(f"{name} {version}: not in the store (published: "
                                f"{', '.join(self.versions(name)) or 'none'})")
        return Predictor.load(self.root / name / version)
# --8<-- [end:store]


# --8<-- [start:monitor]
def ink_share(x: np.ndarray) -> np.ndarray:
    """The share of each image's pixels that are ink: (N, ...) -> (N,)."""
    return (x.reshape(len(x), -1) >= INK).mean(axis=1)


@dataclass
class InputMonitor:
    """The range of a batch's mean ink share seen in training, with a margin."""

    low: float
    high: float
    batch_size: int

    @classmethod
    def fit(cls, X_train, batch_size=64, n_batches=200, seed=0, margin=0.5):
        """Draw ``n_batches`` training batches; widen their range by ``margin``
        of its width on each side."""
        rng = np.random.default_rng(seed)
        share = ink_share(X_train)
        means = [share[rng.choice(len(share), batch_size, replace=False)].mean()
                 for _ in range(n_batches)]
        width = max(means) - min(means)
        return cls(min(means) - margin * width, max(means) + margin * width,
                   batch_size)

    def check(self, x) -> list[str]:
        """Warnings for a batch (none for fewer images than a training batch)."""
        if len(x) < self.batch_size:
            return []
        mean = float(ink_share(x).mean())
        if not self.low <= mean <= self.high:
            return [f"mean ink share {mean:.3f} is outside the training range "
                    f"[{self.low:.3f}, {self.high:.3f}]; these images may not be "
                    f"like the ones the model learned from"]
        return []
# --8<-- [end:monitor]


# --8<-- [start:service]
class DigitService:
    """A predictor and a monitor behind one function that never raises on input."""

    def __init__(self, predictor: Predictor, monitor: InputMonitor):
        self.predictor = predictor
        self.monitor = monitor
        manifest = predictor.manifest
        self.model = f"{manifest['name']}@{manifest['version']}"

    def handle(self, images) -> dict:
        try:
            x = self.predictor.validate(images)
        except InputError as err:
            return {"status": 400, "model": self.model, "error": str(err)}
        return {"status": 200, "model": self.model,
                "labels": self.predictor.predict(x),
                "warnings": self.monitor.check(x)}
# --8<-- [end:service]
