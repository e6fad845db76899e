"""The live Telegram source against a double of Telethon's client (real Telethon types and errors) and a
real store: incremental reads, FloodWait, private channels, edits, deletions, media, and a killed run."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import builders
import pytest
from sqlalchemy import select
from telethon import errors
from telethon.tl import types
from telethon_double import BASE, TelethonDouble
from typer.testing import CliRunner

from echoscope import config
from echoscope.cli import app
from echoscope.errors import ConfigError, SourceUnavailable
from echoscope.evidence import sha256_hex
from echoscope.ingest import ingest
from echoscope.sources._telethon_session import (
    connected_client,
    credentials,
    session_file,
    session_in_use,
)
from echoscope.sources.tdesktop import TelegramDesktopExport
from echoscope.sources.telegram import TelegramOptions, channel_key, collect
from echoscope.store import Store
from echoscope.store.schema import (
    captures,
    channels,
    collector_state,
    events,
    media,
    post_versions,
    posts,
)
from echoscope.store.schema_telegram import post_observations

HASHTAG_TEXT = "post {} 🇷🇺 #NATO"  # two astral flags before the hashtag: UTF-16 and code points differ


@pytest.fixture
def double() -> TelethonDouble:
    return TelethonDouble()


def _rybar(double: TelethonDouble, count: int = 5):
    channel = double.add_channel("rybar", 1234, "Rybar")
    for post_id in range(1, count + 1):
        double.post(channel, post_id, HASHTAG_TEXT.format(post_id),
                    entities=[types.MessageEntityHashtag(offset=12, length=5)])
    return channel


def _run(store, double, names, **options) -> list:
    return list(collect(store, names, TelegramOptions(open_client=double.opened, **options)))


def _posts(store) -> dict[int, dict]:
    with store.reading() as conn:
        return {row.post_id: row._asdict() for row in conn.execute(select(posts))}


def test_reads_oldest_to_newest_then_only_what_is_new(store, double):
    channel = _rybar(double)
    [first] = _run(store, double, ["@rybar"], batch_size=2)
    assert (first.status, first.new_posts) == ("ok", 5)
    double.post(channel, 6, "six")
    double.post(channel, 7, "seven")
    [second] = _run(store, double, ["https://t.me/rybar"])
    assert (second.status, second.new_posts) == ("ok", 2)
    assert [(call["min_id"], call["reverse"]) for call in double.iter_calls] == [(0, True), (5, True)]
    assert sorted(_posts(store)) == [1, 2, 3, 4, 5, 6, 7]
    with store.reading() as conn:
        row = conn.execute(select(channels.c.channel_id, channels.c.username, channels.c.type)).one()
    assert tuple(row) == ("channel1234", "rybar", "public_channel")


def test_every_field_worth_keeping_is_kept_with_its_raw_record(sqlite_path, double):
    channel = _rybar(double, 0)
    source = double.add_channel("wallet_news", 777, "Wallet News")
    double.post(source, 1, "original")
    reactions = types.MessageReactions(results=[
        types.ReactionCount(reaction=types.ReactionEmoji("🔥"), count=450),
        types.ReactionCount(reaction=types.ReactionCustomEmoji(5368), count=131),
        types.ReactionCount(reaction=types.ReactionPaid(), count=438),
    ])
    double.post(
        channel, 10, "𝐁old link", views=5000, forwards=42, post_author="Ivan", grouped_id=99,
        edit_date=BASE + timedelta(days=1), reactions=reactions,
        entities=[types.MessageEntityBold(offset=0, length=3), types.MessageEntityTextUrl(offset=6, length=4, url="https://x.com")],
        fwd_from=types.MessageFwdHeader(date=BASE, from_id=types.PeerChannel(777), channel_post=55),
        replies=types.MessageReplies(replies=7, replies_pts=1, comments=True, channel_id=888),
        reply_to=types.MessageReplyHeader(reply_to_msg_id=3, reply_to_peer_id=types.PeerChannel(777)),
    )
    with Store(sqlite_path) as store:
        _run(store, double, ["rybar"])
        post = _posts(store)[10]
        with store.reading() as conn:
            raw, raw_sha = conn.execute(select(post_versions.c.raw, post_versions.c.raw_sha256)).one()
            observed = conn.execute(select(post_observations.c.views, post_observations.c.replies)).one()
    assert (post["views"], post["forwards"], post["author"]) == (5000, 42, "Ivan")
    assert (post["forwarded_from"], post["forwarded_from_id"], post["forwarded_post_id"]) == ("Wallet News", "channel777", 55)
    assert (post["reply_to"], post["reply_to_peer"]) == (3, "channel777")
    assert post["extra"] == {"grouped_id": 99}
    assert post["edited"].replace(tzinfo=UTC) == BASE + timedelta(days=1)
    assert [(r["type"], r["count"]) for r in post["reactions"]] == [("emoji", 450), ("custom_emoji", 131), ("paid", 438)]
    # Offsets are code points: the bold "𝐁o" is 3 UTF-16 units but 2 characters.
    assert [(e["type"], e["start"], e["end"]) for e in post["entities"]] == [("bold", 0, 2), ("text_link", 5, 9)]
    assert post["entities"][1]["href"] == "https://x.com"
    assert tuple(observed) == (5000, 7)  # comments counted, as an observation
    record = json.loads(raw)
    assert sha256_hex(raw.encode()) == raw_sha
    assert record["replies"]["replies"] == 7 and record["fwd_from"]["channel_post"] == 55


def test_a_post_from_the_api_and_from_an_export_is_one_post(store, double, tmp_path):
    _rybar(double, 2)
    _run(store, double, ["rybar"])
    messages = []
    for post_id in (1, 2):
        date = BASE + timedelta(minutes=post_id)
        text = HASHTAG_TEXT.format(post_id)
        messages.append({
            "id": post_id, "type": "message", "date": date.strftime("%Y-%m-%dT%H:%M:%S"),
            "date_unixtime": str(int(date.timestamp())), "from": "Rybar", "from_id": "channel1234", "text": text,
            "text_entities": [{"type": "plain", "text": text[:-5]}, {"type": "hashtag", "text": "#NATO"}],
        })
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "result.json").write_text(json.dumps({"name": "Rybar", "type": "public_channel", "id": 1234,
                                                    "messages": messages}), encoding="utf-8")
    summary = ingest(store, TelegramDesktopExport(folder))
    assert (summary.posts.new, summary.posts.unchanged, summary.posts.new_versions) == (0, 2, 0)
    counts = store.counts()
    assert (counts["channels"], counts["posts"], counts["post_versions"]) == (1, 2, 2)
    with store.reading() as conn:
        sources = sorted(conn.execute(select(captures.c.source)).scalars())
    assert sources == ["tdesktop", "telegram"]


def test_a_second_run_resolves_nothing_it_knows(sqlite_path, double):
    _rybar(double, 2)
    with Store(sqlite_path) as store:
        _run(store, double, ["rybar"])
        _run(store, double, ["rybar", "channel1234", "-1001234"])
    assert double.get_entity_calls == ["rybar"]


def test_a_short_flood_wait_is_slept_through_with_a_notice(sqlite_path, double):
    _rybar(double, 6)
    double.fail_next("iter_messages", errors.FloodWaitError(request=None, capture=1), after=3)
    notices = []
    with Store(sqlite_path) as store:
        [result] = _run(store, double, ["rybar"], batch_size=2, notice=notices.append)
        assert sorted(_posts(store)) == [1, 2, 3, 4, 5, 6]
    assert (result.status, result.new_posts) == ("ok", 6)
    assert notices == ["rybar: Telegram asks to wait 1s (FloodWait); waiting"]
    assert [call["min_id"] for call in double.iter_calls] == [0, 3]


def test_a_long_flood_wait_saves_the_cursor_and_ends_the_channel(sqlite_path, double):
    _rybar(double, 6)
    double.fail_next("iter_messages", errors.FloodWaitError(request=None, capture=3600), after=3)
    with Store(sqlite_path) as store:
        [result] = _run(store, double, ["rybar"], batch_size=2)
        assert (result.status, result.wait_seconds, result.new_posts) == ("waiting", 3600, 3)
        assert sorted(_posts(store)) == [1, 2, 3]
        [again] = _run(store, double, ["rybar"])
        with store.reading() as conn:
            saved = conn.execute(select(collector_state.c.status, collector_state.c.cursor)).one()
    assert again.status == "waiting" and 0 < again.wait_seconds <= 3600
    assert len(double.iter_calls) == 1  # the second run asked Telegram nothing
    assert saved.status == "waiting" and saved.cursor["last_id"] == 3


def test_private_and_unknown_channels_do_not_stop_the_batch(sqlite_path, double):
    _rybar(double, 2)
    double.add_channel("secretchan", 55, "Secret", private=True)
    with Store(sqlite_path) as store:
        results = _run(store, double, ["secretchan", "nosuchname", "rybar"])
    assert [(r.channel, r.status) for r in results] == [
        ("secretchan", "private"), ("nosuchname", "not-found"), ("rybar", "ok")]
    assert results[2].new_posts == 2


def test_a_recheck_records_edits_counts_and_deletions(store, double):
    channel = _rybar(double, 4)
    _run(store, double, ["rybar"])
    double.edit(channel, 2, "post 2, corrected")
    channel.messages[3].views = 9999
    double.delete(channel, 4)
    [result] = _run(store, double, ["rybar"], recheck_days=(datetime.now(UTC) - BASE).days + 1)
    assert (result.updated_posts, result.deletions) == (1, 1)
    stored = _posts(store)
    assert (stored[2]["version"], stored[2]["text"]) == (2, "post 2, corrected")
    assert stored[3]["views"] == 9999 and stored[3]["version"] == 1
    with store.reading() as conn:
        readings = conn.execute(
            select(post_observations.c.views).join(posts, posts.c.pk == post_observations.c.post_pk)
            .where(posts.c.post_id == 3).order_by(post_observations.c.observed_at)
        ).scalars().all()
    assert readings == [103, 9999]  # every reading kept, the post shows the latest
    assert stored[4]["deleted_at"] is not None and stored[4]["text"] == HASHTAG_TEXT.format(4)
    _run(store, double, ["rybar"], recheck_days=(datetime.now(UTC) - BASE).days + 1)
    with store.reading() as conn:
        kinds = sorted(conn.execute(select(events.c.kind, events.c.post_id)).all())
    assert kinds == [("deletion", 4), ("edit", 2)]  # the second re-check found nothing new


def test_media_is_downloaded_hashed_as_stored_and_capped(sqlite_path, double, tmp_path):
    channel = _rybar(double, 0)
    small, large = b"\xff\xd8small photo", b"\xff\xd8" + b"x" * 5000
    double.photo_post(channel, 1, "small", small)
    double.photo_post(channel, 2, "large", large)
    with Store(sqlite_path) as store:
        _run(store, double, ["rybar"], media=True, media_dir=tmp_path / "media", max_size=1000)
        with store.reading() as conn:
            rows = {row.post_pk: row for row in conn.execute(select(media))}
    first, second = rows[1], rows[2]
    assert first.status == "stored" and first.sha256 == hashlib.sha256(small).hexdigest()
    assert (tmp_path / "media" / first.path).read_bytes() == small
    assert second.status == "not-included" and "max-size" in second.note and second.size == len(large)
    assert double.downloads == [1]


def test_an_expired_file_reference_is_renewed_once_else_unavailable(sqlite_path, double, tmp_path):
    channel = _rybar(double, 0)
    double.photo_post(channel, 1, "renewed", b"one")
    double.photo_post(channel, 2, "lost", b"two")
    double.fail_next("download_media", errors.FileReferenceExpiredError(request=None))
    with Store(sqlite_path) as store:
        _run(store, double, ["rybar"], media=True, media_dir=tmp_path / "media", batch_size=1)
        double.photo_post(channel, 3, "lost", b"three")
        double.fail_next("download_media", errors.FileReferenceExpiredError(request=None))
        double.fail_next("download_media", errors.FileReferenceExpiredError(request=None))
        _run(store, double, ["rybar"], media=True, media_dir=tmp_path / "media")
        with store.reading() as conn:
            statuses = dict(conn.execute(select(posts.c.post_id, media.c.status).join(media, media.c.post_pk == posts.c.pk)).all())
    assert statuses == {1: "stored", 2: "stored", 3: "unavailable"}
    assert {"ids": [1], "min_id": 0} == {k: double.iter_calls[1][k] for k in ("ids", "min_id")}


def test_channel_names_in_every_form_analysts_paste():
    assert channel_key("@Rybar") == channel_key("https://t.me/rybar") == channel_key("t.me/s/rybar/") == "rybar"
    assert channel_key("-1001234") == channel_key("1234") == channel_key("channel1234") == "channel1234"
    assert channel_key("-77") == "chat77"
    with pytest.raises(ConfigError, match="not a Telegram username"):
        channel_key("no spaces please")


def test_the_session_file_is_private_and_never_inside_a_repository(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    path = session_file()
    assert path == tmp_path / "data" / "echoscope" / "telegram.session"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "repo" / "share"))
    with pytest.raises(ConfigError, match="inside the git repository"):
        session_file()
    assert not (tmp_path / "repo" / "share").exists()


def test_a_session_in_use_by_another_process_is_refused_before_anything_connects(tmp_path, monkeypatch):
    import asyncio

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("ECHOSCOPE_API_ID", "1")
    monkeypatch.setenv("ECHOSCOPE_API_HASH", "x")
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom echoscope.sources._telethon_session "
                               "import session_in_use\nwith session_in_use():\n    print('held', flush=True)\n"
                               "    time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"

        async def connect():
            async with connected_client() as client:
                return client

        with pytest.raises(SourceUnavailable, match="in use by another echoscope process"):
            asyncio.run(connect())  # refused before a client is made: nothing tries the network
    finally:
        holder.kill()
        holder.wait()
    with session_in_use() as path:  # the holder died: the lock went with it
        assert path == session_file()


def test_credentials_come_from_the_environment_or_the_config_file(tmp_path, monkeypatch):
    for name in ("ECHOSCOPE_API_ID", "ECHOSCOPE_API_HASH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ECHOSCOPE_CONFIG", str(tmp_path / "echoscope.toml"))
    config.file_settings.cache_clear()
    try:
        with pytest.raises(ConfigError, match="ECHOSCOPE_API_ID"):
            credentials()
        (tmp_path / "echoscope.toml").write_text('api_id = 12345\napi_hash = "from-file"\n', encoding="utf-8")
        config.file_settings.cache_clear()
        assert credentials() == (12345, "from-file")
        monkeypatch.setenv("ECHOSCOPE_API_HASH", "from-env")
        assert credentials() == (12345, "from-env")
    finally:
        config.file_settings.cache_clear()


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT])
def test_a_killed_collection_resumes_with_no_duplicate_and_no_gap(sqlite_path, stop):
    count = 400
    command = [sys.executable, str(Path(__file__).parent / "telethon_double.py"), str(sqlite_path), str(count), "0.01"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # noqa: PLW1509  CI may start us with SIGINT ignored
    try:
        stored = builders.wait_for_posts(sqlite_path, 50, process)
        assert process.poll() is None, "the collector finished before it could be stopped"
        process.send_signal(stop)
        process.wait(timeout=60)
    finally:
        process.kill()
    with Store(sqlite_path) as store:
        at_kill = sorted(_posts(store))
        with store.reading() as conn:
            cursor = conn.execute(select(collector_state.c.cursor)).scalar_one()
    assert stored <= len(at_kill) < count
    assert at_kill == list(range(1, len(at_kill) + 1)) and cursor["last_id"] == len(at_kill)
    assert len(at_kill) % 25 == 0  # whole batches only: nothing half-written was recorded
    resumed = subprocess.run(command[:-1] + ["0"], capture_output=True, text=True, check=True)
    assert resumed.stdout.split()[:2] == ["ok", str(count - len(at_kill))]
    assert f"[{len(at_kill)}]" in resumed.stdout  # it asked only for what came after the cursor
    with Store(sqlite_path) as store:
        assert sorted(_posts(store)) == list(range(1, count + 1))
        assert store.counts()["post_versions"] == count


def test_the_commands_refuse_to_run_without_credentials_or_with_a_bad_name(tmp_path, monkeypatch):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECHOSCOPE_")} | {"XDG_DATA_HOME": str(tmp_path / "data")}
    login = subprocess.run([sys.executable, "-m", "echoscope", "login"], capture_output=True, text=True, env=env,
                           cwd=tmp_path, stdin=subprocess.DEVNULL, check=False)
    assert login.returncode == 2 and "ECHOSCOPE_API_ID" in login.stderr
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("ECHOSCOPE_API_ID", raising=False)
    no_credentials = CliRunner().invoke(app, ["collect", "telegram", "rybar", "--db", "t.db"])
    assert isinstance(no_credentials.exception, ConfigError) and "ECHOSCOPE_API_ID" in str(no_credentials.exception)
    monkeypatch.setenv("ECHOSCOPE_API_ID", "1")
    monkeypatch.setenv("ECHOSCOPE_API_HASH", "x")
    bad_name = CliRunner().invoke(app, ["collect", "telegram", "not a name", "--db", "t.db"])
    assert "'not a name' is not a Telegram username" in str(bad_name.exception)
    assert not (tmp_path / "data").exists()  # nothing was created before the name was checked


def test_without_telethon_the_other_commands_work_and_telegram_says_what_to_install(tmp_path):
    """Telethon is an optional dependency (`echoscope[telegram]`): `make demo` installs without it."""
    blocked = "import sys; sys.modules['telethon'] = None; from echoscope.cli import main; sys.argv[0] = 'echoscope'; main()"

    def echoscope(*args):
        return subprocess.run([sys.executable, "-c", blocked, *args], capture_output=True, text=True, cwd=tmp_path,
                              check=False)

    assert echoscope("stats", "--db", "t.db").returncode == 0
    missing = echoscope("collect", "telegram", "rybar", "--db", "t.db")
    assert missing.returncode == 2 and "pip install 'echoscope[telegram]'" in missing.stderr
