"""RMSProp, Nesterov and AdamW against their published update rules, written out by hand."""

import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib import optim


def run(opt, grads_seq, p0):
    params = {"w": np.array(p0, dtype=np.float64)}
    for g in grads_seq:
        opt.step(params, {"w": np.array(g, dtype=np.float64)})
    return params["w"]


def gradients(seed, steps=7, size=4):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((steps, size)) * np.geomspace(1e-3, 3.0, size)  # very different sizes


@pytest.mark.parametrize(("lr", "beta", "eps"), [(0.01, 0.9, 1e-8), (0.3, 0.5, 1e-3), (1e-3, 0.99, 1e-6)])
def test_rmsprop_matches_its_rule_over_several_steps(lr, beta, eps):
    gs = gradients(0)
    p, s = np.ones(4), np.zeros(4)
    for g in gs:
        s = beta * s + (1 - beta) * g**2
        p = p - lr * g / (np.sqrt(s) + eps)
    np.testing.assert_allclose(run(bl.RMSProp(lr, beta, eps), gs, np.ones(4)), p, rtol=1e-12)


def test_rmsprop_first_step_is_lr_over_sqrt_one_minus_beta_per_coordinate():
    # s_1 = (1 - beta) g^2, so the first step is lr * sign(g) / sqrt(1 - beta), whatever g's size
    w = run(bl.RMSProp(0.01, beta=0.75, eps=1e-12), [[1e-4, -50.0]], [0.0, 0.0])
    np.testing.assert_allclose(w, [-0.02, 0.02], rtol=1e-6)


@pytest.mark.parametrize(("lr", "mu"), [(0.1, 0.9), (0.03, 0.5), (1.0, 0.0)])
def test_nesterov_matches_its_rule_over_several_steps(lr, mu):
    gs = gradients(1)
    p, v = np.ones(4), np.zeros(4)
    for g in gs:
        v_prev = v
        v = mu * v - lr * g
        p = p - mu * v_prev + (1 + mu) * v  # CS231n's form of Sutskever et al. (2013)
    np.testing.assert_allclose(run(bl.Nesterov(lr, mu), gs, np.ones(4)), p, rtol=1e-12)


def test_nesterov_equals_the_look_ahead_form_on_a_quadratic():
    """Sutskever's form takes the gradient at the look-ahead point p + mu * v; the library stores that point."""
    A = np.array([[3.0, 0.5], [0.5, 1.0]])  # loss 0.5 * p.A.p, gradient A @ p

    lr, mu = 0.1, 0.8
    theta, v = np.array([1.0, -2.0]), np.zeros(2)
    opt, params = bl.Nesterov(lr, mu), {"w": np.array([1.0, -2.0])}
    for _ in range(6):
        v = mu * v - lr * A @ (theta + mu * v)
        theta = theta + v
        opt.step(params, {"w": A @ params["w"]})
        np.testing.assert_allclose(params["w"], theta + mu * v, rtol=1e-12)  # the stored look-ahead point


def test_nesterov_with_zero_momentum_is_sgd():
    gs = gradients(2)
    np.testing.assert_allclose(run(bl.Nesterov(0.1, 0.0), gs, np.ones(4)), run(bl.SGD(0.1), gs, np.ones(4)))


@pytest.mark.parametrize(("lr", "b1", "b2", "eps", "wd"), [(0.01, 0.9, 0.999, 1e-8, 0.01), (0.1, 0.5, 0.9, 1e-3, 0.3)])
def test_adamw_matches_its_rule_over_several_steps(lr, b1, b2, eps, wd):
    gs = gradients(3)
    p, m, v = np.linspace(-2, 2, 4), np.zeros(4), np.zeros(4)
    for t, g in enumerate(gs, start=1):
        p = p - lr * wd * p  # decoupled: the decay never enters m or v
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    np.testing.assert_allclose(run(bl.AdamW(lr, b1, b2, eps, wd), gs, np.linspace(-2, 2, 4)), p, rtol=1e-12)


def test_adamw_is_not_adam_on_an_l2_penalised_gradient():
    gs, wd = gradients(4), 0.1
    p0 = np.linspace(-2, 2, 4)
    adamw = run(bl.AdamW(0.05, weight_decay=wd), gs, p0)
    # Adam with the penalty in the gradient: the decay goes through m and v
    opt, params = bl.Adam(0.05), {"w": p0.copy()}
    for g in gs:
        opt.step(params, {"w": g + wd * params["w"]})
    assert not np.allclose(adamw, params["w"], rtol=1e-3)
    np.testing.assert_allclose(run(bl.AdamW(0.05, weight_decay=0.0), gs, p0), run(bl.Adam(0.05), gs, p0), rtol=1e-15)


def test_adamw_with_zero_gradient_only_decays():
    w = run(bl.AdamW(0.1, weight_decay=0.5), [[0.0, 0.0]] * 3, [2.0, -4.0])
    np.testing.assert_allclose(w, np.array([2.0, -4.0]) * 0.95**3, rtol=1e-12)


# -- the two momentum conventions -------------------------------------------------------------------


def pytorch_momentum(lrs, gs, p0, mu, nesterov=False):
    """PyTorch's SGD(momentum=mu, nesterov=...) with dampening 0, written out: b = mu * b + g."""
    p, b = np.array(p0, dtype=np.float64), np.zeros(len(p0))
    for lr, g in zip(lrs, gs):
        b = mu * b + g
        p = p - lr * ((g + mu * b) if nesterov else b)
    return p


@pytest.mark.parametrize(("cls", "nesterov"), [(bl.Momentum, False), (bl.Nesterov, True)])
def test_pytorch_form_agrees_at_a_constant_lr_and_differs_once_it_changes(cls, nesterov):
    gs, mu, p0 = gradients(5, steps=8), 0.9, np.ones(4)
    np.testing.assert_allclose(run(cls(0.1, mu), gs, p0), pytorch_momentum([0.1] * 8, gs, p0, mu, nesterov), rtol=1e-12)

    lrs = [0.1] * 4 + [0.01] * 4  # a step decay after four steps
    opt = cls(0.1, mu)
    opt.schedule = optim.step_decay(0.1, drop=0.1, every=4)
    ours, theirs = run(opt, gs, p0), pytorch_momentum(lrs, gs, p0, mu, nesterov)
    assert [opt.schedule(t) for t in range(1, 9)] == pytest.approx(lrs)
    assert not np.allclose(ours, theirs, rtol=1e-3)
    # written out: the textbook velocity keeps the old steps at lr 0.1 and decays them
    p, v = p0.copy(), np.zeros(4)
    for lr, g in zip(lrs, gs):
        v_prev = v
        v = mu * v - lr * g
        p = p + v if not nesterov else p - mu * v_prev + (1 + mu) * v
    np.testing.assert_allclose(ours, p, rtol=1e-12)


# -- validation, as for the existing optimisers -----------------------------------------------------


@pytest.mark.parametrize("cls", [bl.RMSProp, bl.Nesterov, bl.AdamW])
@pytest.mark.parametrize("lr", [0, -1, np.nan, np.inf, "0.1", True, None])
def test_bad_learning_rates(cls, lr):
    with pytest.raises(ValueError, match=f"{cls.__name__}: expected a positive learning rate lr"):
        cls(lr)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: bl.RMSProp(0.1, beta=1.0), r"RMSProp: expected beta in \[0, 1\), got 1.0"),
        (lambda: bl.RMSProp(0.1, beta=-0.1), "RMSProp: expected beta in"),
        (lambda: bl.RMSProp(0.1, beta="0.9"), "RMSProp: expected beta as a finite number"),
        (lambda: bl.RMSProp(0.1, beta=np.nan), "RMSProp: expected beta as a finite number"),
        (lambda: bl.RMSProp(0.1, eps=0), r"RMSProp: expected eps in \(0, inf\], got 0"),
        (lambda: bl.RMSProp(0.1, eps=np.inf), "RMSProp: expected eps as a finite number"),
        (lambda: bl.Nesterov(0.1, 1.0), r"Nesterov: expected momentum in \[0, 1\), got 1.0"),
        (lambda: bl.Nesterov(0.1, True), "Nesterov: expected momentum as a finite number, got True"),
        (lambda: bl.AdamW(0.1, weight_decay=-0.01), r"AdamW: expected weight_decay in \[0, inf\], got -0.01"),
        (lambda: bl.AdamW(0.1, weight_decay=np.nan), "AdamW: expected weight_decay as a finite number"),
        (lambda: bl.AdamW(0.1, weight_decay=None), "AdamW: expected weight_decay as a finite number"),
    ],
)
def test_bad_hyperparameters(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_adamw_refuses_adams_bad_betas_with_adams_message():
    with pytest.raises(ValueError, match="beta2 in"):
        bl.AdamW(0.1, beta2=1.0)
    with pytest.raises(ValueError, match="eps > 0"):
        bl.AdamW(0.1, eps=0)


@pytest.mark.parametrize("opt", [bl.RMSProp(0.1), bl.Nesterov(0.1), bl.AdamW(0.1)], ids=repr)
def test_step_validates_and_updates_in_place(opt):
    w = np.ones(3)
    with pytest.raises(ValueError, match=r"gradient 'w' has shape \(2,\), but the parameter has shape \(3,\)"):
        opt.step({"w": w}, {"w": np.ones(2)})
    with pytest.raises(optim.NonFiniteGradientError, match="'w' contains NaN or inf"):
        opt.step({"w": w}, {"w": np.array([1.0, np.nan, 0.0])})
    assert opt.t == 0 and (w == 1).all()
    g = np.ones(3)
    opt.step({"w": w}, {"w": g})
    assert (w < 1).all() and opt.t == 1 and (g == 1).all()


def test_reprs():
    assert repr(bl.RMSProp(0.01, 0.99)) == "RMSProp(lr=0.01, beta=0.99)"
    assert repr(bl.Nesterov(0.1, 0.5)) == "Nesterov(lr=0.1, momentum=0.5)"
    assert repr(bl.AdamW(0.001)) == "AdamW(lr=0.001, beta1=0.9, beta2=0.999, weight_decay=0.01)"


def test_each_new_optimiser_learns_the_spiral():
    X, y = bl.datasets.spiral(50, 3, rng=0)
    for opt in (bl.RMSProp(0.01), bl.Nesterov(0.1, 0.9), bl.AdamW(0.02, weight_decay=1e-3)):
        model = bl.mlp([2, 32, 3], init="he", rng=0)
        history = model.fit(X, y, opt, epochs=200, progress=False)
        assert history["loss"][-1] < 0.9 * history["loss"][0], opt
