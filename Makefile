# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/tier_registry
DEMO_ENTERPRISES ?= 400

.PHONY: demo test test-sqlite test-postgres lint venv serve clean bench bench-insights

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed

demo: venv
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_regions
	$(BIN)/python manage.py setup_schedule
	$(BIN)/python manage.py seed_demo --enterprises $(DEMO_ENTERPRISES) --seed 1
	$(BIN)/python manage.py runserver 127.0.0.1:8000

serve: venv
	$(BIN)/python manage.py runserver 127.0.0.1:8000

lint: venv
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# Under CI (CI=true) the suite runs twice over the database layer: SQLite, then PostgreSQL.
test: venv lint
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(MAKE) test-sqlite
	@if [ -n "$$CI" ] || [ -n "$$TEST_POSTGRES" ]; then $(MAKE) test-postgres; fi

test-sqlite: venv
	env -u DATABASE_URL $(BIN)/pytest

test-postgres: venv
	DATABASE_URL=$(PG_URL) $(BIN)/pytest -m "not sqlite_only"

bench: venv
	$(BIN)/python bench/bench_engine.py --profiles 100000

# The 10,000-row import, the dashboard on 100,000 enterprises and a simulation (all rolled back afterwards).
bench-insights: venv
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python bench/bench_import.py --rows 10000 --format xlsx
	$(BIN)/python bench/bench_insights.py --enterprises 100000 --simulate 5000

clean:
	rm -rf $(VENV) var/db.sqlite3* .pytest_cache .ruff_cache
