# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Local development defaults; real deployments set these in the environment.
export DEBUG ?= true
PORT ?= 8000
# The links the app writes (e-mails, prefilled postmortem links) point at the
# server `make run` starts, on whatever PORT it is given.
export SITE_URL ?= http://127.0.0.1:$(PORT)
PYTEST_WORKERS ?= 2

.PHONY: run test install migrate demo lint format check clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo

## Set up everything and serve the app with demo data on http://127.0.0.1:$(PORT)
run: demo
	@echo "Serving on http://127.0.0.1:$(PORT)/  (sign in as alice / tracker-demo)"
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

## Run the whole suite (uses DATABASE_URL / REDIS_URL when set, SQLite otherwise)
test: install
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
