import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

import backprop_lib as bl
from backprop_lib import conv as cv
from backprop_lib import datasets as ds
from backprop_lib.gradcheck import numerical_gradient_array, rel_error

# N, C, H, W, F, K, stride, pad
CONV_CASES = [
    (1, 1, 4, 4, 1, 3, 1, 0),
    (2, 3, 5, 5, 4, 3, 1, 1),
    (2, 2, 7, 7, 3, 3, 2, 1),
    (3, 1, 6, 5, 2, 2, 1, 0),
    (2, 2, 8, 8, 2, 2, 2, 0),
    (1, 2, 5, 7, 3, 1, 2, 0),
    (2, 1, 6, 6, 2, 4, 2, 1),
]
# N, C, H, W, size, stride
POOL_CASES = [(2, 3, 4, 4, 2, 2), (1, 2, 6, 6, 3, 3), (2, 1, 5, 5, 3, 1), (2, 2, 7, 7, 3, 2), (1, 1, 6, 4, 2, 2)]


def conv_data(rng, N, C, H, W, F, K, stride, pad):
    x = rng.standard_normal((N, C, H, W))
    Wt = rng.standard_normal((F, C, K, K))
    b = rng.standard_normal(F)
    OH, OW = (H + 2 * pad - K) // stride + 1, (W + 2 * pad - K) // stride + 1
    return x, Wt, b, rng.standard_normal((N, F, OH, OW))


def conv_autograd(x, Wt, b, stride, pad):
    """The same convolution written with autograd.numpy, one kernel offset at a time."""
    KH, KW = Wt.shape[2:]
    xp = anp.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    OH, OW = (xp.shape[2] - KH) // stride + 1, (xp.shape[3] - KW) // stride + 1
    out = 0.0
    for p in range(KH):
        for q in range(KW):
            patch = xp[:, :, p : p + stride * OH : stride, q : q + stride * OW : stride]  # (N, C, OH, OW)
            out = out + anp.einsum("nchw,fc->nfhw", patch, Wt[:, :, p, q])
    return out + b[None, :, None, None]


def pool_autograd(x, size, stride):
    OH, OW = (x.shape[2] - size) // stride + 1, (x.shape[3] - size) // stride + 1
    shifted = [
        x[:, :, p : p + stride * OH : stride, q : q + stride * OW : stride] for p in range(size) for q in range(size)
    ]
    return anp.max(anp.stack(shifted), axis=0)


@pytest.mark.parametrize("case", CONV_CASES)
def test_im2col_conv_equals_the_loops(case, rng):
    x, Wt, b, dout = conv_data(rng, *case)
    stride, pad = case[-2:]
    out_loop, cache_loop = cv.conv2d_forward_loop(x, Wt, b, stride, pad)
    out, cache = cv.conv2d_forward(x, Wt, b, stride, pad)
    assert out.shape == dout.shape
    np.testing.assert_allclose(out, out_loop, rtol=1e-12, atol=1e-12)
    for fast, slow, name in zip(
        cv.conv2d_backward(dout, cache), cv.conv2d_backward_loop(dout, cache_loop), ("dx", "dW", "db")
    ):
        np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("case", CONV_CASES)
@pytest.mark.parametrize("pair", ["loop", "im2col"])
def test_conv_backward_matches_central_differences(case, pair, rng):
    x, Wt, b, dout = conv_data(rng, *case)
    stride, pad = case[-2:]
    forward, backward = {
        "loop": (cv.conv2d_forward_loop, cv.conv2d_backward_loop),
        "im2col": (cv.conv2d_forward, cv.conv2d_backward),
    }[pair]
    dx, dW, db = backward(dout, forward(x, Wt, b, stride, pad)[1])
    assert dx.shape == x.shape and dW.shape == Wt.shape and db.shape == b.shape
    assert rel_error(dx, numerical_gradient_array(lambda v: forward(v, Wt, b, stride, pad)[0], x.copy(), dout)) < 1e-8
    assert rel_error(dW, numerical_gradient_array(lambda v: forward(x, v, b, stride, pad)[0], Wt.copy(), dout)) < 1e-8
    assert rel_error(db, numerical_gradient_array(lambda v: forward(x, Wt, v, stride, pad)[0], b.copy(), dout)) < 1e-8


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_backward_matches_autograd(case, rng):
    x, Wt, b, dout = conv_data(rng, *case)
    stride, pad = case[-2:]
    np.testing.assert_allclose(
        conv_autograd(x, Wt, b, stride, pad), cv.conv2d_forward(x, Wt, b, stride, pad)[0], rtol=1e-12, atol=1e-12
    )

    def fake_loss(x, Wt, b):  # (out * dout).sum() has gradient dout with respect to out
        return anp.sum(conv_autograd(x, Wt, b, stride, pad) * dout)

    got = cv.conv2d_backward(dout, cv.conv2d_forward(x, Wt, b, stride, pad)[1])
    for i, name in enumerate(("dx", "dW", "db")):
        np.testing.assert_allclose(got[i], grad(fake_loss, i)(x, Wt, b), rtol=1e-10, atol=1e-12, err_msg=name)


def test_dx_is_a_full_correlation_with_the_flipped_kernel(rng):
    x, Wt, b, dout = conv_data(rng, 2, 3, 6, 6, 4, 3, 1, 0)
    dx, _, _ = cv.conv2d_backward(dout, cv.conv2d_forward(x, Wt, b)[1])
    flipped = Wt[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)  # (C, F, KH, KW)
    full, _ = cv.conv2d_forward(dout, flipped, np.zeros(3), pad=2)
    np.testing.assert_allclose(dx, full, rtol=1e-12, atol=1e-12)
    unflipped, _ = cv.conv2d_forward(dout, Wt.transpose(1, 0, 2, 3), np.zeros(3), pad=2)
    assert not np.allclose(dx, unflipped)


def test_im2col_rows_are_the_windows_and_col2im_is_its_adjoint(rng):
    x = rng.standard_normal((2, 3, 5, 6))
    cols = cv.im2col(x, 3, 2, stride=1, pad=1)
    assert cols.shape == (2 * 5 * 7, 3 * 3 * 2)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    np.testing.assert_array_equal(cols[7 + 2], xp[0, :, 1:4, 2:4].ravel())  # sample 0, window (1, 2)
    np.testing.assert_array_equal(cols[35], xp[1, :, 0:3, 0:2].ravel())
    # <im2col(x), g> == <x, col2im(g)> for any g
    g = rng.standard_normal(cols.shape)
    dx = cv.col2im(g, x.shape, 3, 2, stride=1, pad=1)
    assert np.isclose(np.vdot(cols, g), np.vdot(x, dx), rtol=1e-12)


@pytest.mark.parametrize("case", POOL_CASES)
def test_maxpool_equals_the_loops_and_autograd(case, rng):
    N, C, H, W, size, stride = case
    x = rng.standard_normal((N, C, H, W))
    out_loop, cache_loop = cv.maxpool_forward_loop(x, size, stride)
    out, cache = cv.maxpool_forward(x, size, stride)
    np.testing.assert_array_equal(out, out_loop)
    np.testing.assert_allclose(out, pool_autograd(x, size, stride), rtol=0, atol=0)
    dout = rng.standard_normal(out.shape)
    dx = cv.maxpool_backward(dout, cache)
    np.testing.assert_allclose(dx, cv.maxpool_backward_loop(dout, cache_loop), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(
        dx, grad(lambda v: anp.sum(pool_autograd(v, size, stride) * dout))(x), rtol=1e-12, atol=1e-15
    )
    assert (
        rel_error(dx, numerical_gradient_array(lambda v: cv.maxpool_forward(v, size, stride)[0], x.copy(), dout)) < 1e-8
    )


def test_max_routes_the_gradient_to_the_max_only():
    x = np.array([[[[1.0, 5.0, 0.0, 2.0], [3.0, 2.0, 7.0, 1.0], [0.0, 0.0, 4.0, 4.0], [9.0, 1.0, 4.0, 4.0]]]])
    out, cache = cv.maxpool_forward(x)
    np.testing.assert_array_equal(out, [[[[5.0, 7.0], [9.0, 4.0]]]])
    dout = np.array([[[[10.0, 20.0], [30.0, 40.0]]]])
    dx = cv.maxpool_backward(dout, cache)
    want = np.zeros_like(x)
    want[0, 0, 0, 1], want[0, 0, 1, 2], want[0, 0, 3, 0] = 10, 20, 30
    want[0, 0, 2, 2] = 40  # a four-way tie: all of it to the first maximum in reading order
    np.testing.assert_array_equal(dx, want)
    np.testing.assert_array_equal(cv.maxpool_backward_loop(dout, cv.maxpool_forward_loop(x)[1]), want)
    assert dx.sum() == dout.sum()


def test_overlapping_pool_windows_add_up():
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 1.0  # the centre is the max of all four 2x2 windows at stride 1
    out, cache = cv.maxpool_forward(x, size=2, stride=1)
    dx = cv.maxpool_backward(np.ones_like(out), cache)
    assert dx[0, 0, 1, 1] == 4 and dx.sum() == 4


def test_flatten_round_trip(rng):
    x = rng.standard_normal((3, 2, 4, 5))
    out, cache = cv.flatten_forward(x)
    assert out.shape == (3, 40)
    np.testing.assert_array_equal(out[1], x[1].ravel())
    np.testing.assert_array_equal(cv.flatten_backward(out, cache), x)


def test_layers_pass_check_layer(rng):
    x = rng.standard_normal((2, 3, 6, 6))
    conv = cv.Conv2D(3, 4, 3, stride=1, pad=1, rng=0)
    conv.params["b"][:] = rng.standard_normal(4)
    report = bl.check_layer(conv, x)
    assert report.passed and set(report) == {"X", "W", "b"}, report
    assert bl.check_layer(cv.MaxPool2D(), x).passed
    assert bl.check_layer(cv.Flatten(), x).passed


def test_conv2d_layer_matches_the_pure_pair_and_skips_dx(rng):
    conv = cv.Conv2D(2, 3, (3, 2), stride=2, pad=1, rng=1)
    assert conv.params["W"].shape == (3, 2, 3, 2) and conv.params["b"].shape == (3,)
    assert conv.training is True and repr(conv) == "Conv2D(2, 3, (3, 2), stride=2, pad=1)"
    x = rng.standard_normal((2, 2, 5, 6))
    out = conv.forward(x)
    ref, cache = cv.conv2d_forward(x, conv.params["W"], conv.params["b"], 2, 1)
    np.testing.assert_array_equal(out, ref)
    dout = rng.standard_normal(out.shape)
    dx = conv.backward(dout)
    want = cv.conv2d_backward(dout, cache)
    np.testing.assert_array_equal(dx, want[0])
    np.testing.assert_array_equal(conv.grads["W"], want[1])
    assert conv.backward(dout, input_grad=False) is None
    np.testing.assert_array_equal(conv.grads["b"], want[2])


def test_he_init_uses_the_window_fan_in_and_is_seeded():
    W = cv.Conv2D(8, 64, 5, rng=0).params["W"]
    assert abs(W.std() / (2 / (8 * 25)) ** 0.5 - 1) < 0.05
    np.testing.assert_array_equal(W, cv.Conv2D(8, 64, 5, rng=0).params["W"])
    assert not np.array_equal(W, cv.Conv2D(8, 64, 5, rng=1).params["W"])
    assert abs(cv.Conv2D(8, 64, 5, init="lecun", rng=0).params["W"].std() / (1 / 200) ** 0.5 - 1) < 0.05


def test_a_small_convnet_learns_by_hand(rng):
    X, y = ds.digits()
    X, y = X[:200], y[:200]
    conv, pool, flat = cv.Conv2D(1, 4, 3, pad=1, rng=0), cv.MaxPool2D(), cv.Flatten()
    relu, dense, loss = bl.activations, bl.Dense(64, 10, init="he", rng=0), bl.SoftmaxCrossEntropy()
    losses = []
    for _ in range(30):
        h, relu_cache = relu.relu_forward(conv.forward(X))
        losses.append(loss.forward(dense.forward(flat.forward(pool.forward(h))), y))
        dh = pool.backward(flat.backward(dense.backward(loss.backward())))
        conv.backward(relu.relu_backward(dh, relu_cache), input_grad=False)
        for layer in (conv, dense):
            for k in layer.params:
                layer.params[k] -= 0.5 * layer.grads[k]
    assert losses[-1] < 0.5 * losses[0]


@pytest.mark.parametrize("fn", ["loop", "im2col"])
def test_nothing_changes_its_inputs(fn, rng):
    x, Wt, b, dout = conv_data(rng, 2, 2, 6, 6, 3, 3, 1, 1)
    copies = [a.copy() for a in (x, Wt, b, dout)]
    forward, backward = {
        "loop": (cv.conv2d_forward_loop, cv.conv2d_backward_loop),
        "im2col": (cv.conv2d_forward, cv.conv2d_backward),
    }[fn]
    _, cache = forward(x, Wt, b, 1, 1)
    backward(dout, cache)
    pool_forward, pool_backward = {
        "loop": (cv.maxpool_forward_loop, cv.maxpool_backward_loop),
        "im2col": (cv.maxpool_forward, cv.maxpool_backward),
    }[fn]
    pooled, pool_cache = pool_forward(x)
    dp = np.ones_like(pooled)
    pool_backward(dp, pool_cache)
    for a, c in zip((x, Wt, b, dout), copies):
        np.testing.assert_array_equal(a, c)
    np.testing.assert_array_equal(dp, 1.0)
    for layer in (cv.Conv2D(2, 3, 3, rng=0), cv.MaxPool2D(), cv.Flatten()):
        out = layer.forward(x)
        g = np.ones_like(out)
        layer.backward(g)
        np.testing.assert_array_equal(x, copies[0])
        np.testing.assert_array_equal(g, 1.0)


def _forwarded(layer):
    layer.forward(np.zeros((2, 1, 4, 4)))
    return layer


@pytest.mark.parametrize(
    "call,message",
    [
        (
            lambda: cv.Conv2D(3, 8, 3).forward(np.zeros((5, 4, 8, 8))),
            r"Conv2D\(3, 8, 3\)\.forward: expected x of shape \(N, 3, H, W\), got \(5, 4, 8, 8\)",
        ),
        (lambda: cv.Conv2D(1, 2, 3).forward(np.zeros((8, 8))), r"\(4-D\), got shape \(8, 8\); for one grey image"),
        (lambda: cv.Conv2D(1, 2, 5).forward(np.zeros((1, 1, 4, 4))), r"kernel height 5 is larger than the input \(4\)"),
        (lambda: cv.Conv2D(1, 2, 3, stride=2).forward(np.zeros((1, 1, 6, 6))), r"not a multiple of stride 2"),
        (
            lambda: cv.MaxPool2D(2).forward(np.zeros((1, 1, 5, 4))),
            r"MaxPool2D\(size=2, stride=2\)\.forward: .*\(5 - 2\) = 3 is not a multiple of stride 2",
        ),
        (lambda: cv.MaxPool2D(3, 1).forward(np.zeros((1, 1, 2, 2))), r"pool size 3 is larger than the input \(2\)"),
        (lambda: cv.Conv2D(1, 2, 3).forward(np.full((1, 1, 4, 4), np.nan)), r"x contains NaN at index \(0, 0, 0, 0\)"),
        (lambda: cv.Conv2D(1, 2, 3).forward(np.zeros((0, 1, 4, 4))), r"expected at least one image"),
        (
            lambda: cv.conv2d_forward(np.zeros((1, 2, 4, 4)), np.zeros((3, 1, 3, 3)), np.zeros(3)),
            r"conv2d_forward: expected filters W of shape \(F, 2, KH, KW\), got \(3, 1, 3, 3\)",
        ),
        (
            lambda: cv.conv2d_forward(np.zeros((1, 1, 4, 4)), np.zeros((3, 1, 3, 3)), np.zeros(2)),
            r"expected b of shape \(F,\) = \(3,\), got \(2,\)",
        ),
        (
            lambda: cv.conv2d_forward_loop(np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 3, 3)), np.zeros(1), pad=-1),
            r"expected pad as an integer >= 0, got -1",
        ),
        (lambda: cv.Conv2D(1, 2, 0), r"Conv2D: expected kernel_size as an integer >= 1, got 0"),
        (lambda: cv.Conv2D(1, 2, 3, init="zeros"), r"expected init as one of"),
        (
            lambda: cv.conv2d_backward(
                np.full((1, 3, 3, 3), np.inf),
                cv.conv2d_forward(np.zeros((1, 1, 4, 4)), np.zeros((3, 1, 2, 2)), np.zeros(3))[1],
            ),
            r"conv2d_backward: dout contains an infinite value",
        ),
        (
            lambda: cv.conv2d_backward(
                np.zeros((1, 3, 2, 2)),
                cv.conv2d_forward(np.zeros((1, 1, 4, 4)), np.zeros((3, 1, 2, 2)), np.zeros(3))[1],
            ),
            r"conv2d_backward: expected dout of the output's shape \(1, 3, 3, 3\), got \(1, 3, 2, 2\)",
        ),
        (lambda: cv.MaxPool2D().backward(np.zeros((1, 1, 2, 2))), r"call forward before backward"),
        (
            lambda: _forwarded(cv.Conv2D(1, 2, 3, rng=0)).backward(np.zeros((2, 2, 3, 3))),
            r"Conv2D\(1, 2, 3\)\.backward: expected dout of the output's shape \(2, 2, 2, 2\), got \(2, 2, 3, 3\)",
        ),
        (
            lambda: _forwarded(cv.MaxPool2D()).backward(np.full((2, 1, 2, 2), np.nan)),
            r"MaxPool2D\(size=2, stride=2\)\.backward: dout contains NaN",
        ),
        (
            lambda: _forwarded(cv.Flatten()).backward(np.zeros((2, 15))),
            r"Flatten\(\)\.backward: expected dout of the output's shape \(2, 16\), got \(2, 15\)",
        ),
        (lambda: cv.im2col(np.array([[[["a"]]]]), 1, 1), r"expected x as a numeric array, got dtype <U1"),
    ],
)
def test_bad_inputs_get_clear_errors(call, message):
    with pytest.raises((ValueError, TypeError, RuntimeError), match=message):
        call()


def test_digits_loader():
    X, y = ds.digits()
    assert X.shape == (1797, 1, 8, 8) and X.dtype == np.float64
    assert y.shape == (1797,) and np.issubdtype(y.dtype, np.integer)
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_array_equal(np.unique(X * 16), np.arange(17))  # the 16 grey levels, and 0
    np.testing.assert_array_equal(np.unique(y), np.arange(10))
    assert np.bincount(y).min() >= 170
    assert y[0] == 0 and y[1] == 1  # the file starts 0, 1, 2, ...
    d = ds.digits()
    assert d.X is not X and np.array_equal(d.X, X)  # a fresh copy each call


def test_window_explorer_redraws_and_keeps_the_position_inside_the_output():
    pytest.importorskip("ipywidgets")
    from backprop_lib.widgets.conv import conv_window_explorer, example_image_and_kernel, window_figure

    box = conv_window_explorer()
    first = box.view.value
    assert first[:4] == b"\x89PNG"
    box.controls["j"].value = 3
    assert box.view.value != first
    box.controls["stride"].value = 2  # 7x7, 3x3 kernel, stride 2: a 3x3 output
    assert box.controls["j"].max == 2 and box.controls["j"].value == 2
    box.controls["pad"].value = 1  # now 4x4
    assert box.controls["i"].max == 3
    image, kernel = example_image_and_kernel()
    with pytest.raises(ValueError, match="outside the 5 x 5 output"):
        window_figure(image, kernel, 5, 0)
    with pytest.raises(ValueError, match="expected mode"):
        window_figure(image, kernel, 0, 0, mode="sideways")


def test_the_benchmark_candidates_compute_the_same_thing():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from benchmarks.conv import conv_cases

    cases = conv_cases({"N": 2, "H": 6, "W": 6})
    fwd = {name: fn()[0] for name, fn in cases["forward"].items()}
    np.testing.assert_allclose(fwd["loops"], fwd["im2col"], rtol=1e-12, atol=1e-12)
    bwd = {name: fn() for name, fn in cases["backward"].items()}
    for slow, fast in zip(bwd["loops"], bwd["im2col"]):
        np.testing.assert_allclose(slow, fast, rtol=1e-12, atol=1e-12)


def test_maxpool_router_moves_its_window_and_counts_the_wins():
    pytest.importorskip("ipywidgets")
    from backprop_lib.widgets.conv import POOLS, example_pool_input, maxpool_router, pool_figure

    box = maxpool_router()
    first = box.view.value
    box.controls["k"].value = 5
    assert box.view.value != first and box.controls["k"].max == 8
    box.controls["pool"].value = "3x3, stride 3"
    assert box.controls["k"].max == 3 and box.controls["k"].value == 3
    image = example_pool_input()
    assert len(np.unique(image)) == 36  # no ties
    for size, stride in POOLS.values():
        out, cache = cv.maxpool_forward(image[None, None], size, stride)
        assert cv.maxpool_backward(np.ones_like(out), cache).sum() == out.size  # one unit per window
    with pytest.raises(ValueError, match="window number in 0..8"):
        pool_figure(image, 2, 2, k=9)
    with pytest.raises(ValueError, match="expected pool in"):
        maxpool_router("4x4")
