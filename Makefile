# Every target that runs code creates or updates .venv first, so `make demo` and `make test`
# both work as the first command typed on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.roost-installed
DEMO_DIR ?= .demo

.PHONY: help venv sysdeps lint fmt typecheck test unit demo bench crds clean

help:
	@echo "make demo   - the operator releases an example app in a local sandbox (no cluster)"
	@echo "make test   - install what is missing, then lint and run every test"
	@echo "make lint   - ruff, ruff format --check, mypy --strict, import-linter"
	@echo "make bench  - benchmarks (figures go to docs/performance.md by hand)"

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade "pip>=25.1"
	$(BIN)/python -m pip install -q --disable-pip-version-check -e ".[postgres,sandbox]" \
		--group test --group lint --group bench
	touch $(STAMP)

# Debian packages the test suite needs: a real PostgreSQL server, a real Prometheus, kubectl
# and Chromium (for the dashboard's browser tests; Playwright drives it, never downloads one)
# (any kubectl on /usr/bin will do; Debian's kubernetes-client is installed when there is none).
# Installed only when missing; installing needs root, which CI has.
SYSDEPS_MISSING = $(strip \
	$(if $(wildcard /usr/lib/postgresql/*/bin/initdb),,postgresql) \
	$(if $(wildcard /usr/bin/prometheus),,prometheus) \
	$(if $(wildcard /usr/bin/kubectl),,kubernetes-client) \
	$(if $(wildcard /usr/bin/chromium),,chromium))

sysdeps:
	@if [ -n "$(SYSDEPS_MISSING)" ]; then \
		if [ "$$(id -u)" != 0 ]; then \
			echo "missing Debian packages: $(SYSDEPS_MISSING); run 'sudo make sysdeps'" >&2; \
			exit 1; \
		fi; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -q --no-install-recommends $(SYSDEPS_MISSING); \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP) sysdeps lint
	$(BIN)/pytest

unit: $(STAMP)
	$(BIN)/pytest -x -q

# The operator releasing an example app in a local sandbox (API double + simulated pods, no
# cluster): a good version promoted, a bad one rolled back, the timeline live from the ledger;
# then the ledger is verified.
demo: $(STAMP)
	@rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	$(BIN)/roost demo --dir $(DEMO_DIR)
	$(BIN)/roost ledger verify --ledger $(DEMO_DIR)/ledger.db

bench: $(STAMP)
	$(BIN)/python bench/ledger.py

crds: $(STAMP)
	$(BIN)/python -m controller.crdgen deploy/crds
	$(BIN)/python -m controller.crdgen deploy/kustomize/crds
	$(BIN)/python -m controller.crdgen deploy/chart/roost/crds

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
