"""``make test-all``: the test suite under every CPython 3.10-3.13 on this machine, and a free-threaded one.

One session per interpreter, ``tests-3.10`` ... ``tests-3.13`` and ``tests-3.13t``, each in its
own virtualenv under .nox/. An interpreter is looked for on PATH, among pyenv's installed
versions (which pyenv's shims hide unless selected), in /usr/local/bin and /usr/bin, and,
for the free-threaded build, $HARNESS_PYTHON_ROOT/ft, else ~/.cache/harness-python/ft (where
scripts/build-python.sh installs it). Each candidate is run to check that it is the version and
build it claims. A version found nowhere becomes a session that is skipped and says where
it looked, so nox's summary lists every version, run or skipped.

    nox                          # every session (what make test-all runs)
    nox -s tests-3.12            # one interpreter
    nox -- tests/test_config.py  # arguments after -- go to pytest
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess

import nox

VERSIONS = ("3.10", "3.11", "3.12", "3.13", "3.13t")
_PROBE = "import sys, sysconfig; print(f'{sys.version_info[0]}.{sys.version_info[1]}', " \
         "bool(sysconfig.get_config_var('Py_GIL_DISABLED')))"

nox.options.sessions = [f"tests-{v}" for v in VERSIONS]
nox.options.reuse_existing_virtualenvs = True


def _candidates(version: str) -> list[str]:
    """Paths that may be CPython ``version`` (``3.13t``: free-threaded), most likely first."""
    free_threaded = version.endswith("t")
    plain = version.rstrip("t")
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    pyenv = glob.glob(os.path.join(pyenv_root, "versions", f"{plain}.*{'t' if free_threaded else ''}", "bin",
                                   f"python{version}"))
    found = [shutil.which(f"python{version}"), *sorted(pyenv, reverse=True),
             f"/usr/local/bin/python{version}", f"/usr/bin/python{version}"]
    if free_threaded:
        ft_root = os.environ.get("HARNESS_PYTHON_ROOT") or os.path.expanduser("~/.cache/harness-python")
        found.append(os.path.join(ft_root, "ft", "bin", "python3"))
    return list(dict.fromkeys(p for p in found if p))


def _is(path: str, version: str) -> bool:
    """Whether ``path`` runs and is that version and build (a pyenv shim of an unselected one fails)."""
    want = f"{version.rstrip('t')} {version.endswith('t')}"
    try:
        done = subprocess.run([path, "-c", _PROBE], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0 and done.stdout.strip() == want


def find_interpreter(version: str) -> str | None:
    return next((path for path in _candidates(version) if _is(path, version)), None)


def _run_tests(session: nox.Session) -> None:
    # --prefer-binary: a new release without a wheel for this interpreter (free-threaded ones
    # often lag) would be built from source, for many minutes; an older release's wheel will do.
    session.install("--prefer-binary", "-e", ".[test]")
    session.run("python", "-c", "import sys; print(sys.version)")
    session.run("python", "-m", "pytest", "-q", *session.posargs)


def _skipped(version: str):
    where = "PATH, pyenv's versions, /usr/local/bin, /usr/bin"
    if version.endswith("t"):
        where += ", $HARNESS_PYTHON_ROOT/ft or ~/.cache/harness-python/ft"

    def skipped(session: nox.Session) -> None:
        session.skip(f"no CPython {version} on this machine (looked in {where})")
    return skipped


for _version in VERSIONS:
    _path = find_interpreter(_version)
    if _path:
        nox.session(name=f"tests-{_version}", python=_path)(_run_tests)
    else:
        nox.session(name=f"tests-{_version}", venv_backend="none")(_skipped(_version))
