import numpy as np
import pytest

import backprop_lib as bl


@pytest.fixture(scope="module")
def run():
    X, y = bl.datasets.sine_regression(40)
    model = bl.mlp([1, 8, 1], "sigmoid", loss=bl.MSE(), init="lecun", rng=0)
    snaps = [(0, model.forward(X).copy())]

    def keep(epoch, m, history):
        if epoch % 50 == 0:
            snaps.append((epoch, m.forward(X).copy()))

    history = model.fit(X, y, bl.SGD(0.1), epochs=200, progress=False, callback=keep)
    return X, y, snaps, history


def test_slider_starts_at_the_last_snapshot_and_redraws_when_moved(run):
    X, y, snaps, history = run
    box = bl.widgets.snapshot_slider(snaps, X, y, history=history)
    slider = box.controls["epoch"]
    assert [label for label, _ in slider.options] == ["0", "50", "100", "150", "200"]
    assert slider.value == 4 and "after 200 epochs" in box.status.value
    png = box.view.value
    assert png[:4] == b"\x89PNG"
    slider.value = 1
    assert box.view.value != png and "after 50 epochs" in box.status.value
    assert box.controls["play"].max == 4


def test_works_without_history_and_on_a_separate_curve_grid(run):
    X, y, snaps, _ = run
    grid = np.linspace(0, 1, 7)[:, None]
    curve_snaps = [(e, np.full((7, 1), float(e))) for e, _ in snaps]
    box = bl.widgets.snapshot_slider(curve_snaps, X, y, x_curve=grid)
    png = box.view.value
    box.controls["epoch"].value = 0
    assert box.view.value != png


def test_bad_snapshots_are_explained(run):
    X, y, snaps, _ = run
    with pytest.raises(ValueError, match="at least one"):
        bl.widgets.snapshot_slider([], X, y)
    with pytest.raises(ValueError, match=r"expected predictions of shape \(40,\)"):
        bl.widgets.snapshot_slider([(0, np.zeros(3))], X, y)
