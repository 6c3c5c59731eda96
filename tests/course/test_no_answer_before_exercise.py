"""Nothing a learner reads before an exercise gives its answer away.

For every exercise (a `### BEGIN SOLUTION` block in notebooks/NN_*.ipynb) this takes the
solution's key lines and looks for them in what the student version shows before the learner
writes it: the README, every earlier notebook, and this notebook's cells before the exercise
(and the exercise cell's own scaffold). What a student version shows is the notebook without
the instructor's cells (speaker notes: `backprop_lib.grading.instructor_only`, what
`make student` leaves out), without solutions and hidden tests; outputs are not searched.

A key line is a solution line, without its comment and its whitespace, that computes
something: an expression of eight characters or more with an operator or a method of an
array in it (`dX = dout @ W.T`, `db = dout.sum(axis=0)`). Not key: `return dX, dW, db`,
`pass`, a loop or `if` header, a shape read (`N, D = X.shape`) and a line that only calls a
library function (`np.maximum(s, 0)`, `bl.softmax(logits)`). For `x = expr` and `return expr`
the expression is searched, wherever it is written; a line the learner wrote in an earlier
exercise is known to them, and is not searched again. Prose (the README, markdown cells) that
holds a key line gives it away; code gives the exercise away when one cell holds more than
half of its key lines (all of a one-line answer), since a line shared with code shown for
another purpose is not the answer. Formulas that prose gives in another
notation (LaTeX, the nnfs book's names) are listed per exercise in GIVEAWAYS. The exercise's
own hints (`<details>` blocks right before it) are part of it and are not searched.
"""

import re
from pathlib import Path

import nbformat
import pytest

from backprop_lib.grading import instructor_only

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"

# Per exercise (notebook stem, exercise name): regular expressions, on text normalised as
# `normalise` does, for the answer written as prose or maths rather than as the solution's code.
GIVEAWAYS = {
    ("01_one_neuron", "numerical_derivative"): [r"f\(x\+h\)-f\(x-h\)"],
    ("01_one_neuron", "fork_backward"): [r"gradients\w{0,12}add"],  # the point of the exercise
    ("02_dense_layer", "dense_backward"): [
        r"dout@?W(\.T|\^T)",  # dX = dout @ W.T, or dX = dout W^T
        r"X(\.T|\^T)@?dout",  # dW = X.T @ dout, or X^T dout
        r"dout\.sum\((axis=)?0\)",  # db = dout.sum(axis=0)
    ],
    ("03_activations", "tanh_backward"): [
        r"1-(out|y|t)(\*\*2|\^2|\*(out|y|t))",  # tanh' = 1 - y^2
        r"1-\\tanh\^2",
    ],
    ("04_softmax_jacobian", "softmax_jacobian_row"): [
        r"s_i\(\\delta_\{?ij\}?-s_j\)",  # the derivation's result, s_i (delta_ij - s_j)
        r"s\[i\]\*\(delta_?ij-s\[j\]\)",
        r"diag\}?\(s\)-s\*?s\^T",  # diag(s) - s s^T
    ],
    ("05_cross_entropy_fused", "fused_gradient"): [
        r"probs\W{0,12}-[\w.\\{}(]{0,30}?one_?hot",  # (probs - onehot) / N, probs - bl.one_hot(y, C)
        r"\\frac\{probs-",
        r"y(_true)?\]-=1",  # dvalues[range(samples), y_true] -= 1
    ],
}

LIBRARY_CALL = re.compile(r"(np|bl|math|act|losses|layers|ex|nb\d\d)\.[\w.]+\(.*\)|(len|range|float|int|list|set|"
                          r"sorted|zip|enumerate|tuple|print|visit)\(.*\)")
SHAPE_READ = re.compile(r"[\w.]+\.shape(\[\d\])?|[\w.]+\.copy\(\)|\[\]|set\(\)|\d+(\.\d*)?|None|True|False")
LATEX = [(re.compile(r"\\(text|texttt|mathrm|operatorname|mathbf|boldsymbol)\{([^{}]*)\}"), r"\2"),
         (re.compile(r"\\[,;:!]|\\q?quad"), ""),
         (re.compile(r"\^\{?\\top\}?|\^\{T\}|\^\\mathsf\{T\}"), "^T"),
         (re.compile(r"\\left|\\right|\\big|\\Big"), "")]


def normalise(text):
    """Text without whitespace, backticks, dollars or LaTeX spacing, so code and maths compare."""
    for pattern, repl in LATEX:
        text = pattern.sub(repl, text)
    return re.sub(r"[\s`$]", "", text)


def code_only(line):
    """A line of code without its comment (a # inside a string is rare enough here)."""
    return line.split("#", 1)[0]


def key_expression(line):
    """The normalised expression a solution line computes, or None when the line is not key."""
    s = normalise(code_only(line))
    if not s or s.endswith(":") or s in ("pass", "continue", "break"):
        return None
    s = re.sub(r"^return", "", s)
    wrapped = re.fullmatch(r"(float|int)\((.*)\)", s)  # return float(expr): the answer is expr
    if wrapped:
        s = wrapped.group(2)
    assign = re.match(r"^[\w.,\[\]()]+=(?!=)", s)
    if assign and not re.match(r"^[\w.,\[\]()]+[-+*/@]=", s):
        s = s[assign.end():]
    if re.fullmatch(r"[\w.,]+", s) or SHAPE_READ.fullmatch(s):  # names, a shape, a copy: nothing derived
        return None
    if LIBRARY_CALL.fullmatch(s) and not re.search(r"[-+*/@]", s):  # only calls the library
        return None
    outside = s
    while re.search(r"\[[^\[\]]*\]", outside):  # index arithmetic (layers[-1], x[n + 1]) computes nothing
        outside = re.sub(r"\[[^\[\]]*\]", "", outside)
    fancy = re.search(r"\[[^\[\]]*\(.*\),", s)  # probs[np.arange(N), y]: indexing that is an answer
    if len(s) < 8 or not (fancy or re.search(r"[-+*/@]|\.(sum|mean|max|min|T|dot|outer|exp|log)\b", outside)):
        return None
    return s


def solution_block(source):
    """(the lines inside the solution block, the cell's other lines: what a student version shows)."""
    inside, solution, scaffold = False, [], []
    for line in source.splitlines():
        if line.strip() == BEGIN:
            inside = True
        elif line.strip() == END:
            inside = False
        else:
            (solution if inside else scaffold).append(line)
    return solution, scaffold


def student_view(cell):
    """What a student version shows of a cell's source: no solution, no hidden test, no instructor cell."""
    if instructor_only(cell):
        return ""
    if cell.cell_type != "code":
        return cell.source
    _, shown = solution_block(cell.source)
    out, hidden = [], False
    for line in shown:
        if line.strip() == BEGIN_HIDDEN:
            hidden = True
        elif line.strip() == END_HIDDEN:
            hidden = False
        elif not hidden:
            out.append(line)
    return "\n".join(out)


def without_hints(markdown):
    return re.sub(r"<details>.*?</details>", "", markdown, flags=re.S)


class Exercise:
    def __init__(self, path, nb, index):
        self.path, self.nb, self.index = path, nb, index
        meta = nb.cells[index].metadata.get("nbgrader", {})
        self.name = meta.get("grade_id", f"cell-{index}").removeprefix("ex-")
        self.lines, self.scaffold = solution_block(nb.cells[index].source)
        self.keys = {}
        for line in self.lines:
            key = key_expression(line)
            if key:
                self.keys.setdefault(key, line.strip())

    @property
    def id(self):
        return f"{self.path.stem}:{self.name}"


def exercises():
    found = []
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        found += [Exercise(path, nb, i) for i, cell in enumerate(nb.cells)
                  if cell.cell_type == "code" and BEGIN in cell.source]
    return found


EXERCISES = exercises()


def places_before(exercise):
    """[(where, cell index or None, kind, the text a learner sees)] before `exercise` is answered."""
    places = [("README.md", None, "markdown", (ROOT / "README.md").read_text(encoding="utf-8"))]
    for path in NOTEBOOKS:
        if path == exercise.path:
            break
        nb = nbformat.read(path, as_version=4)
        places += [(path.name, i, c.cell_type, student_view(c)) for i, c in enumerate(nb.cells)]
    cells = exercise.nb.cells
    # the exercise's own prompt: the markdown cells since the last code cell; their hints are its own
    prompt = exercise.index
    while prompt > 0 and cells[prompt - 1].cell_type != "code":
        prompt -= 1
    for i in range(exercise.index):
        text = student_view(cells[i])
        if i >= prompt and cells[i].cell_type == "markdown":
            text = without_hints(text)
        places.append((exercise.path.name, i, cells[i].cell_type, text))
    places.append((exercise.path.name, exercise.index, "exercise scaffold", "\n".join(exercise.scaffold)))
    return places


def known_before(exercise):
    """The key expressions of every earlier exercise: the learner has written them already."""
    known = set()
    for other in EXERCISES:
        if other is exercise:
            break
        known |= set(other.keys)
    return known


def giveaways(exercise):
    """[(what was found, where, the line it sits in)] for `exercise`."""
    known = known_before(exercise)
    keys = {key: line for key, line in exercise.keys.items() if key not in known}
    patterns = [re.compile(p) for p in GIVEAWAYS.get((exercise.path.stem, exercise.name), [])]
    hits = []
    for where, index, kind, text in places_before(exercise):
        at = where if index is None else f"{where} cell {index} ({kind})"
        found = []
        # code line by line; prose whole (a formula may run over lines), quoted by its line
        for part in (text.splitlines() if kind != "markdown" else [text]):
            norm = normalise(part)
            if not norm:
                continue
            for key, original in keys.items():
                if key in norm:
                    found.append((key, f"the solution's line `{original}`", at, quote(part, lambda n, k=key: k in n)))
            for pattern in patterns:
                if pattern.search(norm):
                    hits.append((f"the formula /{pattern.pattern}/", at, quote(part, pattern.search)))
        # Prose that states a key line gives it away. Code gives the exercise away when it holds
        # more than half of its key lines: a line shared with code shown for another purpose (the
        # naive softmax's normalisation before the stable one's) is not the answer.
        if kind == "markdown" or len({key for key, *_ in found}) * 2 > len(keys):
            hits += [hit for _, *hit in found]
    return hits


def quote(text, found):
    """The line of `text` (or the two or three lines) in which `found` finds the match, for the report."""
    lines = text.splitlines()
    for width in (1, 2, 3):
        for i in range(len(lines) - width + 1):
            part = " ".join(line.strip() for line in lines[i:i + width])
            if found(normalise(part)):
                return part[:200]
    return " ".join(text.split())[:200]


def test_the_key_lines_are_found_in_a_known_giveaway():
    """The matching itself, on lines of its own: the README's old row for notebook 02 is caught, and so on."""
    keys = {key_expression(line) for line in ("dX = dout @ W.T  # (N, H) @ (H, D)", "dW = X.T @ dout",
                                              "db = dout.sum(axis=0)  # (H,)", "return dX, dW, db")}
    assert keys == {"dout@W.T", "X.T@dout", "dout.sum(axis=0)", None}
    old_row = "| 02 | a dense layer | `dX = dout @ W.T`, `dW = X.T @ dout`, `db = dout.sum(0)` and why |"
    assert all(k in normalise(old_row) for k in ("dout@W.T", "X.T@dout"))
    assert re.search(GIVEAWAYS[("02_dense_layer", "dense_backward")][2], normalise("db = dout.sum(0)"))
    fused = GIVEAWAYS[("05_cross_entropy_fused", "fused_gradient")]
    for text in ("`(probs - onehot) / N`", r"$\frac{\text{probs} - \text{onehot}}{N}$",
                 "fused = (probs - bl.one_hot(y, C)) / N", "dvalues[range(samples), y_true] -= 1"):
        assert any(re.search(p, normalise(text)) for p in fused), text
    for line, key in [("return dX, dW, db", None), ("N, D = X.shape", None), ("pass", None),
                      ("r = np.maximum(s, 0)", None), ("for n in range(N):", None),
                      ("p = bl.activations.sigmoid(logits)  # (N,)", None), ("dlogits = probs.copy()", None),
                      ("dW = X.T @ dout  # (D, N) @ (N, H)", "X.T@dout"),
                      ("dlogits[np.arange(N), y] -= 1", "dlogits[np.arange(N),y]-=1"), ("W, b = layers[-1]", None),
                      ("return dout * (1 - out**2)", "dout*(1-out**2)"),
                      ("return probs[np.arange(N), y]", "probs[np.arange(N),y]"),
                      ("return float(-np.log(probs[rows, y]).mean())", "-np.log(probs[rows,y]).mean()")]:
        assert key_expression(line) == key, line


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_nothing_before_an_exercise_gives_its_answer(exercise):
    hits = giveaways(exercise)
    assert not hits, f"{exercise.id} (cell {exercise.index}) is answered before the learner writes it:\n" + "\n".join(
        f"  {what} in {at}: {line}" for what, at, line in hits)
