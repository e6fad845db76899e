"""The HTML report in a real browser: Debian's headless Chromium loads it over loopback HTTP, a harness
page on the same origin reads the rendered DOM (computed direction, where the Arabic text sits, whether
anything ran), and a screenshot is kept under the test's tmp dir for a human to look at."""

from __future__ import annotations

import functools
import json
import threading
from html import unescape
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import browser
import pytest
import report_corpus

from echoscope.report import build_report, write
from echoscope.store import Store


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        """Quiet: a test server's request log would only clutter the test output."""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The corpus's report and the harness, served over HTTP on 127.0.0.1."""
    chromium = browser.chromium()
    root = tmp_path_factory.mktemp("browser")
    with Store(root / "echoscope.db") as store:
        report_corpus.build(store, root / "exports")
        report_corpus.analyze(store)
        write(build_report(store), root / "site", ("html",))
    (root / "site" / "harness.html").write_text(browser.harness("/report.html", "blockquote.quote"), encoding="utf-8")
    handler = functools.partial(_QuietHandler, directory=str(root / "site"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield chromium, f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()
    server.server_close()


def test_the_report_renders_arabic_right_to_left_and_nothing_in_it_runs(served, tmp_path):
    chromium, base, _ = served
    page = browser.rendered(chromium, tmp_path / "profile", f"{base}/harness.html")
    assert page["title"] == "echoscope report" and page["topTitle"] == "harness"  # no payload reached either title
    assert page["scripts"] == 0
    assert page["images"] and all(image["complete"] and image["width"] > 0 for image in page["images"])  # charts render
    arabic = [quote for quote in page["quotes"] if quote["text"] == report_corpus.NATO_POST]
    assert arabic, "the NATO post is quoted"
    for quote in arabic:
        assert (quote["dir"], quote["direction"]) == ("rtl", "rtl")
        assert abs(quote["fromRight"]) < 2 < quote["fromLeft"]  # the line starts at the right edge
    latin = [quote for quote in page["quotes"] if quote["text"].startswith("<script>")]
    assert latin and all(quote["direction"] == "ltr" for quote in latin)


def test_a_screenshot_of_the_report_is_kept(served, tmp_path):
    chromium, base, root = served
    shot = root / "report.png"
    result = browser.run(chromium, tmp_path / "profile", "--window-size=1200,2400", f"--screenshot={shot}", f"{base}/report.html")
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000



PROBE_SCRIPT = """
const text = document.getElementById("p").firstChild.firstChild, all = text.textContent;
function span(part) { const at = all.indexOf(part), range = document.createRange();
  range.setStart(text, at); range.setEnd(text, at + part.length); const box = range.getBoundingClientRect();
  return [box.left, box.right]; }
document.getElementById("result").textContent = JSON.stringify({names: NAMES.map(span), and: span(" and ")});
"""


def test_arabic_names_listed_in_an_english_statement_keep_their_order(served, tmp_path):
    """Without isolates the bidi algorithm joins "A, B" into one right-to-left run and shows B before A."""
    from html import escape

    from echoscope.report.safety import isolate_rtl

    chromium, base, root = served
    names = ["إعلام أصحاب الكهف", "أصدقاء روسيا في العراق", "صابرون نيوز (تجريبي)"]
    sentence = f"3 channels ({names[0]}, {names[1]} and {names[2]}), affiliated with Ashab al-Kahf"
    page = (f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><p id="p" style="font-size:20px;width:2000px">'
            f'<bdi>{escape(isolate_rtl(sentence))}</bdi></p><pre id="result">pending</pre>'
            f"<script>const NAMES = {json.dumps(names[:2])};{PROBE_SCRIPT}</script></body></html>")
    (root / "site" / "probe.html").write_text(page, encoding="utf-8")
    result = browser.run(chromium, tmp_path / "profile", "--dump-dom", f"{base}/probe.html")
    spans = json.loads(unescape(result.stdout.split('<pre id="result">', 1)[1].split("</pre>", 1)[0]))
    (first, second), joint = spans["names"], spans["and"]
    assert first[1] <= second[0] and second[1] <= joint[0] + 1  # read left to right: first, second, "and"
