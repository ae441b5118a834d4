# Two commands set everything up on a fresh clone: `make demo` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
# jsii prints an end-of-life banner for Node 20 unless told this version is known.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
# Compiled bytecode is written, whatever the environment says: without it every pytest worker and
# every `tandem` process a test starts compiles the repository again. (The cold-start bench runs
# the functions from a copy without it, as Lambda does: bench/bench_cold_start.py.)
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install demo test test-fast test-time-travel lint format synth bench bench-full clean

$(PY_STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(PY_STAMP) $(NODE_STAMP)

demo: $(PY_STAMP)
	$(VENV)/bin/tandem demo

# Every tier: unit, integration (moto), infra (template, cdk-nag, cfn-lint), flows; then the
# integration and flow tiers again with the wall clock ten years ahead (tests/time_travel.py).
# The install and the pytest phase are timed apart (the pytest phase is what must stay under 5
# minutes on 2 cores). `--dist loadgroup`: tests are scheduled one by one, except those sharing a
# wider fixture (tests/conftest.py groups them).
PYTEST_XDIST := -n 2 --dist loadgroup
NOW := date +%s.%N
ELAPSED = awk -v a="$$started" -v b="$$($(NOW))" 'BEGIN { printf "%.0f", b - a }'

# The flows' test cases (flows/tests/) run first with `tandem test`, into a JUnit report that
# tests/flowtest/test_junit_report.py reads; their output is kept beside it, the summary printed.
FLOW_TESTS_JUNIT := .build/flow-tests.xml
FLOW_TESTS_LOG := .build/flow-tests.txt

test:
	@started=$$($(NOW)); $(MAKE) --no-print-directory install; status=$$?; \
	  echo "install: $$($(ELAPSED))s"; exit $$status
	@started=$$($(NOW)); status=0; \
	  mkdir -p .build; rm -f $(FLOW_TESTS_JUNIT); \
	  $(PY) -m tandem.cli test --junit $(FLOW_TESTS_JUNIT) > $(FLOW_TESTS_LOG) 2>&1 || status=$$?; \
	  grep -E 'test case\(s\) in' $(FLOW_TESTS_LOG) || tail -n 5 $(FLOW_TESTS_LOG); \
	  FLOW_TESTS_JUNIT=$(FLOW_TESTS_JUNIT) $(PY) -m pytest $(PYTEST_XDIST) || status=$$?; \
	  $(MAKE) --no-print-directory test-time-travel || status=$$?; \
	  echo "pytest: $$($(ELAPSED))s"; exit $$status

test-time-travel: $(PY_STAMP)
	TANDEM_TIME_TRAVEL_YEARS=10 $(PY) -m pytest $(PYTEST_XDIST) tests/integration tests/flows

test-fast: $(PY_STAMP)
	$(PY) -m pytest -m "not slow"

lint: $(PY_STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

format: $(PY_STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

synth: install
	npx cdk synth --quiet $(CDK_ARGS)
	$(PY) -m infra.asset_report cdk.out

bench: $(PY_STAMP)
	$(PY) -m bench

# Everything `bench` prints, plus the 10,000-call synthetic day (minutes).
bench-full: $(PY_STAMP)
	$(PY) -m bench --full

clean:
	rm -rf cdk.out .build .pytest_cache .mypy_cache .ruff_cache
