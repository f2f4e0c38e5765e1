"""The architecture registry: names map to code, and the source hash follows it."""

from snippets.architectures import ARCHITECTURES, Architecture
from snippets.convnet import Net, block


def test_registry_builds_the_convnet():
    model = ARCHITECTURES["digits-convnet"].build(channels=[8, 16], n_classes=10)
    assert isinstance(model, Net)


def test_source_hash_is_stable_and_depends_on_the_code():
    entry = ARCHITECTURES["digits-convnet"]
    assert entry.source_sha256() == Architecture(Net, (block, Net)).source_sha256()
    assert len(entry.source_sha256()) == 64
    assert Architecture(Net, (Net,)).source_sha256() != entry.source_sha256()
    assert Architecture(Net, (Net, block)).source_sha256() != entry.source_sha256()
