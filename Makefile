# newsdesk: two commands on a fresh machine.
#   make run   set up, build the demo newsroom from the bundled corpus, show it
#   make test  set up, run lint, type checks and all tests (slow evaluations excluded: make eval)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOME_DIR ?= .newsdesk/demo
STAMP := $(VENV)/.installed
TORCH_VERSION ?= 2.13.0

.PHONY: setup run demo test test-fast lint bench eval clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first, pinned: the CPU build (a later range-only requirement would pull a CUDA build)
	$(BIN)/python -m pip install --quiet torch==$(TORCH_VERSION)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: setup
	$(BIN)/newsdesk --home $(HOME_DIR) demo
	$(BIN)/newsdesk --home $(HOME_DIR) articles list --limit 10
	@echo "Demo newsroom in $(HOME_DIR). Try: $(BIN)/newsdesk --home $(HOME_DIR) articles show bbc:tech/001"

demo: run

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

test: setup lint
	$(BIN)/python -m pytest -m "not slow" --doctest-modules src/newsdesk tests

test-fast: setup
	$(BIN)/python -m pytest -m "not slow" -x -q tests

eval: setup
	$(BIN)/python -m pytest -m slow tests

bench: setup
	$(BIN)/python benchmarks/ingest.py

clean:
	rm -rf $(VENV) .newsdesk .pytest_cache .mypy_cache .ruff_cache
