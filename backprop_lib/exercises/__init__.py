"""The checks of the notebooks' exercises, one module per notebook (`nb03` for notebook 03).

Each `check_*` function runs the learner's function on inputs of its own, compares the result
with the library's reference and, when it is wrong, names the mistake it recognises (see
`backprop_lib.checks.check_function` and its `mistakes`). The tests feed every check its
common wrong answers, so the messages stay true.

    from backprop_lib.exercises import nb03 as ex
    ex.check_deep_backward(deep_backward)
"""
