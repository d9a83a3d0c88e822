# Causerie — the commands the README shows. `make run` and `make test` work from a fresh clone.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test worker beat lint format migrate messages bench loadtest soak scale-demo clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

venv: $(VENV)/.installed

run: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --if-empty --print-logins
	@echo ""
	@echo "Causerie is starting on http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	$(PY) manage.py runserver $(HOST):$(PORT)

test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

worker: venv
	$(VENV)/bin/celery -A config worker --loglevel=info

beat: venv
	$(VENV)/bin/celery -A config beat --loglevel=info --schedule var/celerybeat-schedule

migrate: venv
	$(PY) manage.py migrate --noinput

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Regenerate the French catalogue after changing UI strings, translate, then compile.
messages: venv
	$(PY) manage.py makemessages -l fr --no-obsolete --ignore=.venv --ignore=var --ignore=bench --ignore=tests
	$(PY) manage.py makemessages -d djangojs -l fr --no-obsolete --ignore=.venv --ignore=var --ignore=bench --ignore=tests
	$(PY) manage.py compilemessages -l fr --ignore=.venv

# The HTTP benchmark (bench/README.md): needs PostgreSQL and Redis on 127.0.0.1; builds the
# `causerie_bench` database on first use, then about 7 minutes. BENCH_ARGS=--quick for a 1-minute
# smoke run, BENCH_ARGS="--anon-cache off" to measure the pages rendered without the cache.
BENCH_ARGS ?=
bench: venv
	$(PY) bench/run.py $(BENCH_ARGS)

# Load tools (locust, with gevent) live in requirements-bench.txt, out of CI's way.
$(VENV)/.bench-installed: requirements-bench.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-bench.txt
	@touch $@

# The member mix under locust (bench/README.md): gunicorn + a Celery worker on the bench
# database, 60 s by default. LOADTEST_ARGS=--quick for 20 s, "--users 50 --duration 120"…
LOADTEST_ARGS ?=
loadtest: $(VENV)/.bench-installed
	$(PY) bench/loadtest.py $(LOADTEST_ARGS)

# Soak and fault injection (bench/README.md): the member mix for 10 minutes against web +
# worker + beat, with a worker killed, Redis stopped and PostgreSQL connections cut during the
# load. SOAK_ARGS=--quick for 2 minutes; SOAK_ARGS=--ci for CI's form (.ci/run): 2 minutes,
# 10 people, the small demo data in its own `causerie_bench_ci` database, about 4 minutes in all.
SOAK_ARGS ?=
soak: $(VENV)/.bench-installed
	$(PY) bench/soak.py $(SOAK_ARGS)

# Two gunicorn instances, two Celery workers and one beat on one machine (docs/deploy.md),
# on PostgreSQL and Redis with the large demo data; prints the URLs, Ctrl-C stops everything.
SCALE_ARGS ?=
scale-demo: venv
	$(PY) bench/scale_demo.py $(SCALE_ARGS)

clean:
	rm -rf var/causerie.sqlite3* var/mail var/static
