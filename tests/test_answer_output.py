"""What `harness run` prints after its table: the short answer by default, everything with --verbose."""

from __future__ import annotations

import json

from harness.analysis.answer import LINE_WIDTH, MAX_LINES
from harness.analysis.speedup import recommendations, verdict_lines
from harness.results.storage import load_suite


def _after_table(stdout: str) -> list[str]:
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("-----")) + 1
    while lines[start].strip():  # the table's rows
        start += 1
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("results.json"))
    return [line for line in lines[start + 1:end] if line.strip()]


def test_a_map_sweep_prints_at_most_six_lines_and_one_warning_line(cli, tmp_path):
    out = tmp_path / "o"
    result = cli("run", "--workload", "imbalanced", "--n", "120", "--backends",
                 "serial,pool,processes,threads,process-executor", "--workers", "2", "--chunksize",
                 "static,1,4,16,auto", "--repeat", "2", "--warmup", "0", "--no-sampling", "--no-report",
                 "--out", out)
    assert result.returncode == 0, result.stderr
    printed = _after_table(result.stdout)
    suite = load_suite(out / "results.json")
    answer = [line for line in printed if not line.startswith("warning:")]
    assert answer == list(suite.verdict.lines) and 1 <= len(answer) <= MAX_LINES, printed
    assert all(len(line) <= LINE_WIDTH for line in answer), answer
    assert len([line for line in printed if line.startswith("warning:")]) <= 1
    assert json.loads((out / "results.json").read_text())["verdict"]["best"]["median_s"] > 0


def test_verbose_prints_every_line_of_the_full_verdict_and_every_warning(cli, tmp_path):
    out = tmp_path / "o"
    result = cli("run", "--workload", "imbalanced", "--n", "60", "--backends", "serial,pool,threads", "--workers",
                 "2", "--chunksize", "static,4", "--repeat", "2", "--warmup", "0", "--no-sampling", "--no-report",
                 "--verbose", "--out", out)
    assert result.returncode == 0, result.stderr
    printed = _after_table(result.stdout)
    suite = load_suite(out / "results.json")
    expected = verdict_lines(suite.runs, suite.python.gil_enabled, suite.machine.logical_cpus, suite.interpreters,
                             suite.capacity)
    recommended = recommendations(suite.runs)
    if len(recommended) > 1:
        expected += ["Recommendation per workload and size:"] + [f"  {line}" for line in recommended]
    expected += [f"warning: {warning}" for warning in suite.warnings]
    assert printed == expected
