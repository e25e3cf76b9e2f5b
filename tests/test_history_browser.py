"""The trend page (harness history report) in a real headless Chromium, as test_browser.py drives it:
every figure decodes, the regressions table lists the step, no console error, no sideways scroll on a phone."""

from __future__ import annotations

import os
import shutil

import pytest

from harness.history.ingest import sweep_record
from harness.history.report import build_history_report
from harness.history.store import HistoryStore

from tests._history import make_repo, real_results, scaled_results
from tests.test_browser import (  # noqa: F401 - browser: the module's fixture, shared
    DESKTOP, PHONE, DevTools, browser, console_errors, open_page, open_session, screenshot,
)

pytestmark = pytest.mark.browser

TREND_FACTS = """(() => JSON.stringify({
  sections: [...document.querySelectorAll('main > section[id^="s"]')].map(s => s.id),
  regressions: document.querySelectorAll('#regressions-table tbody tr').length,
  firstRow: (document.querySelector('#regressions-table tbody tr') || {innerText: ''}).innerText,
}))()"""


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    folder = tmp_path_factory.mktemp("trend")
    repo = folder / "repo"
    shas = make_repo(repo, 10)
    template = real_results(folder)
    with HistoryStore.open(str(folder / "history.sqlite"), create=True) as store:
        for k, sha in enumerate(shas, 1):
            path = scaled_results(template, str(folder / f"r{k}.json"), sha, 1.0 if k < 6 else 1.4, seed=k)
            store.add(sweep_record(path, str(repo)))
        return build_history_report(store, str(folder / "page"), 0.10, 0.05), shas


def test_the_trend_page_renders_in_chromium(browser, page, tmp_path):
    import json

    path, shas = page
    from pathlib import Path

    uri = Path(path).as_uri()
    tools = DevTools(browser, tmp_path / "profile")
    try:
        session = open_session(tools)
        desktop = open_page(tools, session, uri, DESKTOP, mobile=False)
        facts = json.loads(tools.send("Runtime.evaluate", {"expression": TREND_FACTS, "returnByValue": True},
                                      session)["result"]["value"])
        errors = console_errors(tools.events)
        shot = tmp_path / "history-screenshot.png"
        screenshot(tools, session, shot)
        phone = open_page(tools, session, uri, PHONE, mobile=True)
        errors += console_errors(tools.events)
    finally:
        tools.close()
    keep = os.environ.get("HARNESS_KEEP_SCREENSHOTS")
    if keep:
        os.makedirs(keep, exist_ok=True)
        shutil.copyfile(shot, os.path.join(keep, "history-screenshot.png"))

    assert desktop["images"], "the trend page has no figures"
    assert all(i["complete"] and i["w"] > 0 for i in desktop["images"]), desktop["images"]
    assert facts["sections"] == ["s1"]  # one machine and interpreter
    assert facts["regressions"] == 2  # serial's and threads' time, both at commit 6
    assert shas[5][:10] in facts["firstRow"] and "commit 6" in facts["firstRow"]
    assert desktop["scripts"] == 0 and not errors, errors
    assert phone["pageWidth"] <= phone["viewport"], (phone["pageWidth"], phone["viewport"])
    assert os.path.exists(os.path.join(os.path.dirname(path), "trend-1-g0.png"))
    assert shot.stat().st_size > 10_000

