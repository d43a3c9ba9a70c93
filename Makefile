# Two commands on a fresh clone: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint fmt bench bench-analytics clean services-stop

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m regsupport.devrun run

test: $(STAMP)
	@scripts/ensure-chromium || true
	$(PY) -m regsupport.devrun test $(PYTEST_ARGS)

# What `make test` checks before pytest: ruff check, ruff format --check, mypy.
lint: $(STAMP)
	$(PY) -m regsupport.devrun lint

fmt: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

# The jobs benchmark (docs/benchmarks.md): its own database regsupport_bench, about 5 minutes (plus ~1 minute the first time, to make the data).
bench: $(STAMP)
	$(PY) -m benchmarks.run $(BENCH_ARGS)

# Console request latency with the analytics stream off, on, and on with the sink down
# (docs/benchmarks.md); the same database as `make bench`, about a minute.
bench-analytics: $(STAMP)
	$(PY) -m benchmarks.run --analytics $(BENCH_ARGS)

services-stop: $(STAMP)
	$(PY) -m regsupport.devservices stop

clean: services-stop
	rm -rf var $(VENV)
