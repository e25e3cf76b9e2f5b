"""The one line bad input gets on stderr, for every command (exit code 2 goes with it)."""

from __future__ import annotations

import sys

__all__ = ["print_error", "print_warning"]


def _write(kind: str, message: str, command: str | None) -> None:
    prog = "harness" if command is None else f"harness {command}"
    sys.stderr.write(f"{prog}: {kind}: {message}\n")


def print_error(message: str, command: str | None = None) -> None:
    """Write ``harness COMMAND: error: MESSAGE`` to stderr (``harness: error: ...`` without a command)."""
    _write("error", message, command)


def print_warning(message: str, command: str | None = None) -> None:
    """Write ``harness COMMAND: warning: MESSAGE`` to stderr: the command goes on."""
    _write("warning", message, command)
