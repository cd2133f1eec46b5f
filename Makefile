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

# Real processes behind nginx and a bench's network: run in the browser lane, after it, to keep both lanes short.
SERVERS_TESTS := tests/test_two_app_servers.py tests/test_bench_scale.py
# No date in what they check (the routes' access rules, the schema, the API's shape, the deployment files): not run
# again a year ahead.
DATELESS_TESTS := tests/test_authorization_matrix.py tests/test_migrations.py tests/test_openapi.py \
	tests/test_reverse_proxy.py tests/test_deploy_units.py

.PHONY: run test lint translations-update deps clean

run: deps
	$(BIN)/flask --app wsgi prepare
	@echo "  Serving on http://localhost:$(PORT)/ (Ctrl+C to stop)"
	$(BIN)/waitress-serve --host $(HOST) --port $(PORT) --threads 8 wsgi:app

# The API and unit tests (both databases) run beside the browser tests, one per core: CI stays under 20 minutes.
# Each has its own PostgreSQL schemas and ports; the API run's report is printed once both are done. After the
# browser tests, the same lane runs the API and unit tests once more a year ahead, on SQLite (server/clock.py): a date
# bomb fails the day it is written.
test: deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@mkdir -p build
	@$(BIN)/pytest --ignore=tests/browser $(SERVERS_TESTS:%=--ignore=%) -p no:cacheprovider > build/api-tests.log 2>&1 & api=$$!; \
	$(BIN)/pytest tests/browser; browser=$$?; \
	echo "The API and unit tests a year ahead, on SQLite:"; \
	COMPTOIR_TEST_CLOCK_AHEAD_DAYS=366 $(BIN)/pytest --ignore=tests/browser $(SERVERS_TESTS:%=--ignore=%) \
		$(DATELESS_TESTS:%=--ignore=%) -k "not postgresql" -q -p no:cacheprovider; \
	ahead=$$?; \
	echo "Several app servers and the regional bench, on PostgreSQL:"; \
	$(BIN)/pytest $(SERVERS_TESTS) -q -p no:cacheprovider; servers=$$?; \
	wait $$api; api_status=$$?; \
	echo "The API and unit tests:"; cat build/api-tests.log; \
	test $$browser -eq 0 && test $$ahead -eq 0 && test $$servers -eq 0 && test $$api_status -eq 0

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
