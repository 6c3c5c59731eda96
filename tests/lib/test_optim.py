import math

import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib import optim


def run(opt, grads_seq, p0):
    params = {"w": np.array(p0, dtype=np.float64)}
    for g in grads_seq:
        opt.step(params, {"w": np.array(g, dtype=np.float64)})
    return params["w"]


def test_momentum_velocity_is_a_discounted_sum_of_past_gradients():
    rng = np.random.default_rng(0)
    gs = rng.standard_normal((6, 3))
    lr, mu = 0.1, 0.8
    w = run(bl.Momentum(lr, mu), gs, np.zeros(3))
    # p_T = sum_t v_t, v_t = -lr * sum_{s <= t} mu^(t - s) g_s
    expected = -lr * sum(mu ** (t - s) * gs[s] for t in range(6) for s in range(t + 1))
    np.testing.assert_allclose(w, expected, rtol=1e-12)


def test_adam_matches_its_formula_over_several_steps():
    rng = np.random.default_rng(1)
    gs = rng.standard_normal((5, 4))
    lr, b1, b2, eps = 0.01, 0.9, 0.99, 1e-8
    p, m, v = np.ones(4), np.zeros(4), np.zeros(4)
    for t, g in enumerate(gs, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    np.testing.assert_allclose(run(bl.Adam(lr, b1, b2, eps), gs, np.ones(4)), p, rtol=1e-12)


def test_adam_bias_correction_makes_a_constant_gradient_step_by_lr():
    # with a constant gradient, m_hat = g and v_hat = g**2 at every step: each step moves by lr
    w = run(bl.Adam(0.01), [[2.0, -0.5]] * 10, [0.0, 0.0])
    np.testing.assert_allclose(w, [-0.1, 0.1], rtol=1e-6)


def test_step_rejects_mismatched_params_and_grads():
    opt = bl.SGD(0.1)
    w = np.zeros((2, 3))
    with pytest.raises(KeyError, match="no gradient for \\['w'\\]"):
        opt.step({"w": w}, {})
    with pytest.raises(KeyError, match="no matching parameter"):
        opt.step({"w": w}, {"w": np.zeros((2, 3)), "b": np.zeros(3)})
    with pytest.raises(ValueError, match=r"gradient 'w' has shape \(3, 2\), but the parameter has shape \(2, 3\)"):
        opt.step({"w": w}, {"w": np.zeros((3, 2))})
    with pytest.raises(TypeError, match="as dicts"):
        opt.step([w], [w])
    with pytest.raises(TypeError, match="float ndarray"):
        opt.step({"w": [0.0, 1.0]}, {"w": np.zeros(2)})
    with pytest.raises(TypeError, match="float ndarray"):
        opt.step({"w": np.zeros(2, dtype=int)}, {"w": np.zeros(2)})
    with pytest.raises(TypeError, match="numeric ndarray"):
        opt.step({"w": np.zeros(2)}, {"w": np.array(["a", "b"])})
    assert opt.t == 0, "a rejected step is not counted"
    np.testing.assert_array_equal(w, 0)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_step_rejects_non_finite_gradients_before_changing_anything(bad):
    opt = bl.Adam(0.1)
    params = {"a": np.ones(2), "b": np.ones(2)}
    with pytest.raises(optim.NonFiniteGradientError, match="'b' contains NaN or inf"):
        opt.step(params, {"a": np.ones(2), "b": np.array([1.0, bad])})
    np.testing.assert_array_equal(params["a"], 1.0)
    assert issubclass(optim.NonFiniteGradientError, bl.TrainingDivergedError)


@pytest.mark.parametrize("lr", [0, -1, np.nan, np.inf, "0.1", True, None])
def test_bad_learning_rates(lr):
    with pytest.raises(ValueError, match="positive learning rate"):
        bl.SGD(lr)


def test_bad_hyperparameters():
    with pytest.raises(ValueError, match="momentum in"):
        bl.Momentum(0.1, 1.0)
    with pytest.raises(ValueError, match="beta2 in"):
        bl.Adam(0.1, beta2=1.0)
    with pytest.raises(ValueError, match="eps > 0"):
        bl.Adam(0.1, eps=0)


def test_the_api_is_unchanged_and_updates_in_place():
    for opt in (bl.SGD(0.1), bl.Momentum(0.1, 0.9), bl.Adam(0.1, 0.9, 0.999, 1e-8)):
        w = np.ones(3)
        opt.step({"w": w}, {"w": np.ones(3)})
        assert (w < 1).all(), opt
        assert opt.t == 1


def test_schedules_values():
    sd = optim.step_decay(1.0, drop=0.5, every=10)
    assert [sd(t) for t in (1, 10, 11, 20, 21)] == [1.0, 1.0, 0.5, 0.5, 0.25]
    cos = optim.cosine(1.0, total=100, lr_min=0.1)
    assert cos(1) == pytest.approx(1.0)
    assert cos(51) == pytest.approx(0.55)
    assert cos(101) == pytest.approx(0.1) and cos(500) == pytest.approx(0.1)
    assert all(cos(t) >= cos(t + 1) for t in range(1, 120))
    wu = optim.warmup(optim.constant(0.2), steps=4)
    assert [wu(t) for t in (1, 2, 4, 5, 50)] == pytest.approx([0.05, 0.1, 0.2, 0.2, 0.2])
    wc = optim.warmup(optim.cosine(1.0, 50), 10)
    assert wc(1) == pytest.approx(0.1 * optim.cosine(1.0, 50)(1))


def test_a_schedule_sets_the_learning_rate_of_each_step():
    opt = bl.SGD(1.0)
    opt.schedule = optim.step_decay(1.0, drop=0.1, every=2)
    w = run(opt, [[1.0]] * 3, [0.0])
    np.testing.assert_allclose(w, [-(1.0 + 1.0 + 0.1)])
    assert opt.lr == pytest.approx(0.1)


def test_a_schedule_that_reaches_zero_is_refused_at_that_step():
    opt = bl.SGD(1.0)
    opt.schedule = optim.cosine(1.0, total=3)  # lr_min 0: the fourth step would have lr 0
    params = {"w": np.zeros(1)}
    for _ in range(3):
        opt.step(params, {"w": np.ones(1)})
    with pytest.raises(ValueError, match="schedule at step 4"):
        opt.step(params, {"w": np.ones(1)})


def test_bad_schedule_arguments():
    with pytest.raises(ValueError, match="every"):
        optim.step_decay(0.1, every=0)
    with pytest.raises(ValueError, match="drop"):
        optim.step_decay(0.1, drop=1.5)
    with pytest.raises(ValueError, match="lr_min"):
        optim.cosine(0.1, 10, lr_min=0.2)
    with pytest.raises(ValueError, match="total"):
        optim.cosine(0.1, 2.5)
    with pytest.raises(TypeError, match="schedule"):
        optim.warmup(0.1, 10)


def test_fit_with_a_schedule_and_each_optimiser_learns_the_spiral():
    X, y = bl.datasets.spiral(50, 3, rng=0)
    for opt in (bl.SGD(1.0), bl.Momentum(0.1, 0.9), bl.Adam(0.02)):
        opt.schedule = optim.warmup(optim.cosine(opt.lr, 300, opt.lr / 100), 20)
        model = bl.mlp([2, 32, 3], init="he", rng=0)
        history = model.fit(X, y, opt, epochs=300, progress=False)
        assert history["loss"][-1] < 0.9 * history["loss"][0], opt
        assert opt.t == 300 and math.isclose(opt.lr, opt.schedule(300), rel_tol=1e-12)
