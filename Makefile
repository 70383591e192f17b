# thermoseg — the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP_EDGE := $(VENV)/.stamp-edge
STAMP_ALL := $(VENV)/.stamp-all
# Wheels the packaging test (tests/test_wheel.py) installs offline into a fresh venv.
WHEELHOUSE ?= .cache/wheelhouse
STAMP_WHEELS := $(WHEELHOUSE)/.stamp

.PHONY: demo test lint bench system-deps venv-edge venv-all wheelhouse clean

# Debian packages the tests and the demo use (mosquitto broker, openssl for TLS tests,
# chromium + chromium-driver for the dashboard's browser test).
system-deps:
	@bash scripts/system-deps.sh

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(STAMP_EDGE): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[edge,dev]'
	touch $@

$(STAMP_ALL): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[edge,train,dashboard,dev]'
	touch $@ $(STAMP_EDGE)

$(STAMP_WHEELS): pyproject.toml scripts/wheelhouse.py | $(PY)
	$(PY) scripts/wheelhouse.py $(WHEELHOUSE)
	touch $@

wheelhouse: $(STAMP_WHEELS)

venv-edge: $(STAMP_EDGE)
venv-all: $(STAMP_ALL)

# DEMO_ARGS="--broker-port 18830" lets `thermoseg-edge dashboard --broker 127.0.0.1:18830` watch it.
DEMO_ARGS ?=
demo: system-deps $(STAMP_EDGE)
	$(PY) -m edge.cli.demo $(DEMO_ARGS)

test: system-deps $(STAMP_ALL) $(STAMP_WHEELS)
	THERMOSEG_WHEELHOUSE=$(abspath $(WHEELHOUSE)) $(PY) -m pytest tests -q -p no:cacheprovider

lint: $(STAMP_ALL)
	$(VENV)/bin/ruff check edge convert training tests bench
	$(VENV)/bin/ruff format --check edge convert training tests bench
	$(VENV)/bin/mypy edge convert training

bench: system-deps $(STAMP_ALL)
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) out data runs demo-out .cache .pytest_cache .mypy_cache .ruff_cache
