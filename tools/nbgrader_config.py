"""nbgrader's configuration for this course.

`make grading` copies this file, with student_header.ipynb beside it, into the nbgrader course
directory it assembles (_build/grading), where nbgrader reads it; `make student` applies the
same file in-process, so the student versions are what `nbgrader generate_assignment`
releases, byte for byte. One assignment per notebook: source/03_activations/03_activations.ipynb.
"""

import os

from nbgrader.converters import GenerateAssignment

c = get_config()  # noqa: F821 - nbgrader defines get_config() when it reads this file

HERE = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "backprop-from-scratch"

# What replaces each `### BEGIN SOLUTION ... ### END SOLUTION` block: the learner's cell still
# defines its function, and the check after it reports "not implemented yet" instead of raising.
c.ClearSolutions.code_stub = {
    "python": '# YOUR CODE HERE\nraise NotImplementedError("write your answer here, then run the check below")'
}

# The release leaves out the instructor's cells (speaker notes, timing advice, cells tagged
# `instructor`) before nbgrader's own steps, which stay as nbgrader defines them.
c.GenerateAssignment.preprocessors = [
    "backprop_lib.grading.ClearInstructorCells",
    *GenerateAssignment.class_traits()["preprocessors"].default(),
]

# A note at the top of every student version: how to check oneself.
c.IncludeHeaderFooter.header = os.path.join(HERE, "student_header.ipynb")

# Autograde runs whole notebooks, training loops included: the slowest cell takes a few seconds here.
c.Execute.timeout = 300

# Feedback: without these two, the HTML a learner gets back shows the hidden tests that
# autograde restored (their source, and the lines a traceback quotes). ClearHiddenTests removes
# the blocks; ShortTracebacks shows a graded cell's error as one line, "AssertionError: <the
# check's verdict>".
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "backprop_lib.grading.ShortTracebacks",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
