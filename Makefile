# Quick start: `make demo` and `make test` work on a fresh machine with Python 3.11 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint setup clean benchmark

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/zoning run

lint: $(STAMP)
	$(BIN)/ruff check zoning tests benchmarks
	$(BIN)/mypy

# two workers (the machines have 2 cores), whole test files per worker so that module fixtures
# run once; plain `pytest -q` runs the same tests one at a time
test: $(STAMP) lint
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

benchmark: $(STAMP)
	$(BIN)/python benchmarks/bench_demo.py
	$(BIN)/python benchmarks/bench_subsidence.py
	$(BIN)/python benchmarks/bench_corridors.py
	$(BIN)/python benchmarks/bench_circuit.py
	$(BIN)/python benchmarks/bench_travel.py
	$(BIN)/python benchmarks/bench_quota.py

clean:
	rm -rf $(VENV) out dist build .pytest_cache .mypy_cache .ruff_cache
