# Developer entry points. `make run` serves the app with demo data; `make test`
# runs the whole suite. See README.md.
SHELL := /bin/bash

VENV        := .venv
PYTHON      := $(VENV)/bin/python
FLASK       := $(VENV)/bin/flask --app wsgi
HOST        ?= 127.0.0.1
PORT        ?= 5000
# Where a browser, the simulated phone and the sandbox's callbacks reach this server: it follows HOST and PORT
# unless PUBLIC_BASE_URL is set (a server listening on every address is reached on 127.0.0.1).
PUBLIC_HOST := $(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST))
PUBLIC_BASE_URL ?= http://$(PUBLIC_HOST):$(PORT)
PYTEST_ARGS ?=
# The suite runs on this many processes (pytest-xdist), each with its own database and Redis db; 0 = one process.
PYTEST_WORKERS ?= 2
# `make worker` needs REDIS_URL, e.g. make worker REDIS_URL=redis://127.0.0.1:6379/0
REDIS_URL   ?=

.PHONY: help setup venv vendor fonts chromium db migrate run test worker clean

help:
	@echo "make run      set up, migrate, load demo data and serve on $(PUBLIC_BASE_URL) (PORT=5066 for another port)"
	@echo "make test     set up (and install chromium if missing), then pytest \$$PYTEST_ARGS"
	@echo "make setup    .venv from requirements.txt + npm assets into static/vendor/ + a Chinese font for posters"
	@echo "make db       migrate the database and load demo data (idempotent)"
	@echo "make migrate  flask db upgrade"
	@echo "make worker   RQ worker (needs REDIS_URL)"
	@echo "make clean    remove .venv, node_modules, static/vendor, instance"

setup: venv vendor fonts

venv:
	@bash scripts/venv.sh

vendor:
	@bash scripts/vendor.sh

fonts:
	@bash scripts/fonts.sh

chromium:
	@bash scripts/chromium.sh

db: venv
	@mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) seed-demo

migrate: venv
	@mkdir -p instance
	$(FLASK) db upgrade

run: setup db
	@PUBLIC_BASE_URL="$(PUBLIC_BASE_URL)" bash scripts/banner.sh
	PUBLIC_BASE_URL="$(PUBLIC_BASE_URL)" IN_PROCESS_SCHEDULER=1 exec $(FLASK) run --host $(HOST) --port $(PORT)

test: setup chromium
	$(PYTHON) -m pytest $(if $(filter-out 0,$(PYTEST_WORKERS)),-n $(PYTEST_WORKERS) --dist loadfile) $(PYTEST_ARGS)

worker: venv
	@if [[ -z "$(REDIS_URL)" ]]; then \
	    echo "make worker: REDIS_URL must be set, e.g. make worker REDIS_URL=redis://127.0.0.1:6379/0" >&2; \
	    exit 2; \
	fi
	REDIS_URL="$(REDIS_URL)" $(FLASK) worker

clean:
	rm -rf $(VENV) node_modules static/vendor instance
