# PeaceCert: `make run` serves the product on SQLite with demo data; `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# In development, settings derive PUBLIC_BASE_URL (links in e-mails, QR codes, PDFs) from these unless it is set.
SERVED := HOST=$(HOST) PORT=$(PORT)

.PHONY: run test demo lint worker bench bench-coaching migrate install install-dev clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# Stamp files: reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e ".[dev]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	@mkdir -p var
	$(PY) manage.py migrate --noinput

run: migrate
	@$(SERVED) $(PY) manage.py load_demo_data
	@echo ""
	@echo "PeaceCert is starting on http://$(HOST):$(PORT)/"
	@echo "  API docs (Swagger UI):  http://$(HOST):$(PORT)/api/docs/"
	@echo "  OpenAPI schema:         http://$(HOST):$(PORT)/api/schema/"
	@echo "  Admin (log in as staff): http://$(HOST):$(PORT)/admin/"
	@echo "  Public pages:           http://$(HOST):$(PORT)/  (registry: /registry/, health: /api/v1/health/)"
	@echo "  Get a token:  curl -s -X POST http://$(HOST):$(PORT)/api/v1/auth/token/ -H 'Content-Type: application/json' \\"
	@echo "                  -d '{\"username\": \"admin_riverside\", \"password\": \"peace-demo-2026\"}'"
	@echo ""
	$(SERVED) $(PY) manage.py runserver $(HOST):$(PORT)

test: install-dev
	$(PY) -m pytest $(PYTEST_ARGS)

# The narrated walk; the PDFs it fetches land under MEDIA_ROOT/demo/.
demo: migrate
	$(SERVED) $(PY) manage.py demo

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

worker: install
	@test -n "$$CELERY_BROKER_URL" || { echo "Set CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0)"; exit 2; }
	$(VENV)/bin/celery -A config worker --beat -l info -c 2 --schedule var/celerybeat-schedule

# Measures against a bare Django view in the same run; prints a table and writes var/bench/results.json.
bench: install-dev
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} $(PY) -m bench.run

# Cohort matching alone: the solver, then loading 200 x 50 from the database (rolled back).
bench-coaching: install-dev
	$(PY) -m bench.coaching

clean:
	rm -rf var/static var/media/demo var/demo .pytest_cache .ruff_cache
