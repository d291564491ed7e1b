# The course's commands. `make course` opens the course, `make test` runs every check.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install course test lint unit notebooks-test grading notebooks slides release data benchmark clean

# Create the virtual environment if it is missing and install the package with everything the
# notebooks and tests need. Re-runs only when pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	# JupyterLab's "get notified about news?" pop-up would cover the notebook on first visit.
	install -D -m 644 tools/jupyterlab_overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	touch $(STAMP)

## Install (or bring up to date) the virtual environment alone; every command below needs it.
install: $(STAMP)

## Open the course: JupyterLab on notebooks/, on 127.0.0.1 only, token authentication on.
# (--allow-root only when run as root, e.g. in a container: Jupyter refuses root otherwise.)
course: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=notebooks --no-browser \
		$(if $(filter 0,$(shell id -u)),--allow-root)

# pytest-xdist spreads tests over JOBS processes (2: a 2-core laptop), in the order conftest.py
# sets: the browser tests first (all in one process: one JupyterLab, one Chromium), then the
# three nbgrader gradings, the longest test modules, the notebooks under nbval (each notebook's
# cells together, in order, in one process), then every other test module (each whole, in one
# process) wherever a process is free.
JOBS ?= 2
XDIST := -n $(JOBS) --dist loadgroup --no-loadscope-reorder
NBVAL := --nbval-lax --nbval-current-env --nbval-cell-timeout=300

## Run every check: lint, then one pytest run over every test in tests/ (the unit tests, the
## browser test and nbgrader autograding of every exercise: right, untouched and wrong answers)
## and every notebook under nbval. `make unit`, `make grading`, `make notebooks-test` run parts.
test: lint $(STAMP)
	$(BIN)/python -m pytest $(XDIST) $(NBVAL) tests notebooks

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check course_utils tools tests benchmarks conftest.py
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest $(XDIST) -m "not grading" tests

notebooks-test: $(STAMP)
	$(BIN)/python -m pytest $(XDIST) $(NBVAL) notebooks

## Autograde every lab notebook and assignment with nbgrader (tests/grading/test_autograde.py).
grading: $(STAMP)
	$(BIN)/python -m pytest -m grading tests

## Re-execute every notebook in place so that stored outputs come from one clean run.
notebooks: $(STAMP)
	$(BIN)/python -m tools.run_notebooks notebooks

## Give every notebook its lecture-mode slide metadata (tests/test_slides.py checks it).
slides: $(STAMP)
	$(BIN)/python -m tools.slides notebooks

## The student release, made by nbgrader from the instructor sources: grading/release/ (committed).
release: $(STAMP)
	$(BIN)/python -m tools.release

## Rebuild the shipped artifacts under data/ (each has a card saying how it was made).
data: $(STAMP)
	$(BIN)/python -m course_utils.transfer.build_base
	$(BIN)/python -m course_utils.transfer.build_base --comparison
	$(BIN)/python -m course_utils.transfer.build_embeddings
	$(BIN)/python -m course_utils.datasets.driving_base

## The course benchmark: each notebook's time, the test suite's, and every pattern benchmark
## (python -m benchmarks.checkpoints / distribution / simulator: ratios to a same-run baseline).
benchmark: $(STAMP)
	$(BIN)/python -m benchmarks.course

clean:
	rm -rf $(VENV) build *.egg-info

## The course as a website (README "The course as a website"): build/site/, the student edition,
## and build/site-instructor/, with the reference answers and hidden tests. Offline: the pages'
## JavaScript is pinned in package-lock.json and installed by npm ci into node_modules/.
NODE_STAMP := node_modules/.installed-stamp
.PHONY: site site-instructor

$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --prefer-offline --ignore-scripts --loglevel=error && touch $@; \
	else \
		echo "npm not found: install Node.js 18+ with npm for the website (make site);" \
			"its browser test skips without it (fails under CI)"; \
	fi

site: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m tools.site

site-instructor: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m tools.site --instructor

# The website's browser test (tests/browser/test_site.py) needs node_modules/: part of the set-up.
# (Declared here, below NODE_STAMP's definition: make expands a rule's prerequisites as it reads it.)
test unit: $(NODE_STAMP)
