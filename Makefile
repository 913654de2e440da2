# Every target does its own set-up: a fresh clone needs nothing but python3 (>= 3.11) and make.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test test-fast lint typecheck layers pytest bench lock schemas clean mutation

# Every install takes its versions from constraints.txt (the lock): what make and CI install is what
# was tested. `make lock` refreshes it from the ranges in pyproject.toml.
PIP := $(BIN)/python -m pip install --quiet -c constraints.txt

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) -e '.[test]'
	@touch $@

## make run: install, then run the main job on the bundled specs and write reports/
run: $(BIN)/.installed
	@mkdir -p reports
	$(BIN)/kmodel check specs/ --check-expectations --report reports --traces reports/traces
	$(BIN)/kmodel status specs/pods/ --output markdown --out reports/status.md
	$(BIN)/kmodel pack specs/placement/cluster.yaml specs/placement/workloads.yaml --report reports/placement
	$(BIN)/kmodel verify specs/verify/ --check-expectations --output markdown --out reports/verify.md --counterexamples reports/counterexamples
	$(BIN)/kmodel pack specs/placement/daemonset-overhead.yaml --out reports/placement-daemonset.txt

## make test: install with test extras, then lint, type-check, check layers and run every test
test: lint typecheck layers pytest

## make test-fast: the fast tier (tests/cover, see tests/README.md) for the edit-test loop
test-fast: $(BIN)/.installed
	$(BIN)/pytest tests/cover -q

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
	$(PIP) -e '.[bench]'
	$(BIN)/python -m benchmarks model
	$(BIN)/python -m benchmarks placement
	$(BIN)/python -m benchmarks startup
	$(BIN)/python -m benchmarks verify
	$(BIN)/python -m benchmarks scale
	$(BIN)/python -m benchmarks constrained

## make mutation: mutmut over the components on a deterministic sample (not part of make test;
## SAMPLE=N mutants per file, default 2; PROFILE=dev, or EXAMPLES=N STEPS=M, for a quicker and
## weaker test command on a loaded machine); writes reports/mutation.md
SAMPLE ?= 2
PROFILE ?= ci
mutation: $(BIN)/.installed
	$(PIP) -e '.[mutation]'
	HYPOTHESIS_PROFILE=$(PROFILE) MUTATION_EXAMPLES=$(EXAMPLES) MUTATION_STEPS=$(STEPS) \
		$(BIN)/python -m properties.mutation_run --sample $(SAMPLE) --jobs 2

## make lock: re-resolve constraints.txt (every extra, every platform) from pyproject.toml's ranges
lock: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet uv==0.13.9
	$(BIN)/uv pip compile pyproject.toml --all-extras --universal --python-version 3.11 \
		--no-header --quiet -o constraints.txt

## make schemas: write schemas/*.schema.json from the format models (a test checks they match)
schemas: $(BIN)/.installed
	$(BIN)/python -m kmodel.cli.schemas

clean:
	rm -rf mutants $(VENV) .pytest_cache .mypy_cache .ruff_cache
