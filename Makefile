# skimbtext developer commands. `make demo` and `make test` work on a fresh machine:
# both create the virtual environment first when it is missing or out of date.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
DOCS_STAMP := $(VENV)/.installed-docs
# Tests and examples never touch the network; make that explicit for the libraries.
OFFLINE := HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1

.PHONY: help install demo test test-slow bench mutation docs docs-noplot lint clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)  ## Create .venv and install skimbtext with the dev extras

demo: $(STAMP)  ## Train on the embedded synthetic reviews and print reports
	$(OFFLINE) $(BIN)/python examples/demo.py

test: $(STAMP)  ## Run the default test suite (slow tests skipped)
	$(OFFLINE) $(BIN)/python -m pytest

test-slow: $(STAMP)  ## Run only the slow tests (real data, MiniLM fine-tuning)
	$(OFFLINE) $(BIN)/python -m pytest -m slow

bench: $(STAMP)  ## Run every CPU benchmark suite; tables and figures in benchmarks/results/
	OMP_NUM_THREADS=1 $(OFFLINE) $(BIN)/python -m benchmarks --profile cpu

mutation: $(STAMP)  ## Mutation testing of losses, nn, the training core and MISO's training (long)
	$(BIN)/pip install --quiet -e ".[dev,mutation]"
	OMP_NUM_THREADS=1 $(OFFLINE) $(BIN)/mutmut run --max-children 2
	$(BIN)/python -m benchmarks.mutation

$(DOCS_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e ".[dev,docs]"
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)  ## Build the HTML documentation into doc/_build/html
	$(OFFLINE) $(BIN)/sphinx-build -W -b html doc doc/_build/html

docs-noplot: $(DOCS_STAMP)  ## Build the documentation without running the examples
	$(OFFLINE) $(BIN)/sphinx-build -W -D plot_gallery=0 -b html doc doc/_build/html

lint: $(STAMP)  ## Check style with ruff
	$(BIN)/ruff check skimbtext tests examples benchmarks

clean:  ## Remove build outputs and caches (keeps .venv)
	rm -rf build dist *.egg-info doc/_build doc/auto_examples doc/generated mutants
	find skimbtext tests examples benchmarks -name __pycache__ -type d -exec rm -rf {} + 2>/dev/null || true
