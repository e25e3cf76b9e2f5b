"""What a sweep runs: RunConfig and the parsing and validation of every option.

The bottom of the harness's own layers, beside the workloads: it imports nothing of the
harness but the chunksize vocabulary and the statistics the repeat rule uses.
"""

from __future__ import annotations

from harness.config.parsing import (
    ConfigError, auto_workers, parse_backends, parse_chunksizes, parse_sizes, parse_workers,
)
from harness.config.python_spec import GIL_MODES, PythonSpec, parse_python_spec
from harness.config.repetition import AUTO, DEFAULT_MAX_TIME_S, RepeatPolicy
from harness.config.run_config import (
    DEFAULT_REFERENCE_N, MIN_REFERENCE_N, MIN_SAMPLE_INTERVAL_S, SCALING_MODES, START_METHODS, RunConfig,
    default_timeout,
)

__all__ = [
    "AUTO", "ConfigError", "DEFAULT_MAX_TIME_S", "DEFAULT_REFERENCE_N", "GIL_MODES", "MIN_REFERENCE_N",
    "MIN_SAMPLE_INTERVAL_S", "PythonSpec", "RepeatPolicy", "RunConfig", "SCALING_MODES", "START_METHODS",
    "auto_workers", "default_timeout", "parse_backends", "parse_chunksizes", "parse_python_spec", "parse_sizes",
    "parse_workers",
]
