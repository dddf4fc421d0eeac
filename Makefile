# The two commands a newcomer needs: `make demo` and `make test`. `make help` lists the rest.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app evaluation
HOST ?= 127.0.0.1
PORT ?= 5000
LOCK := requirements.lock

.PHONY: help install catalogs demo serve test lint format lock e2e translations clean \
        bench-agreement bench-assignment bench-ingest bench-hostile bench-finalize bench-outbox

## help: list the targets
help:
	@grep -E '^## ' $(MAKEFILE_LIST) | sed -e 's/^## //' | awk -F': ' '{printf "  %-18s %s\n", $$1, $$2}'

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Exact versions and hashes from the lock; the project itself on top, without resolving again.
$(VENV)/.installed: $(BIN)/activate $(LOCK) pyproject.toml setup.py
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

## install: create .venv from the lock file, install the project, compile the message catalogs
install: $(VENV)/.installed catalogs

catalogs: $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d evaluation/translations

## demo: install, upgrade the database, seed the demo data, serve on http://127.0.0.1:5000
demo: install
	FLASK_DEBUG=1 $(FLASK) db upgrade
	FLASK_DEBUG=1 $(FLASK) demo seed
	@echo "Serving the demo on http://$(HOST):$(PORT) (Ctrl-C stops it)"
	FLASK_DEBUG=1 EVALUATION_SECURE_COOKIES=0 $(FLASK) run --host $(HOST) --port $(PORT) --no-reload --no-debugger

## test: install, lint (ruff, format, mypy), run the whole suite (browser journeys are `make e2e`)
test: install lint
	$(BIN)/pytest -q -m "not e2e"

## lint: ruff's checks, ruff format's check and mypy (strict on the pure cores and the operations)
lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## format: rewrite the sources as ruff format wants them
format: $(VENV)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## lock: resolve pyproject.toml's ranges again into requirements.lock (exact versions, hashes, all platforms)
lock: $(BIN)/activate
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra test --extra prod --universal --python-version 3.11 \
		--generate-hashes --no-header --upgrade -o $(LOCK)

## e2e: browser journeys in tests/e2e (needs Debian's chromium; .ci/run installs it)
e2e: install
	$(BIN)/pytest -q -m e2e tests/e2e

## bench-agreement: statistics vs krippendorff and pingouin (with the machine's OpenBLAS overrides lifted)
bench-agreement: install
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BIN)/python bench/agreement.py

## bench-assignment: the panel draw solver vs a full MILP
bench-assignment: install
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BIN)/python bench/assignment.py

## bench-finalize: finalizing a 5,000-case batch with its statistics, on SQLite and PostgreSQL
bench-finalize: install
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BIN)/python bench/finalize.py

## bench-outbox: webhook deliveries per second, four workers on PostgreSQL, beside one loop of signed POSTs
bench-outbox: install
	$(BIN)/python bench/outbox.py

## bench-hostile: what each hostile upload costs before its 400, beside a legitimate 5,000-row file
bench-hostile: install
	$(BIN)/python bench/hostile.py

## bench-ingest: case intake through the API vs Core inserts, on SQLite and PostgreSQL
bench-ingest: install
	$(BIN)/python bench/ingest.py

## translations: re-extract the message ids and merge them into the catalogs
translations: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -k lazy_gettext --no-location --sort-output -o messages.pot .
	$(BIN)/pybabel update -i messages.pot -d evaluation/translations --no-fuzzy-matching --ignore-obsolete --width 120
	rm -f messages.pot

## clean: remove the virtual environment and build leftovers
clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache
