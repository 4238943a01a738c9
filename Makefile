# The two commands of the README: `make demo` (main job) and `make test`. Both set up .venv first.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: setup demo test test-all bench clean

setup: $(VENV)/.mnemo-setup

$(VENV)/.mnemo-setup: pyproject.toml constraints.txt scripts/setup.sh
	bash scripts/setup.sh

demo: setup
	$(VENV)/bin/mnemo demo --out out/demo

# everything this machine can run: gpu and browser tests skip themselves when they cannot
test: setup
	$(PY) -m pytest -q $(PYTEST_ARGS)

bench: setup
	$(PY) bench/ingest.py

clean:
	rm -rf out .pytest_cache
