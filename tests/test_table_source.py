"""CSV and JSON Lines tables of posts from other platforms, read alone and all the way into the store."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from echoscope.errors import ConfigError, ParseError, SourceUnavailable
from echoscope.ingest import ingest
from echoscope.model import Capture, Channel, Post, Reaction, SourceWarning
from echoscope.sources.table import TableSource, derived_post_id
from echoscope.store.schema import media, post_versions

ROOT = Path(__file__).resolve().parent.parent
HEADER = ["platform", "channel", "post_id", "date", "text", "url", "media", "views", "forwards", "reactions", "lang"]
CROWDTANGLE_HEADER = [
    "Page Name", "User Name", "Facebook Id", "Likes at Posting", "Followers at Posting", "Post Created",
    "Post Created Date", "Post Created Time", "Type", "Total Interactions", "Likes", "Comments", "Shares",
    "Post Views", "URL", "Message", "Link", "Final Link", "Image Text", "Link Text", "Description",
]


def _csv(path: Path, rows: list[dict], header: list[str] = HEADER, encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, header, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def _row(post_id, text: str, **fields) -> dict:
    return {"channel": "RTarabic", "post_id": post_id, "date": "2023-06-07T12:00:00Z", "text": text, **fields}


def _records(path: Path, **options) -> list:
    return list(TableSource(path, **options).iter_records())


def _posts(path: Path, **options) -> list[Post]:
    return [record for record in _records(path, **options) if isinstance(record, Post)]


def test_csv_yields_capture_then_each_channel_before_its_posts(tmp_path):
    table = _csv(tmp_path / "posts.csv", [
        _row(1, "الناتو يتوسع شرقاً", platform="Facebook", url="https://facebook.com/RTarabic/posts/1", lang="ar"),
        _row(2, "second", channel="rt_com", platform="x"),
        _row(3, "third", views="1,234", forwards="12.0", reactions="57"),
    ])
    records = _records(table, platform="facebook")
    assert isinstance(records[0], Capture) and records[0].source == "table"
    assert records[0].sha256 == hashlib.sha256(table.read_bytes()).hexdigest()
    assert [type(r).__name__ for r in records[1:]] == ["Channel", "Post", "Channel", "Post", "Post"]
    assert records[1] == Channel("facebook", "RTarabic", title="RTarabic")
    assert records[3] == Channel("x", "rt_com", title="rt_com")
    first, _, third = (r for r in records if isinstance(r, Post))
    assert (first.platform, first.text) == ("facebook", "الناتو يتوسع شرقاً")
    assert first.date == datetime(2023, 6, 7, 12, tzinfo=UTC)
    assert first.extra == {"url": "https://facebook.com/RTarabic/posts/1", "lang": "ar"}
    assert first.raw["text"] == "الناتو يتوسع شرقاً" and all(isinstance(v, str) for v in first.raw.values())
    assert (third.views, third.forwards, third.reactions) == (1234, 12, (Reaction("total", 57),))
    assert (first.views, first.reactions) == (None, None)


def test_jsonl_rows_keep_their_objects_and_json_reactions(tmp_path):
    table = _jsonl(tmp_path / "posts.ndjson", [
        _row(10, "مرحبا", channel_title="RT Arabic", media=["a.jpg", "https://pbs.twimg.com/media/x"],
             reactions={"like": 3, "angry": 1}),
        {"platform": "x", "channel": "rt_com", "post_id": "1666000000000000001", "date": 1686139200, "text": "hi",
         "reactions": [{"type": "emoji", "emoji": "👍", "count": 2}], "views": 40},
    ])
    (tmp_path / "a.jpg").write_bytes(b"jpeg")
    channel, post = [r for r in _records(table, platform="facebook") if isinstance(r, (Channel, Post))][:2]
    assert channel.title == "RT Arabic"
    assert post.raw["media"] == ["a.jpg", "https://pbs.twimg.com/media/x"]
    assert [(m.kind, m.status) for m in post.media] == [("photo", "stored"), ("photo", "not-included")]
    assert post.reactions == (Reaction("like", 3), Reaction("angry", 1))
    tweet = _posts(table, platform="facebook")[1]
    assert (tweet.post_id, tweet.views, tweet.date) == (1666000000000000001, 40, datetime(2023, 6, 7, 12, tzinfo=UTC))
    assert tweet.reactions == (Reaction("emoji", 2, emoji="👍"),) and "source_post_id" not in tweet.extra


def test_non_integer_ids_get_a_stable_derived_id_and_keep_the_original(tmp_path):
    table = _csv(tmp_path / "posts.csv", [_row("123_456", "a"), _row(str(1 << 63), "b"), _row("-5", "c")])
    first, second = _posts(table, platform="facebook"), _posts(table, platform="facebook")
    assert [p.post_id for p in first] == [p.post_id for p in second]
    assert [p.extra["source_post_id"] for p in first] == ["123_456", str(1 << 63), "-5"]
    expected = int.from_bytes(hashlib.sha256(b"123_456").digest()[:8], "big") >> 1
    assert first[0].post_id == derived_post_id("123_456") == expected
    assert all(0 <= p.post_id < 1 << 63 for p in first)


def test_dates_with_and_without_zone_and_unix_seconds(tmp_path):
    table = _csv(tmp_path / "posts.csv", [
        _row(1, "offset", date="2023-06-07T15:00:00+03:00"),
        _row(2, "naive", date="2023-06-07 12:00:00"),
        _row(3, "naive again", date="2023-06-07T12:00"),
        _row(4, "unix", date="1686139200"),
        _row(5, "crowdtangle", date="2023-06-07 12:00:00 UTC"),
    ])
    records = _records(table, platform="facebook")
    dates = {p.post_id: p.date for p in records if isinstance(p, Post)}
    assert set(dates.values()) == {datetime(2023, 6, 7, 12, tzinfo=UTC)}
    assert all(d.tzinfo is UTC for d in dates.values())
    warnings = [r for r in records if isinstance(r, SourceWarning)]
    assert len(warnings) == 1 and warnings[0].location == f"{table}:3" and "UTC" in warnings[0].message


def test_an_ambiguous_zone_abbreviation_is_refused(tmp_path):
    table = _csv(tmp_path / "posts.csv", [_row(1, "est", date="2023-06-07 08:00:00 EST")])
    with pytest.raises(ParseError, match="ambiguous") as failure:
        _records(table, platform="facebook")
    assert f"{table}:2" in str(failure.value)


def test_media_stored_missing_refused_and_urls(tmp_path):
    folder = tmp_path / "export"
    (folder / "media").mkdir(parents=True)
    (folder / "media" / "photo.jpg").write_bytes(b"the photo")
    (tmp_path / "secret.jpg").write_bytes(b"outside")
    (folder / "media" / "link.jpg").symlink_to(tmp_path / "secret.jpg")
    entries = "media/photo.jpg; media/gone.mp4 ;../secret.jpg;/etc/passwd;media/link.jpg;https://example.org/v.mp4"
    table = _csv(folder / "posts.csv", [_row(1, "صور", media=entries)])
    (post,) = _posts(table, platform="facebook")
    found = [(m.kind, m.status, m.path) for m in post.media]
    assert found == [
        ("photo", "stored", "media/photo.jpg"),
        ("video_file", "missing", "media/gone.mp4"),
        ("photo", "refused", "../secret.jpg"),
        ("file", "refused", "/etc/passwd"),
        ("photo", "refused", "media/link.jpg"),
        ("video_file", "not-included", "https://example.org/v.mp4"),
    ]
    stored = post.media[0]
    assert (stored.sha256, stored.size, stored.mime) == (hashlib.sha256(b"the photo").hexdigest(), 9, "image/jpeg")
    assert post.media[-1].note == "remote URL, not downloaded"


def test_column_mapping_and_its_errors(tmp_path):
    header = ["account", "id", "published", "body"]
    table = _csv(tmp_path / "posts.csv", [{"account": "RTarabic", "id": "7", "published": "1686139200",
                                           "body": "نص"}], header)
    columns = {"channel": "account", "post_id": "id", "date": "published", "text": "body"}
    (post,) = _posts(table, platform="x", columns=columns)
    assert (post.platform, post.channel_id, post.post_id, post.text) == ("x", "RTarabic", 7, "نص")
    with pytest.raises(ConfigError, match="body2"):
        _records(table, platform="x", columns=columns | {"text": "body2"})
    with pytest.raises(ConfigError, match="txt"):
        TableSource(table, columns={"txt": "body"})
    with pytest.raises(ParseError, match="no channel column") as failure:
        _records(table, platform="x")
    assert f"{table}:1" in str(failure.value)


def test_crowdtangle_preset(tmp_path):
    row = {"Page Name": "RT Arabic", "User Name": "RTarabic", "Facebook Id": "100000", "Post Created":
           "2023-06-07 12:00:00 UTC", "Type": "Photo", "Total Interactions": "1,502", "Shares": "311",
           "Post Views": "", "URL": "https://www.facebook.com/RTarabic/posts/987654321", "Message": "الناتو",
           "Link": "https://www.facebook.com/RTarabic/photos/a.1/987654321/?type=3", "Image Text": "NATO"}
    no_user_name = row | {"User Name": "", "Page Name": "Small page", "Facebook Id": "200000"}
    table = _csv(tmp_path / "ct.csv", [row, no_user_name], CROWDTANGLE_HEADER, encoding="utf-8-sig")  # Excel's BOM
    records = _records(table, platform="facebook", preset="crowdtangle")
    channels = [r for r in records if isinstance(r, Channel)]
    assert channels == [Channel("facebook", "RTarabic", "RT Arabic"), Channel("facebook", "200000", "Small page")]
    post = next(r for r in records if isinstance(r, Post))
    assert post.post_id == derived_post_id(row["URL"])
    assert post.extra == {"source_post_id": row["URL"], "url": row["URL"], "link": row["Link"]}
    assert (post.text, post.forwards, post.views, post.reactions) == ("الناتو", 311, None, (Reaction("total", 1502),))
    assert post.raw["Image Text"] == "NATO"
    # --map overrides the preset
    mapped = _posts(table, platform="facebook", preset="crowdtangle", columns={"text": "Image Text"})[0]
    assert mapped.text == "NATO"
    with pytest.raises(ConfigError, match="junk"):
        TableSource(table, preset="junk")


@pytest.mark.parametrize("problem, fields, message", [
    ("no platform", {"platform": ""}, "no platform"),
    ("bad date", {"date": "yesterday"}, "ISO 8601"),
    ("no post id", {"post_id": ""}, "no post_id"),
    ("bad count", {"views": "many"}, "not a count"),
    ("bad reactions", {"reactions": "{oops"}, "reactions"),
])
def test_a_malformed_csv_row_names_file_and_line(tmp_path, problem, fields, message):
    rows = [_row(1, "ok"), _row(2, "multi\nline text"), _row(3, "bad") | fields]
    rows = [{"platform": "x"} | row for row in rows]
    table = _csv(tmp_path / "posts.csv", rows)
    with pytest.raises(ParseError, match=message) as failure:
        _records(table)
    assert str(failure.value).startswith(f"{table}:5: ")  # the header is line 1, the multi-line row lines 3-4


def test_csv_structure_errors(tmp_path):
    short = tmp_path / "short.csv"
    short.write_text("platform,channel,post_id,date\nx,a,1,1686139200\n\nx,a,2\n", encoding="utf-8")
    with pytest.raises(ParseError, match=f"{short}:4: 3 cells, the header has 4"):
        _records(short)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("platform,channel,post_id,date,text\nx,a,1,1686139200,caf\xe9\n".encode("latin-1"))
    with pytest.raises(ParseError, match=f"{latin}:2: not UTF-8"):
        _records(latin)
    with pytest.raises(SourceUnavailable):
        TableSource(tmp_path / "absent.csv")
    with pytest.raises(ConfigError, match="not a table"):
        TableSource(short.with_suffix(".xlsx"))


def test_a_malformed_jsonl_line_names_its_number(tmp_path):
    table = tmp_path / "posts.jsonl"
    table.write_text(json.dumps(_row(1, "ok", platform="x")) + "\n\n" + '{"channel": "a", broken\n', encoding="utf-8")
    with pytest.raises(ParseError, match=f"{table}:3: not JSON"):
        _records(table)
    table.write_text(json.dumps(_row(1, "ok", platform="x")) + "\n[1, 2]\n", encoding="utf-8")
    with pytest.raises(ParseError, match=f"{table}:2: a line must hold one JSON object"):
        _records(table)


def test_rows_before_a_malformed_row_are_stored(store, tmp_path):
    rows = [_row(i, f"منشور رقم {i}", platform="facebook") for i in range(1, 31)]
    rows[25]["date"] = "not a date"
    with pytest.raises(ParseError) as failure:
        ingest(store, TableSource(_csv(tmp_path / "posts.csv", rows)), batch_size=10)
    assert "posts.csv:27" in str(failure.value)
    assert store.counts()["posts"] == 25


def test_reingest_changes_nothing_and_an_edit_adds_a_version(store, tmp_path):
    (tmp_path / "photo.jpg").write_bytes(b"photo bytes")
    rows = [_row("123_456", "قبل التعديل", media="photo.jpg;../x.jpg;https://example.org/a.png"),
            _row("1666000000000000001", "tweet", channel="rt_com", platform="x")]
    table = _csv(tmp_path / "posts.csv", rows)
    first = ingest(store, TableSource(table, platform="facebook"))
    counts = store.counts()
    second = ingest(store, TableSource(table, platform="facebook"))
    assert (first.posts.new, first.media["stored"], first.media["refused"], first.media["not-included"]) == (2, 1, 1, 1)
    assert (second.posts.new, second.posts.new_versions, second.posts.unchanged) == (0, 0, 2)
    assert store.counts() == counts
    rows[0]["text"] = "بعد التعديل"
    rows[1]["views"] = "99"  # an observation, not content: no new version
    edited = ingest(store, TableSource(_csv(tmp_path / "later.csv", rows), platform="facebook"))
    assert (edited.posts.new, edited.posts.new_versions) == (0, 1)
    with store.reading() as conn:
        raws = conn.execute(select(post_versions.c.raw).order_by(post_versions.c.version)).scalars().all()
        hashes = conn.execute(select(media.c.sha256).where(media.c.status == "stored")).scalars().all()
    assert any("قبل التعديل" in raw for raw in raws) and any("بعد التعديل" in raw for raw in raws)
    assert set(hashes) == {hashlib.sha256(b"photo bytes").hexdigest()}
    found = store.search("التعديل")
    assert [(r["platform"], r["channel_id"], r["post_id"]) for r in found] == [
        ("facebook", "RTarabic", derived_post_id("123_456"))]


def _echoscope(*args: str, db: Path) -> subprocess.CompletedProcess:
    env = os.environ | {"COLUMNS": "200", "NO_COLOR": "1", "ECHOSCOPE_DB": str(db)}
    return subprocess.run([sys.executable, "-m", "echoscope", *args], capture_output=True, text=True, env=env, cwd=ROOT)


def test_cli_ingest_table_then_search_and_export(tmp_path):
    db = tmp_path / "cli.db"
    table = _csv(tmp_path / "fb.csv", [_row("123_456", "الناتو يقصف", url="https://facebook.com/RTarabic/posts/1")])
    result = _echoscope("ingest", "table", str(table), "--platform", "facebook", db=db)
    assert result.returncode == 0, result.stderr
    assert "posts new" in result.stdout
    found = _echoscope("search", "الناتو", "--format", "jsonl", db=db)
    assert found.returncode == 0, found.stderr
    (record,) = [json.loads(line) for line in found.stdout.splitlines()]
    assert (record["platform"], record["channel_id"], record["text"]) == ("facebook", "RTarabic", "الناتو يقصف")
    exported = _echoscope("export", "posts", db=db)
    assert exported.returncode == 0, exported.stderr
    assert '"platform":"facebook"' in exported.stdout.replace(" ", "")


def test_cli_mapping_flags_and_errors(tmp_path):
    db = tmp_path / "cli.db"
    table = _csv(tmp_path / "x.csv", [{"user": "rt_com", "id": "5", "when": "1686139200", "body": "hello"}],
                 ["user", "id", "when", "body"])
    mapped = ["--map", "channel=user", "--map", "post_id=id", "--map", "date=when", "--map", "text=body"]
    result = _echoscope("ingest", "table", str(table), "--platform", "x", *mapped, db=db)
    assert result.returncode == 0, result.stderr
    assert json.loads(_echoscope("search", "hello", "--format", "jsonl", db=db).stdout)["platform"] == "x"
    bad = _echoscope("ingest", "table", str(table), "--platform", "x", "--map", "channel", db=db)
    assert bad.returncode == 2 and "target=source" in bad.stderr
    missing = _echoscope("ingest", "table", str(table), "--platform", "x", db=db)
    assert missing.returncode == 1 and f"{table}:1" in missing.stderr.replace("\n", "")


def test_one_account_name_on_two_platforms_is_two_channels(store, tmp_path):
    table = _csv(tmp_path / "both.csv", [
        _row(1, "على فيسبوك", platform="facebook"),
        _row(1, "على إكس", platform="x"),
        _row(2, "فيسبوك مرة أخرى", platform="facebook"),
    ])
    summary = ingest(store, TableSource(table))
    assert summary.posts.new == 3
    by_platform = {}
    for record in store.iter_posts():
        by_platform.setdefault(record["platform"], []).append(record["text"])
    assert by_platform == {"facebook": ["على فيسبوك", "فيسبوك مرة أخرى"], "x": ["على إكس"]}
