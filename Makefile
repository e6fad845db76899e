# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[postgres,images,report,web]'
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[postgres,telegram,images,web,report,test]'
	touch $@

## demo: the main job on the bundled illustrative example: ingest, every analysis stage, the report, top findings
demo: $(VENV)/.installed
	$(BIN)/echoscope demo --example examples/demo --out demo-out

## test: the whole suite (real SQLite files; a throwaway PostgreSQL cluster when its binaries are installed)
test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

## bench: the benchmarks; scale with e.g. `make bench MESSAGES=1000000`
MESSAGES ?= 200000
bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/ingest.py --messages $(MESSAGES)

clean:
	rm -rf $(VENV) demo-out .pytest_cache
