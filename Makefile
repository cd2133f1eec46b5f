# Two commands for a fresh machine (Debian, Python 3.11, Node 20): `make run` and `make test`.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
NODE_INSTALLED := node_modules/.package-lock.json
PO_FILES := $(wildcard server/translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)
HOST ?= 127.0.0.1
PORT ?= 5000
# The local PostgreSQL server (trust auth); tests on it are skipped only when it is unreachable and CI is not set.
COMPTOIR_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export COMPTOIR_TEST_POSTGRES_URL

# Real processes behind nginx and a bench's network, on PostgreSQL.
SERVERS_TESTS := tests/test_two_app_servers.py tests/test_bench_scale.py
API_TESTS := --ignore=tests/browser $(SERVERS_TESTS:%=--ignore=%)
# The clock is set, never the one the run starts at (tests/conftest.py). On SQLite and without a database, a year
# ahead from 23:00 in Paris: a test that passes only near the day it was written, or only when no midnight falls within
# its hours, fails on every run. On PostgreSQL, tomorrow from 01:30 in Paris, when the day in Paris is not yet the day
# in UTC: a day read in UTC instead of the network's time fails on every run. Both ahead of the clock of the servers
# some tests start in processes of their own, so what a test signs is not expired there.
YEAR_AHEAD := COMPTOIR_TEST_CLOCK_AHEAD_DAYS=366 COMPTOIR_TEST_CLOCK_AT=23:00
PARIS_BEFORE_UTC := COMPTOIR_TEST_CLOCK_AHEAD_DAYS=1 COMPTOIR_TEST_CLOCK_AT=01:30
# On SQLite a year ahead in lane 1 rather than lane 2, to even the lanes out.
LANE_1_SQLITE := tests/test_authorization_matrix.py tests/test_admin_pages.py tests/test_order_import.py \
	tests/test_demo_past.py tests/test_contracts_properties.py tests/test_contract_import_sources.py \
	tests/test_order_import_sources.py tests/test_migrations.py tests/test_openapi.py tests/test_sync_concurrency.py

.PHONY: run test lint translations-update deps clean

# The links it prints and the passkeys' origin follow PORT, unless COMPTOIR_BASE_URL says otherwise.
run: export COMPTOIR_BASE_URL ?= http://localhost:$(PORT)
run: deps
	$(BIN)/flask --app wsgi prepare
	@echo "  Serving on $(COMPTOIR_BASE_URL)/ (Ctrl+C to stop)"
	$(BIN)/waitress-serve --host $(HOST) --port $(PORT) --threads 8 wsgi:app

# Two lanes, one per core, so CI stays under 20 minutes; each database test runs once on each database (but the demo
# generator's own tests, ON_SQLITE_ONLY in tests/helpers.py), each test without a database once. Lane 1: the API tests
# on PostgreSQL, the several-server tests, the browser tests on PostgreSQL (their own port), then LANE_1_SQLITE on
# SQLite and the tests without a database. Lane 2: the other browser tests, then the other API tests on SQLite. The
# clocks are above. Lane 1's report is printed once both are done. A test id names one database at most
# (tests/conftest.py refuses one naming both).
test: deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@mkdir -p build
	@( $(PARIS_BEFORE_UTC) $(BIN)/pytest $(API_TESTS) -k postgresql -q -p no:cacheprovider; api=$$?; \
	  echo "Several app servers and the regional bench, on PostgreSQL:"; \
	  $(BIN)/pytest $(SERVERS_TESTS) -q -p no:cacheprovider; servers=$$?; \
	  echo "The browser tests on PostgreSQL:"; \
	  COMPTOIR_TEST_PORT=5124 $(BIN)/pytest tests/browser -k postgresql -q -p no:cacheprovider; browser=$$?; \
	  echo "$(LANE_1_SQLITE) on SQLite, then the tests without a database, a year ahead:"; \
	  $(YEAR_AHEAD) $(BIN)/pytest $(LANE_1_SQLITE) -k "not postgresql" -q -p no:cacheprovider; \
	  ahead=$$?; \
	  $(YEAR_AHEAD) $(BIN)/pytest $(API_TESTS) $(LANE_1_SQLITE:%=--ignore=%) \
		-k "not sqlite and not postgresql" -q -p no:cacheprovider || ahead=1; \
	  test $$api -eq 0 && test $$servers -eq 0 && test $$browser -eq 0 && test $$ahead -eq 0 \
	) > build/postgresql-tests.log 2>&1 & lane=$$!; \
	$(BIN)/pytest tests/browser -k "not postgresql"; browser=$$?; \
	echo "The API tests on SQLite, a year ahead:"; \
	$(YEAR_AHEAD) $(BIN)/pytest $(API_TESTS) $(LANE_1_SQLITE:%=--ignore=%) -k sqlite \
		-q -p no:cacheprovider; \
	ahead=$$?; \
	wait $$lane; postgresql=$$?; \
	echo "Lane 1: the API and unit tests on PostgreSQL, the servers, the browser on PostgreSQL, $(LANE_1_SQLITE):"; \
	cat build/postgresql-tests.log; \
	test $$browser -eq 0 && test $$ahead -eq 0 && test $$postgresql -eq 0

PWA_SOURCES := $(wildcard pwa/src/*.js pwa/src/**/*.js pwa/src/*.css) pwa/sw.js pwa/member/sw.js pwa/build-sw.mjs \
	pwa/index.html
PWA_BUILT := pwa/dist/.built

deps: $(INSTALLED) $(NODE_INSTALLED) $(MO_FILES) $(PWA_BUILT)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

$(NODE_INSTALLED): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

# Browser code: bundled from pwa/src with esbuild (from npm), never committed.
$(PWA_BUILT): $(PWA_SOURCES) package.json $(NODE_INSTALLED)
	npm run --silent build
	touch $@

%.mo: %.po $(INSTALLED)
	$(BIN)/pybabel compile --statistics -i $< -o $@

# For developers: collect the UI strings and merge them into the catalogs (then translate the new ones).
translations-update: $(INSTALLED)
	$(BIN)/pybabel extract -F babel.cfg -k _l -o server/translations/messages.pot --no-location --sort-output --omit-header .
	$(BIN)/pybabel update -i server/translations/messages.pot -d server/translations --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) node_modules
