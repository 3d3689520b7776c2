# The front door: `make run` serves the embedded set-up, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
# Where `make run` serves the web pages.
ADDRESS ?= 127.0.0.1:8000
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install run setup test lint format bench messages clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Write the development env file once (debug on, a secret for this checkout: see
# config/devenv.py), migrate, load the inventory, the demo accounts and the demo study
# (idempotent). Afterwards every `.venv/bin/python manage.py ...` works in a new terminal.
setup: install
	$(PY) config/devenv.py
	DJANGO_DEBUG=1 $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=1 $(PY) manage.py load_instrument
	DJANGO_DEBUG=1 $(PY) manage.py demo_accounts
	DJANGO_DEBUG=1 $(PY) manage.py demo_study

# Embedded default: SQLite, a real Celery worker (+beat) on kombu's filesystem broker, the mock
# LLM server and the web server on 127.0.0.1:8000. Ctrl-C stops all of them.
run: setup
	DJANGO_DEBUG=1 $(PY) manage.py serve_embedded --address $(ADDRESS)

# The suite in parallel on TEST_WORKERS processes (pytest-xdist), handed out one test at a time
# so a long test never holds up a queue behind it; config/settings_test.py gives each process its
# own test database, Redis database index and var/ folder.
TEST_WORKERS ?= 2

test: install
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist load --maxschedchunk 1

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

messages: install
	cd $(CURDIR) && DJANGO_DEBUG=1 $(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=var
	cd $(CURDIR) && DJANGO_DEBUG=1 $(PY) manage.py compilemessages -l zh_Hans --ignore=.venv

clean:
	rm -rf var/broker var/celery-results var/cache var/test-*
