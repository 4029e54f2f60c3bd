# The entry points a person types. `make lab` to learn, `make test` for what CI runs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two stamps, two locks: a student's .venv holds only requirements.txt (make lab); the test,
# lint and CI targets add requirements-dev.txt on top. Each stamp is remade when its lock
# changes, so `make lab` after `make test` installs nothing.
LAB_STAMP := $(VENV)/.lab-stamp
DEV_STAMP := $(VENV)/.dev-stamp
# --require-hashes: pip installs only the exact files the locks name (every wheel's sha256).
PIP_INSTALL := $(BIN)/python -m pip install --quiet --require-hashes
LOCK_VENV := .venv-lock
UV := $(LOCK_VENV)/bin/uv
STRICT ?= 0
UPGRADE ?= 0

.PHONY: help lab reset-labs labs test test-kind lint format unit nbval doctor bench cluster cluster-delete tools images registry registry-delete lock clean sim-cluster
.PHONY: node-image offline-tools offline-smoke registry-image tools-present

help:
	@echo "make lab             start JupyterLab (127.0.0.1, token on) on your copy, my-labs/00_setup.ipynb"
	@echo "make reset-labs      LAB=03: start lab 03 over from a fresh copy (the old one is kept)"
	@echo "make test            everything CI runs: lint, unit tests, notebooks (nbval), browser and container tests"
	@echo "make test-kind       the real-cluster tier: kind cluster, tests and every notebook on it, a report"
	@echo "make doctor          check this machine for the labs (STRICT=1: fail when kind is unavailable)"
	@echo "make cluster         create the kind cluster 'orchestra' (make cluster-delete removes it)"
	@echo "make sim-cluster     a realtime simulated cluster with a Kubernetes API for kubectl (SPEED=10: faster)"
	@echo "make images          build the model images and load them into the kind cluster (LAB_REGISTRY=...: push there)"
	@echo "make registry        a local registry beside kind (localhost:5001), wired into the nodes"
	@echo "make tools           install the pinned, checksum-verified kind and kubectl into ./bin"
	@echo "make bench           run the benchmarks and print their figures"
	@echo "make labs            rebuild labs/*.ipynb from labs/src, outputs refilled (LAB=05: only lab 05)"
	@echo "make lock            refresh the hash-locked requirements*.txt from the *.in files (UPGRADE=1: newest versions)"
	@echo "make clean           remove .venv, caches and test artifacts"
	@echo "make node-image      build kind's node image and tools offline, from Go modules and Debian (cluster/offline)"
	@echo "make offline-tools   build the pinned kind, kubectl and helm offline into ./bin"
	@echo "make offline-smoke   create a cluster from the offline node image, check it, delete it"
	@echo "make registry-image  build the local registry's image (distribution, from its Go module)"

# The student venv, remade when the student lock or the package metadata change. pip itself
# is brought to one pinned, hash-checked release first (tools/pip.txt): the pip a Python
# ships with varies, and a current one installs the lock faster.
$(LAB_STAMP): requirements.txt tools/pip.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -r tools/pip.txt
	$(PIP_INSTALL) -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@# Train the model artifacts once (seconds) so the first predict in a lab is instant.
	$(BIN)/python -m orchestra_model.artifacts v1 v2 v3 >/dev/null
	@touch $@

# The dev lock is a superset of the student lock at the same versions: only the tools are new.
$(DEV_STAMP): $(LAB_STAMP) requirements-dev.txt
	$(PIP_INSTALL) -r requirements-dev.txt
	@touch $@

# LAB_ARGS adds JupyterLab options, e.g. make lab LAB_ARGS="--no-browser --ServerApp.port=8899".
# As root (a container, Codespaces) JupyterLab refuses to start unless told: say so and tell it.
ROOT_ARGS := $(if $(filter 0,$(shell id -u)),--allow-root,)
ROOT_NOTE := make lab: running as root, so JupyterLab gets --allow-root; a normal user is safer
# The simulator behind its Kubernetes API (https://127.0.0.1, bearer token), in realtime,
# until Ctrl-C: KUBECONFIG=sim.kubeconfig kubectl get pods. The token is in that file only.
sim-cluster: $(LAB_STAMP)
	$(BIN)/python -m helpers.sim.httpapi --kubeconfig $(CURDIR)/sim.kubeconfig --speed $(or $(SPEED),1)

lab: $(LAB_STAMP)
	@# The token stays on (the default); 127.0.0.1 keeps the server off the network.
	@$(if $(ROOT_ARGS),echo "$(ROOT_NOTE)")
	@# Students work in their own copies (my-labs/, outputs cleared, untracked): labs/ keeps
	@# the solved run that nbval checks. Existing copies are never overwritten.
	$(BIN)/python tools/student_labs.py
	@# A terminal's kubectl reads the simulated cluster the last started lab serves.
	@echo "kubectl in a JupyterLab terminal, on the simulated cluster: export KUBECONFIG=$(CURDIR)/.sim/kubeconfig"
	LAB_SIM_KUBECONFIG=$(CURDIR)/.sim/kubeconfig $(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=$(CURDIR) $(ROOT_ARGS) $(LAB_ARGS) \
		$$(ls my-labs/00_*.ipynb 2>/dev/null | head -n 1)

# Start a lab over from a fresh copy; the old copy is kept in my-labs/.previous/.
reset-labs: $(LAB_STAMP)
	@test -n "$(LAB)" || { echo "say which lab: make reset-labs LAB=03 (LAB=all: every lab)"; exit 2; }
	$(BIN)/python tools/student_labs.py --reset $(LAB)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

unit: $(DEV_STAMP)
	$(BIN)/pytest

# Notebooks on the simulator, outputs compared with the committed ones; the exercises are
# filled with the instructor solutions (LAB_AUTOSOLVE=1) so their checks must pass. Virtual
# time (LAB_SPEED=virtual), as the outputs were made: a person gets realtime instead.
nbval: $(DEV_STAMP) tools-present
	LAB_BACKEND=sim LAB_AUTOSOLVE=1 LAB_SPEED=virtual $(BIN)/pytest -p no:cacheprovider --nbval --nbval-current-env \
		--nbval-cell-timeout=300 \
		--nbval-sanitize-with labs/nbval-sanitize.cfg labs/ -o testpaths=labs

# Rebuild the notebooks from labs/src/*.md (jupytext) and refill their outputs on the
# simulator in virtual time (tools/build_labs.py sets LAB_SPEED=virtual); LAB=05 rebuilds labs/05_*.ipynb only. A notebook that comes out the same,
# byte for byte, is not rewritten.
LAB ?=
labs: $(DEV_STAMP) tools-present
	$(BIN)/python tools/build_labs.py --execute $(LAB)

# The notebooks' helpers.lab.kubectl and helpers.lab.helm cells print the real tools' output
# (the simulator serves the Kubernetes API), so recording or comparing them needs both.
tools-present:
	@test -x bin/kubectl || command -v kubectl >/dev/null || { echo "make nbval/labs need kubectl (the labs' kubectl cells are recorded with it): run make tools (or make offline-tools)"; exit 1; }
	@test -x bin/helm || command -v helm >/dev/null || { echo "make nbval/labs need helm (lab 07's helm cells are recorded with it): run make tools (or make offline-tools)"; exit 1; }

test: lint unit nbval

# The real-cluster tier (tools/test-kind.sh): a kind cluster (offline node image when kind's
# cannot be pulled), the contract suite and tests/integration on it, every lab notebook with
# the instructor answers (nbval-lax), the kind report in test-artifacts/; then deletes it.
test-kind: $(DEV_STAMP)
	bash tools/test-kind.sh

doctor: $(LAB_STAMP)
	$(BIN)/python -m helpers.diagnosis $(if $(filter 1,$(STRICT)),--strict,)

bench: $(DEV_STAMP)
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

cluster: $(LAB_STAMP)
	$(BIN)/python -m helpers.kind create

tools: $(LAB_STAMP)
	$(BIN)/python -m helpers.kind tools

cluster-delete: $(LAB_STAMP)
	$(BIN)/python -m helpers.kind delete

# With LAB_REGISTRY set, the images are pushed there instead of loaded into kind (a cloud
# cluster, or kind with `make registry`: LAB_REGISTRY=localhost:5001 make images).
images: $(LAB_STAMP)
	$(BIN)/python -m helpers.kind images build $(if $(LAB_REGISTRY),--push,--load)

# A local registry beside the kind cluster (helpers/kind/registry.py), the cloud path on a laptop.
registry: $(LAB_STAMP)
	$(BIN)/python -m helpers.kind registry start

registry-delete: $(LAB_STAMP)
	$(BIN)/python -m helpers.kind registry stop

# The locks are made with uv, not pip-compile: `uv pip compile --universal` resolves once for
# macOS, Windows and Linux and keeps the platform markers (appnope, pywin32, pywinpty...) with
# every wheel's hash, where pip-compile resolves for the machine it runs on only.
# --fork-strategy fewest keeps one version of each package for every Python >= 3.11. uv is
# needed here only, never to install: it comes pinned and hash-checked (tools/uv.txt) from
# PyPI into $(LOCK_VENV). Without UPGRADE=1 the pins already in a lock are kept.
LOCK := $(UV) pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--fork-strategy fewest --custom-compile-command "make lock" $(if $(filter 1,$(UPGRADE)),--upgrade,)

$(UV): tools/uv.txt
	@test -x $(LOCK_VENV)/bin/python || $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --require-hashes -r tools/uv.txt
	@touch $@

# The student lock first: it constrains the others (-c), so every lock pins the same versions
# and the model image (cluster/model) installs the same files as a student's .venv.
lock: $(UV)
	$(LOCK) requirements.in -o requirements.txt
	$(LOCK) requirements-dev.in -c requirements.txt -o requirements-dev.txt
	$(LOCK) cluster/model/requirements-server.in -c requirements.txt -o cluster/model/requirements-server.txt
	$(LOCK) cluster/model/requirements-train.in -c requirements.txt -o cluster/model/requirements-train.txt

clean:
	rm -rf $(VENV) $(LOCK_VENV) .pytest_cache .ruff_cache .hypothesis test-artifacts build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# The offline builder (cluster/offline/README.md): no container registry or release download,
# only the Go module proxy and Debian's packages. Cached in ~/.cache/orchestra-offline/<key>.
node-image:
	bash cluster/offline/build.sh node-image

offline-tools:
	bash cluster/offline/build.sh tools $(CURDIR)/bin

# The local registry's image (orchestra/registry:<version>) from the distribution Go module.
registry-image:
	bash cluster/offline/build.sh registry-image

offline-smoke:
	bash cluster/offline/smoke.sh
