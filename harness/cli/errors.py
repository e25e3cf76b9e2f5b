"""The one line bad input gets on stderr, for every command (exit code 2 goes with it)."""

from __future__ import annotations

import sys

__all__ = ["print_error", "print_warning"]


def print_error(message: str, command: str | None = None) -> None:
    """Write ``harness COMMAND: error: MESSAGE`` to stderr (``harness: error: ...`` without a command)."""
    prog = "harness" if command is None else f"harness {command}"
    sys.stderr.write(f"{prog}: error: {message}\n")


def print_warning(message: str) -> None:
    """Write ``harness: warning: MESSAGE`` to stderr: the command goes on."""
    sys.stderr.write(f"harness: warning: {message}\n")
