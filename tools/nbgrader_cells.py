"""Write the nbgrader cell metadata and the hidden tests of the course notebooks.

    python tools/nbgrader_cells.py            # write them into notebooks/NN_*.ipynb
    python tools/nbgrader_cells.py --check    # change nothing; exit 1 naming every cell that is out of date

Every exercise cell (a code cell holding `### BEGIN SOLUTION`) becomes an nbgrader solution
cell `ex-<name>`; the code cell after it, its check, becomes a locked autograded test cell
`check-<name>` worth POINTS[notebook][name]; every markdown cell is read-only (locked), with
the grade id `md-<cell id>`. Other code cells carry no nbgrader metadata. <name> is the
exercise the check names: `ex.check_tanh_backward(tanh_backward)` gives `tanh_backward`, and
`check_function(row_normalise, ...)` gives `row_normalise`.

A check cell keeps the lines a learner sees (the check calls, which print a verdict and never
raise) and ends with a hidden-test block that this tool writes:

    ### BEGIN HIDDEN TESTS
    bl.checks.require(ex.check_tanh_backward, tanh_backward)
    bl.checks.require(bl.checks.check_function, tanh_backward, act.tanh_backward, ...)
    ### END HIDDEN TESTS

one `require` per visible check call, so the graded cell fails (and scores 0) on a wrong or
unwritten answer whatever the visible line printed, then the extra cases of HIDDEN_CASES: fresh
inputs, of shapes or hyperparameters the visible check never uses, so an answer fitted to the
visible check's one case (a hard-coded learning rate, a batch size written as a number) does
not pass. nbgrader's generate_assignment removes the block from the student version and
autograde puts it back. The tests run `--check`, so the notebooks cannot drift from this file.
"""

import argparse
import ast
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
GENERIC_CHECKS = {"check_function", "check_array"}  # these name the exercise by their first argument
MAX_LINE = 120  # the project's line length (ruff lints the notebooks too)

# Points per exercise: 1 for a short exercise, 2 for a substantial one (a real piece of backprop,
# the ones INSTRUCTORS.md calls substantial), 3 for notebook 06's capstone network.
POINTS = {
    "00_welcome": {"row_normalise": 1, "pick_correct": 1, "tiny_network_logits": 1},
    "01_one_neuron": {"numerical_derivative": 1, "gradient_step": 1, "fork_backward": 2},
    "02_dense_layer": {"dense_backward_loop": 2, "dense_backward": 1, "dense_backward_columns": 1},
    "03_activations": {"tanh_backward": 1, "leaky_relu_backward": 1, "deep_backward": 2},
    "04_softmax_jacobian": {"stable_softmax": 1, "softmax_jacobian_row": 1, "softmax_vjps": 2},
    "05_cross_entropy_fused": {"sparse_cross_entropy": 1, "cross_entropy_per_sample": 1, "fused_gradient": 1,
                               "sigmoid_bce": 2},
    "06_training_a_network": {"l2_penalty_and_grads": 1, "accuracy_from_logits": 1, "tanh_training_step": 1,
                              "deep_network": 3},
    "07_autograd": {"div_backward": 1, "softplus_backward": 1, "topological_sort": 1, "value_mlp_loss": 2},
    "08_regression_sine": {"forward_1_25_1": 1, "mse_and_grad": 1, "sigmoid_layer_backward": 1,
                           "mse_backward_columns": 2},
    "09_iris": {"split_indices": 1, "standardise": 1, "batch_gradients": 2, "choose_epochs": 2,
                "confusion_counts": 1},
    "10_debugging_backprop": {"fixed_cross_entropy": 1, "fixed_relu_backward": 1, "fixed_ce_backward": 1,
                              "fixed_forward": 1, "layer_reports": 1, "fixed_layers": 2},
    "11_initialisation": {"leaky_he_std": 1, "leaky_stack_spreads": 2},
    "12_optimisers": {"rmsprop_step": 1, "ema_of_constant": 1, "adam_step": 2},
    "13_batchnorm_dropout": {"batchnorm_backward": 2, "batchnorm_eval_forward": 1, "dropout_backward": 1},
    "14_convolution": {"conv_param_grads": 1, "conv2d_backward": 2, "conv_dx_strided": 2, "col2im": 1,
                       "maxpool_backward": 1},
    "15_recurrent_networks": {"rnn_backward": 3, "clip_grad_norm": 1},
    "16_attention_transformer": {"embedding_backward": 1, "causal_softmax": 1, "attention_head_backward": 2,
                                 "block_backward": 3},
}

# Extra hidden cases: (notebook, exercise) -> code run after the visible checks' requires.
# Each is one expression (no assignment), so the hidden block adds no name to the notebook.
HIDDEN_CASES = {
    ("15_recurrent_networks", "rnn_backward"): """\
bl.checks.require(
    bl.checks.check_function, rnn_backward, bl.rnn_backward, np.random.default_rng(130).standard_normal((4, 9, 3)),
    bl.rnn_forward(*(np.random.default_rng(131 + i).standard_normal(s) * 0.5
                     for i, s in enumerate([(4, 9, 2), (4, 3), (2, 3), (3, 3), (3,)])))[1],
    outputs=("dx", "dh0", "dWx", "dWh", "db"), name="rnn_backward on 4 sequences of 9 steps",
)""",
    ("00_welcome", "row_normalise"): """\
bl.checks.require(check_function, row_normalise, row_normalise_reference, A_wide, hint=hint)""",
    ("01_one_neuron", "fork_backward"): """\
bl.checks.require(
    bl.checks.check_function, fork_backward, ex.fork_backward,
    *np.random.default_rng(101).standard_normal((3, 9)),  # x, y, dout: (9,) each
    outputs=("dx", "dy"), name="fork_backward on another input",
)""",
    ("02_dense_layer", "dense_backward_columns"): """\
bl.checks.require(
    bl.checks.check_function, dense_backward_columns,
    lambda dout_c, Xc, Wc: tuple(g.T for g in bl.dense_backward(dout_c.T, (Xc.T, Wc.T))),
    *(np.random.default_rng(102 + i).standard_normal(shape) for i, shape in enumerate([(2, 7), (5, 7), (2, 5)])),
    outputs=("dXc", "dWc", "dbc"), name="dense_backward_columns with N=7, D=5, H=2",
)""",
    ("03_activations", "tanh_backward"): """\
bl.checks.require(
    bl.checks.check_function, tanh_backward, act.tanh_backward,
    np.random.default_rng(103).standard_normal((5, 7)), np.tanh(3 * np.random.default_rng(104).standard_normal((5, 7))),
    name="tanh_backward on a (5, 7) batch",
)""",
    ("06_training_a_network", "l2_penalty_and_grads"): """\
bl.checks.require(
    bl.checks.check_function, l2_penalty_and_grads, ex.l2_reference,
    np.random.default_rng(106).standard_normal((4, 6)), np.random.default_rng(107).standard_normal((6, 2)), 0.3,
    outputs=("penalty", "dW1", "dW2"), name="l2_penalty_and_grads with reg = 0.3",
)""",
    ("08_regression_sine", "sigmoid_layer_backward"): """\
bl.checks.require(
    bl.checks.check_function, sigmoid_layer_backward, ex.reference_sigmoid_layer,
    *(np.random.default_rng(108 + i).standard_normal(shape) for i, shape in enumerate([(7, 2), (7, 5), (5, 2), (2,)])),
    outputs=("dX", "dW", "db"), name="sigmoid_layer_backward on a batch of 7",
)""",
    ("10_debugging_backprop", "fixed_cross_entropy"): """\
bl.checks.require(
    bl.checks.check_function, fixed_cross_entropy, bl.losses.cross_entropy,
    bl.softmax(np.random.default_rng(110).standard_normal((8, 4))), np.random.default_rng(111).integers(0, 4, 8),
    name="fixed_cross_entropy on a batch of 8",
)""",
    ("10_debugging_backprop", "fixed_relu_backward"): """\
bl.checks.require(
    bl.checks.check_function, fixed_relu_backward, bl.activations.relu_backward,
    np.random.default_rng(112).standard_normal((3, 8)),  # dout
    np.maximum(np.random.default_rng(113).standard_normal((3, 8)), 0),  # h, a ReLU output
    name="fixed_relu_backward on a (3, 8) batch",
)""",
    ("10_debugging_backprop", "fixed_ce_backward"): """\
bl.checks.require(
    bl.checks.check_function, fixed_ce_backward, lambda logits, y: bl.softmax_cross_entropy(logits, y)[1],
    3 * np.random.default_rng(114).standard_normal((9, 3)), np.random.default_rng(115).integers(0, 3, 9),
    name="fixed_ce_backward on a batch of 9",
)""",
    ("11_initialisation", "leaky_he_std"): """\
bl.checks.require(
    bl.checks.check_function, leaky_he_std, ex.leaky_he_std_reference, 33, 0.7, name="leaky_he_std(D=33, a=0.7)",
)""",
    ("11_initialisation", "leaky_stack_spreads"): """\
bl.checks.require(
    bl.checks.check_function, leaky_stack_spreads, ex.leaky_stack_spreads_reference,
    *(lambda X, weights, dout: (X, weights, 0.05, dout))(*ex._stack_inputs(117, widths=(3, 7, 2, 5), n=6)),
    outputs=("activation_std", "gradient_std"), name="leaky_stack_spreads with widths 3, 7, 2, 5 and a = 0.05",
)""",
    ("12_optimisers", "rmsprop_step"): """\
bl.checks.require(
    bl.checks.check_function, rmsprop_step, ex._rmsprop_reference,
    *np.random.default_rng(121).standard_normal((2, 2, 6)), np.random.default_rng(125).random((2, 6)),  # p, g; s
    0.02, 0.7, 1e-4,  # lr, beta, eps
    outputs=("p_new", "s_new"), name="rmsprop_step with lr = 0.02, beta = 0.7",
)""",
    ("12_optimisers", "ema_of_constant"): """\
bl.checks.require(
    bl.checks.check_function, ema_of_constant, ex.ema_of_constant_reference, np.linspace(-3, 2, 7), 0.6, 4,
    name="ema_of_constant(g of shape (7,), beta=0.6, t=4)",
)""",
    ("12_optimisers", "adam_step"): """\
bl.checks.require(
    bl.checks.check_function, adam_step, ex._adam_reference,
    *np.random.default_rng(122).standard_normal((2, 5, 2)),  # p, g
    0.02 * np.random.default_rng(123).standard_normal((5, 2)), 0.1 * np.random.default_rng(124).random((5, 2)) ** 2,
    7, 0.01, 0.8, 0.95, 1e-6,  # t, lr, beta1, beta2, eps
    outputs=("p_new", "m_new", "v_new"), name="adam_step at t = 7 with other hyperparameters",
)""",
    ("13_batchnorm_dropout", "batchnorm_backward"): """\
bl.checks.require(
    bl.checks.check_function, batchnorm_backward, bl.batchnorm_backward,
    *(lambda x, gamma, beta, dout: (dout, bl.batchnorm_forward(x, gamma, beta)[1]))(*ex.batchnorm_inputs(5, 6, 117)),
    outputs=ex.BN_OUTPUTS, name="batchnorm_backward on a (5, 6) batch",
)""",
    ("13_batchnorm_dropout", "batchnorm_eval_forward"): """\
bl.checks.require(
    bl.checks.check_function, batchnorm_eval, ex._eval_reference, *ex.eval_inputs(7, 4, 118),
    name="batchnorm_eval on a (7, 4) batch",
)""",
    ("13_batchnorm_dropout", "dropout_backward"): """\
bl.checks.require(
    bl.checks.check_function, dropout_backward, bl.dropout_backward, *ex.dropout_inputs((4, 9), 0.6, 119),
    name="dropout_backward with p = 0.6",
)""",
    ("14_convolution", "conv_param_grads"): """\
bl.checks.require(
    bl.checks.check_function, conv_param_grads, ex._reference_param_grads,
    *ex.conv_cases(114, (("", (3, 2, 6, 4), (2, 2, 1, 3), 1, 1),))[0][1:],  # dout, cache
    outputs=("dW", "db"), name="conv_param_grads with x (3, 2, 6, 4), W (2, 2, 1, 3), pad 1",
)""",
    ("14_convolution", "conv_dx_strided"): """\
bl.checks.require(
    bl.checks.check_function, conv_dx_strided, ex._reference_dx,
    *ex.conv_cases(115, (("", (1, 2, 7, 5), (2, 2, 3, 1), 2, 0),))[0][1:],  # dout, cache
    name="conv_dx_strided with x (1, 2, 7, 5), W (2, 2, 3, 1), stride 2",
)""",
}


class NotebookError(ValueError):
    """A notebook whose exercises this tool cannot read."""


def check_calls(source, where):
    """The top-level calls `check_*(...)` / `ex.check_*(...)` of a check cell's visible part."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise NotebookError(f"{where}: the check cell does not parse ({exc.msg}, line {exc.lineno})") from exc
    calls = []
    for statement in tree.body:
        call = statement.value if isinstance(statement, ast.Expr) else None
        if not isinstance(call, ast.Call):
            continue
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name.startswith("check_"):
            calls.append((name, call))
    if not calls:
        raise NotebookError(f"{where}: the cell after the exercise calls no check_*() at the top level")
    return calls


def exercise_name(calls, where):
    name, call = calls[0]
    if name not in GENERIC_CHECKS:
        return name.removeprefix("check_")
    if not call.args or not isinstance(call.args[0], ast.Name):
        raise NotebookError(f"{where}: {name}() should take the learner's function as its first argument")
    return call.args[0].id


def require_line(call):
    """`bl.checks.require(check, args...)` for the visible call `check(args...)`, within MAX_LINE."""
    parts = [ast.unparse(call.func)] + [ast.unparse(a) for a in call.args]
    parts += [f"{k.arg}={ast.unparse(k.value)}" if k.arg else f"**{ast.unparse(k.value)}" for k in call.keywords]
    one_line = f"bl.checks.require({', '.join(parts)})"
    if len(one_line) <= MAX_LINE:
        return one_line
    return "bl.checks.require(\n" + "".join(f"    {p},\n" for p in parts) + ")"


def visible_part(source, where):
    """A check cell's source without its hidden-test block (which must come last)."""
    if BEGIN_HIDDEN not in source:
        return source.rstrip()
    head, _, tail = source.partition(BEGIN_HIDDEN)
    if END_HIDDEN not in tail or tail.split(END_HIDDEN, 1)[1].strip():
        raise NotebookError(f"{where}: the hidden-test block must end the cell with {END_HIDDEN}")
    return head.rstrip()


def without_semicolons(source, calls):
    """`source` with the `;` after each visible check call removed.

    With the hidden block after them, the calls are no longer the cell's last line (ruff would
    flag the `;`), and a CheckResult displays nothing anyway: the check has printed its verdict.
    """
    lines = source.split("\n")
    for _, call in calls:
        row = call.end_lineno - 1
        encoded = lines[row].encode("utf-8")  # ast counts columns in bytes
        head, rest = encoded[: call.end_col_offset].decode(), encoded[call.end_col_offset:].decode()
        if rest.strip() == ";":
            lines[row] = head
    return "\n".join(lines)


def check_source(visible, calls, extra):
    hidden = [require_line(call) for _, call in calls] + ([extra] if extra else [])
    return "\n".join([visible, BEGIN_HIDDEN, *hidden, END_HIDDEN])


def solution_meta(name):
    return {"grade": False, "grade_id": f"ex-{name}", "locked": False, "schema_version": 3, "solution": True,
            "task": False}


def test_meta(name, points):
    return {"grade": True, "grade_id": f"check-{name}", "locked": True, "points": points, "schema_version": 3,
            "solution": False, "task": False}


def readonly_meta(cell):
    return {"grade": False, "grade_id": f"md-{cell.id}", "locked": True, "schema_version": 3, "solution": False,
            "task": False}


def exercises(nb, stem):
    """[(exercise cell index, check cell index, name, calls)] of a notebook, in order."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or BEGIN not in cell.source:
            continue
        j = next((k for k in range(i + 1, len(nb.cells)) if nb.cells[k].cell_type == "code"), None)
        where = f"{stem}, cell {i}"
        if j is None or BEGIN in nb.cells[j].source:
            raise NotebookError(f"{where}: an exercise must be followed by its check cell")
        calls = check_calls(visible_part(nb.cells[j].source, f"{stem}, cell {j}"), f"{stem}, cell {j}")
        found.append((i, j, exercise_name(calls, f"{stem}, cell {j}"), calls))
    return found


def graded(nb, stem):
    """A copy of `nb` with the nbgrader metadata and hidden tests this tool writes."""
    nb = nbformat.reads(nbformat.writes(nb), as_version=4)  # a deep copy
    points = POINTS.get(stem)
    if points is None:
        raise NotebookError(f"{stem}: not in POINTS; add the notebook and the points of its exercises")
    found = exercises(nb, stem)
    names = [name for _, _, name, _ in found]
    if sorted(names) != sorted(points) or len(set(names)) != len(names):
        raise NotebookError(f"{stem}: the exercises are {names}, but POINTS lists {list(points)}")
    unknown = [name for (nb_stem, name) in HIDDEN_CASES if nb_stem == stem and name not in points]
    if unknown:
        raise NotebookError(f"{stem}: HIDDEN_CASES has cases for {unknown}, which are not exercises here")
    roles = {}
    for i, j, name, calls in found:
        roles[i] = solution_meta(name)
        roles[j] = test_meta(name, points[name])
        visible = without_semicolons(visible_part(nb.cells[j].source, f"{stem}, cell {j}"), calls)
        nb.cells[j].source = check_source(visible, calls, HIDDEN_CASES.get((stem, name)))
    for i, cell in enumerate(nb.cells):
        if i in roles:
            cell.metadata["nbgrader"] = roles[i]
        elif cell.cell_type == "markdown":
            cell.metadata["nbgrader"] = readonly_meta(cell)
        else:
            cell.metadata.pop("nbgrader", None)
    return nb


def differences(old, new):
    """What is out of date in `old`, in one line."""
    if len(old.cells) != len(new.cells):
        return "the cells differ"
    sources = sum(a.source != b.source for a, b in zip(old.cells, new.cells))
    metadata = sum(a.metadata.get("nbgrader") != b.metadata.get("nbgrader") for a, b in zip(old.cells, new.cells))
    return f"hidden tests out of date in {sources} check cell(s), nbgrader metadata in {metadata} cell(s)"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/NN_*.ipynb")
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 if a notebook is out of date")
    args = ap.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    stale = []
    for path in paths:
        if path.suffix != ".ipynb" or not path.is_file():
            ap.error(f"expected a course notebook NN_name.ipynb, got {path}")
        text = path.read_text(encoding="utf-8")
        nb = nbformat.reads(text, as_version=4)
        try:
            new = graded(nb, path.stem)
        except NotebookError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        new_text = nbformat.writes(new) + "\n"
        if new_text == text:
            continue
        if args.check:
            stale.append(path)
            print(f"{path.name}: {differences(nb, new)}", file=sys.stderr)
        else:
            path.write_text(new_text, encoding="utf-8")
            print(f"{path.name}: nbgrader metadata and hidden tests written (re-execute it to refresh its outputs)")
    if stale:
        print(f"{len(stale)} notebook(s) out of date: run python tools/nbgrader_cells.py, then re-execute them",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
