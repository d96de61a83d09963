# Parley: `make run` sets up and starts everything; `make test` runs the whole suite.
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT VENV

.PHONY: run test install migrate lint

$(VENV)/.installed: requirements.txt
	@test -x $(PY) || "$$(scripts/find-python)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

run: migrate
	scripts/run

lint: install
	$(VENV)/bin/ruff check .

test: lint
	$(VENV)/bin/pytest $(PYTEST_ARGS)
