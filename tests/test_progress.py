"""A sweep shows progress on a terminal, and stays quiet with --quiet or without a terminal."""

import os
import pty
import select
import subprocess
import sys

from tests.conftest import REPO


def _run_on_terminal(args, timeout=120):
    master, slave = pty.openpty()
    env = dict(os.environ, PYTHONPATH=REPO, COLUMNS="100", TERM="xterm")
    proc = subprocess.Popen([sys.executable, "-m", "harness", *args], stdin=slave, stdout=slave, stderr=slave,
                            env=env, cwd=REPO, close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], timeout)
        if not ready:
            proc.kill()
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=30)
    os.close(master)
    return proc.returncode, b"".join(chunks).decode(errors="replace")


SWEEP = ["run", "--backends", "serial,threads,processes", "--workers", "1,2", "--n", "300000", "--repeat", "3",
         "--warmup", "0", "--no-report"]


def test_progress_bar_on_a_terminal(tmp_path):
    code, screen = _run_on_terminal(SWEEP + ["--out", str(tmp_path / "a")])
    assert code == 0, screen
    assert "threads w2" in screen  # the bar's description names the configuration running
    assert "━" in screen or "/5" in screen


def test_quiet_on_a_terminal(tmp_path):
    code, screen = _run_on_terminal(SWEEP + ["--out", str(tmp_path / "b"), "--quiet"])
    assert code == 0
    assert screen.strip() == ""


def test_no_progress_when_not_a_terminal(cli, tmp_path):
    result = cli(*SWEEP, "--out", tmp_path / "c")
    assert result.returncode == 0
    assert result.stderr == ""
    assert "━" not in result.stdout and "backend" in result.stdout  # the summary table only
