import matplotlib.pyplot as plt
import numpy as np
import pytest

from backprop_lib.normalization import batchnorm_forward
from backprop_lib.widgets.regularization import (
    batch_noise_explorer,
    batch_noise_png,
    draw_batchnorm_graph,
    train_mode_outputs,
)

PNG = b"\x89PNG"


@pytest.mark.parametrize("batch_size", [2, 3, 16])
def test_outputs_are_what_batchnorm_forward_gives_the_sample(batch_size):
    outputs = train_mode_outputs(1.5, batch_size, n_batches=5, seed=3)
    others = np.random.default_rng(3).standard_normal((5, batch_size - 1))
    for out, rest in zip(outputs, others):
        batch = np.concatenate([[1.5], rest])[:, None]  # (N, 1)
        expected = batchnorm_forward(batch, np.ones(1), np.zeros(1))[0][0, 0]
        assert abs(out - expected) < 1e-12


def test_two_samples_always_give_plus_or_minus_one_and_the_spread_shrinks_with_the_batch():
    two = np.abs(train_mode_outputs(0.7, 2))
    assert np.all(two <= 1) and np.mean(two > 0.99) > 0.9  # below 1 only where the pair nearly coincides (eps)
    spreads = [np.std(train_mode_outputs(1.0, n)) for n in (4, 16, 128)]
    assert spreads[0] > spreads[1] > spreads[2]
    assert abs(np.mean(train_mode_outputs(1.0, 128)) - 1.0) < 0.05  # near the eval-mode value


def test_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size as an integer >= 2"):
        train_mode_outputs(1.0, 1)


def test_widget_draws_and_redraws_when_a_slider_moves():
    box = batch_noise_explorer()
    first = bytes(box.view.value)
    assert first.startswith(PNG) and batch_noise_png(box.outputs, 1.0, 4).startswith(PNG)
    box.controls["batch_size"].value = 64
    assert bytes(box.view.value) != first and len(box.outputs) == 400
    spread64 = np.std(box.outputs)
    box.controls["x0"].value = -2.0
    assert np.std(box.outputs) != spread64


def test_the_graph_draws_every_node():
    fig, ax = plt.subplots()
    draw_batchnorm_graph(ax)
    texts = " ".join(t.get_text() for t in ax.texts)
    for symbol in (r"\mu", r"\sigma^2", r"\hat x", r"\gamma", "(N, D)", "(D,)"):
        assert symbol in texts
    plt.close(fig)
