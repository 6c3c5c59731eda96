import numpy as np
import pytest

from backprop_lib import datasets as ds


@pytest.mark.parametrize("fn", [ds.spiral, ds.vertical])
def test_seeded_through_the_argument_only(fn):
    before = np.random.get_state()[1].copy()
    a, b = fn(rng=3), fn(rng=3)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], fn(rng=4)[0])
    np.testing.assert_array_equal(before, np.random.get_state()[1])


def test_spiral_kinds_differ_only_in_the_angle():
    Xn, yn = ds.spiral(100, 3, kind="nnfs", rng=0)
    Xc, yc = ds.spiral(100, 3, kind="cs231n", rng=0)
    assert Xn.shape == Xc.shape == (300, 2)
    np.testing.assert_array_equal(yn, yc)
    np.testing.assert_array_equal(np.bincount(yn), [100, 100, 100])
    # same radii, different angles
    np.testing.assert_allclose(np.hypot(*Xn.T), np.hypot(*Xc.T), atol=1e-15)
    assert not np.allclose(Xn, Xc)


def test_cs231n_spiral_formula():
    rs = np.random.RandomState(0)
    X, y = ds.spiral(100, 3, kind="cs231n", rng=np.random.RandomState(0))
    for j in range(3):  # the case study's own loop
        r = np.linspace(0.0, 1, 100)
        t = np.linspace(j * 4, (j + 1) * 4, 100) + rs.randn(100) * 0.2
        np.testing.assert_array_equal(X[j * 100:(j + 1) * 100], np.c_[r * np.sin(t), r * np.cos(t)])


def test_nnfs_vertical_and_sine_match_the_book():
    nnfs_ds = pytest.importorskip("nnfs.datasets")
    state = np.random.get_state()
    try:
        np.random.seed(0)
        Xb, yb = nnfs_ds.vertical_data(samples=100, classes=3)
    finally:
        np.random.set_state(state)
    X, y = ds.vertical(100, 3, rng=np.random.RandomState(0))
    np.testing.assert_array_equal(X, Xb)
    np.testing.assert_array_equal(y, yb)
    Xs, ys = ds.sine()
    Xsb, ysb = nnfs_ds.sine_data()
    np.testing.assert_array_equal(Xs, Xsb)
    np.testing.assert_array_equal(ys, ysb)


def test_sine_regression():
    X, y = ds.sine_regression(100)
    assert X.shape == y.shape == (100, 1)
    np.testing.assert_allclose(y, 20 * np.sin(2 * np.pi * X))
    assert X[0, 0] == 0.0 and X[-1, 0] == pytest.approx(0.99)
    Xn, yn = ds.sine_regression(100, noise=1.0, rng=0)
    assert 0.5 < np.std(yn - y) < 1.5


def test_float32_data():
    X, y = ds.spiral(10, 2, dtype=np.float32)
    assert X.dtype == np.float32 and np.issubdtype(y.dtype, np.integer)


def test_iris_ships_with_the_package():
    data = ds.iris()
    assert data.X.shape == (150, 4) and data.y.shape == (150,)
    np.testing.assert_array_equal(np.bincount(data.y), [50, 50, 50])
    assert data.class_names == ("setosa", "versicolor", "virginica")
    np.testing.assert_allclose(data.X.mean(axis=0), [5.8433, 3.0573, 3.758, 1.1993], atol=1e-4)
    np.testing.assert_array_equal(data.X[0], [5.1, 3.5, 1.4, 0.2])


def test_train_test_split_is_disjoint_and_complete():
    X = np.arange(100.0)[:, None]
    y = np.arange(100)
    Xtr, Xte, ytr, yte = ds.train_test_split(X, y, 0.2, rng=0)
    assert len(Xte) == 20 and len(Xtr) == 80
    assert not set(ytr) & set(yte)
    assert sorted(np.r_[ytr, yte]) == list(range(100))
    np.testing.assert_array_equal(Xtr[:, 0], ytr)


def test_standardizer_uses_training_statistics_only(rng):
    Xtr = rng.normal(5, 2, (50, 3))
    Xte = rng.normal(5, 2, (10, 3)) + 100
    s = ds.Standardizer().fit(Xtr)
    np.testing.assert_allclose(s.transform(Xtr).mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(s.transform(Xtr).std(axis=0), 1)
    assert s.transform(Xte).mean() > 10  # the test data is not re-centred on itself
    with pytest.raises(RuntimeError, match="call fit"):
        ds.Standardizer().transform(Xtr)
    with pytest.raises(ValueError, match=r"expected X with 3 columns"):
        s.transform(np.ones((2, 2)))
