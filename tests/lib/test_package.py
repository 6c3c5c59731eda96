import subprocess
import sys

import backprop_lib as bl


def loaded_after_import():
    code = "import sys, backprop_lib; print(' '.join(sorted(sys.modules)))"
    return set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split())


def test_import_loads_nothing_heavy():
    """`import backprop_lib` costs about `import numpy`: matplotlib, ipywidgets, tqdm, autograd load on use."""
    mods = loaded_after_import()
    for heavy in ("matplotlib", "ipywidgets", "tqdm", "autograd", "nnfs", "IPython", "scipy"):
        assert heavy not in mods, heavy


def test_lazy_modules_load_on_first_use():
    assert bl.plotting.plot_history and bl.widgets.neuron_explorer
    assert "plotting" in dir(bl)


def test_numpy_global_state_untouched_by_import_and_use():
    code = (
        "import numpy as np; np.random.seed(1); a = np.random.rand(); np.random.seed(1);"
        "import backprop_lib as bl; X, y = bl.datasets.spiral(5, 2); bl.mlp([2, 3, 2]).loss(X, y);"
        "print(np.random.rand() == a, np.get_printoptions()['precision'], np.geterr()['over'])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "8", "warn"]


def test_public_api():
    for name in ("Dense", "ReLU", "Sigmoid", "Tanh", "LeakyReLU", "Softmax", "SoftmaxCrossEntropy", "CrossEntropy",
                 "MSE", "BinaryCrossEntropy", "Sequential", "mlp", "SGD", "Momentum", "Adam", "check_layer",
                 "rel_error", "numerical_gradient", "numerical_gradient_array", "softmax_jacobian",
                 "softmax_jacobian_batched", "softmax_backward", "softmax_backward_einsum", "softmax_backward_loop"):
        assert hasattr(bl, name), name
    assert bl.__version__ == "0.1.0"
