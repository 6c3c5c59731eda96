"""Explicit randomness: the library never touches NumPy's global random state."""

import numpy as np


def as_rng(rng, where=None):
    """A seed (int), a `np.random.Generator` or a `np.random.RandomState` -> something with `standard_normal`.

    None gives a fresh, unseeded Generator. A RandomState is accepted so that a book's
    `np.random.seed(0)` stream can be replayed as `np.random.RandomState(0)`.
    """
    if rng is None or isinstance(rng, (int, np.integer)):
        return np.random.default_rng(rng)
    if isinstance(rng, (np.random.Generator, np.random.RandomState)):
        return rng
    prefix = f"{where}: " if where else ""
    raise TypeError(
        f"{prefix}rng: expected a seed (int), np.random.Generator or np.random.RandomState, got {type(rng).__name__}"
    )
