"""The argument types every command's options share: a usage error is one line and exit 2."""

from __future__ import annotations

import argparse

from harness import exit_codes
from harness.config import AUTO

__all__ = ["PERCENT", "SECONDS", "Parser", "UsageError", "int_at_least", "positive_float", "probability", "repeat_count"]


class UsageError(Exception):
    """Bad input found by the CLI; printed as one line, exit 2."""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (no usage dump) and exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(exit_codes.USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


SECONDS = "seconds > 0"
PERCENT = "a percentage > 0: 10 means 10%"


def positive_float(accepted: str = SECONDS, below: float = float("inf")):
    """A finite number > 0 (and < ``below``); ``accepted`` names, in the error, what the option
    takes (its unit)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number (accepted: {accepted})") from None
        if not 0 < value < below or value == float("inf"):  # NaN fails the comparison too
            raise argparse.ArgumentTypeError(f"{text!r} is out of range (accepted: {accepted})")
        return value

    return parse


def probability():
    """A significance level: a number strictly between 0 and 1."""
    return positive_float("a probability 0 < P < 1", below=1.0)


def int_at_least(minimum: int, maximum: int | None = None):
    accepted = f"integers >= {minimum}" if maximum is None else f"integers {minimum} to {maximum}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer (accepted: {accepted})") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is below {minimum} (accepted: {accepted})")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"{value} is above {maximum} (accepted: {accepted})")
        return value

    return parse


def repeat_count(text: str) -> int | str:
    if text.strip() == AUTO:
        return AUTO
    try:
        return int_at_least(1)(text)
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(str(exc).replace("(accepted: integers >= 1)",
                                                          "(accepted: integers >= 1, or auto)")) from None
