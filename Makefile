.DEFAULT_GOAL := help
.PHONY: help venv test test-unit test-integration demo bench quality upgrade clean

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP_COMPILE = $(BIN)/pip-compile -q --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(STAMP): requirements/test.txt requirements/quality.txt requirements/django.txt setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements/quality.txt -r requirements/django.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

venv: $(STAMP) ## create .venv and install the package with its test tools

test: $(STAMP) ## run the whole suite (unit on SQLite, integration on MariaDB + Redis + Celery workers)
	$(BIN)/pytest

test-unit: $(STAMP) ## run the unit suite only
	$(BIN)/pytest -m "not integration"

test-integration: $(STAMP) ## run the integration suite only (needs MariaDB and Redis)
	$(BIN)/pytest -m integration

demo: $(STAMP) ## migrate a SQLite sandbox, load the sample programmes, replay a cohort, serve :8000
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py microcred_demo

bench: $(STAMP) ## run the benchmarks and print figures against the targets
	$(BIN)/python bench/run.py

quality: $(STAMP) ## lint, type-check and check the import layers
	$(BIN)/ruff check openedx_microcred tests sandbox bench
	$(BIN)/mypy
	$(BIN)/lint-imports

upgrade: ## re-pin requirements/*.txt from requirements/*.in
	$(BIN)/pip install -q pip-tools
	for f in base test quality dev; do $(PIP_COMPILE) --output-file requirements/$$f.txt requirements/$$f.in; done
	# tox chooses the Django release per environment
	sed -i '/^[dD]jango==/d' requirements/base.txt requirements/test.txt requirements/quality.txt requirements/dev.txt

clean: ## remove the virtualenv, caches and the sandbox database
	rm -rf $(VENV) .tox .pytest_cache .mypy_cache .ruff_cache sandbox/db.sqlite3
