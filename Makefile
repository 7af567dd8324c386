# Two commands on a fresh machine with Python 3.10+ and make:
#   make lab    set up .venv and open the course in JupyterLab
#   make test   set up .venv and run the whole test suite (unit tests + every notebook)
# WITH_TORCH=0 skips installing PyTorch (its cross-checks then report as skipped).
# WITH_BROWSER=1 also installs playwright; `make test-browser` installs Chromium too
# (apt-get, needs root or sudo) and runs the JupyterLab browser test on its own.
# Without Chromium and playwright, the browser test reports as skipped.

PYTHON ?= python3
VENV   ?= .venv
WITH_TORCH ?= 1
WITH_BROWSER ?= 0
BIN    := $(VENV)/bin
comma  := ,
# nbgrader (the classroom round-trip test) comes with `make test`, or with WITH_CLASSROOM=1
WITH_CLASSROOM ?= $(if $(filter test,$(MAKECMDGOALS)),1,0)
EXTRAS := dev$(if $(filter 1,$(WITH_CLASSROOM)),$(comma)classroom,)$(if $(filter 1,$(WITH_TORCH)),$(comma)torch,)$(if $(filter 1,$(WITH_BROWSER)),$(comma)browser,)

.PHONY: setup lab test test-fast test-browser release benchmark images clean

# pip runs only when pyproject.toml changed since the last install with these extras:
# a second `make test` goes straight to pytest.
STAMP  := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $@

setup: $(STAMP)

# Root = this folder (so ../images/... and classroom/ resolve), file browser in notebooks/.
# The browser test starts JupyterLab through the same script.
lab: setup
	$(BIN)/python tools/start_lab.py

test: setup
	$(BIN)/python -m pytest

test-browser:
	$(MAKE) setup WITH_BROWSER=1
	bash tools/install_browser.sh $(BIN)/python
	RNNLAB_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -o addopts="" -m browser tests/browser/test_browser.py

# unit tests only: no notebooks, no browser
test-fast: setup
	$(BIN)/python -m pytest -o addopts="" -m "not browser" tests/

release: setup
	$(BIN)/python tools/release_exercises.py

benchmark: setup
	$(BIN)/python benchmarks/run.py --output benchmarks/results.md

images: setup
	$(BIN)/python -m rnnlab.teaching.diagrams images

clean:
	rm -rf $(VENV) build *.egg-info test-artifacts
