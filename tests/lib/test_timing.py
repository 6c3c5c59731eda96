"""bl.timing: the fastest-round ratio that notebook claims use, on made-up times (no clock involved)."""

import numpy as np
import pytest

import backprop_lib as bl


def test_fastest_and_best_ratio_use_the_fastest_round_of_each():
    t = bl.timing.Timings({"slow": [9.0, 4.0, 6.0], "fast": [1.0, 3.0, 2.0]}, baseline="fast")
    assert t.fastest("slow") == 4.0 and t.fastest("fast") == 1.0
    assert t.best_ratio("slow") == 4.0 == t.best_ratio("slow", "fast")
    assert t.speedup("slow", "fast") == pytest.approx(3.0)  # median of the per-round ratios 9, 4/3, 3


def test_a_busy_round_cannot_lower_the_best_ratio():
    quiet = bl.timing.Timings({"slow": [10.0] * 5, "fast": [1.0] * 5}, baseline="fast")
    busy = bl.timing.Timings({"slow": [10.0, 30.0, 10.0, 25.0, 40.0], "fast": [1.0, 6.0, 4.0, 1.0, 9.0]},
                             baseline="fast")
    assert busy.best_ratio("slow") == quiet.best_ratio("slow") == 10.0
    assert busy.speedup("slow", "fast") < 10  # the median of per-round ratios is pulled down


def test_compare_returns_timings_with_every_round():
    t = bl.timing.compare({"a": lambda: sum(range(50)), "b": lambda: None}, rounds=3, target=1e-4)
    assert t.names == ["a", "b"] and all(len(v) == 3 for v in t.times.values())
    assert np.isfinite(t.best_ratio("b", "a")) and t.best_ratio("a", "a") == 1.0
