# Two commands set everything up from nothing: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# --no-compile, then COMPILE: pip byte-compiles file by file on one core, compileall on every
# core. Compiling at install is not optional: where PYTHONDONTWRITEBYTECODE is set (as on the
# machine CI runs on), Python never caches what it imports, so every process (each DVC stage,
# CLI call and server worker) compiled scikit-learn, pandas and DVC from source again:
# `import sklearn.ensemble` took 5.5 s instead of 1.9, a small `dvc repro` 55 s instead of 30.
# A file that fails to compile (a package's Python 2 fixture) costs speed only: not an error.
PIP    := $(BIN)/python -m pip install --quiet --no-compile --constraint constraints.txt
COMPILE = $(BIN)/python -m compileall -q -j 0 \
	$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') >/dev/null || true

.PHONY: run setup test debs model train ct compact image-context lint typecheck quality bench bench-serving bench-profile bench-lake clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps re-run an install when the project's dependency files change.
$(VENV)/.train: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e '.[train,serve,client]'
	$(COMPILE)
	touch $@

$(VENV)/.dev: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e '.[train,serve,client,gcs,s3,bench,peers,spark,dev]'
	$(COMPILE)
	touch $@ $(VENV)/.train $(VENV)/.lake

# The lake's own upkeep reads and writes it on any storage: no training tools.
$(VENV)/.lake: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e '.[serve,gcs,s3]'
	$(COMPILE)
	touch $@

# A tool the tests drive outside the project's environment (its pins conflict with ours).
.venv-tools/.openapi: constraints-tools.txt
	$(PYTHON) -m venv .venv-tools
	.venv-tools/bin/python -m pip install --quiet --no-compile --constraint constraints-tools.txt \
		openapi-python-client
	touch $@

PORT ?= 8000

## run: set up and serve the committed model on 127.0.0.1:$(PORT) (PORT=8080 make run). The
## exported model ships in git, so a fresh clone serves at once; without one (deleted, or
## params.yaml edited and the export removed) it runs the served profile's stages first.
run: $(VENV)/.train
	@if [ ! -f models/pre_release/export/checksums.json ]; then \
		echo "No exported model: running the served profile's DVC stages (dvc repro export@pre_release)..."; \
		PATH="$(abspath $(BIN)):$$PATH" $(BIN)/dvc repro export@pre_release; \
	fi
	@$(BIN)/boxoffice model-info models/pre_release/export
	@echo "Serving: the page at http://127.0.0.1:$(PORT)/ and the API docs at http://127.0.0.1:$(PORT)/docs (Ctrl-C stops)"
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/boxoffice serve --host 127.0.0.1 --port $(PORT) --workers 2

## setup: only the install (what CI jobs that do not test need)
setup: $(VENV)/.train

## model: fetch the exported model from the DVC remote, or train it when the remote lacks it
model: $(VENV)/.train
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/dvc pull export || PATH="$(abspath $(BIN)):$$PATH" $(BIN)/dvc repro

## train: re-run whatever stages changed
train: $(VENV)/.train
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/dvc repro

## compact: merge each past day's small prediction objects into one (the lake is
## BOXOFFICE_LAKE_URI, default ./lake); safe beside running servers, to stop and to re-run
compact: $(VENV)/.lake
	$(BIN)/boxoffice lake compact

## ct: continuous training as the workflow runs it (CT_IF_DUE=15h: only when due; see deploy/ct/run.sh)
ct: $(VENV)/.train
	BIN=$(BIN) deploy/ct/run.sh

## image-context: the serving image's build context in build/image (models verified first)
image-context: $(VENV)/.train
	$(BIN)/python deploy/image/context.py build/image

## debs: the Debian packages the tests drive, installed when missing: headless Chromium and its
## driver (the page's tests), wrk (the load script the serving benchmark hands it), a Java
## runtime (PySpark's JVM: the lake read by Spark)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
debs:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && command -v wrk >/dev/null \
		&& command -v java >/dev/null || \
		{ $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium chromium-driver wrk \
			default-jre-headless; }

## test: set up and run the whole suite with coverage
test: $(VENV)/.dev .venv-tools/.openapi debs
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest --durations=25 --cov=boxoffice --cov-report=term --cov-report=xml:coverage.xml

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples

typecheck: $(VENV)/.dev
	$(BIN)/mypy

## quality: the gate CI runs before the SonarCloud scan (lint, types, >=90% coverage, bandit)
quality: lint typecheck .venv-tools/.openapi debs
	$(BIN)/bandit -q -r src
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest --cov=boxoffice --cov-report=xml:coverage.xml --cov-fail-under=90

## bench: model-quality benchmark: rolling origin, K-fold, ablation (about an hour on 2 cores)
bench: $(VENV)/.dev
	$(BIN)/python bench/model_quality.py

## bench-serving: serving benchmark with wrk, 3 interleaved rounds (about 5 minutes)
bench-serving: $(VENV)/.dev
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(PIP) -e '.[peers]'
	$(BIN)/python bench/serving.py

## bench-profile: where a loaded worker's CPU goes (wrk + py-spy, about 40 seconds)
bench-profile: $(VENV)/.dev
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(PIP) -e '.[profile]'
	$(BIN)/python bench/profile_under_load.py

## bench-lake: the log read by window against the whole lake, on 100K, 1M and 10M generated
## predictions; then 7 days of 1,000 small objects each, before and after `lake compact`
bench-lake: $(VENV)/.dev
	$(BIN)/python bench/lake.py
	$(BIN)/python bench/compaction.py

clean:
	rm -rf $(VENV) .venv-tools .pytest_cache .mypy_cache .ruff_cache coverage.xml .coverage
