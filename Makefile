# Two commands on a fresh machine: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
# Every version the image and CI install, pinned; `make lock` refreshes it.
CONSTRAINTS := constraints.txt
JS_DIR := tests/js
JS_STAMP := $(JS_DIR)/node_modules/.installed
JS_OPENAI_DIR := tests/js_openai
JS_OPENAI_STAMP := $(JS_OPENAI_DIR)/node_modules/.installed
BROWSER_STAMP := .stamp-browser

# Older SDK majors default to v1beta (3.x to v1); each gets its own venv and runs the Python SDK tests.
COMPAT_SDKS := 1.75.0 2.34.0 3.3.0
COMPAT_TESTS := tests/sdk/test_python_sdk.py tests/test_docs.py
COMPAT_TESTS_3 := tests/webhooks/test_sdk_webhooks.py # client.webhooks came with google-genai 3.3

# The supported Pythons besides $(PYTHON) (3.11): the suite's core (the domain, the store, the Python SDK end to
# end, the CLI; not the browser, image or JS tests) runs on each (make test-pythons), within make test's budget.
PYENV_VERSIONS ?= $(or $(PYENV_ROOT),$(HOME)/.pyenv)/versions
CORE_PYTHONS := 3.12 3.13
CORE_TESTS := tests/unit tests/storage tests/sdk/test_python_sdk.py tests/cli

.PHONY: schema run test test-compat test-install test-pythons test-image lock lint typecheck check bench fuzz chaos clean

$(STAMP): pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --constraint $(CONSTRAINTS) -e '.[test]'
	touch $(STAMP) $(RUN_STAMP)

# What serving needs and nothing else (the runtime dependencies of docs/dependencies.md).
$(RUN_STAMP): pyproject.toml $(CONSTRAINTS)
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --constraint $(CONSTRAINTS) -e .
	touch $(RUN_STAMP)

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

run: $(RUN_STAMP) ## serve the emulator on 127.0.0.1:8790, state in ./.gemini-emulator
	$(VENV)/bin/gemini-batch-emulator serve

test: $(STAMP) $(JS_STAMP) $(JS_OPENAI_STAMP) $(BROWSER_STAMP) ## lint, types, older SDKs, then the whole suite (unit, API, both SDKs, restarts)
	$(MAKE) --no-print-directory lint typecheck test-compat test-install test-pythons
	$(PY) -m pytest -n 2

# The older SDK, and websockets which each SDK major pins its own way, float; everything else is
# pinned as in CI's own venv.
.venv-genai-%/.installed: pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv .venv-genai-$*
	.venv-genai-$*/bin/python -m pip install --quiet --upgrade pip
	grep -v -E '^(google-genai|websockets)==' $(CONSTRAINTS) > .venv-genai-$*/constraints.txt
	.venv-genai-$*/bin/python -m pip install --quiet --constraint .venv-genai-$*/constraints.txt \
		-e '.[test]' 'google-genai==$*' aiohttp
	touch $@

test-compat: $(foreach v,$(COMPAT_SDKS),.venv-genai-$(v)/.installed) ## google-genai 1.x, 2.x and 3.3 (v1beta, aiohttp; webhooks on 3.x)
	@for v in $(COMPAT_SDKS); do \
		echo "== google-genai $$v"; \
		tests="$(COMPAT_TESTS)"; case $$v in 3.*) tests="$$tests $(COMPAT_TESTS_3)";; esac; \
		.venv-genai-$$v/bin/python -m pytest -q -p no:cacheprovider $$tests || exit 1; \
	done

test-install: $(STAMP) ## the built wheel in a fresh venv with only google-genai, pytest, pytest-xdist: a user's tests
	tests/install/run.sh $(PYTHON)

.venv-py%/.installed: pyproject.toml $(CONSTRAINTS)
	@python=$$(ls -d $(PYENV_VERSIONS)/$*.* 2>/dev/null | grep -E '/$*\.[0-9]+$$' | sort -V | tail -1)/bin/python; \
		[ -x "$$python" ] || { echo "no Python $* under $(PYENV_VERSIONS) (pyenv install $*)"; exit 1; }; \
		echo "$$python -m venv .venv-py$*"; "$$python" -m venv .venv-py$*
	.venv-py$*/bin/python -m pip install --quiet --constraint $(CONSTRAINTS) \
		-e . pytest pytest-xdist anyio hypothesis google-genai
	touch $@

test-pythons: $(foreach v,$(CORE_PYTHONS),.venv-py$(v)/.installed) ## the suite's core on Python 3.12 and 3.13
	@for v in $(CORE_PYTHONS); do \
		echo "== Python $$(.venv-py$$v/bin/python -c 'import platform; print(platform.python_version())')"; \
		.venv-py$$v/bin/python -m pytest -q -p no:cacheprovider -n 2 $(CORE_TESTS) || exit 1; \
	done

test-image: $(STAMP) ## build the Dockerfile with podman and run the image's smoke test (needs podman, root)
	tests/sidecar/podman/run.sh

lock: ## refresh constraints.txt: the newest versions of everything the image and CI install, pinned
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip
	.venv-lock/bin/python -m pip install --quiet '.[test]' hatchling
	{ echo "# Generated by \`make lock\` on Python $$(.venv-lock/bin/python -c 'import platform; print(platform.python_version())'): every runtime, test and build"; \
	  echo "# dependency, pinned. Shared by the image (Dockerfile), CI's venvs and tests/install."; \
	  .venv-lock/bin/python -m pip freeze --exclude gemini-batch-emulator; } > $(CONSTRAINTS)
	rm -rf .venv-lock

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

schema: $(STAMP) ## refresh emulator/validation's vendored Google schema from PyPI (google-ai-generativelanguage)
	$(PY) tools/vendor_schema.py $(if $(VERSION),--version $(VERSION))

fuzz: $(STAMP) ## the OpenAPI fuzz run with a larger budget (make test runs a small one)
	FUZZ_EXAMPLES=300 $(PY) -m pytest -q -s tests/api/test_openapi.py tests/api/test_upload_fuzz.py

chaos: $(STAMP) ## the upload races of issue 19, 200 trials of each against a data-dir and an ephemeral server: counts
	$(PY) -m bench.chaos --trials $(or $(TRIALS),200)

clean:
	rm -rf $(VENV) .venv-genai-* .venv-py3.* .venv-lock $(BROWSER_STAMP) $(JS_DIR)/node_modules $(JS_OPENAI_DIR)/node_modules .pytest_cache .mypy_cache .ruff_cache
