"""Debian's headless Chromium for tests: find it (fail in CI, skip elsewhere), run it, and a same-origin
harness page that reports how a page rendered (computed direction of quotes, where their text sits,
whether any script or image is there) into a DOM that `--dump-dom` hands back."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run")

_HARNESS = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>harness</title></head><body>
<iframe id="page" src="SRC" style="width:1200px;height:900px"></iframe><pre id="result">pending</pre>
<script>
document.getElementById("page").addEventListener("load", () => {
  const doc = document.getElementById("page").contentDocument;
  const quotes = [...doc.querySelectorAll(SELECTOR)].map(node => {
    const range = doc.createRange(); range.selectNodeContents(node);
    const text = range.getBoundingClientRect(), box = node.getBoundingClientRect();
    const style = doc.defaultView.getComputedStyle(node);
    const left = box.left + node.clientLeft + parseFloat(style.paddingLeft);
    const right = box.left + node.clientLeft + node.clientWidth - parseFloat(style.paddingRight);
    return {text: node.textContent, dir: node.getAttribute("dir"), direction: style.direction,
            fromRight: right - text.right, fromLeft: text.left - left};
  });
  document.getElementById("result").textContent = JSON.stringify({
    quotes, title: doc.title, topTitle: document.title, scripts: doc.querySelectorAll("script").length,
    images: [...doc.images].map(img => ({complete: img.complete, width: img.naturalWidth}))});
});
</script></body></html>"""


def chromium() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: .ci/run must install Debian's chromium (apt-get install chromium fonts-noto-core)")
        pytest.skip("Chromium is not installed (apt-get install chromium fonts-noto-core)")
    return found


def run(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    command = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=10000", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def harness(src: str, selector: str) -> str:
    """A page that loads `src` (same origin) in an iframe and reports on the elements `selector` matches."""
    return _HARNESS.replace("SRC", src).replace("SELECTOR", json.dumps(selector))


def rendered(browser: str, profile: Path, url: str) -> dict:
    """What the harness at `url` reported."""
    result = run(browser, profile, "--dump-dom", url)
    assert result.returncode == 0, result.stderr[-2000:]
    dumped = result.stdout.split('<pre id="result">', 1)[1].split("</pre>", 1)[0]
    return json.loads(unescape(dumped))
