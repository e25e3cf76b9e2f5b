"""The progress bar of every long command (harness run, ab, history run and find)."""

from __future__ import annotations

import sys
from contextlib import contextmanager

__all__ = ["progress_bar", "showing_progress"]


def progress_bar(quiet: bool):
    """A rich progress bar on a terminal; nothing when quiet or when stderr is not a terminal."""
    if quiet or not sys.stderr.isatty():
        return None, (lambda done, total, label: None)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(TextColumn("{task.description:<32}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=Console(stderr=True), transient=True)
    task = progress.add_task("starting", total=None)

    def update(done: int, total: int, label: str) -> None:
        # Drawn at once: a step shorter than the bar's refresh interval would never show its label.
        progress.update(task, completed=done, total=total, description=label, refresh=True)

    return progress, update


@contextmanager
def showing_progress(quiet: bool):
    """``with showing_progress(quiet) as on_progress:``, the bar of :func:`progress_bar` shown
    for the block and taken down however it ends."""
    progress, update = progress_bar(quiet)
    if progress:
        progress.start()
    try:
        yield update
    finally:
        if progress:
            progress.stop()
