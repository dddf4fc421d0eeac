# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app evaluation
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install catalogs demo serve test lint e2e translations clean bench-agreement bench-assignment bench-ingest

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/activate pyproject.toml setup.py
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

## install: create .venv, install the project with its test extra, compile the message catalogs
install: $(VENV)/.installed catalogs

catalogs: $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d evaluation/translations

## demo: install, upgrade the database, seed the demo data, serve on http://127.0.0.1:5000
demo: install
	FLASK_DEBUG=1 $(FLASK) db upgrade
	FLASK_DEBUG=1 $(FLASK) demo seed
	@echo "Serving the demo on http://$(HOST):$(PORT) (Ctrl-C stops it)"
	FLASK_DEBUG=1 EVALUATION_SECURE_COOKIES=0 $(FLASK) run --host $(HOST) --port $(PORT) --no-reload

## test: install, lint with ruff, run the whole suite (browser tests are `make e2e`)
test: install lint
	$(BIN)/pytest -q -m "not e2e"

lint: $(VENV)/.installed
	$(BIN)/ruff check .

## e2e: browser journeys in tests/e2e (needs Debian's chromium; .ci/run installs it)
e2e: install
	$(BIN)/pytest -q -m e2e tests/e2e

## bench-agreement: statistics vs krippendorff and pingouin (with the machine's OpenBLAS overrides lifted)
bench-agreement: install
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BIN)/python bench/agreement.py

## bench-assignment: the panel draw solver vs a full MILP
bench-assignment: install
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BIN)/python bench/assignment.py

## bench-ingest: case intake through the API vs Core inserts, on SQLite and PostgreSQL
bench-ingest: install
	$(BIN)/python bench/ingest.py

## translations: re-extract the message ids and merge them into the catalogs
translations: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -k lazy_gettext --no-location --sort-output -o messages.pot .
	$(BIN)/pybabel update -i messages.pot -d evaluation/translations --no-fuzzy-matching --width 120
	rm -f messages.pot

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
