import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib.widgets.training import train_once


@pytest.fixture(scope="module")
def small_data():
    return bl.datasets.spiral(30, 3, kind="cs231n", rng=0)


def test_trainer_draws_a_view_at_construction(small_data):
    box = bl.widgets.trainer(*small_data, steps=100)
    assert set(box.controls) == {"lr", "hidden", "reg", "activation", "steps", "auto"}
    assert box.view.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert "final loss" in box.status.value and "training accuracy" in box.status.value


@pytest.mark.parametrize("name, value", [("lr", 0.1), ("hidden", 10), ("reg", 0.01), ("activation", "tanh"),
                                         ("steps", 200)])
def test_changing_a_control_retrains_and_redraws(small_data, name, value):
    box = bl.widgets.trainer(*small_data, steps=100)
    png, text = box.view.value, box.status.value
    box.controls[name].value = value
    assert box.view.value != png
    assert box.status.value != text


def test_without_auto_retrain_only_the_button_retrains(small_data):
    box = bl.widgets.trainer(*small_data, steps=100, auto=False)
    text = box.status.value
    box.controls["activation"].value = "sigmoid"
    assert box.status.value == text
    box.button.click()
    assert "sigmoid" in box.status.value and box.status.value != text


def test_a_diverging_run_shows_the_message_instead_of_raising(small_data):
    box = bl.widgets.trainer(*small_data, steps=100)
    box.controls["lr"].value = 100.0
    assert "Training diverged" in box.status.value
    assert "learning rate 100" in box.status.value
    assert box.view.value[:4] == b"\x89PNG"
    box.controls["lr"].value = 1.0  # and it recovers
    assert "final loss" in box.status.value


def test_train_once_matches_fit_and_keeps_the_history_of_a_diverged_run(small_data):
    X, y = small_data
    model, history, error = train_once(X, y, 1.0, 10, 1e-3, "relu", 50)
    ref = bl.mlp([2, 10, 3], "relu", reg=1e-3, rng=0)
    ref_history = ref.fit(X, y, bl.SGD(1.0), epochs=50, progress=False)
    assert error is None
    np.testing.assert_allclose(history["loss"], ref_history["loss"])
    _, history, error = train_once(X, y, 100.0, 50, 1e-3, "relu", 50)
    assert error and "diverged" in error
    assert 0 < len(history["loss"]) < 50 and np.isfinite(history["loss"]).all()


def test_bad_arguments_are_explained(small_data):
    X, y = small_data
    with pytest.raises(ValueError, match="expected hidden in"):
        bl.widgets.trainer(X, y, hidden=7)
    with pytest.raises(ValueError, match=r"expected X of shape \(N, D\)"):
        bl.widgets.trainer(X, y[:-1])


def test_the_widget_can_be_called_again_after_its_module_is_imported(small_data):
    import backprop_lib.widgets.training  # noqa: F401  (a submodule import sets a package attribute)

    first = bl.widgets.trainer(*small_data, steps=50)
    second = bl.widgets.trainer(*small_data, steps=50)
    assert "final loss" in first.status.value and "final loss" in second.status.value
