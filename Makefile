# Everyday commands. `make run` serves the site; `make test` runs every check.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
# Django 6.1 needs Python 3.12 or newer; pyenv picks the version in .python-version.
BASE_PYTHON ?= $(firstword $(shell pyenv which python 2>/dev/null) $(shell command -v python3.13 python3.12 python3 2>/dev/null))
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# The suite runs a second time on this PostgreSQL database when it answers.
POSTGRES_TEST_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: help run serve bench test test-postgres lint screenshots python-version

help:
	@echo "make run    set everything up and serve the site on http://127.0.0.1:$(PORT)"
	@echo "make serve  the same in production: gunicorn, DJANGO_DEBUG=0 (see docs/deploy.md)"
	@echo "make bench  load-test the production server against a static baseline; writes BENCHMARKS.md"
	@echo "make test   install what the tests need, then run every check and test (on SQLite and PostgreSQL)"

run: $(VENV)/.installed-run
	$(PY) manage.py migrate --noinput
	$(PY) manage.py import_lesson --publish --if-empty content/lessons/*.txt
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# Production: gunicorn with a worker per core and a spare, each with a few threads. `make bench` runs the same command.
WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
THREADS ?= 4
GUNICORN_COMMAND = $(VENV)/bin/gunicorn history_site.wsgi --workers $(WORKERS) --threads $(THREADS) \
  --access-logfile - --forwarded-allow-ips "$${FORWARDED_ALLOW_IPS:-127.0.0.1}" --no-control-socket
# Only the proxy on the same machine reaches gunicorn; behind a load balancer, HOST=0.0.0.0 (docs/deploy.md).
HOST ?= 127.0.0.1
serve: export DJANGO_DEBUG = 0
serve: $(VENV)/.installed-run
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py import_lesson --publish --if-empty content/lessons/*.txt
	$(GUNICORN_COMMAND) --bind $(HOST):$(PORT)

# The production server under load on SQLite and on PostgreSQL with Redis (bench/run.py): writes BENCHMARKS.md
# and bench/results.json, and fails naming each budget missed. Under ten minutes; not part of `make test`.
bench: $(VENV)/.installed-test /usr/bin/wrk /usr/bin/chromium
	$(PY) -m bench.run -- $(GUNICORN_COMMAND)

test: $(VENV)/.installed-test /usr/bin/chromium lint
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest
	@$(MAKE) --no-print-directory test-postgres

test-postgres: $(VENV)/.installed-test
	@if $(PY) -c 'import sys, psycopg; psycopg.connect(sys.argv[1], connect_timeout=3).close()' \
	    "$(POSTGRES_TEST_URL)" 2>/dev/null; then \
	  echo "Running the suite again on PostgreSQL ($(POSTGRES_TEST_URL))."; \
	  DATABASE_URL="$(POSTGRES_TEST_URL)" $(VENV)/bin/pytest -q; \
	elif [ "$$CI" = true ]; then \
	  echo "PostgreSQL does not answer at $(POSTGRES_TEST_URL); CI does not skip the PostgreSQL pass." >&2; \
	  exit 1; \
	else \
	  echo "SKIPPED the PostgreSQL pass: nothing answers at $(POSTGRES_TEST_URL) (set POSTGRES_TEST_URL)."; \
	fi

# The README's pictures, taken by a browser test from the shipped lessons.
screenshots: $(VENV)/.installed-test /usr/bin/chromium
	UPDATE_SCREENSHOTS=1 $(VENV)/bin/pytest tests/browser/test_screenshots.py -q

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

python-version:
	@py="$(if $(wildcard $(PY)),$(PY),$(BASE_PYTHON))"; \
	"$$py" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null || { \
	  echo "Python 3.12 or newer is needed, but $$py is $$("$$py" --version 2>&1)."; \
	  echo "Install it (pyenv install $$(cat .python-version)) or run: make BASE_PYTHON=/path/to/python3.13 $(MAKECMDGOALS)"; \
	  echo "If .venv was made with an older Python, delete it first: rm -rf $(VENV)"; \
	  exit 1; }

$(PY): | python-version
	$(BASE_PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: requirements.txt | $(PY) python-version
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements.txt requirements-dev.txt | $(PY) python-version
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed-run

# Debian's wrk drives the server in `make bench`.
/usr/bin/wrk:
	$(SUDO) apt-get update
	$(SUDO) apt-get install -y wrk

# Debian's Chromium for the browser tests (Playwright's own download cannot reach its server).
/usr/bin/chromium:
	$(SUDO) apt-get update
	$(SUDO) apt-get install -y chromium
