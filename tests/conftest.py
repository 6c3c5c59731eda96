import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")  # tests draw off-screen (this process only: notebook kernels keep inline)

SHAPES = [(1, 1, 1), (2, 3, 4), (5, 4, 3), (7, 2, 6)]  # (N, D, H)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
