"""The monitor loop with the Telegram collector (over the Telethon double) and a real store: rounds,
one status line per channel, resuming, and which failures stop it (configuration only)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from builders import BASE
from sqlalchemy import select
from telethon.tl import types
from telethon_double import TelethonDouble
from test_webpreview_identity import page_html

from echoscope.collecting import ChannelRound
from echoscope.errors import ConfigError
from echoscope.monitor import Collector, parse_every, run_monitor
from echoscope.sources._http import Politeness
from echoscope.sources.telegram import TelegramOptions, collect
from echoscope.sources.webpreview import WebOptions
from echoscope.sources.webpreview import collect as web_collect
from echoscope.store import Store
from echoscope.store.schema import captures, channels, post_versions, posts


@pytest.fixture
def double() -> TelethonDouble:
    double = TelethonDouble()
    rybar = double.add_channel("rybar", 1234, "Rybar")
    double.post(rybar, 1, "first")
    double.add_channel("secretchan", 55, "Secret", private=True)
    return double


@pytest.fixture
def registry(tmp_path):
    path = tmp_path / "registry.csv"
    path.write_text("username,affiliation\n@rybar,Wagner-adjacent\nsecretchan,Unknown\n", encoding="utf-8")
    return path


def _telegram(double) -> Collector:
    return Collector("telegram", collect, TelegramOptions(open_client=double.opened))


def test_every_round_reports_every_channel_and_picks_up_new_posts(sqlite_path, double, registry):
    lines: list[tuple[int, ChannelRound]] = []
    waits = []

    def between_rounds(seconds: float) -> None:
        waits.append(seconds)
        double.post(double.channels[1234], 2 + len(waits), "published between rounds")

    with Store(sqlite_path) as store:
        run_monitor(store, [_telegram(double)], every=900, rounds=3, registry=registry,
                    on_round=lambda number, item: lines.append((number, item)), sleep=between_rounds)
        with store.reading() as conn:
            stored = sorted(conn.execute(select(posts.c.post_id)).scalars())
            joined = conn.execute(select(channels.c.channel_id, channels.c.affiliation)).all()
    assert [(n, item.channel, item.status, item.new_posts) for n, item in lines] == [
        (1, "rybar", "ok", 1), (1, "secretchan", "private", 0),
        (2, "rybar", "ok", 1), (2, "secretchan", "private", 0),
        (3, "rybar", "ok", 1), (3, "secretchan", "private", 0),
    ]
    assert len(waits) == 2 and all(0 < seconds <= 900 for seconds in waits)
    assert stored == [1, 3, 4]
    # The registry's username-only row became the resolved channel, keeping its affiliation.
    assert sorted(joined, key=str) == sorted([("channel1234", "Wagner-adjacent"), (None, "Unknown")], key=str)


def test_a_restarted_monitor_resumes_where_it_stopped(sqlite_path, double, registry):
    with Store(sqlite_path) as store:
        run_monitor(store, [_telegram(double)], every=1, rounds=1, registry=registry, on_round=lambda *_: None)
    double.post(double.channels[1234], 2, "second")
    lines = []
    with Store(sqlite_path) as store:
        run_monitor(store, [_telegram(double)], every=1, rounds=1, registry=None, on_round=lambda _, item: lines.append(item))
    assert [(item.channel, item.new_posts) for item in lines] == [("rybar", 1), ("secretchan", 0)]
    assert [call["min_id"] for call in double.iter_calls if call["channel"] == 1234] == [0, 1]


def test_a_failing_collector_is_a_status_line_and_the_loop_goes_on(sqlite_path, registry):
    def broken(store, names, options):
        raise OSError("network is unreachable")
        yield  # a generator, like every collector

    lines = []
    with Store(sqlite_path) as store:
        run_monitor(store, [Collector("telegram", broken, None)], every=0.01, rounds=2, registry=registry,
                    on_round=lambda number, item: lines.append((number, item.status, item.note)))
    assert lines == [(1, "error", "OSError: network is unreachable"), (2, "error", "OSError: network is unreachable")]


def test_only_configuration_errors_stop_the_monitor(sqlite_path, double, tmp_path):
    with Store(sqlite_path) as store:
        with pytest.raises(ConfigError, match="no such registry file"):
            run_monitor(store, [_telegram(double)], every=1, rounds=1, registry=tmp_path / "missing.csv", on_round=print)
        with pytest.raises(ConfigError, match="no channels to monitor"):
            run_monitor(store, [_telegram(double)], every=1, rounds=1, registry=None, on_round=print)
    assert parse_every("15m") == 900 and parse_every("90s") == 90 and parse_every("2h") == 7200
    with pytest.raises(ConfigError, match="--every"):
        parse_every("soon")


def test_the_command_exits_2_for_configuration_errors_only(tmp_path, registry):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECHOSCOPE_")} | {"XDG_DATA_HOME": str(tmp_path / "data")}
    run = [sys.executable, "-m", "echoscope", "monitor", "--db", str(tmp_path / "m.db"), "--rounds", "1", "--no-web"]
    no_credentials = subprocess.run(run + ["--registry", str(registry)], capture_output=True, text=True, env=env, cwd=tmp_path,
                                    check=False)
    assert no_credentials.returncode == 2 and "ECHOSCOPE_API_ID" in no_credentials.stderr
    bad_every = subprocess.run(run + ["--every", "often"], capture_output=True, text=True, env=env, cwd=tmp_path,
                                    check=False)
    assert bad_every.returncode == 2 and "--every" in bad_every.stderr


def test_the_web_preview_and_the_api_of_one_channel_fill_one_channel(sqlite_path, tmp_path):
    """Both collectors of one monitor round on the same channel: the API links username and id, so
    the web preview's posts and the API's are the same posts."""
    texts = {1: "Путин провёл совещание #новости", 2: "НАТО обсуждает поставки #новости"}
    double = TelethonDouble()
    api_channel = double.add_channel("russkiy_vestnik", 1700000003, "Русский вестник")
    for post_id, text in texts.items():
        double.post(api_channel, post_id, text, date=BASE + timedelta(hours=post_id),
                    entities=[types.MessageEntityHashtag(offset=len(text) - 8, length=8)])
    page = page_html("russkiy_vestnik", texts).encode()
    no_posts = (Path(__file__).parent / "data" / "webpreview" / "no_posts.html").read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = page if self.path == "/s/russkiy_vestnik" else no_posts
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            """Quiet: a test server's request log would only clutter the test output."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    web = WebOptions(base_url=f"http://127.0.0.1:{server.server_port}", politeness=Politeness(delay=0, retries=0))
    registry = tmp_path / "registry.csv"
    registry.write_text("username,affiliation\nrusskiy_vestnik,state media\n", encoding="utf-8")
    lines = []
    try:
        with Store(sqlite_path) as store:
            run_monitor(store, [_telegram(double), Collector("web", web_collect, web, needs_username=True)], every=1,
                        rounds=1, registry=registry, on_round=lambda _, item: lines.append((item.collector, item.status)))
            with store.reading() as conn:
                rows = conn.execute(select(channels.c.channel_id, channels.c.username, channels.c.affiliation)).all()
                stored = sorted(conn.execute(select(posts.c.post_id)).scalars())
                sources = sorted(conn.execute(select(captures.c.source).distinct()).scalars())
                versions = conn.execute(select(post_versions.c.post_pk)).scalars().all()
    finally:
        server.shutdown()
        server.server_close()
    assert lines == [("telegram", "ok"), ("web", "ok")]
    assert [tuple(row) for row in rows] == [("channel1700000003", "russkiy_vestnik", "state media")]
    assert stored == [1, 2]
    assert len(versions) == 2  # the same content from both sources: one version each
    assert sources == ["telegram", "web"]


def test_after_each_round_new_posts_are_analysed_and_each_alert_fires_once(sqlite_path, double, registry, tmp_path):
    from echoscope.alerts import load_rules
    from echoscope.monitor import alerts_after_round

    rules_file = tmp_path / "alerts.yaml"
    rules_file.write_text("alerts:\n  - name: nato\n    entity: nato\n", encoding="utf-8")
    delivered: list[dict] = []
    fired_per_round: list[int] = []

    def between_rounds(_seconds: float) -> None:
        double.post(double.channels[1234], 10 + len(fired_per_round), "НАТО снова обсуждает поставки 🏳️‍🌈")

    with Store(sqlite_path) as store:
        after = alerts_after_round(store, load_rules(rules_file), delivered.append,
                                   lambda _number, _reports, fired: fired_per_round.append(fired))
        run_monitor(store, [_telegram(double)], every=1, rounds=3, registry=registry, on_round=lambda *_: None,
                    after_round=after, sleep=between_rounds)
    assert fired_per_round == [0, 1, 1]  # "first" mentions nothing; each later round brings one NATO post
    assert [alert["post_id"] for alert in delivered] == [11, 12] and {alert["rule"] for alert in delivered} == {"nato"}
