"""The evidence store on real SQLite files and a real PostgreSQL server: identity, idempotency,
versions that never overwrite, and refusal to touch databases it did not make."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from builders import BASE, capture, channel, photo, post
from echoscope.errors import StoreError
from echoscope.ingest import ingest
from echoscope.model import SourceWarning
from echoscope.store import Store
from echoscope.store.schema import events, media, post_versions, posts


def _records(*items):
    return [capture(), channel(), *items]


def test_a_new_store_is_created_and_reopened_without_change(sqlite_path):
    with Store(sqlite_path) as store:
        ingest(store, _records(post(1, "نص")))
        before = store.counts()
    with Store(sqlite_path) as store:
        assert store.counts() == before
    with sqlite3.connect(sqlite_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == _head_revision()


def _head_revision() -> str:
    from alembic.script import ScriptDirectory

    from echoscope.store.engine import _MIGRATIONS

    return ScriptDirectory(str(_MIGRATIONS)).get_current_head()


def test_a_store_from_the_first_release_is_migrated_to_the_newest_schema(sqlite_path):
    """A 0001 database (the core tables only) gains every later table when opened, keeping its posts."""
    first_release = {"captures", "channels", "posts", "post_versions", "media", "events", "warnings"}
    with Store(sqlite_path) as store:
        ingest(store, _records(post(1, "نص")))
        tables = set(store.counts())
    later = tables - first_release
    assert later >= {"echo_clusters", "stage_runs"}
    with sqlite3.connect(sqlite_path) as conn:
        for name in later:
            conn.execute(f"DROP TABLE {name}")
        conn.execute("UPDATE alembic_version SET version_num = '0001'")
    with Store(sqlite_path) as store:
        counts = store.counts()
    assert set(counts) == tables and counts["posts"] == 1
    with sqlite3.connect(sqlite_path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == _head_revision()


def test_ingesting_the_same_records_twice_changes_nothing(store):
    records = _records(post(1, "صلواتكم لجيش روسيا العظيمة"), post(2, "второй пост", media=(photo(),)))
    first = ingest(store, records)
    counts = store.counts()
    second = ingest(store, records)
    assert (first.posts.new, first.posts.unchanged) == (2, 0)
    assert (second.posts.new, second.posts.unchanged, second.posts.new_versions) == (0, 2, 0)
    assert store.counts() == counts


def test_an_edited_post_adds_a_version_and_keeps_the_old_one(store):
    original = post(7, "النص الأصلي")
    edited = replace(original, text="النص المعدل", edited=BASE + timedelta(hours=2), raw={"id": 7, "text": "النص المعدل"})
    ingest(store, _records(original))
    summary = ingest(store, [capture(sha="c" * 64), channel(), edited])
    assert summary.posts.new_versions == 1
    with store.reading() as conn:
        versions = conn.execute(
            select(post_versions.c.version, post_versions.c.raw, post_versions.c.capture_pk).order_by(post_versions.c.version)
        ).all()
        current = conn.execute(select(posts.c.text, posts.c.version)).one()
        edit_events = conn.execute(select(events.c.post_id).where(events.c.kind == "edit")).scalars().all()
    assert [v.version for v in versions] == [1, 2]
    assert "النص الأصلي" in versions[0].raw and "النص المعدل" in versions[1].raw
    assert versions[0].capture_pk != versions[1].capture_pk
    assert tuple(current) == ("النص المعدل", 2)
    assert edit_events == [7]


def test_a_file_included_later_adds_a_version_with_its_media(store):
    skipped = post(3, "صورة", media=(photo(sha=None, status="not-included"),))
    included = replace(skipped, media=(photo(),))
    ingest(store, _records(skipped))
    ingest(store, [capture(sha="d" * 64), channel(), included])
    with store.reading() as conn:
        rows = conn.execute(select(media.c.version, media.c.status).order_by(media.c.version)).all()
    assert [tuple(r) for r in rows] == [(1, "not-included"), (2, "stored")]
    assert [m["status"] for m in next(store.iter_posts())["media"]] == ["stored"]


def test_view_counts_alone_do_not_make_a_version(store):
    ingest(store, _records(post(4, "text", views=10)))
    summary = ingest(store, _records(post(4, "text", views=5000)))
    assert summary.posts.unchanged == 1 and summary.posts.new_versions == 0


def test_a_repeated_post_id_inside_one_batch_is_two_states_not_an_error(store):
    summary = ingest(store, _records(post(5, "first"), post(5, "second", raw={"id": 5, "text": "second"})))
    assert (summary.posts.new, summary.posts.new_versions) == (1, 1)


def test_the_stored_raw_record_hashes_to_its_recorded_sha256(store):
    ingest(store, _records(post(6, "evidence", raw={"id": 6, "text": "evidence", "z": [1, 2], "a": None})))
    with store.reading() as conn:
        raw, raw_sha = conn.execute(select(post_versions.c.raw, post_versions.c.raw_sha256)).one()
    assert hashlib.sha256(raw.encode()).hexdigest() == raw_sha
    assert raw.index('"a"') < raw.index('"z"')  # canonical: sorted keys


def test_warnings_are_stored_once(store):
    warning = SourceWarning(location="result.json", message="dates have no time zone", channel_id="channel1001")
    ingest(store, _records(warning))
    ingest(store, _records(warning))
    assert store.counts()["warnings"] == 1


def test_a_database_echoscope_did_not_make_is_left_alone(sqlite_path):
    with sqlite3.connect(sqlite_path) as conn:
        conn.execute("CREATE TABLE posts (x)")
    with pytest.raises(StoreError, match="not made by echoscope"):
        Store(sqlite_path)
    with sqlite3.connect(sqlite_path) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["posts"]


def test_a_damaged_database_file_gives_a_clear_error_and_is_not_rewritten(sqlite_path):
    sqlite_path.write_bytes(b"this is not a database" * 100)
    before = sqlite_path.read_bytes()
    with pytest.raises(StoreError, match="never repairs"):
        Store(sqlite_path)
    assert sqlite_path.read_bytes() == before


def test_reading_everything_page_by_page_misses_nothing_and_repeats_nothing(store):
    from echoscope.store import reader

    ingest(store, _records(*(post(i, f"منشور {i}", hours=i) for i in range(1, 8))))
    with store.reading() as conn:
        exported = [record["post_id"] for record in reader.iter_post_records(conn, page_size=3)]
        hashed = [row.post_id for row in reader.iter_raw_versions(conn, page_size=2)]
    assert exported == hashed == list(range(1, 8))


def test_a_database_url_echoscope_cannot_open_says_what_to_install():
    with pytest.raises(StoreError, match="echoscope\\[postgres\\]"):
        Store("postgresql+nosuchdriver://localhost/echoscope")


def test_another_source_rendering_a_post_differently_adds_a_version_but_no_edit(store):
    """The web preview shows no media hashes; that is a new rendering of the post, not an edit of it."""
    exported = post(9, "صلواتكم لجيش روسيا", media=(photo(),))
    rendered = replace(exported, media=(), raw={"html": "<div>…</div>"})
    ingest(store, _records(exported))
    web = replace(capture(sha="d" * 64), source="web", locator="https://t.me/s/x")
    summary = ingest(store, [web, channel(), rendered])
    assert summary.posts.new_versions == 1
    edited_later = replace(rendered, text="صلواتكم لجيش روسيا العظيمة", raw={"html": "<div>edited</div>"})
    ingest(store, [replace(web, sha256="e" * 64), channel(), edited_later])
    with store.reading() as conn:
        edits = conn.execute(select(events.c.raw).where(events.c.kind == "edit")).scalars().all()
        assert conn.execute(select(posts.c.version)).scalar_one() == 3
    assert len(edits) == 1 and '"to_version":3' in edits[0].replace(" ", "")


def test_a_postgresql_store_is_not_copied_by_backup_and_the_error_says_what_to_use(pg_url, tmp_path):
    from echoscope.store.backup import backup

    with Store(pg_url) as store, pytest.raises(StoreError, match="pg_dump"):
        backup(store, tmp_path / "copy.db")
    assert not (tmp_path / "copy.db").exists()


def test_stats_count_the_telegram_message_ids_the_store_lacks_and_list_their_runs(store):
    from echoscope.model import TELEGRAM, Event

    service = Event(TELEGRAM, "channel1001", "service", post_id=3, date=BASE, action="pin_message", raw={"id": 3})
    ingest(store, _records(*(post(number, f"post {number}") for number in (1, 2, 5, 6, 9)), service))
    [row] = store.channel_stats()
    assert row["gaps"] == [(4, 4), (7, 8)]  # 3 is the service message: not missing
    assert row["missing_ids"] == 3


def test_verify_checks_a_sqlite_file_and_says_postgresql_has_no_such_check_here(sqlite_path, pg_url):
    from echoscope.verify import verify_database

    with Store(sqlite_path) as store:
        ingest(store, _records(post(1, "نص")))
        assert verify_database(store) == []
    with Store(pg_url) as store:
        assert verify_database(store) is None
