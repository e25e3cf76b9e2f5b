"""report.html in a real headless Chromium: every figure decodes, tables render, no console errors.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: fd 3
in, fd 4 out, NUL-terminated JSON), so no Python package, websocket or TCP port is needed.
The page is opened from disk through a file:// URL, as a user would open it.

Without a browser the test is skipped, except in CI (``CI=true``), where it must run.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
DESKTOP = (1366, 900)
PHONE = (390, 844)


def find_browser() -> str | None:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


class DevTools:
    """A minimal Chrome DevTools Protocol client over --remote-debugging-pipe."""

    def __init__(self, browser: str, profile: Path) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # Chromium expects its ends of the pipes at exactly fds 3 and 4. Park them at 10 or above
        # first, so the dup2 calls in the child cannot clobber each other.
        high_r = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
        high_w = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
        for fd in (to_browser_r, from_browser_w):
            os.close(fd)

        def child_fds() -> None:
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)
            os.close(high_r)
            os.close(high_w)

        args = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-extensions", "--no-first-run", "--no-default-browser-check", "--mute-audio",
                "--hide-scrollbars", f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"]
        # close_fds=False keeps the fds 3 and 4 that child_fds sets up; Python's own fds are
        # non-inheritable (PEP 446), so nothing else leaks into the browser.
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, close_fds=False, preexec_fn=child_fds)
        os.close(high_r)
        os.close(high_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self._from_browser], [], [], remaining)
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 30):
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._read_message(deadline)
            self.events.append(event)
            if event.get("method") == method:
                return event

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._to_browser, self._from_browser):
            os.close(fd)


PAGE_FACTS = """(() => {
  const imgs = [...document.images].map(i => ({alt: i.alt.slice(0, 40), complete: i.complete,
      w: i.naturalWidth, h: i.naturalHeight, shown: i.getBoundingClientRect().width}));
  const verdict = document.querySelector('#verdict');
  const box = verdict ? verdict.getBoundingClientRect() : null;
  return JSON.stringify({
    images: imgs,
    tables: [...document.querySelectorAll('table')].map(t => ({id: t.id, rows: t.rows.length})),
    verdictBottom: box ? box.bottom : null,
    verdictText: verdict ? verdict.innerText : '',
    scripts: document.scripts.length,
    pageWidth: document.documentElement.scrollWidth,
    viewport: window.innerWidth,
  });
})()"""


def open_page(tools: DevTools, session: str, url: str, size: tuple[int, int], mobile: bool) -> dict:
    tools.send("Emulation.setDeviceMetricsOverride",
               {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": mobile}, session)
    tools.events.clear()
    tools.send("Page.navigate", {"url": url}, session)
    tools.wait_for("Page.loadEventFired")
    result = tools.send("Runtime.evaluate", {"expression": PAGE_FACTS, "returnByValue": True}, session)
    return json.loads(result["result"]["value"])


def open_session(tools: DevTools) -> str:
    """A blank tab with the Page, Runtime and Log events on; its session id."""
    target = tools.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = tools.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page", "Runtime", "Log"):
        tools.send(f"{domain}.enable", session=session)
    return session


def screenshot(tools: DevTools, session: str, path: Path) -> None:
    shot = tools.send("Page.captureScreenshot", {"format": "png"}, session)
    path.write_bytes(base64.b64decode(shot["data"]))


def console_errors(events: list[dict]) -> list[str]:
    errors = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            errors.append(params.get("exceptionDetails", {}).get("text", "exception"))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            errors.append(params["entry"].get("text", ""))
    return errors


@pytest.fixture(scope="module")
def browser():
    path = find_browser()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("no Chromium found, but CI=true: the browser test must run in CI (see .ci/run)")
        pytest.skip("no Chromium on this machine (install the Debian package chromium)")
    return path


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """A report from a real small sweep (threads, processes, pool; two sizes)."""
    out = tmp_path_factory.mktemp("sweep")
    command = [sys.executable, "-m", "harness", "run", "--backends", "serial,threads,processes,pool",
               "--workers", "1,2,4", "--n", "20000,80000", "--repeat", "3", "--warmup", "0",
               "--out", str(out), "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    page = out / "report.html"
    assert page.exists(), done.stderr
    return page


def test_report_renders_in_chromium(browser, report, tmp_path):
    tools = DevTools(browser, tmp_path / "profile")
    try:
        session = open_session(tools)
        desktop = open_page(tools, session, report.as_uri(), DESKTOP, mobile=False)
        errors = console_errors(tools.events)
        desktop_shot = tmp_path / "browser-screenshot.png"
        screenshot(tools, session, desktop_shot)

        phone = open_page(tools, session, report.as_uri(), PHONE, mobile=True)
        errors += console_errors(tools.events)
        screenshot(tools, session, tmp_path / "browser-screenshot-phone.png")
    finally:
        tools.close()

    # Tests write only into temporary folders; to look at the page, name a folder to keep it in.
    keep = os.environ.get("HARNESS_KEEP_SCREENSHOTS")
    if keep:
        os.makedirs(keep, exist_ok=True)
        shutil.copyfile(desktop_shot, os.path.join(keep, "browser-screenshot.png"))

    assert desktop["images"], "the report has no figures"
    broken = [i["alt"] for i in desktop["images"] if not i["complete"] or i["w"] == 0]
    assert not broken, f"figures that did not decode: {broken}"
    tables = {t["id"]: t["rows"] for t in desktop["tables"]}
    assert tables.get("results-table", 0) > 1 and tables.get("environment-table", 0) > 1, tables
    assert desktop["scripts"] == 0
    assert not errors, f"console errors: {errors}"
    # The verdict is the first thing a reader sees: on screen without scrolling.
    assert "Verdict" in desktop["verdictText"] or "VERDICT" in desktop["verdictText"]
    assert desktop["verdictBottom"] is not None and desktop["verdictBottom"] <= DESKTOP[1], desktop["verdictBottom"]
    # On a phone the page must not scroll sideways: wide tables scroll inside their own box,
    # figures shrink to the screen.
    assert phone["pageWidth"] <= phone["viewport"], (phone["pageWidth"], phone["viewport"])
    assert all(i["shown"] <= PHONE[0] for i in phone["images"])
    assert desktop_shot.stat().st_size > 10_000
