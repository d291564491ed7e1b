# The course's commands. `make course` opens the course, `make test` runs every check.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: course test lint unit notebooks-test notebooks data benchmark clean

# Create the virtual environment if it is missing and install the package with everything the
# notebooks and tests need. Re-runs only when pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## Open the course: JupyterLab on notebooks/, on 127.0.0.1 only, token authentication on.
course: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=notebooks --no-browser

## Run every check: lint, the package's unit tests, every notebook under nbval.
test: lint unit notebooks-test

lint: $(STAMP)
	$(BIN)/ruff check .

unit: $(STAMP)
	$(BIN)/python -m pytest tests

notebooks-test: $(STAMP)
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env --nbval-cell-timeout=300 notebooks

## Re-execute every notebook in place so that stored outputs come from one clean run.
notebooks: $(STAMP)
	$(BIN)/python tools/run_notebooks.py notebooks

## Rebuild the shipped artifacts under data/ (each has a card saying how it was made).
data: $(STAMP)
	$(BIN)/python -m course_utils.transfer.build_base
	$(BIN)/python -m course_utils.transfer.build_embeddings

## Print the benchmark tables (ratios against a baseline measured in the same run).
benchmark: $(STAMP)
	$(BIN)/python -m benchmarks.checkpoints
	$(BIN)/python -m benchmarks.distribution
	$(BIN)/python -m benchmarks.simulator

clean:
	rm -rf $(VENV) build *.egg-info
