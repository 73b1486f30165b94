# The two commands: `make demo` and `make test`. Everything else is a helper of those.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements.lock
# The stamp names both files' checksum: a new lock (or pyproject) reinstalls on the next `make`.
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml $(LOCK) | cksum | cut -d' ' -f1)

.PHONY: demo test lint lint-js typecheck lock unit test-slow test-browser chromium firefox nginx clean test-extension lint-extension

# The exact versions CI tested (requirements.lock, with hashes), then the project itself without
# resolving again; `pip check` fails when pyproject.toml names something the lock lacks.
$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/python -m pip install -q -r $(LOCK)
	@$(BIN)/python -m pip install -q --no-deps -e .
	@$(BIN)/python -m pip check
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

# After changing dependencies in pyproject.toml: pin them (and their dependencies) again.
lock:
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/python -m pip install -q 'pip-tools>=7.4'
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --allow-unsafe --generate-hashes \
		--no-emit-index-url --no-emit-find-links -o $(LOCK) pyproject.toml

chromium:
	@scripts/ensure-chromium

# nginx for the reverse-proxy test (docs/deploy.md's example); without it that test skips.
nginx:
	-@scripts/ensure-nginx

# Firefox ESR for the Firefox browser tests (WebDriver BiDi); without it they skip, saying why.
firefox:
	-@scripts/ensure-firefox

demo: $(STAMP)
	@$(BIN)/latchkey demo

# `make demo` ends with one chiclet login in Chromium: install it first when we can (as root);
# without it the demo says what to install and stops after its tour. The extension needs no build.
.PHONY: demo-chromium demo-serve
demo-chromium:
	-@scripts/ensure-chromium
demo: demo-chromium

# The same stack left running for a person to click around (Ctrl-C stops it); see docs/qa.md.
demo-serve: $(STAMP) demo-chromium
	@$(BIN)/latchkey demo --serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	@$(MAKE) --no-print-directory lint-js

# The extension's JavaScript: ESLint's recommended rules (extension/eslint.config.js).
lint-js: extension/node_modules/.package-lock.json
	cd extension && node_modules/.bin/eslint .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -m "not slow and not browser"

# Browser tests run in a pytest process of their own: Playwright's sync API keeps an event loop
# running in the main thread for as long as the browser is up, which the async tests cannot share.
test-browser: $(STAMP) chromium firefox extension/node_modules/.package-lock.json  # axe-core for e2e/axe.py
	$(BIN)/pytest -m browser

# The journeys on the sandbox stack, the long ones included (`make test` runs the core ones), and
# the QA harness; the table at the end names the folder a failed journey left its trace in.
.PHONY: e2e
e2e: $(STAMP) chromium extension/node_modules/.package-lock.json
	$(BIN)/pytest -m browser tests/e2e/test_journey.py tests/e2e/test_qa_harness.py

# Every slow test is a browser test today; the marker stays for slow tests of other kinds.
test-slow: test-browser

# The browser tests mostly wait on the browser and the extension's own clocks, the others mostly
# compute: the two pytest runs go side by side (two jobs, for two cores), each run's output
# printed whole as it ends (-O). Each pytest run has its own PostgreSQL schema and free ports.
# `make test TEST_JOBS=1` runs them one after the other.
TEST_JOBS ?= 2
test: $(STAMP) chromium firefox nginx lint typecheck
	@$(MAKE) --no-print-directory -j$(TEST_JOBS) -O \
		test-browser-core test-extension lint-extension test-python

.PHONY: test-python test-browser-core
test-python: $(STAMP)
	$(BIN)/pytest -m "not browser"

test-browser-core: $(STAMP) chromium firefox extension/node_modules/.package-lock.json
	$(BIN)/pytest -m "browser and not journey"

# The extension's pure JavaScript (lib/), with Node's own test runner; linkedom from npm for a DOM.
extension/node_modules/.package-lock.json: extension/package-lock.json
	@scripts/ensure-node
	cd extension && npm ci --no-audit --no-fund --loglevel=error

test-extension: extension/node_modules/.package-lock.json
	node --test --test-reporter=dot extension/

# Firefox MV3 validity of the manifest: web-ext (a pinned devDependency) fails on any error; its one
# expected warning is that Firefox reads background.scripts, not background.service_worker.
lint-extension: extension/node_modules/.package-lock.json
	extension/node_modules/.bin/web-ext lint --self-hosted --boring --source-dir extension \
		--ignore-files 'node_modules/**' 'tests/**' package.json package-lock.json eslint.config.js

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .latchkey
