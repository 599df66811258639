# The two commands of the README: `make run` (install, demo data on SQLite, serve the app) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install run test lint clean chromium constraints screens identity-servers libreoffice

install: $(VENV)/.installed

# constraints.txt pins every installed version (SpiffWorkflow, RestrictedPython, holidays,
# docxtpl, openpyxl, matplotlib ... decide what a replay reproduces); `make constraints` renews it.
$(VENV)/.installed: pyproject.toml setup.py constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
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

# The identity tests start real servers: Debian's slapd (LDAP) and the npm package oidc-provider
# (tests/identity/oidc, pinned by its package-lock.json).
identity-servers:
	@command -v slapd >/dev/null 2>&1 || [ -x /usr/sbin/slapd ] || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing slapd and ldap-utils (Debian packages) for the identity tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slapd ldap-utils >/dev/null; \
		else \
			echo "slapd not found: run 'sudo apt-get install -y slapd ldap-utils' (LDAP tests are skipped without it)"; \
		fi; }
	@command -v npm >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing nodejs and npm (Debian packages) for the OIDC tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
		else \
			echo "npm not found: run 'sudo apt-get install -y nodejs npm' (OIDC tests are skipped without it)"; \
		fi; }
	@if command -v npm >/dev/null 2>&1; then \
		cd tests/identity/oidc && npm ci --no-audit --no-fund --loglevel=error; fi

# PDF/A of the generated documents and the document tests: LibreOffice headless (Writer only,
# no GUI) and poppler-utils (pdftotext reads the PDFs back in the tests).
libreoffice:
	@{ command -v soffice >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1; } || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing libreoffice-writer-nogui and poppler-utils (Debian packages) for PDF output"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				libreoffice-writer-nogui poppler-utils >/dev/null; \
		else \
			echo "soffice/pdftotext not found: run 'sudo apt-get install -y libreoffice-writer-nogui poppler-utils' (PDF tests are skipped without them)"; \
		fi; }

# Screenshots of every page at 1366x768 and 1920x1080 from the demo data, into docs/screens/ (committed).
screens: install chromium libreoffice
	$(BIN)/python docs/screens.py --out docs/screens

# On TEST_WORKERS processes (pytest-xdist; `auto`: one per core), a test module at a time per
# worker (loadscope): a module-scoped fixture (a deployment, a played year) is built once.
# (loadgroup would balance finer, but xdist 3.8 cannot set its group ids under pytest 9.)
# Modules go out in collection order, the longest first (tests/conftest.py LONGEST_FIRST), not
# xdist's default of most tests first: the workers then end close together.
TEST_WORKERS ?= auto
test: lint chromium identity-servers libreoffice
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder

# After a dependency change in pyproject.toml: resolve afresh in a scratch venv and pin the result.
constraints:
	rm -rf .venv-constraints && $(PYTHON) -m venv .venv-constraints
	.venv-constraints/bin/python -m pip install --quiet -e ".[test]"
	{ echo "# Exact versions every install uses (make install, CI): what a replay reproduces depends on them."; \
	  echo "# Regenerate after changing dependencies: make constraints"; \
	  .venv-constraints/bin/pip freeze --exclude-editable | grep -v '^sopflow'; } > constraints.txt
	rm -rf .venv-constraints

clean:
	rm -rf $(VENV) var demo-output .pytest_cache
