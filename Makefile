# Two commands matter: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck pytest bench bench-quick bench-tools clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

## Serve on :$${PORT:-4000}. With no .env: embedded MongoDB-wire server, media on disk, mail/SMS to .data/outbox.
run: $(STAMP)
	$(PY) -m app

## Lint, format check, types, then the test-suite against real local servers.
test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy app tests bench

pytest: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

## System load generators the benchmarks use (Debian packages; root, as on these machines).
bench-tools:
	@for tool in wrk redis-server; do \
	  command -v $$tool >/dev/null 2>&1 || (apt-get install -y -q $$tool >/dev/null 2>&1 \
	    || (apt-get update -q >/dev/null && apt-get install -y -q $$tool >/dev/null)); \
	done

bench: $(STAMP) bench-tools
	$(PY) -m bench.run

bench-quick: $(STAMP) bench-tools
	$(PY) -m bench.run --quick

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache build *.egg-info
