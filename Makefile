# Two commands set everything up: `make bench` and `make test` (each creates .venv when missing).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: bench test baseline compare report venv clean bench-sampler bench-pyperf bench-gate benchmarks

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## The default sweep (every stdlib backend, workers auto) into reports/latest/ with the report.
bench: $(STAMP)
	$(BIN)/harness run $(ARGS)
	@echo "open reports/latest/report.html"

## The tests (small sizes; real threads, processes, pools, a Dask cluster and a browser).
test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

## Save the default sweep as the CI baseline, then compare a new sweep against it.
baseline: $(STAMP)
	$(BIN)/harness run --out reports/baseline-run --quiet $(ARGS) || true
	cp reports/baseline-run/results.json reports/baseline.json
	rm -rf reports/baseline-run

compare: $(STAMP)
	rm -rf reports/compare-run
	$(BIN)/harness run --out reports/compare-run --quiet $(ARGS)
	$(BIN)/harness compare reports/baseline.json reports/compare-run/results.json --markdown reports/compare.md

## The pytest-benchmark suite at realistic sizes.
benchmarks: $(STAMP)
	$(BIN)/python -m pytest benchmarks --benchmark-only

clean:
	rm -rf $(VENV) build *.egg-info
