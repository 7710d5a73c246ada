# Podgate: `make demo` and `make test` work on a fresh clone (they create .venv themselves).
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: venv test lint protos demo bench soak clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The slowest tests are listed at the end, so CI logs show where the 10-minute budget goes.
test: $(STAMP) lint
	$(BIN)/pytest -q --durations=15 $(PYTEST_ARGS)

protos: $(STAMP)
	$(BIN)/python protos/generate.py

clean:
	rm -rf $(VENV) .state .pytest_cache .ruff_cache *.egg-info

demo: $(STAMP)
	$(BIN)/python -m podsim.demo

# Issue 8's benchmark (bench/run.py): every scenario side by side, then README's table refreshed.
# BENCH_ARGS=--quick for a short smoke run. bench/list_latency.py and bench/token_cache.py
# still run on their own (python -m bench.list_latency, python -m bench.token_cache).
BENCH_STAMP = $(VENV)/.installed-bench

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)
	$(BIN)/python -m bench.readme

# Issue 9's soak (bench/soak.py): 10 minutes of mixed traffic with a control-plane restart in the
# middle, then every resource checked against the pods. SOAK_ARGS=--quick for 30 s.
soak: $(BENCH_STAMP)
	$(BIN)/python -m bench.soak $(SOAK_ARGS)

# The real OpenStack tier (README "Real OpenStack tier"): Keystone, RabbitMQ, PostgreSQL and two
# pods of real Nova + Cinder behind Podgate, from cached venvs under $PODGATE_REALCLOUD_DIR
# (default /var/tmp/podgate-realcloud). Tempest runs through Podgate and directly, compared.
.PHONY: realcloud-up realcloud-down test-real

realcloud-up: $(STAMP)
	$(BIN)/python -m realcloud up --if-needed

realcloud-down: $(STAMP)
	$(BIN)/python -m realcloud down

test-real: $(STAMP)
	$(BIN)/python -m realcloud up --if-needed
	$(BIN)/python -m realcloud tempest; t=$$?; \
	$(BIN)/pytest -q -m real tests/realcloud; p=$$?; \
	exit $$(( t || p ))
