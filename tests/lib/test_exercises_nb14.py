import numpy as np
import pytest

from backprop_lib import conv as cv
from backprop_lib.exercises import nb14 as ex


def conv_reference(dout, cache):
    return cv.conv2d_backward_loop(dout, cache)


def conv_im2col(dout, cache):
    """A right answer by another route: the library's im2col backward."""
    x, W, stride, pad = cache
    _, cols_cache = cv.conv2d_forward(x, W, np.zeros(W.shape[0]), stride, pad)
    return cv.conv2d_backward(dout, cols_cache)


def conv_todo(dout, cache):
    raise NotImplementedError


def conv_as_list(dout, cache):
    return list(cv.conv2d_backward_loop(dout, cache))


def conv_changes_cache(dout, cache):
    cache[0][...] = 0.0
    return cv.conv2d_backward_loop(dout, cache)


def conv_crashes(dout, cache):
    x, W = cache[:2]
    return x @ W, None, None


@pytest.mark.parametrize("fn", [conv_reference, conv_im2col])
def test_conv_check_passes_right_answers(fn, capsys):
    result = ex.check_conv2d_backward(fn)
    assert result and result.status == "passed"
    assert "✅" in capsys.readouterr().out


def test_conv_check_todo_and_plain_failures():
    assert ex.check_conv2d_backward(conv_todo, quiet=True).status == "todo"
    assert "tuple" in ex.check_conv2d_backward(conv_as_list, quiet=True).message
    assert "in place" in ex.check_conv2d_backward(conv_changes_cache, quiet=True).message
    assert "raised" in ex.check_conv2d_backward(conv_crashes, quiet=True).message


@pytest.mark.parametrize("message", list(ex.CONV_MISTAKES))
def test_conv_check_names_each_mistake(message):
    wrong = ex.CONV_MISTAKES[message]
    result = ex.check_conv2d_backward(wrong, quiet=True)
    assert not result and result.status == "failed"
    assert message in result.message, result.message
    assert "(in the case stride" in result.message


def test_every_conv_mistake_is_wrong_in_the_strided_padded_case():
    label, dout, cache = ex.conv_cases()[1]
    assert label == "stride 2, pad 1"
    right = cv.conv2d_backward_loop(dout, cache)
    for message, wrong in ex.CONV_MISTAKES.items():
        got = wrong(dout, cache)
        assert any(g.shape != r.shape or not np.allclose(g, r) for g, r in zip(got, right)), message


def pool_reference(dout, cache):
    return cv.maxpool_backward_loop(dout, cache)


def pool_vectorised(dout, cache):
    x, size, stride = cache
    return cv.maxpool_backward(dout, cv.maxpool_forward(x, size, stride)[1])


def pool_todo(dout, cache):
    raise NotImplementedError


def pool_output_shape(dout, cache):
    return dout.copy()


@pytest.mark.parametrize("fn", [pool_reference, pool_vectorised])
def test_pool_check_passes_right_answers(fn):
    assert ex.check_maxpool_backward(fn, quiet=True).status == "passed"


def test_pool_check_todo_and_wrong_shape():
    assert ex.check_maxpool_backward(pool_todo, quiet=True).status == "todo"
    message = ex.check_maxpool_backward(pool_output_shape, quiet=True).message
    assert "wrong shape" in message and "(2, 3, 4, 6)" in message


@pytest.mark.parametrize("message", list(ex.POOL_MISTAKES))
def test_pool_check_names_each_mistake(message):
    result = ex.check_maxpool_backward(ex.POOL_MISTAKES[message], quiet=True)
    assert not result and message in result.message, result.message


def test_overwriting_is_only_caught_where_windows_overlap():
    wrong = ex.POOL_MISTAKES[next(m for m in ex.POOL_MISTAKES if "overwrites" in m)]
    result = ex.check_maxpool_backward(wrong, quiet=True)
    assert "(in the case size 3, stride 2 (overlapping))" in result.message
