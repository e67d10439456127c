# `make` only installs .venv; `make run` starts the server; `make test` runs the linters, mypy and the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: all install run test test-scale fuzz lint format bench messages catalogues
all: install
install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock requirements-nodeps.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "vodguard needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c requirements.lock -e '.[dev]'
	$(BIN)/python -m pip install -q --no-deps -r requirements-nodeps.txt
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/vodguard serve

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy vodguard
	$(BIN)/pytest

# The API suites again on PostgreSQL, Redis and S3 (SeaweedFS), all started by the tests; CI installs them.
SCALE_TESTS := tests/test_transport.py tests/test_uploads.py tests/test_tasks.py tests/test_events.py \
	tests/test_push.py tests/test_workers.py tests/test_cluster.py tests/test_reuse.py
test-scale: $(STAMP)
	VODGUARD_TEST_DATABASE=postgresql VODGUARD_TEST_QUEUE=redis VODGUARD_TEST_STORAGE=s3 $(BIN)/pytest $(SCALE_TESTS)

# tests/test_fuzz.py with many more generated requests than `make test` sends (override with FUZZ_EXAMPLES=...).
FUZZ_EXAMPLES ?= 5000
fuzz: $(STAMP)
	VODGUARD_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest tests/test_fuzz.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy vodguard

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

# The console's translations: `make messages` extracts every _()/gettext/{% trans %} string into the .pot and
# merges it into each .po (translate the new entries there), then `make catalogues` compiles the .mo files, which
# are committed (tests/test_console_i18n.py checks they match their .po byte for byte).
LOCALE := vodguard/api/console/locale
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k NP_:1c,2 -k tr:2 --no-wrap --sort-by-file --omit-header -o $(LOCALE)/messages.pot vodguard/api/console
	$(BIN)/pybabel update -i $(LOCALE)/messages.pot -d $(LOCALE) -l zh_CN --no-wrap --ignore-obsolete --no-fuzzy-matching
catalogues: $(STAMP)
	$(BIN)/pybabel compile -d $(LOCALE) -l zh_CN --statistics
