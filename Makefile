# Podgate: `make demo` and `make test` work on a fresh clone (they create .venv themselves).
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: venv test lint protos demo bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: $(STAMP) lint
	$(BIN)/pytest -q $(PYTEST_ARGS)

protos: $(STAMP)
	$(BIN)/python protos/generate.py

clean:
	rm -rf $(VENV) .state .pytest_cache .ruff_cache *.egg-info

demo: $(STAMP)
	$(BIN)/python -m podsim.demo

bench: $(STAMP)
	$(BIN)/python -m bench.list_latency
	$(BIN)/python -m bench.token_cache
