# Every target does its own set-up: a fresh clone needs nothing but python3 (>= 3.11) and make.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test lint typecheck layers pytest bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

## make run: install, then run the main job on the bundled specs and write reports/
run: $(BIN)/.installed
	@mkdir -p reports
	$(BIN)/kmodel check specs/ --check-expectations --report reports --traces reports/traces
	$(BIN)/kmodel status specs/pods/ --output markdown --out reports/status.md
	$(BIN)/kmodel pack specs/placement/cluster.yaml specs/placement/workloads.yaml --report reports/placement

## make test: install with test extras, then lint, type-check, check layers and run every test
test: lint typecheck layers pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check kmodel tests properties benchmarks
	$(BIN)/ruff format --check kmodel tests properties benchmarks

typecheck: $(BIN)/.installed
	$(BIN)/mypy kmodel

layers: $(BIN)/.installed
	$(BIN)/lint-imports

pytest: $(BIN)/.installed
	$(BIN)/pytest

bench: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m benchmarks model
	$(BIN)/python -m benchmarks placement

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
