# Everything about Autoencoders: one-command set-up, runs and tests.
#   make run            execute every notebook in full mode, outputs written back, results table rebuilt
#   make run NB=01_basic_autoencoder   the same for one notebook
#   make run FAST=1     the same in fast mode, into build/fast/ (notebooks and results untouched)
#   make test           unit tests + nbval over every notebook in fast mode
#   make test-jax       nbval over every notebook in fast mode under KERAS_BACKEND=jax (CI runs it after make test)
#   make run BACKEND=jax   full runs on JAX, into build/jax/ (committed notebooks and results untouched)
#   make run-gpu        every notebook in full on one GPU under JAX (bench/gpu_run.sh: install steps inside)
#   make lab            JupyterLab on notebooks/
#   make lint           ruff over aeutils, tests, notebooks, bench and tools
#   make lessons        regenerate aeutils/lessons/ from the notebooks' #| export cells (nbdev)
#   make bench          benchmarks (bench/*.py), results into bench/RESULTS.md
#   make docs           documentation site from the committed notebooks (no execution), build/docs/html
#   make docs-test      make docs, then every page opened in headless Chromium (docs/check_site.py)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DOCS_STAMP := $(VENV)/.docs-installed
NB ?=
FAST ?=
BACKEND ?=
TIMEOUT ?= 3600

# The checkout's aeutils wins over any other install (git worktrees share one venv).
export PYTHONPATH := $(CURDIR)$(if $(PYTHONPATH),:$(PYTHONPATH))
export TF_CPP_MIN_LOG_LEVEL ?= 3
export PYDEVD_DISABLE_FILE_VALIDATION := 1

NOTEBOOKS := $(if $(NB),$(wildcard notebooks/$(NB)*.ipynb),$(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb notebooks/[0-9][0-9][a-z]_*.ipynb)))

.PHONY: venv run test test-jax run-gpu unit nbval lab lint lessons results bench clean-fast

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || { echo ">> creating $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@echo ">> installing requirements into $(VENV) (first time: several minutes)"
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	@test -n "$(NOTEBOOKS)" || { echo "no notebook matches NB=$(NB)"; exit 2; }
	@$(PY) -m tools.runner $(if $(FAST),--fast) $(if $(BACKEND),--backend $(BACKEND)) --timeout $(TIMEOUT) $(NOTEBOOKS)

# The tests run on JOBS processes (pytest-xdist; JOBS=1: one process). nbval keeps each notebook's cells
# together in one worker (--dist loadfile), so a notebook still runs top to bottom in one kernel, and
# notebooks/conftest.py hands out the longest notebooks first. --durations lists the slowest tests and cells.
JOBS ?= 2
XDIST = $(if $(filter-out 1,$(JOBS)),-n $(JOBS))
NBVAL_XDIST = $(if $(XDIST),$(XDIST) --dist loadfile)
# One OpenBLAS thread in the tests (a value the caller sets wins). numpy, scipy and scikit-learn run on OpenBLAS;
# its two threads a process, beside TensorFlow's or XLA's own pool and a second worker, fight over the 2 cores:
# nbval of notebooks 02 and 09b side by side took 216 s, and 96 s with one thread, most of it in the scikit-learn
# probes (02's probe cell 118 s against 10 s). The tests only; full runs keep OpenBLAS's default (README, Test times).
TEST_BLAS = OPENBLAS_NUM_THREADS=$${OPENBLAS_NUM_THREADS:-1}

test: $(STAMP)
	$(TEST_BLAS) $(PY) -m pytest -q $(XDIST) --durations=15 tests
	$(TEST_BLAS) AEUTILS_FAST=1 $(PY) -m pytest -q $(NBVAL_XDIST) --durations=15 -p no:cacheprovider --nbval-lax --nbval-current-env --nbval-cell-timeout=600 notebooks

# The second backend: every notebook in fast mode under JAX. JAX's persistent compilation cache (build/jax-cache)
# lets a model that is built again (the next seed, the next ablation row, the same architecture in another
# notebook) reuse the compiled XLA program instead of compiling it again; CI starts with an empty one.
JAX_CACHE = JAX_COMPILATION_CACHE_DIR=$(CURDIR)/build/jax-cache JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS=0 \
	JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES=-1
# Fast mode on JAX is compile-bound: XLA:CPU's default backend optimisation level (3) spends up to a second
# compiling each weight shape's random initialiser; level 1 compiles those 1.3-4 times faster with the same step
# time for these models (README, Test times). Fast mode only: full runs keep XLA's default. A level in the
# caller's XLA_FLAGS comes later and wins.
JAX_FAST_XLA = XLA_FLAGS="--xla_backend_optimization_level=1 $$XLA_FLAGS"
test-jax: $(STAMP)
	$(TEST_BLAS) $(JAX_CACHE) $(JAX_FAST_XLA) KERAS_BACKEND=jax AEUTILS_FAST=1 $(PY) -m pytest -q $(NBVAL_XDIST) --durations=15 -p no:cacheprovider --nbval-lax --nbval-current-env --nbval-cell-timeout=600 $(NOTEBOOKS)

# Every notebook in full on one GPU under JAX, into build/gpu/ (needs an NVIDIA GPU; see the script's header).
run-gpu:
	bash bench/gpu_run.sh $(NOTEBOOKS)

unit: $(STAMP)
	$(TEST_BLAS) $(PY) -m pytest -q tests

nbval: $(STAMP)
	$(TEST_BLAS) AEUTILS_FAST=1 $(PY) -m pytest -q -p no:cacheprovider --nbval-lax --nbval-current-env --nbval-cell-timeout=600 $(NOTEBOOKS)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks

lint: $(STAMP)
	$(VENV)/bin/ruff check aeutils tests notebooks bench tools

lessons: $(STAMP)
	@$(PY) -m tools.lessons

results: $(STAMP)
	$(PY) -c "from aeutils.core.records import write_results_table as w; print('wrote', w('results'))"

bench: $(STAMP)
	$(PY) bench/search_bench.py
	$(PY) bench/vae_nll_bench.py --epochs 200   # about 30 minutes on 2 CPU cores
	for e in 4 8 16; do $(PY) bench/denoise_budget_bench.py --epochs $$e || exit 1; done   # about 40 minutes

clean-fast:
	rm -rf build/fast

# Documentation site: its own pins on top of requirements.txt (a constraint, so no project pin moves).
.PHONY: docs docs-test browser
$(DOCS_STAMP): $(STAMP) requirements-docs.txt
	@echo ">> installing requirements-docs.txt into $(VENV)"
	$(PY) -m pip install --quiet -r requirements-docs.txt -c requirements.txt
	@touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	$(PY) docs/build_site.py

# Headless Chromium and its WebDriver from Debian (root, or passwordless sudo); skipped when present.
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then \
	  echo ">> chromium and chromedriver already installed"; \
	else \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  echo ">> installing chromium and chromium-driver (apt)"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

docs-test: docs browser
	$(PY) docs/check_site.py
