# The course's commands. Everything runs inside a local virtual environment, .venv.
#   make lab     set up (if needed) and open the course in JupyterLab, at the student version of
#                notebook 00 (student/ is written first where it is missing or out of date; a
#                notebook you have worked in is never overwritten)
#   make lab-solutions  the same, at the version with solutions (notebooks/), for instructors
#   make test    set up (if needed) and run the whole test suite, on two pytest-xdist workers
#   make test-lib only the library's unit tests (tests/lib), in seconds
#   make lint    ruff on the code and the notebooks
#   make setup   only create .venv and install the pinned requirements and the package
#   make slides  export every notebook to an offline reveal.js deck in _build/slides
#   make student write the student version of every notebook to student/ (what nbgrader releases);
#                a notebook you have worked in is kept as it is
#   make check NB=03   run a notebook headless and report each exercise (NB: a number, for your
#                      copy in student/ (or notebooks/ if there is none), or a path)
#   make grading assemble the nbgrader course directory in _build/grading (see INSTRUCTORS.md)
#   make bench   run the benchmark suite; writes benchmarks/RESULTS.md
#   make clean   delete .venv and what the tools generated; keeps your work in student/ and a gradebook

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LAB_ARGS ?=
PYTEST_ARGS ?=
BENCH_ARGS ?=

NB ?=

.PHONY: setup lab lab-solutions test test-lib lint slides student check grading bench clean

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -r requirements.txt
	$(BIN)/python -m pip install --no-deps -e .
	touch $(STAMP)

# JupyterLab refuses to start as root (as in many containers) unless told it may; a MPLBACKEND
# inherited from the shell would hide every inline figure, so the kernels do not get it.
ROOT_ARGS := $(if $(filter 0,$(shell id -u)),--allow-root)

LAB := env -u MPLBACKEND $(BIN)/jupyter lab --ServerApp.root_dir=. $(ROOT_ARGS)

lab: setup
	$(BIN)/python tools/make_student.py --quiet
	$(LAB) --LabApp.default_url=/lab/tree/student/00_welcome.ipynb $(LAB_ARGS)

lab-solutions: setup
	$(LAB) --LabApp.default_url=/lab/tree/notebooks/00_welcome.ipynb $(LAB_ARGS)

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-lib: setup
	$(BIN)/python -m pytest tests/lib $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .

slides: setup
	$(BIN)/python tools/export_slides.py

student: setup
	$(BIN)/python tools/make_student.py

ifneq ($(filter check,$(MAKECMDGOALS)),)
ifeq ($(NB),)
$(error make check needs a notebook: NB=03 (your copy in student/), or a path such as NB=notebooks/03_activations.ipynb)
endif
endif

check: setup
	$(BIN)/python -m backprop_lib check $(NB)

# nbgrader runs `alembic` (its gradebook's migrations) from PATH: activate .venv before grading.
grading: setup
	$(BIN)/python tools/grading_course.py

# A large malloc top pad keeps the C allocator from returning memory to the system between
# steps, which otherwise makes tiny-network timings swing from run to run.
bench: setup
	MALLOC_TOP_PAD_=536870912 $(BIN)/python -m benchmarks.run $(BENCH_ARGS)

# A course directory with a gradebook holds a class's grades, and a student notebook that is not
# what make student wrote holds a learner's work: clean leaves both, and says so.
clean:
	$(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON)) tools/make_student.py --clean
	rm -rf $(VENV) .pytest_cache tools/slides/node_modules
	@if [ -f _build/grading/gradebook.db ]; then \
	  find _build -mindepth 1 -maxdepth 1 ! -name grading -exec rm -rf {} +; \
	  echo "make clean: kept _build/grading, which holds a gradebook; delete it by hand once the grades are safe"; \
	else rm -rf _build; fi
