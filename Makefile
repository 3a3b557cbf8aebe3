# The two commands a newcomer needs:
#   make run    osmon on the embedded default (no external backend needed)
#   make test   install everything, start the local stack of real backends, lint, type-check, test
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: run test venv stack stack-down lint typecheck unit integration package patterns bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/osmon run

stack:
	deploy/local-stack up

stack-down:
	deploy/local-stack down

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

integration: $(STAMP) stack
	$(BIN)/pytest -q tests/integration tests/e2e

# The wheel as a user installs it: built, installed into a fresh venv outside the checkout, smoked.
package: $(STAMP)
	$(BIN)/pytest -q tests/package

# The grok patterns ship in the package; logstash/patterns is the copy Logstash deployments take.
patterns:
	rm -f logstash/patterns/*
	cp src/osmon/data/patterns/* logstash/patterns/

test: $(STAMP) stack lint typecheck
	$(BIN)/pytest -q -p no:cacheprovider tests

bench: $(STAMP)
	$(BIN)/python bench/spool/bench_spool.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
