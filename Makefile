# The two commands: `make demo` and `make test`. Everything else is a helper of those.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)

.PHONY: demo test lint typecheck unit test-slow test-browser chromium clean test-extension lint-extension

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/python -m pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

chromium:
	@scripts/ensure-chromium

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

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -m "not slow and not browser"

# Browser tests run in a pytest process of their own: Playwright's sync API keeps an event loop
# running in the main thread for as long as the browser is up, which the async tests cannot share.
test-browser: $(STAMP) chromium extension/node_modules/.package-lock.json  # axe-core for e2e/axe.py
	$(BIN)/pytest -m browser

# Every slow test is a browser test today; the marker stays for slow tests of other kinds.
test-slow: test-browser

test: $(STAMP) chromium lint typecheck
	@$(MAKE) --no-print-directory test-extension lint-extension
	$(BIN)/pytest -m "not browser"
	$(BIN)/pytest -m browser

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
		--ignore-files 'node_modules/**' 'tests/**' package.json package-lock.json

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .latchkey
