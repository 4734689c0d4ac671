# Two commands on a fresh machine with Python 3.11+ and make:
#   make dev    the API on http://127.0.0.1:8000 (embedded PostgreSQL under .data/ unless DATABASE_URL is set)
#   make test   lint, types, import contracts and the whole test suite
# uv is used from PATH, or installed into .tools/ on first use.

# Compile dependencies' bytecode at install: shells that set PYTHONDONTWRITEBYTECODE otherwise recompile on every start.
export UV_COMPILE_BYTECODE := 1

UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
PORT ?= 8000

.PHONY: dev stop test lint check-types check-imports pytest bench clean

$(CURDIR)/.tools/bin/uv:
	python3 -m venv .tools && .tools/bin/python -m pip install --quiet --disable-pip-version-check uv

dev: $(UV)
	$(UV) run --locked commerce dev --port $(PORT)

test: $(UV) lint check-types check-imports pytest

lint: $(UV)
	$(UV) run --locked ruff check .
	$(UV) run --locked ruff format --check .

check-types: $(UV)
	$(UV) run --locked mypy .

check-imports: $(UV)
	$(UV) run --locked lint-imports

pytest: $(UV)
	$(UV) run --locked pytest -v --cov --cov-report=term-missing:skip-covered

bench: $(UV)
	$(UV) run --locked python -m bench.run_all

# The embedded PostgreSQL outlives `make dev` (the next start is instant); this stops it.
stop:
	@if [ -f .data/postgres/postmaster.pid ]; then $(UV) run --locked commerce dev --stop; else echo "no embedded PostgreSQL running"; fi

# Stop the embedded server before deleting its data directory from under it.
clean: stop
	rm -rf .data .tools .venv .pytest_cache .mypy_cache .ruff_cache .coverage
