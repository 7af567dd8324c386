# Two commands on a fresh machine with Python 3.10+ and make:
#   make lab    set up .venv and open the course in JupyterLab
#   make test   set up .venv and run the whole test suite (unit tests + every notebook)
# WITH_TORCH=0 skips installing PyTorch (its cross-checks then report as skipped).

PYTHON ?= python3
VENV   ?= .venv
WITH_TORCH ?= 1
BIN    := $(VENV)/bin
comma  := ,
EXTRAS := dev$(if $(filter 1,$(WITH_TORCH)),$(comma)torch,)

.PHONY: setup lab test test-fast release benchmark images clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

setup: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"

lab: setup
	$(BIN)/jupyter lab notebooks/

test: setup
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -o addopts="" tests/

release: setup
	$(BIN)/python tools/release_exercises.py

benchmark: setup
	$(BIN)/python benchmarks/run.py --output benchmarks/results.md

images: setup
	$(BIN)/python -m rnnlab.diagrams images

clean:
	rm -rf $(VENV) build *.egg-info test-artifacts
