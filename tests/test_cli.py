"""The `echoscope` command as an analyst runs it: a real process, a real SQLite file, the bundled example."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import builders
import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "demo"
KAHF = EXAMPLE / "exports" / "ashab_kahf_media"
FRIENDS = EXAMPLE / "exports" / "friends_of_russia_iq"
CONTRACT = ["platform", "channel", "channel_id", "post_id", "date", "text", "permalink", "forwarded_from",
            "forwarded_from_id", "author", "views", "edited", "media"]


def echoscope(*args: str, db: Path | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = os.environ | {"COLUMNS": "200", "NO_COLOR": "1"}
    if db is not None:
        env["ECHOSCOPE_DB"] = str(db)
    return subprocess.run([sys.executable, "-m", "echoscope", *args], capture_output=True, text=True, env=env, cwd=cwd or ROOT)


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "cli.db"
    assert echoscope("ingest", "tdesktop", str(KAHF), str(FRIENDS), db=path).returncode == 0
    assert echoscope("channels", "import", str(EXAMPLE / "registry.csv"), db=path).returncode == 0
    return path


def test_ingest_prints_a_summary_and_a_second_run_changes_nothing(tmp_path):
    path = tmp_path / "twice.db"
    first = echoscope("ingest", "tdesktop", str(KAHF), db=path)
    assert first.returncode == 0, first.stderr
    assert "posts new" in first.stdout and "msg/s" in first.stderr
    second = echoscope("ingest", "tdesktop", str(KAHF), db=path)
    new_posts = [line for line in second.stdout.splitlines() if "posts new" in line]
    assert new_posts and new_posts[0].split()[-2] == "0"


def test_search_writes_contract_records_as_jsonl(db):
    result = echoscope("search", "الناتو", "--format", "jsonl", db=db)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert {r["channel"] for r in records} >= {"ashab_kahf_media", "friends_of_russia_iq"}
    assert all(list(r)[: len(CONTRACT)] == CONTRACT for r in records)
    prayer = [r for r in records if r["text"].startswith("صلواتكم")]
    assert {r["date"][:10] for r in prayer} == {"2023-06-07", "2023-06-08"}
    assert all(r["permalink"].startswith("https://t.me/") for r in prayer)


def test_search_table_and_filters(db):
    result = echoscope("search", "الناتو", "--channel", "@ashab_kahf_media", "--since", "2023-06-08", "--until", "2023-06-08", db=db)
    assert result.returncode == 0, result.stderr
    assert "ashab_kahf_media" in result.stdout and "friends_of_russia_iq" not in result.stdout


def test_export_posts_as_csv(db, tmp_path):
    target = tmp_path / "posts.csv"
    result = echoscope("export", "posts", "--format", "csv", "-o", str(target), db=db)
    assert result.returncode == 0, result.stderr
    with target.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and list(rows[0])[: len(CONTRACT)] == CONTRACT
    assert all(json.loads(row["media"]) is not None for row in rows)


def test_stats_lists_channels_with_affiliation(db):
    result = echoscope("stats", db=db)
    assert result.returncode == 0, result.stderr
    assert "Ashab al-Kahf" in result.stdout and "@friends_of_russia_iq" in result.stdout


def test_stats_gaps_names_the_message_ids_an_export_left_out(tmp_path):
    export = tmp_path / "friends"
    export.mkdir()
    data = json.loads((FRIENDS / "result.json").read_text(encoding="utf-8"))
    data["messages"] = [message for message in data["messages"] if not 10 <= message["id"] <= 12]
    (export / "result.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    path = tmp_path / "gaps.db"
    assert echoscope("ingest", "tdesktop", str(export), db=path).returncode == 0
    result = echoscope("stats", "--gaps", db=path)
    assert result.returncode == 0, result.stderr
    assert "ids missing 10–12" in result.stdout
    assert "ids missing" in echoscope("stats", db=path).stdout  # the column, and a line saying what it means


@pytest.mark.parametrize(
    "args, code, message",
    [
        (("ingest", "tdesktop", "/no/such/export"), 1, "/no/such/export"),
        (("search", "   "), 2, "no words"),
        (("search", "x", "--since", "yesterday"), 2, "not a date"),
        (("search", "x", "--format", "xml"), 2, "--format"),
        (("search", "x", "--channel", "nobody"), 2, "no channel"),
    ],
)
def test_errors_are_one_line_and_a_nonzero_exit(db, args, code, message):
    result = echoscope(*args, db=db)
    assert result.returncode == code
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_help_teaches_with_an_example():
    result = echoscope("search", "--help")
    assert result.returncode == 0 and "echoscope search" in result.stdout


def test_the_same_commands_on_postgresql_give_the_same_records(db, pg_url):
    for args in (("ingest", "tdesktop", str(KAHF), str(FRIENDS)), ("channels", "import", str(EXAMPLE / "registry.csv"))):
        result = echoscope(*args, "--db", pg_url)
        assert result.returncode == 0, result.stderr
    searches = [echoscope("search", "روسيا", "--format", "jsonl", "--db", target).stdout for target in (str(db), pg_url)]
    assert searches[0] == searches[1] and searches[0].count("\n") >= 2


def test_ctrl_c_keeps_every_committed_batch_and_a_rerun_completes(tmp_path, monkeypatch):
    import signal
    import sqlite3

    export = _benchmark_export(tmp_path, 60_000, monkeypatch)
    path = tmp_path / "interrupted.db"
    command = [sys.executable, "-m", "echoscope", "ingest", "tdesktop", "--db", str(path), str(export)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    stored = builders.wait_for_posts(path, 1, process)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    if process.returncode == 0:
        pytest.skip("the ingest finished before the interrupt arrived")
    assert process.returncode == 130 and "Traceback" not in stderr
    assert "every completed batch is stored" in stderr
    with sqlite3.connect(path) as conn:
        kept = conn.execute("SELECT count(*) FROM posts").fetchone()[0]
    assert kept >= stored > 0
    rerun = echoscope("ingest", "tdesktop", str(export), db=path)
    assert rerun.returncode == 0, rerun.stderr
    with sqlite3.connect(path) as conn:
        total, distinct = conn.execute("SELECT count(*), count(DISTINCT post_id) FROM posts").fetchone()
    assert total == distinct > kept


def _benchmark_export(tmp_path: Path, messages: int, monkeypatch) -> Path:
    import importlib.util

    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))  # the benchmark's own helper module
    spec = importlib.util.spec_from_file_location("bench_ingest", ROOT / "benchmarks" / "ingest.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench.write_export(tmp_path / "export", messages).parent


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_two_ingests_of_the_same_export_at_once_both_finish_and_store_each_post_once(database, tmp_path, monkeypatch, request):
    """A monitor and an analyst may write to one store at the same time: each batch's reads and writes are
    one transaction that excludes other writers, so neither inserts a post the other stored meanwhile."""
    from sqlalchemy import func, select

    from echoscope.store import Store
    from echoscope.store.schema import post_versions, posts

    export = _benchmark_export(tmp_path, 20_000, monkeypatch)
    target = str(tmp_path / "shared.db") if database == "sqlite" else request.getfixturevalue("pg_url")
    assert echoscope("ingest", "tdesktop", str(EXAMPLE / "exports" / "basra_news_demo"), "--db", target).returncode == 0
    command = [sys.executable, "-m", "echoscope", "ingest", "tdesktop", "--db", target, str(export)]
    both = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [process.communicate(timeout=300) for process in both]
    assert [process.returncode for process in both] == [0, 0], [stderr for _, stderr in results]
    with Store(target) as store, store.reading() as conn:
        total = conn.execute(select(func.count()).select_from(posts)).scalar_one()
        distinct = conn.execute(select(func.count()).select_from(select(posts.c.channel_pk, posts.c.post_id).distinct().subquery())).scalar_one()
        versions = conn.execute(select(func.count()).select_from(post_versions)).scalar_one()
    assert total == distinct and versions == total  # no post twice, no version added by the second ingest


def test_a_backup_taken_while_an_ingest_writes_is_a_consistent_checked_copy(tmp_path, monkeypatch):
    import hashlib
    import sqlite3

    export = _benchmark_export(tmp_path, 30_000, monkeypatch)
    path = tmp_path / "live.db"
    writer = subprocess.Popen([sys.executable, "-m", "echoscope", "ingest", "tdesktop", "--db", str(path), str(export)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    builders.wait_for_posts(path, 1, writer)
    copy = tmp_path / "copy.db"
    made = echoscope("backup", str(copy), db=path)
    assert writer.wait(timeout=300) == 0
    assert made.returncode == 0, made.stderr
    assert f"SHA-256 {hashlib.sha256(copy.read_bytes()).hexdigest()}" in made.stdout
    with sqlite3.connect(copy) as conn:
        posts, without_version = conn.execute(
            "SELECT count(*), sum(NOT EXISTS (SELECT 1 FROM post_versions v WHERE v.post_pk = posts.pk)) FROM posts").fetchone()
    with sqlite3.connect(path) as conn:
        final = conn.execute("SELECT count(*) FROM posts").fetchone()[0]
    assert 0 < posts <= final and without_version == 0  # whole batches only: every post with its version
    assert f"{posts:,} posts" in made.stdout
    again = echoscope("backup", str(copy), db=path)
    assert again.returncode == 1 and "already exists" in again.stderr  # never overwritten
    nowhere = echoscope("backup", str(tmp_path / "no" / "such" / "copy.db"), db=path)
    assert nowhere.returncode == 1 and "no such folder" in nowhere.stderr


def test_records_carry_exactly_the_documented_fields_and_csv_keeps_its_header_when_empty(db):
    from echoscope.store.reader import RECORD_FIELDS

    found = echoscope("search", "الناتو", "--format", "jsonl", db=db)
    assert all(tuple(json.loads(line)) == RECORD_FIELDS for line in found.stdout.splitlines())
    empty = echoscope("search", "nothing-matches-this", "--format", "csv", db=db)
    assert empty.returncode == 0 and empty.stdout.strip().split(",") == list(RECORD_FIELDS)


def test_verify_media_rehashes_files_where_they_were_ingested_and_names_what_moved(tmp_path):
    import shutil
    import sqlite3

    export = tmp_path / "friends"
    shutil.copytree(FRIENDS, export)
    path = tmp_path / "media.db"
    assert echoscope("ingest", "tdesktop", str(export), db=path).returncode == 0
    clean = echoscope("verify", "--media", db=path)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "database file: sound" in clean.stdout and "2 media files checked: every one matches" in clean.stdout
    photos = sorted((export / "photos").iterdir())
    with photos[0].open("ab") as changed:
        changed.write(b"\0")  # one byte added after ingest
    photos[1].unlink()
    moved = echoscope("verify", "--media", db=path)
    assert moved.returncode == 1
    assert "2 media of posts no longer match" in moved.stdout
    assert "changed" in moved.stdout and "SHA-256 now" in moved.stdout and photos[0].name[:10] in moved.stdout
    assert "unreadable" in moved.stdout and "No such file" in moved.stdout
    assert "every one matches its SHA-256" in echoscope("verify", db=path).stdout  # without --media: records only
    with sqlite3.connect(path) as conn:  # a row slipped in with foreign keys off, pointing at no post
        conn.execute("INSERT INTO media (post_pk, version, ordinal, kind, status) VALUES (999999, 1, 0, 'photo', 'missing')")
    broken = echoscope("verify", db=path)
    assert broken.returncode == 1 and "media row" in broken.stdout and "foreign key" in broken.stdout


def test_verify_names_a_raw_record_changed_behind_echoscopes_back(db):
    import sqlite3

    clean = echoscope("verify", db=db)
    assert clean.returncode == 0 and "every one matches" in clean.stdout
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE post_versions SET raw = replace(raw, 'الناتو', 'الناطو') WHERE pk = "
                     "(SELECT min(pk) FROM post_versions WHERE raw LIKE '%الناتو%')")
    tampered = echoscope("verify", db=db)
    assert tampered.returncode == 1
    assert "1 of" in tampered.stdout and "no longer match" in tampered.stdout
    assert "channel170000000" in tampered.stdout  # the tampered post is named
