# The two commands of the README: `make run` (install, demo data on SQLite, serve the app) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install run test lint clean chromium

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

run: install
	LOG_LEVEL=$${LOG_LEVEL:-WARNING} $(BIN)/sopflow demo --reset --out demo-output  # the demo prints each step itself
	$(BIN)/sopflow serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The browser tests drive Debian's chromium (Playwright's own browser download is not used).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing chromium (Debian package) for the browser tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "chromium not found: run 'sudo apt-get install -y chromium' (browser tests are skipped without it)"; \
		fi; }

test: lint chromium
	$(BIN)/pytest

clean:
	rm -rf $(VENV) var demo-output .pytest_cache
