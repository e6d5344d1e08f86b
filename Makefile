# lambdabox developer commands. `make demo` and `make test` set the host up first.
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: setup demo test lint bench soak clean

setup:
	@bash scripts/setup-host.sh

demo: setup
	@$(VENV)/bin/lambdabox demo

lint: setup
	@$(PY) -m ruff check .
	@$(PY) -m ruff format --check .
	@$(PY) -m mypy

test: lint
	@$(PY) -m pytest -q

bench: setup
	@$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info

# Fault-injection soak of `lambdabox emulate` (SOAK_S seconds, default 180); prints the ledger.
soak: setup
	@SOAK_S=$${SOAK_S:-180} $(PY) -m soak
