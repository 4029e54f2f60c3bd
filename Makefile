# The entry points a person types. `make lab` to learn, `make test` for what CI runs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
STRICT ?= 0

.PHONY: help lab labs test test-kind lint format unit nbval doctor bench cluster cluster-delete tools images clean

help:
	@echo "make lab             start JupyterLab (127.0.0.1, token on) on labs/00_setup.ipynb"
	@echo "make test            everything CI runs: lint, unit tests, notebooks (nbval), browser and container tests"
	@echo "make test-kind       the real-cluster tier: kind cluster, tests and every notebook on it, a report"
	@echo "make doctor          check this machine for the labs (STRICT=1: fail when kind is unavailable)"
	@echo "make cluster         create the kind cluster 'orchestra' (make cluster-delete removes it)"
	@echo "make images          build the model images and load them into the kind cluster"
	@echo "make tools           install the pinned, checksum-verified kind and kubectl into ./bin"
	@echo "make bench           run the benchmarks and print their figures"
	@echo "make labs            rebuild the notebooks from labs/src and refill their outputs (LAB=05: one lab)"
	@echo "make clean           remove .venv, caches and test artifacts"

# The venv is rebuilt when the pinned requirements or the package metadata change.
$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@# Train the model artifacts once (seconds) so the first predict in a lab is instant.
	$(BIN)/python -m orchestra_model.artifacts v1 v2 v3 >/dev/null
	@touch $(STAMP)

# LAB_ARGS adds JupyterLab options, e.g. make lab LAB_ARGS="--no-browser --ServerApp.port=8899".
lab: $(STAMP)
	@# The token stays on (the default); 127.0.0.1 keeps the server off the network.
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=$(CURDIR) $(LAB_ARGS) \
		$$(ls labs/00_*.ipynb 2>/dev/null | head -n 1)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

unit: $(STAMP)
	$(BIN)/pytest

# Notebooks on the simulator, outputs compared with the committed ones; the exercises are
# filled with the instructor solutions (LAB_AUTOSOLVE=1) so their checks must pass.
nbval: $(STAMP)
	LAB_BACKEND=sim LAB_AUTOSOLVE=1 $(BIN)/pytest -p no:cacheprovider --nbval --nbval-current-env \
		--nbval-cell-timeout=300 \
		--nbval-sanitize-with labs/nbval-sanitize.cfg labs/ -o testpaths=labs

# Rebuild the notebooks from labs/src/*.md (jupytext) and refill their outputs on the
# simulator; LAB=05 rebuilds labs/05_*.ipynb only. A notebook that comes out the same,
# byte for byte, is not rewritten.
LAB ?=
labs: $(STAMP)
	$(BIN)/python tools/build_labs.py --execute $(LAB)

test: lint unit nbval

# The real-cluster tier (tools/test-kind.sh): a kind cluster (offline node image when kind's
# cannot be pulled), the contract suite and tests/integration on it, every lab notebook with
# the instructor answers (nbval-lax), the kind report in test-artifacts/; then deletes it.
test-kind: $(STAMP)
	bash tools/test-kind.sh

doctor: $(STAMP)
	$(BIN)/python -m helpers.diagnosis $(if $(filter 1,$(STRICT)),--strict,)

bench: $(STAMP)
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

cluster: $(STAMP)
	$(BIN)/python -m helpers.kind create

tools: $(STAMP)
	$(BIN)/python -m helpers.kind tools

cluster-delete: $(STAMP)
	$(BIN)/python -m helpers.kind delete

images: $(STAMP)
	$(BIN)/python -m helpers.kind images build --load

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis test-artifacts build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
