import numpy as np
import pytest

from backprop_lib import conv as cv
from backprop_lib.exercises import nb14 as ex

CHECKS = {  # check, its known mistakes, a right answer
    "param_grads": (ex.check_conv_param_grads, ex.PARAM_MISTAKES, lambda d, c: cv.conv2d_backward_loop(d, c)[1:]),
    "conv_backward": (ex.check_conv2d_backward, ex.CONV_MISTAKES, cv.conv2d_backward_loop),
    "dx_strided": (ex.check_conv_dx_strided, ex.STRIDED_MISTAKES, lambda d, c: cv.conv2d_backward_loop(d, c)[0]),
    "col2im": (ex.check_col2im, ex.COL2IM_MISTAKES, cv.col2im),
    "maxpool": (ex.check_maxpool_backward, ex.POOL_MISTAKES, cv.maxpool_backward_loop),
}


def todo(*args):
    raise NotImplementedError


def conv_im2col(dout, cache):
    """A right answer by another route: the library's im2col backward."""
    x, W, stride, pad = cache
    _, cols_cache = cv.conv2d_forward(x, W, np.zeros(W.shape[0]), stride, pad)
    return cv.conv2d_backward(dout, cols_cache)


def dx_by_dilation(dout, cache):
    """The notebook's route to dx at any stride: a forward pass on the dilated, padded dout."""
    x, W, stride, pad = cache
    KH, KW = W.shape[2:]
    dilated = np.zeros((*dout.shape[:2], (dout.shape[2] - 1) * stride + 1, (dout.shape[3] - 1) * stride + 1))
    dilated[:, :, ::stride, ::stride] = dout
    turned = W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
    padded = np.pad(dilated, ((0, 0), (0, 0), (KH - 1, KH - 1), (KW - 1, KW - 1)))
    dxp = cv.conv2d_forward_loop(padded, turned, np.zeros(turned.shape[0]))[0]
    return dxp[:, :, pad : pad + x.shape[2], pad : pad + x.shape[3]]


def pool_vectorised(dout, cache):
    x, size, stride = cache
    return cv.maxpool_backward(dout, cv.maxpool_forward(x, size, stride)[1])


@pytest.mark.parametrize("name", list(CHECKS))
def test_each_check_passes_its_reference(name, capsys):
    check, _, right = CHECKS[name]
    result = check(right)
    assert result and result.status == "passed"
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize(
    "check, right",
    [
        (ex.check_conv2d_backward, conv_im2col),
        (ex.check_conv_dx_strided, dx_by_dilation),
        (ex.check_maxpool_backward, pool_vectorised),
    ],
)
def test_right_answers_by_another_route_pass(check, right):
    assert check(right, quiet=True).status == "passed"


@pytest.mark.parametrize("name", list(CHECKS))
def test_each_check_knows_at_least_five_mistakes(name):
    assert len(CHECKS[name][1]) >= 5


@pytest.mark.parametrize("name, message", [(n, m) for n, (_, mistakes, _) in CHECKS.items() for m in mistakes])
def test_each_mistake_fails_with_its_own_message(name, message):
    check, mistakes, _ = CHECKS[name]
    result = check(mistakes[message], quiet=True)
    assert not result and result.status == "failed"
    assert message in result.message, result.message
    assert "(in the case x (" in result.message


@pytest.mark.parametrize("name", list(CHECKS))
def test_an_unwritten_answer_is_todo(name):
    assert CHECKS[name][0](todo, quiet=True).status == "todo"


def test_nothing_in_the_convolution_cases_is_square():
    for _, dout, (x, W, _, _) in ex.conv_cases() + ex.conv_cases(seed=41, shapes=ex.STRIDED_SHAPES):
        assert x.shape[2] != x.shape[3] and W.shape[2] != W.shape[3] and dout.shape[2] != dout.shape[3]
    assert any(stride > 1 and pad > 0 for _, _, (_, _, stride, pad) in ex.conv_cases())


# -- wrong answers written the way a learner would write them ------------------------------------------
def conv_kh_kw_swapped(dout, cache):
    """Reads KW, KH = W.shape[2:]: with a 2 x 3 kernel the windows have the wrong shape."""
    x, W, stride, pad = cache
    KW, KH = W.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dW = np.zeros_like(xp), np.zeros_like(W)
    for n, f, i, j in np.ndindex(dout.shape):
        rows, cols = slice(i * stride, i * stride + KH), slice(j * stride, j * stride + KW)
        dW[f] += dout[n, f, i, j] * xp[n, :, rows, cols]
        dxp[n, :, rows, cols] += dout[n, f, i, j] * W[f]
    return dxp[:, :, pad : pad + x.shape[2], pad : pad + x.shape[3]], dW, dout.sum(axis=(0, 2, 3))


def test_a_kh_kw_swap_fails_and_is_named():
    result = ex.check_conv2d_backward(conv_kh_kw_swapped, quiet=True)
    assert not result and "raised" in result.message and "KH and KW" in result.message


def test_the_param_grads_check_names_the_kernel_transposed():
    result = ex.check_conv_param_grads(lambda d, c: (cv.conv2d_backward_loop(d, c)[1].transpose(0, 1, 3, 2), d.sum((0, 2, 3))), quiet=True)
    assert not result and "KH and KW swapped" in result.message


def test_the_param_grads_check_catches_a_learner_who_returns_three_values():
    result = ex.check_conv_param_grads(cv.conv2d_backward_loop, quiet=True)
    assert not result and "2 values" in result.message


def test_the_undilated_full_correlation_is_named_whatever_the_crop():
    def undilated_cropped_once(dout, cache):  # a crop that fits neither known variant: the shape names it
        x, W, stride, pad = cache
        full = ex._dx_by_correlation(dout, cache, gap=0, crop=False)
        return full[:, :, :-1, :-1]

    result = ex.check_conv_dx_strided(undilated_cropped_once, quiet=True)
    assert not result
    assert "without dilating" in result.message or "undilated dout" in result.message, result.message

    result = ex.check_conv_dx_strided(lambda d, c: ex._dx_by_correlation(d, c, gap=0), quiet=True)
    assert "without dilating it" in result.message and "stride 2" in result.message


def test_the_undilated_correlation_is_right_only_at_stride_1():
    for label, dout, cache in ex.conv_cases(seed=41, shapes=ex.STRIDED_SHAPES):
        right = cv.conv2d_backward_loop(dout, cache)[0]
        wrong = ex._dx_by_correlation(dout, cache, gap=0)
        same = wrong.shape == right.shape and np.allclose(wrong, right)
        assert same == (cache[2] == 1), label


def test_the_pool_cases_have_ties_in_a_window():
    tied = 0
    for label, _, (x, size, stride) in ex.pool_cases():
        out = cv.maxpool_forward_loop(x, size, stride)[0]
        for n, c, i, j in np.ndindex(out.shape):
            window = x[n, c, i * stride : i * stride + size, j * stride : j * stride + size]
            tied += int((window == out[n, c, i, j]).sum() > 1)
        assert x.shape[2] != x.shape[3], label
    assert tied >= 10


def test_every_tied_pixel_getting_dout_breaks_the_sum():
    label, dout, cache = ex.pool_cases()[2]
    wrong = ex._pool_variant(dout, cache, route="ties")
    assert not np.isclose(wrong.sum(), dout.sum())
    assert np.isclose(cv.maxpool_backward_loop(dout, cache).sum(), dout.sum())


def test_an_unknown_pool_answer_that_loses_gradient_is_told_by_its_sum():
    def half_the_windows(dout, cache):
        dx = cv.maxpool_backward_loop(dout, cache)
        return dx * (np.arange(dx.shape[-1]) < dx.shape[-1] // 2)

    result = ex.check_maxpool_backward(half_the_windows, quiet=True)
    assert not result and "dx.sum()" in result.message and "one pixel" in result.message


def test_checks_reject_in_place_changes_and_lists():
    def changes_cache(dout, cache):
        cache[0][...] = 0.0
        return cv.conv2d_backward_loop(dout, cache)

    assert "in place" in ex.check_conv2d_backward(changes_cache, quiet=True).message
    assert "tuple" in ex.check_conv2d_backward(lambda d, c: list(cv.conv2d_backward_loop(d, c)), quiet=True).message
    message = ex.check_maxpool_backward(lambda d, c: d.copy(), quiet=True).message
    assert "wrong shape" in message and "(2, 3, 4, 6)" in message
