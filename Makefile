# The project's own commands. `make run` and `make test` set everything up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup run test test-unit test-e2e bench lint audit migrate messages clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

# Browser-side test tools from the npm registry (axe-core for tests/e2e/test_accessibility.py), reinstalled
# whenever package.json or package-lock.json changes. node_modules/ is not committed.
NODE_STAMP := node_modules/.installed

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

setup: $(STAMP) $(NODE_STAMP)

migrate: setup
	$(PY) manage.py migrate --noinput

# Embedded (nothing set): one process on SQLite with in-process tasks and scheduler.
# Services (DATABASE_URL and REDIS_URL set): web, worker and beat from the Procfile.
run: migrate
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py seed_demo
	@if [ -n "$$DATABASE_URL" ] && [ -n "$$REDIS_URL" ]; then \
		echo "Serving on http://$(HOST):$(PORT) with PostgreSQL and Redis (web, worker, beat)"; \
		WEB_HOST=$(HOST) WEB_PORT=$(PORT) PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho start -f Procfile; \
	else \
		echo "Serving on http://$(HOST):$(PORT) (embedded: SQLite, in-process tasks)"; \
		$(PY) manage.py runserver $(HOST):$(PORT); \
	fi

# Unit, service and integration tests first; the browser journeys in their own process
# (Playwright's event loop and pytest-asyncio cannot share one; see ../shared/TESTING.md).
test: setup
	$(PY) -m pytest -p no:playwright tests --ignore=tests/e2e
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(PY) -m pytest tests/e2e

test-unit: setup
	$(PY) -m pytest -p no:playwright tests --ignore=tests/e2e --ignore=tests/integration

bench: setup
	$(PY) bench/run_all.py

# Known vulnerabilities in the pinned requirements (OSV, or PyPI's JSON API where OSV is out of reach);
# tests/integration/test_dependency_audit.py runs the same check in `make test`.
audit: setup
	$(PY) -m pip_audit --disable-pip --no-deps --progress-spinner off -r requirements.txt -r requirements-dev.txt \
		$$($(PY) -c "import requests; requests.post('https://api.osv.dev/v1/query', json={}, timeout=5)" 2>/dev/null \
		   && echo "--vulnerability-service osv" || echo "--vulnerability-service pypi")

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check . || true

messages: setup
	$(PY) manage.py makemessages --locale zh_Hans --ignore "$(VENV)/*" --ignore "var/*" --ignore "node_modules/*" --no-obsolete
	$(PY) manage.py makemessages --locale zh_Hans --domain djangojs --ignore "$(VENV)/*" --ignore "var/*" --ignore "node_modules/*" --ignore "static/vendor/*"
	$(PY) manage.py compilemessages --locale zh_Hans --ignore "$(VENV)/*"

clean:
	rm -rf var/test-* .pytest_cache
