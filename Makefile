# Two commands set everything up from nothing: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --constraint constraints.txt

.PHONY: run test train lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps re-run an install when the project's dependency files change.
$(VENV)/.train: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e '.[train]'
	touch $@

$(VENV)/.dev: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e '.[train,bench,dev]'
	touch $@ $(VENV)/.train

## run: set up, train if there is no exported model, say where it is
run: $(VENV)/.train
	@if [ ! -f models/export/checksums.json ]; then \
		echo "No exported model: running the DVC pipeline (dvc repro)..."; \
		$(BIN)/dvc repro; \
	fi
	@$(BIN)/boxoffice model-info models/export

## train: re-run whatever stages changed
train: $(VENV)/.train
	$(BIN)/dvc repro

## test: set up and run the whole suite with coverage
test: $(VENV)/.dev
	$(BIN)/python -m pytest --cov=boxoffice --cov-report=term --cov-report=xml:coverage.xml

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(VENV)/.dev
	$(BIN)/mypy

## bench: model-quality benchmark (about 25 minutes on 2 cores)
bench: $(VENV)/.dev
	$(BIN)/python bench/model_quality.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache coverage.xml .coverage
