"""The service around an artifact: one home per version, error answers, the input alarm."""

import numpy as np
import pytest

from digits_artifact import save_random_digits
from snippets.artifact import ArtifactError
from snippets.serving import ArtifactStore, DigitService, InputMonitor, ink_share


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return save_random_digits(tmp_path_factory.mktemp("build") / "digits-v1", "1.0.0")


def test_a_version_is_published_once_and_loaded_by_name(built, tmp_path):
    store = ArtifactStore(tmp_path / "store")
    home = store.publish(built)
    assert home == tmp_path / "store" / "digits" / "1.0.0"
    assert store.versions("digits") == ["1.0.0"]
    with pytest.raises(ArtifactError, match="already published"):
        store.publish(built)
    assert store.load("digits", "1.0.0").manifest["version"] == "1.0.0"
    with pytest.raises(ArtifactError, match=r"2\.0\.0: not in the store \(published: "
                                            r"1\.0\.0\)"):
        store.load("digits", "2.0.0")


def test_a_damaged_folder_is_not_published(built, tmp_path):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(built, broken)
    (broken / "manifest.json").write_text("{}")
    store = ArtifactStore(tmp_path / "store")
    with pytest.raises(ArtifactError):
        store.publish(broken)
    assert store.versions("digits") == []


def test_the_monitor_warns_outside_the_training_range_only():
    rng = np.random.default_rng(0)
    X = (rng.random((500, 784)) < 0.2).astype(np.float32)  # about 20% ink
    monitor = InputMonitor.fit(X, batch_size=32, n_batches=50, seed=0)
    assert monitor.low < 0.2 < monitor.high
    assert monitor.check(X[:32]) == []
    assert monitor.check(1 - X[:32])  # about 80% ink
    assert monitor.check(1 - X[:31]) == []  # too few images to judge a batch
    np.testing.assert_allclose(ink_share(np.array([[0.0, 0.5, 0.9, 0.2]])), [0.5])


def test_bad_input_is_an_error_answer_naming_the_model(built, tmp_path):
    store = ArtifactStore(tmp_path / "store")
    store.publish(built)
    X = np.zeros((64, 784), dtype=np.float32)
    X[:, 300:400] = 1.0
    service = DigitService(store.load("digits", "1.0.0"),
                           InputMonitor.fit(X, batch_size=64, n_batches=5))
    answer = service.handle(X)
    assert answer["status"] == 200 and answer["model"] == "digits@1.0.0"
    assert len(answer["labels"]) == 64 and answer["warnings"] == []
    answer = service.handle(X * 255)
    assert answer["status"] == 400 and "must lie in [0, 1]" in answer["error"]
    assert service.handle(X[0].reshape(28, 28))["status"] == 400
