"""What the plugin keeps over a pytest session: every sweep, its pytest-benchmark entries and
the files written, and the terminal summary's lines about them."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from harness.pytest_plugin.fixture import Concurrency, SweepRecord, config_label, fmt_s, is_baseline_run
from harness.report.benchmark_json import benchmark_document, benchmark_entries, json_safe, param_id

__all__ = ["Recorder", "summary_lines"]


@dataclass
class Recorder:
    sweeps: list[SweepRecord] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)
    written: list[tuple[str, int]] = field(default_factory=list)
    not_written: list[str] = field(default_factory=list)
    merged: list[int] = field(default_factory=list)  # entries added to each file pytest-benchmark wrote
    merged_into_benchmark_json: bool = False

    def add(self, fixture: Concurrency) -> None:
        records = fixture._sweeps
        for index, record in enumerate(records):
            if len(records) > 1:
                record.prefix = param_id(record.label) if record.label else f"sweep{index + 1}"
            self.sweeps.append(record)
            taken = {e["fullname"] for e in self.entries}
            for entry in benchmark_entries(record.suite, fixture._node, prefix=record.prefix, group=record.group,
                                           quick=record.quick):
                suffix = 2
                while entry["fullname"] in taken:  # two sweeps of one name: keep every entry apart
                    entry = _renamed(entry, f"{suffix}")
                    suffix += 1
                taken.add(entry["fullname"])
                self.entries.append(entry)

    def write(self, config, path: str) -> None:
        document = benchmark_document(self.entries, config, [s.suite for s in self.sweeps])
        path = os.path.abspath(path)
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        partial = f"{path}.partial"
        with open(partial, "w", encoding="utf-8") as fh:
            json.dump(json_safe(document), fh, indent=4, allow_nan=False)
            fh.write("\n")
        os.replace(partial, path)
        self.written.append((path, len(self.entries)))


def _renamed(entry: dict[str, Any], suffix: str) -> dict[str, Any]:
    entry = dict(entry)
    param = f"{entry['param']}-{suffix}"
    func = entry["name"].split("[", 1)[0]
    entry["name"] = f"{func}[{param}]"
    entry["fullname"] = f"{entry['fullname'].rsplit('[', 1)[0]}[{param}]"
    entry["param"] = param
    return entry


def summary_lines(sweep: SweepRecord) -> list[str]:
    runs = sweep.suite.runs
    title = sweep.nodeid + (f" ({sweep.prefix})" if sweep.prefix else "")
    good = [r for r in runs if r.status == "ok" and r.result_ok is not False and r.median_s is not None]
    bad = [r for r in runs if r not in good]
    if good:
        best = min(good, key=lambda r: r.median_s)
        serial = next((r for r in good if is_baseline_run(r)), None)
        parts = [f"best {config_label(best)}"]
        if is_baseline_run(best):
            parts[0] += " (nothing beat serial)"
        elif best.speedup is not None:
            parts.append(f"{best.speedup:.2f}x serial")
        parts.append(f"median {fmt_s(best.median_s)}" + (f" vs serial {fmt_s(serial.median_s)}"
                                                           if serial and serial is not best else ""))
        if best.cpu is not None:
            parts.append(f"busy {best.cpu.busy_cores:.1f} cores")
        headline = f"{title}: " + ", ".join(parts)
    else:
        headline = f"{title}: no run finished with serial's results"
    tail = f"{len(runs)} runs" + (", quick" if sweep.quick else "")
    lines = [f"{headline} [{tail}]"]
    for r in bad:
        why = r.error or ("results differ from serial's" if r.result_ok is False else r.status)
        lines.append(f"  ! {config_label(r)}: {why}")
    return lines
