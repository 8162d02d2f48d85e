# Two commands on a fresh machine: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
JS_DIR := tests/js
JS_STAMP := $(JS_DIR)/node_modules/.installed

.PHONY: run test test-py lint typecheck check bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(JS_STAMP): $(JS_DIR)/package.json $(JS_DIR)/package-lock.json
	cd $(JS_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $(JS_STAMP)

run: $(STAMP) ## serve the emulator on 127.0.0.1:8790, state in ./.gemini-emulator
	$(VENV)/bin/gemini-batch-emulator serve

test: $(STAMP) $(JS_STAMP) ## the whole suite: unit, API, both SDKs end to end, restarts
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff format --check emulator tests
	$(VENV)/bin/ruff check emulator tests

typecheck: $(STAMP)
	$(VENV)/bin/mypy

check: lint typecheck test

bench: $(STAMP) ## throughput figures against a baseline measured in the same run
	$(PY) -m bench

clean:
	rm -rf $(VENV) $(JS_DIR)/node_modules .pytest_cache .mypy_cache .ruff_cache
