# Two commands on a fresh machine: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
JS_DIR := tests/js
JS_STAMP := $(JS_DIR)/node_modules/.installed
JS_OPENAI_DIR := tests/js_openai
JS_OPENAI_STAMP := $(JS_OPENAI_DIR)/node_modules/.installed
BROWSER_STAMP := .stamp-browser

# Older SDK majors default to v1beta (3.x to v1); each gets its own venv and runs the Python SDK tests.
COMPAT_SDKS := 1.75.0 2.34.0
COMPAT_TESTS := tests/sdk/test_python_sdk.py tests/test_docs.py

.PHONY: run test test-compat lint typecheck check bench fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(JS_STAMP): $(JS_DIR)/package.json $(JS_DIR)/package-lock.json
	cd $(JS_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $(JS_STAMP)

# The dashboard's browser tests drive Debian's chromium with Playwright (never `playwright install`).
# Installing it needs root (as in CI); elsewhere install it yourself or the browser tests are skipped.
$(BROWSER_STAMP):
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
		{ [ "$$(id -u)" = 0 ] && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) ; } || \
		echo "chromium is not installed and could not be: the browser tests will be skipped"
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then touch $(BROWSER_STAMP); fi

$(JS_OPENAI_STAMP): $(JS_OPENAI_DIR)/package.json $(JS_OPENAI_DIR)/package-lock.json
	cd $(JS_OPENAI_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $(JS_OPENAI_STAMP)

run: $(STAMP) ## serve the emulator on 127.0.0.1:8790, state in ./.gemini-emulator
	$(VENV)/bin/gemini-batch-emulator serve

test: $(STAMP) $(JS_STAMP) $(JS_OPENAI_STAMP) $(BROWSER_STAMP) ## lint, types, older SDKs, then the whole suite (unit, API, both SDKs, restarts)
	$(MAKE) --no-print-directory lint typecheck test-compat
	$(PY) -m pytest -n 2

.venv-genai-%/.installed: pyproject.toml
	$(PYTHON) -m venv .venv-genai-$*
	.venv-genai-$*/bin/python -m pip install --quiet --upgrade pip
	.venv-genai-$*/bin/python -m pip install --quiet -e '.[test]' 'google-genai==$*' aiohttp
	touch $@

test-compat: $(foreach v,$(COMPAT_SDKS),.venv-genai-$(v)/.installed) ## google-genai 1.x and 2.x (v1beta, aiohttp)
	@for v in $(COMPAT_SDKS); do \
		echo "== google-genai $$v"; \
		.venv-genai-$$v/bin/python -m pytest -q -p no:cacheprovider $(COMPAT_TESTS) || exit 1; \
	done

lint: $(STAMP)
	$(VENV)/bin/ruff format --check emulator tests bench
	$(VENV)/bin/ruff check emulator tests bench

typecheck: $(STAMP)
	$(VENV)/bin/mypy

check: lint typecheck test

bench: $(STAMP) ## every figure of docs/performance.md beside a baseline measured in the same run
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq wrk >/dev/null; } || echo "wrk unavailable: the control-plane figure is skipped"
	$(PY) -m bench
	$(PY) -m bench.plugin

fuzz: $(STAMP) ## the OpenAPI fuzz run with a larger budget (make test runs a small one)
	FUZZ_EXAMPLES=300 $(PY) -m pytest -q -s tests/api/test_openapi.py tests/api/test_upload_fuzz.py

clean:
	rm -rf $(VENV) .venv-genai-* $(BROWSER_STAMP) $(JS_DIR)/node_modules $(JS_OPENAI_DIR)/node_modules .pytest_cache .mypy_cache .ruff_cache
