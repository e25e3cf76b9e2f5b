# Two commands set everything up: `make bench` and `make test` (each creates .venv when missing).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: bench test baseline compare compare-baseline report venv clean bench-sampler bench-pyperf bench-gate bench-ab benchmarks

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

## The CI gate: BASE and HEAD (committed) measured here, now, in alternation (harness ab):
##   make compare                 BASE defaults to the merge-base with main
##   make compare BASE=v0.1 ARGS='--backends serial,pool --workers 2'
## Exit 1: a regression; 3: a configuration too unstable to judge (see README).
BASE ?= $(shell git merge-base HEAD main 2>/dev/null || echo main)
compare: $(STAMP)
	mkdir -p reports
	$(BIN)/harness ab $(BASE) HEAD --markdown reports/compare.md $(ARGS)

## The weaker protocol: save a sweep as reports/baseline.json now, compare a later sweep with
## it (make compare-baseline). The machine may run at another speed by then; prefer make compare.
## (exit 1 from a run means a configuration failed: still worth saving and comparing.)
baseline: $(STAMP)
	rm -rf reports/baseline-run
	$(BIN)/harness run --out reports/baseline-run --quiet --no-report --reference $(ARGS) || test $$? -eq 1
	cp reports/baseline-run/results.json reports/baseline.json
	rm -rf reports/baseline-run

compare-baseline: $(STAMP)
	@test -f reports/baseline.json || { echo "make compare-baseline: no reports/baseline.json; run make baseline first" >&2; exit 2; }
	rm -rf reports/compare-run
	$(BIN)/harness run --out reports/compare-run --quiet --reference $(ARGS) || test $$? -eq 1
	$(BIN)/harness compare reports/baseline.json reports/compare-run/results.json --markdown reports/compare.md

## Benchmarks of the harness itself (ratios measured side by side; see each script's docstring).
bench-gate: $(STAMP)
	$(BIN)/python benchmarks/gate_trials.py $(GATE_ARGS)

## harness ab end to end on a throwaway repository: A/A and +15% work, 20 trials each (AB_ARGS='--trials 2').
bench-ab: $(STAMP)
	$(BIN)/python benchmarks/ab_trials.py $(AB_ARGS)

bench-sampler: $(STAMP)
	$(BIN)/python benchmarks/sampler_overhead.py

bench-pyperf: $(STAMP)
	$(BIN)/python benchmarks/pyperf_agreement.py

## The pytest-benchmark suite at realistic sizes.
benchmarks: $(STAMP)
	$(BIN)/python -m pytest benchmarks --benchmark-only --benchmark-json=reports/benchmarks.json

clean:
	rm -rf $(VENV) build *.egg-info
