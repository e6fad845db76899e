"""The web UI over real HTTP on loopback: pages, search in any script, evidence, and hostile text made inert."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import replace

import httpx
import pytest
import uvicorn
from fastapi.responses import HTMLResponse
from selectolax.lexbor import LexborHTMLParser as HTMLParser

import browser
import builders
from echoscope.ingest import ingest
from echoscope.store import Store
from echoscope.web import create_app
from echoscope.web.app import safe_href

PRAYER = "صلواتكم لجيش روسيا العظيمة ويصدّ الهجوم المدعوم من حلف النّاتو 🏳️‍🌈"
HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)"> الناتو'


def _store(path) -> None:
    channel = replace(builders.channel(), username="friends_of_russia_iq", title="<b>أصدقاء روسيا</b>")
    records = [
        builders.capture(),
        channel,
        builders.post(1, PRAYER),
        builders.post(2, HOSTILE, hours=1, media=(builders.photo(),)),
        builders.post(3, "Путин провёл совещание", hours=2),
    ]
    with Store(path) as store:
        ingest(store, records)
        edited = replace(builders.post(1, PRAYER + " تحديث", edited=builders.BASE), raw={"id": 1, "text": "edited"})
        ingest(store, [builders.capture(sha="c" * 64), channel, edited])


@pytest.fixture
def server(tmp_path):
    """The app served by uvicorn on a free loopback port, as `echoscope serve` does."""
    db = tmp_path / "web.db"
    _store(db)
    report = tmp_path / "report"
    report.mkdir()
    (report / "report.html").write_text("<h1>the report</h1>", encoding="utf-8")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(str(db), report)
    # A same-origin page from which the browser test reads how the UI rendered (tests/browser.py).
    app.add_api_route("/test-harness", lambda: HTMLResponse(browser.harness("/search?q=الناتو", "div.quote")))
    instance = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    while not instance.started:
        if not thread.is_alive():
            raise RuntimeError("the web server did not start")
        time.sleep(0.02)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        yield client
    instance.should_exit = True
    thread.join()


def test_the_overview_lists_channels_with_their_titles_escaped(server):
    page = server.get("/")
    assert page.status_code == 200
    assert "friends_of_russia_iq" in page.text
    assert "&lt;b&gt;أصدقاء روسيا&lt;/b&gt;" in page.text and "<b>أصدقاء" not in page.text


def test_search_finds_spelling_variants_and_marks_quotes_for_right_to_left(server):
    page = server.get("/search", params={"q": "الناتو"})
    assert page.status_code == 200
    quotes = [node for node in HTMLParser(page.text).css("div.quote")]
    assert len(quotes) == 2  # the shadda in "النّاتو" does not hide the prayer
    assert all(node.attributes.get("dir") == "auto" for node in quotes)
    assert any("صلواتكم" in node.text() for node in quotes)


def test_post_text_can_never_run_as_script(server):
    page = server.get("/search", params={"q": "الناتو"})
    tree = HTMLParser(page.text)
    assert tree.css("script") == [] and tree.css("img") == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_a_post_page_shows_every_version_with_its_capture_and_hashes(server):
    page = server.get("/post/telegram/friends_of_russia_iq/1")
    assert page.status_code == 200
    rows = HTMLParser(page.text).css("table tbody tr")
    assert len(rows) == 2  # the edit added a version; the first is still shown
    hashes = [node.text() for node in HTMLParser(page.text).css("td.hash")]
    assert all(len(value) == 64 for value in hashes if value) and len(set(hashes)) >= 3
    assert server.get("/post/telegram/channel1001/2").status_code == 200  # by id as well as by username


def test_an_unknown_post_is_a_404_page_and_a_bad_date_a_400_that_says_why(server):
    assert server.get("/post/telegram/friends_of_russia_iq/999").status_code == 404
    page = server.get("/search", params={"q": "الناتو", "since": "7 June"})
    assert page.status_code == 400 and "is not a date" in page.text
    page = server.get("/search", params={"q": "!!!"})
    assert page.status_code == 400 and "no words to search for" in page.text


def test_the_report_folder_is_served(server):
    assert 'href="/report/report.html"' in server.get("/").text
    assert "the report" in server.get("/report/report.html").text


@pytest.mark.parametrize(
    ("url", "clickable"),
    [
        ("https://t.me/x/1", True), ("http://example.org", True), ("tg://resolve?domain=x", True),
        ("javascript:alert(1)", False), ("JaVaScRiPt:alert(1)", False), ("data:text/html,x", False),
        ("//evil.example", False), ("/post/1", False), (None, False),
    ],
)
def test_only_http_https_and_tg_links_are_clickable(url, clickable):
    assert (safe_href(url) is not None) is clickable


def test_the_search_page_reads_right_to_left_in_chromium_and_runs_nothing(server, tmp_path):
    chromium = browser.chromium()
    page = browser.rendered(chromium, tmp_path / "profile", f"{server.base_url}/test-harness")
    assert page["scripts"] == 0 and page["images"] == []  # the hostile post's <script> and <img> stayed text
    arabic = [quote for quote in page["quotes"] if quote["text"].startswith("صلواتكم")]
    assert arabic and all(quote["direction"] == "rtl" and abs(quote["fromRight"]) < 2 for quote in arabic)
    shot = tmp_path / "search.png"
    result = browser.run(chromium, tmp_path / "profile", "--window-size=1200,900", f"--screenshot={shot}",
                         f"{server.base_url}/search?q=%D8%A7%D9%84%D9%86%D8%A7%D8%AA%D9%88")
    assert result.returncode == 0 and shot.read_bytes()[:4] == b"\x89PNG"
