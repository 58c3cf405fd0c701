# Two commands on a fresh machine: `make run` and `make test`. Everything they need is installed
# here, every time it is missing; nothing is installed by hand.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
export FLASK_APP := wsgi
# `make run` is a local development run; wsgi.py alone defaults to production.
export APP_ENV ?= development

.PHONY: run test lint assets translations bench-ledger clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# The stylesheet is built from GOV.UK Frontend (npm) and committed, so `make run` works without
# npm; `make assets` rebuilds it reproducibly from the pinned package-lock.json.
assets:
	npm ci --no-audit --no-fund
	npm run build

# Languages (README: "Adding a language"): extract every marked string, merge it into each
# language's .po, compile the .mo. The .mo files are committed, so `make run` and a plain
# `pip install` need no build step; tests/unit/test_translations.py fails when one is stale.
translations: $(INSTALLED)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ --no-location --sort-output \
	  --project "Give and Get" --copyright-holder "Give and Get contributors" \
	  -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --width 100 --ignore-obsolete
	$(BIN)/pybabel compile -d translations --statistics

run: $(INSTALLED)
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	@echo "Serving on http://127.0.0.1:5000 (Ctrl+C to stop)"
	$(BIN)/flask run --host 127.0.0.1 --port 5000

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: $(INSTALLED) lint
	$(BIN)/python -m tests.run_all

clean:
	rm -rf $(VENV) node_modules instance
