# Convenience targets for macOS/Linux. Every step is also a plain command (see README.md),
# so Windows/Anaconda users run the same things without make.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: help setup report test lab notebooks bench clean

help:
	@echo "make report     run every notebook on the bundled sample -> outputs/sample/index.html"
	@echo "make test       unit tests, notebook tests and nbval (what CI runs)"
	@echo "make lab        open JupyterLab on notebooks/"
	@echo "make notebooks  re-execute the committed notebooks on the sample (for nbval)"
	@echo "make bench      speed and memory benchmarks -> BENCHMARKS.md"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (crm)"
	touch $(STAMP)

setup: $(STAMP)

report: $(STAMP)
	$(BIN)/crm run --params params/sample.yaml

test: $(STAMP)
	$(BIN)/python -m pytest -p no:cacheprovider tests
	$(BIN)/python -m pytest -p no:cacheprovider --nbval --nbval-sanitize-with notebooks/sanitize.cfg notebooks

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks

notebooks: $(STAMP)
	$(BIN)/python -m crmlib.runner

bench: $(STAMP)
	$(BIN)/python -m pip install -e ".[dev,bench,spark]"
	$(BIN)/python bench/run.py

clean:
	rm -rf outputs/sample outputs/interactive .pytest_cache
