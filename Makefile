# Two commands set everything up: `make bench` and `make test` (each creates .venv when missing).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: bench test test-all baseline compare compare-baseline report venv clean bench-sampler bench-pyperf \
        bench-gate bench-ab bench-scale bench-bookkeeping bench-reproducibility bench-map bench-models benchmarks python-ft python-gil \
        bench-history bench-history-detection bench-history-e2e bench-history-scale

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## The default sweep (every stdlib backend, workers auto, interleaved, --repeat auto, the host's capacity) into reports/latest/ with the report.
bench: $(STAMP)
	$(BIN)/harness run --capacity $(ARGS)
	@echo "open reports/latest/report.html"

## The tests (small sizes; real threads, processes, pools, a Dask cluster and a browser), after
## the layers contract (pyproject.toml: a lower layer never imports a higher one).
test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

## The tests under every CPython 3.10-3.13 (and a free-threaded build) found here, one nox
## session each; the summary names the versions it skipped. NOX_ARGS go to nox (-- ARGS to pytest).
test-all: $(STAMP)
	$(BIN)/nox -f noxfile.py $(NOX_ARGS)

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

## A free-threaded CPython (3.14t when its source can be fetched, else 3.13t) built from Debian's
## upstream tarball into ~/.cache/harness-python/ft (HARNESS_PYTHON_ROOT moves it), outside the work
## tree so every clone reuses it; python-gil: the same version with the GIL, from the same tarball.
## Idempotent; the last line printed is the interpreter's path.
python-ft:
	scripts/build-python.sh ft

python-gil:
	scripts/build-python.sh gil

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

## A synthetic 128-CPU sweep of 292 configurations: results.json size, report time, sampler cost.
bench-scale: $(STAMP)
	$(BIN)/python benchmarks/scale_128.py --out reports/scale-128
	$(BIN)/python benchmarks/scale_128.py --out reports/scale-128-full --min-repeat-s 10

## What keeping results costs per run, from 10 to 10,000 runs, and a real 60- vs 540-run sweep.
bench-bookkeeping: $(STAMP)
	$(BIN)/python benchmarks/bookkeeping_cost.py

## The tutorial's sweep three times back to back: does every speedup repeat within 5%?
## The map axes: uneven costs (static vs dynamic chunks), fine-grained chunking (the U-curve),
## 1 MiB payloads (pickling) and memory per model; reports under reports/bench-map/.
bench-map: $(STAMP)
	$(BIN)/python benchmarks/map_axes.py $(MAP_ARGS)

## harness history: detection quality (1,200 synthetic histories against asv, which it installs into its own
## throwaway venv, and github-action-benchmark's rule), end to end on a 30-commit repository (3 runs, and
## history find), and 1,000 commits x 300 configurations in SQLite. HISTORY_ARGS go to the end-to-end script.
bench-history: bench-history-detection bench-history-e2e bench-history-scale

bench-history-detection: $(STAMP)
	$(BIN)/python benchmarks/history_detection.py

bench-history-e2e: $(STAMP)
	$(BIN)/python benchmarks/history_e2e.py --runs 3 --find $(HISTORY_ARGS)

bench-history-scale: $(STAMP)
	$(BIN)/python benchmarks/history_scale.py

## Every model of issue 21: subinterpreters (3.12, 3.13, the gil and ft builds) against threads and
## processes at n=10M, a user's uneven map workload under them, and the asyncio models' loop lag;
## reports under reports/bench-models/ (MODELS_ARGS='--only lag --repeat 3').
bench-models: $(STAMP)
	$(BIN)/python benchmarks/models.py $(MODELS_ARGS)

bench-reproducibility: $(STAMP)
	$(BIN)/python benchmarks/reproducibility.py

## The pytest-benchmark suite at realistic sizes.
benchmarks: $(STAMP)
	$(BIN)/python -m pytest benchmarks --benchmark-only --benchmark-json=reports/benchmarks.json

clean:
	rm -rf $(VENV) build *.egg-info
