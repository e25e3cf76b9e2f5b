"""Where a sweep writes: its output folder, never one that already holds results, and reports/latest."""

from __future__ import annotations

import datetime as dt
import os

from harness.results.storage import RESULTS_NAME

__all__ = ["REPORTS_DIR", "OutputFolderError", "choose_out", "point_latest"]

REPORTS_DIR = "reports"


class OutputFolderError(ValueError):
    """The folder asked for cannot take this sweep; the message is one line naming it."""


def choose_out(out: str | None, resume: str | None) -> tuple[str, bool]:
    """The output folder and whether to point reports/latest at it: ``resume``'s folder, ``out``,
    or reports/<UTC timestamp>/. OutputFolderError for a folder holding results (a new sweep)
    or a path that is not a folder."""
    if resume:
        out = resume
        link = os.path.realpath(os.path.dirname(os.path.abspath(out))) == os.path.realpath(REPORTS_DIR)
    elif out:
        link = False
    else:
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        out, link = os.path.join(REPORTS_DIR, stamp), True
    if not resume and os.path.exists(os.path.join(out, RESULTS_NAME)):
        raise OutputFolderError(f"--out {out}: already holds {RESULTS_NAME}; choose another folder or continue it "
                                f"with --resume {out}")
    if os.path.exists(out) and not os.path.isdir(out):
        raise OutputFolderError(f"--out {out}: exists and is not a folder")
    return out, link


def point_latest(out: str) -> None:
    """reports/latest -> the newest sweep, swapped atomically (a symlink renamed into place)."""
    reports = os.path.dirname(os.path.abspath(out))
    latest = os.path.join(reports, "latest")
    if os.path.exists(latest) and not os.path.islink(latest):
        return  # a real folder someone made: never replace what a user saved
    tmp = os.path.join(reports, f".latest-{os.getpid()}")
    os.symlink(os.path.basename(os.path.abspath(out)), tmp)
    os.replace(tmp, latest)
