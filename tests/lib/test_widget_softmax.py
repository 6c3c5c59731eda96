import ipywidgets as W
import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib.widgets.softmax import softmax_summary

PNG = b"\x89PNG"


def test_summary_matches_the_library():
    z = np.array([2.0, 1.0, 0.1, -1.0])
    s = softmax_summary(z, temperature=2.0)
    np.testing.assert_allclose(s["probs"], bl.softmax((z / 2.0)[None, :])[0])
    np.testing.assert_allclose(s["J"], bl.softmax_jacobian(s["probs"]))
    np.testing.assert_allclose(s["J"].sum(axis=1), 0, atol=1e-15)
    assert s["argmax"] == 0
    assert s["entropy"] == pytest.approx(-(s["probs"] * np.log(s["probs"])).sum())


def test_summary_of_equal_logits_is_uniform_with_the_largest_entropy():
    s = softmax_summary([0.5, 0.5, 0.5], temperature=0.3)
    np.testing.assert_allclose(s["probs"], 1 / 3)
    assert s["entropy"] == pytest.approx(np.log(3))
    np.testing.assert_allclose(np.diag(s["J"]), 1 / 3 - 1 / 9)


def test_summary_survives_a_saturated_softmax():
    s = softmax_summary([6.0, -6.0, -6.0], temperature=0.1)  # z / T = 60 and -60: probabilities near 0 and 1
    assert np.isfinite(s["entropy"]) and np.isfinite(s["J"]).all()
    assert np.abs(s["J"]).max() < 1e-20  # a saturated softmax passes (almost) no gradient


def test_bad_arguments_say_what_was_expected():
    with pytest.raises(ValueError, match="temperature > 0"):
        softmax_summary([1.0, 2.0], temperature=0.0)
    with pytest.raises(ValueError, match="between 2 and 6 logits"):
        softmax_summary([1.0])
    with pytest.raises(ValueError, match="temperature > 0"):
        bl.widgets.softmax_explorer(temperature=-1.0)


def test_explorer_has_its_controls_and_a_png_view():
    box = bl.widgets.softmax_explorer(logits=(2.0, 1.0, 0.1), temperature=1.0)
    assert isinstance(box, W.VBox)
    assert set(box.controls) == {"z0", "z1", "z2", "T"}
    assert all(not c.continuous_update for c in box.controls.values())
    assert isinstance(box.view, W.Image) and bytes(box.view.value).startswith(PNG)
    assert "0.659" in box.info.value  # softmax([2, 1, 0.1])[0]


def test_explorer_redraws_when_a_logit_moves():
    box = bl.widgets.softmax_explorer()
    png, info = box.view.value, box.info.value
    box.controls["z2"].value = 4.0
    assert box.view.value != png and bytes(box.view.value).startswith(PNG)
    assert box.info.value != info
    assert "most likely class <b>2</b>" in box.info.value


def test_explorer_redraws_when_the_temperature_moves():
    box = bl.widgets.softmax_explorer(logits=(1.0, 0.0, 0.0, -1.0))
    assert set(box.controls) == {"z0", "z1", "z2", "z3", "T"}
    png = box.view.value
    box.controls["T"].value = 10.0  # hot: close to uniform
    assert box.view.value != png
    hot = box.info.value
    box.controls["T"].value = 0.1  # cold: close to one-hot
    assert "probability <b>1.000</b>" in box.info.value and box.info.value != hot
