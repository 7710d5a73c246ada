# Podgate: `make demo` and `make test` work on a fresh clone (they create .venv themselves).
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: venv test test-unit lint protos docs demo bench soak clean

venv: $(STAMP)

# pip only brings uv (pinned in the test extra), which installs the rest: ~10 s where pip took ~45 s.
UV_PIN := $(shell grep -o '"uv==[^"]*"' pyproject.toml | tr -d '"')

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet $(UV_PIN)
	# Bytecode compiled once here: where PYTHONDONTWRITEBYTECODE is set, every process would
	# compile its imports again (`openstack --version` 2.2 s instead of 0.7 s).
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[test]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The slowest tests are listed at the end, then where the run's time went (tests/plugins/timing.py:
# the install, Keystone's venv, built in the background while other tests run, and pytest), so CI
# logs show where the 10-minute budget goes.
test:
	@begin=$$(date +%s); \
	if $(MAKE) --no-print-directory -q $(STAMP); then install="up to date"; \
	else $(MAKE) --no-print-directory $(STAMP) || exit 1; install="$$(( $$(date +%s) - begin )) s"; fi; \
	$(MAKE) --no-print-directory lint || exit 1; \
	PODGATE_INSTALL_TIME="$$install" $(BIN)/pytest -q --durations=15 --timing-summary $(PYTEST_ARGS)

# The tests that start no process and open no socket but AF_UNIX ones, in well under a minute.
# --isolated (tests/plugins/isolated.py) fails any test that does; the ones left out here do.
UNIT_TESTS = tests/unit tests/store tests/fuzz tests/realcloud tests/identity/test_policy.py \
	tests/podsim/test_clock.py tests/podsim/test_paging.py tests/podsim/test_queries.py \
	tests/podsim/test_network_query.py \
	tests/test_compose.py tests/test_protos_current.py tests/test_api_coverage_current.py
UNIT_LEFT_OUT = --ignore=tests/realcloud/test_procs.py

test-unit: $(STAMP)
	$(BIN)/pytest -q --isolated -m "not e2e and not postgres and not keystone and not real" \
		$(UNIT_TESTS) $(UNIT_LEFT_OUT) $(PYTEST_ARGS)

protos: $(STAMP)
	$(BIN)/python protos/generate.py

# docs/api-coverage.md, from the route-family table (control_plane/decision/families.py).
docs: $(STAMP)
	$(BIN)/python -m control_plane.decision.coverage > docs/api-coverage.md

clean:
	rm -rf $(VENV) .state .pytest_cache .ruff_cache *.egg-info

demo: $(STAMP)
	$(BIN)/python -m harness.demo

# Issue 8's benchmark (bench/run.py): every scenario side by side, then issue 18's scale run
# (bench/scale.py: 1 M routings, 100 pods, memory per fast-path entry) and README's table refreshed.
# BENCH_ARGS=--quick / SCALE_ARGS=--quick for short smoke runs. bench/list_latency.py and bench/token_cache.py
# still run on their own (python -m bench.list_latency, python -m bench.token_cache).
BENCH_STAMP = $(VENV)/.installed-bench

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)
	$(BIN)/python -m bench.scale $(SCALE_ARGS)
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
