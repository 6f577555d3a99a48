.DEFAULT_GOAL := help
.PHONY: help venv test test-unit test-integration demo docs bench quality upgrade clean system-packages

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Two stamps: the demo installs the runtime only (wheels, no C build, no test tools); the test
# stamp adds the test, quality and docs tools, the Tutor plugin and the MariaDB driver.
DEMO_STAMP := $(VENV)/.demo-installed
TEST_STAMP := $(VENV)/.test-installed
PIP_COMPILE = $(BIN)/pip-compile -q --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(DEMO_STAMP): requirements/base.txt requirements/django.txt setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q --only-binary=:all: -r requirements/base.txt -r requirements/django.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $(DEMO_STAMP)

$(TEST_STAMP): $(DEMO_STAMP) requirements/test.txt requirements/quality.txt requirements/docs.txt tutor/pyproject.toml
	scripts/system-packages
	$(BIN)/pip install -q -r requirements/quality.txt -r requirements/docs.txt -r requirements/django.txt
	$(BIN)/pip install -q --no-deps -e . -e ./tutor
	touch $(TEST_STAMP)

system-packages: ## install the Debian packages the test suite needs (as root), or name them
	scripts/system-packages

venv: $(TEST_STAMP) ## create .venv with the package, its test, quality and docs tools

test: system-packages $(TEST_STAMP) ## run the whole suite (unit on SQLite, integration on MariaDB + Redis + Celery workers)
	$(BIN)/pytest

test-unit: system-packages $(TEST_STAMP) ## run the unit suite only
	$(BIN)/pytest -m "not integration"

test-integration: $(TEST_STAMP) ## run the integration suite only (needs MariaDB and Redis)
	$(BIN)/pytest -m integration

demo: $(DEMO_STAMP) ## migrate a SQLite sandbox, load the sample programmes, replay a cohort, serve :8000
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py microcred_demo $(DEMO_ARGS)

docs: $(TEST_STAMP) ## build the operator documentation (docs/_build/html), warnings are errors
	$(BIN)/sphinx-build -E -W --keep-going -n -q -b html docs docs/_build/html

bench: $(TEST_STAMP) ## run the benchmarks and print figures against the targets
	$(BIN)/python bench/run.py

quality: $(TEST_STAMP) ## lint, type-check and check the import layers
	$(BIN)/ruff check openedx_microcred tests sandbox bench tutor docs
	$(BIN)/mypy
	$(BIN)/lint-imports

upgrade: ## re-pin requirements/*.txt from requirements/*.in
	$(BIN)/pip install -q pip-tools
	for f in base test quality docs dev; do $(PIP_COMPILE) --output-file requirements/$$f.txt requirements/$$f.in; done
	# tox chooses the Django release per environment
	sed -i '/^[dD]jango==/d' requirements/base.txt requirements/test.txt requirements/quality.txt requirements/docs.txt requirements/dev.txt

clean: ## remove the virtualenv, caches, the docs build and the sandbox database
	rm -rf $(VENV) .tox .pytest_cache .mypy_cache .ruff_cache docs/_build sandbox/db.sqlite3
