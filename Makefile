# Parley: `make run` sets up and starts everything; `make test` runs the whole suite;
# `make run-sfu` is `make run` plus a local Janus (the SFU) from deploy/janus/.
# `make run-prod` is the production path: WORKERS daphne processes on Redis behind nginx.
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT VENV

.PHONY: run run-sfu run-prod test install migrate lint

$(VENV)/.installed: requirements.txt
	@test -x $(PY) || "$$(scripts/find-python)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

# Browser libraries (Konva, Chart.js, speech SDK, RNNoise, segmentation model) and Node test clients.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed for the browser libraries: apt-get install nodejs npm" >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.installed node_modules/.installed

migrate: install
	$(PY) manage.py migrate --noinput

run: migrate
	scripts/run

run-sfu: migrate
	scripts/run-sfu

run-prod: migrate
	scripts/run-prod

lint: install
	$(VENV)/bin/ruff check .

test: lint
	$(VENV)/bin/pytest $(PYTEST_ARGS)
