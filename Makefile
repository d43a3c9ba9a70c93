# Two commands on a fresh clone: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint fmt bench bench-analytics chaos clean services-stop shell manage

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m regsupport.devrun run

# A Django shell, or any manage.py command, on the database, Redis and fake DQT that
# `make run` uses (docs/development.md): make shell; make manage ARGS="dead_jobs --status 404"
shell: $(STAMP)
	$(PY) -m regsupport.devrun manage shell

manage: $(STAMP)
	$(PY) -m regsupport.devrun manage $(ARGS)

test: $(STAMP)
	@scripts/ensure-chromium || true
	$(PY) -m regsupport.devrun test $(PYTEST_ARGS)

# What `make test` checks before pytest: ruff check, ruff format --check, mypy.
lint: $(STAMP)
	$(PY) -m regsupport.devrun lint

fmt: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

# The benchmarks (docs/benchmarks.md): the jobs on regsupport_bench (about 8 minutes), then the
# trainee side on regsupport_bench_trainees (about 2; 2 more the first time, to make a million
# trainees). BENCH_ARGS=--only-trainees runs the trainee side alone. Set DATABASE_URL to a
# PostgreSQL with pg_trgm: the embedded one has none, and name searches then scan.
bench: $(STAMP)
	$(PY) -m benchmarks.run $(BENCH_ARGS)

# Console request latency with the analytics stream off, on, and on with the sink down
# (docs/benchmarks.md); the same database as `make bench`, about a minute.
bench-analytics: $(STAMP)
	$(PY) -m benchmarks.run --analytics $(BENCH_ARGS)

# The chaos suite's full form (docs/reliability.md): 5,000 DQT jobs through two workers while
# workers are killed, Redis is flushed, PostgreSQL restarts and DQT fails, on private servers
# (the report goes to var/chaos-report.json). `make test` runs a short form of 200 jobs
# (tests/jobs/test_chaos.py).
CHAOS_ARGS ?= --jobs 5000 --concurrency 20 --seconds 3600
chaos: $(STAMP)
	$(PY) -m tests.chaos $(CHAOS_ARGS) --report var/chaos-report.json

services-stop: $(STAMP)
	$(PY) -m regsupport.devservices stop

clean: services-stop
	rm -rf var $(VENV)
