"""Image reuse end to end: real image files written at test time, ingested from a Facebook table and a
Telegram Desktop export, hashed by the `media` stage and clustered by the `images` stage."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
import skimage.data
from PIL import Image, ImageDraw
from sqlalchemy import select

from echoscope import config, pipeline
from echoscope.ingest import ingest
from echoscope.sources.table import TableSource
from echoscope.sources.tdesktop import TelegramDesktopExport
from echoscope.store.images import iter_cluster_records
from echoscope.store.schema_images import image_hashes, image_robust_links


@pytest.fixture(autouse=True)
def one_worker(tmp_path, monkeypatch):
    """Hash in this process: the test is about what is found, not about the worker pool."""
    settings = tmp_path / "echoscope.toml"
    settings.write_text("[stages.media]\nworkers = 1\n", encoding="utf-8")
    monkeypatch.setenv("ECHOSCOPE_CONFIG", str(settings))
    config.file_settings.cache_clear()
    yield
    config.file_settings.cache_clear()


def _jpeg(image: Image.Image, path: Path, quality: int = 90) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "JPEG", quality=quality)
    return path


def _recompressed_with_caption(image: Image.Image) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=35)
    photo = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    band = photo.height // 6
    framed = Image.new("RGB", (photo.width, photo.height + band), "white")
    framed.paste(photo, (0, 0))
    ImageDraw.Draw(framed).text((8, photo.height + band // 4), "صلواتكم لجيش روسيا العظيمة", fill="black", font_size=band // 3)
    return framed


def _facebook_table(folder: Path, photo: Image.Image, post=("facebook", "ProRussiaPage", "111", "2022-03-01T10:00:00Z")) -> Path:
    _jpeg(photo, folder / "media" / "soldiers.jpg")
    path = folder / "facebook.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["platform", "channel", "post_id", "date", "text", "media"])
        writer.writerow([*post, "Our army", "media/soldiers.jpg"])
    return path


def _telegram_export(folder: Path, photos: dict[str, Image.Image]) -> Path:
    messages = []
    for number, (name, image) in enumerate(photos.items(), start=1):
        _jpeg(image, folder / "photos" / f"{name}.jpg", quality=80)
        unix = 1686128400 + number * 3600  # June 2023
        messages.append({"id": number, "type": "message", "date": "2023-06-07T12:00:00", "date_unixtime": str(unix),
                         "from": "Friends of Russia", "from_id": "channel1001", "text": name, "photo": f"photos/{name}.jpg"})
    folder.mkdir(parents=True, exist_ok=True)
    export = {"name": "Friends of Russia", "type": "public_channel", "id": 1001, "messages": messages}
    (folder / "result.json").write_text(json.dumps(export), encoding="utf-8")
    return folder


@pytest.fixture
def corpus(store, tmp_path):
    """A photo on Facebook in 2022; the same photo recompressed and captioned on Telegram in 2023, next
    to an unrelated photo; the Telegram copy also re-posted byte for byte."""
    soldiers = Image.fromarray(skimage.data.astronaut())
    unrelated = Image.fromarray(skimage.data.coffee())
    captioned = _recompressed_with_caption(soldiers)
    ingest(store, TableSource(_facebook_table(tmp_path / "fb", soldiers)))
    ingest(store, TelegramDesktopExport(_telegram_export(tmp_path / "tg", {"prayers": captioned, "coffee": unrelated, "again": captioned})))
    return store


def test_a_picture_first_seen_on_facebook_is_found_recompressed_and_captioned_on_telegram(corpus):
    reports = {report.name: report for report in pipeline.run_stages(corpus, ["media", "images"])}
    assert reports["media"].status == "ran" and reports["media"].counts["hashed"] == 3  # "again" is the same bytes
    assert reports["images"].status == "ran"
    with corpus.reading() as conn:
        clusters = list(iter_cluster_records(conn))
    assert len(clusters) == 1
    cluster = clusters[0]
    assert cluster["first_seen"] == {"platform": "facebook", "channel": "ProRussiaPage", "channel_id": "ProRussiaPage",
                                     "post_id": 111, "date": "2022-03-01T10:00:00Z"}
    members = cluster["members"]
    assert [(m["platform"], m["post_id"], m["match"]) for m in members] == [
        ("facebook", 111, "first"), ("telegram", 1, "robust"), ("telegram", 3, "robust")]  # matched against first_seen
    assert members[1]["channel_id"] == "channel1001" and members[1]["date"] == "2023-06-07T10:00:00Z"
    assert members[1]["distance"] >= 40  # verified features, the robust stage's score
    assert members[1]["media_sha256"] == members[2]["media_sha256"] != members[0]["media_sha256"]
    assert set(members[0]) == {"platform", "channel", "channel_id", "post_id", "date", "media_sha256", "match", "distance"}


def test_hashing_is_incremental_and_clusters_are_rebuilt_not_duplicated(corpus):
    pipeline.run_stages(corpus, ["media", "images"])
    counts = corpus.counts()
    again = {report.name: report for report in pipeline.run_stages(corpus, ["media", "images"])}
    assert again["media"].counts["hashed"] == 0
    assert again["images"].counts["looked_up"] == 0 and again["images"].counts["robust_links"] == 0
    tables = ("image_hashes", "image_anchor_lookups", "image_robust_links", "image_clusters", "image_members")
    assert {name: counts[name] for name in tables} == {name: corpus.counts()[name] for name in tables}


@pytest.mark.parametrize("lookup_batch", [1, 1000])  # one file per transaction: new-new pairs span batches
def test_robust_links_are_kept_and_a_later_run_looks_up_only_the_new_file(corpus, tmp_path, monkeypatch, lookup_batch):
    monkeypatch.setattr("echoscope.stages.images.LOOKUP_BATCH", lookup_batch)
    first = {report.name: report for report in pipeline.run_stages(corpus, ["media", "images"])}["images"]
    assert first.counts["looked_up"] == 3 and first.counts["robust_links"] == 1  # the captioned copy, once
    with corpus.reading() as conn:
        stored = conn.execute(select(image_robust_links.c.sha256_a, image_robust_links.c.sha256_b)).all()
    cropped = Image.fromarray(skimage.data.astronaut()).crop((40, 20, 490, 480))  # PDQ misses a crop
    ingest(corpus, TableSource(_facebook_table(tmp_path / "later", cropped, ("twitter", "ZOV_News", "222", "2023-07-01T08:00:00Z"))))
    later = {report.name: report for report in pipeline.run_stages(corpus, ["media", "images"])}
    assert later["media"].counts["hashed"] == 1
    assert later["images"].counts["looked_up"] == 1 and later["images"].counts["robust_links"] == 1
    with corpus.reading() as conn:
        assert set(stored) < set(conn.execute(select(image_robust_links.c.sha256_a, image_robust_links.c.sha256_b)).all())
        clusters = list(iter_cluster_records(conn))
    assert len(clusters) == 1 and [member["match"] for member in clusters[0]["members"]].count("robust") == 3


def test_a_file_that_is_not_an_image_is_kept_as_unreadable(store, tmp_path):
    folder = tmp_path / "tg"
    _telegram_export(folder, {"real": Image.fromarray(skimage.data.coffee())})
    (folder / "photos" / "real.jpg").write_bytes(b"GIF89a this is no picture")
    ingest(store, TelegramDesktopExport(folder))
    report = pipeline.run_stages(store, ["media"])[0]
    assert report.counts["unreadable"] == 1
    with store.reading() as conn:
        status, note = conn.execute(select(image_hashes.c.status, image_hashes.c.note)).one()
    assert status == "unreadable" and "real.jpg" in note


def test_a_moved_export_is_reported_and_retried_later(store, tmp_path):
    folder = _telegram_export(tmp_path / "tg", {"coffee": Image.fromarray(skimage.data.coffee())})
    ingest(store, TelegramDesktopExport(folder))
    folder.rename(tmp_path / "elsewhere")
    report = pipeline.run_stages(store, ["media"])[0]
    assert report.counts["unreachable"] == 1 and "tg" in report.note
    (tmp_path / "elsewhere").rename(folder)
    assert pipeline.run_stages(store, ["media"])[0].counts["hashed"] == 1


def test_photos_downloaded_by_the_live_collectors_are_read_back_from_the_media_folders(store, tmp_path):
    """`collect web|telegram --media` keep files under content paths in a media folder, not beside a capture."""
    from datetime import UTC, datetime

    from echoscope.media.hashing import content_path, sha256_file
    from echoscope.model import TELEGRAM, Capture, Channel, Media, Post

    photo = _jpeg(Image.fromarray(skimage.data.coffee()), tmp_path / "download.jpg")
    sha = sha256_file(photo)
    media_dir = tmp_path / "echoscope-media"
    (media_dir / content_path(sha, ".jpg")).parent.mkdir(parents=True)
    photo.rename(media_dir / content_path(sha, ".jpg"))
    when = datetime(2023, 6, 7, 9, 12, tzinfo=UTC)
    ingest(store, [
        Capture("web", "https://t.me/s/friends_of_russia_iq", "c" * 64, when, "test"),
        Channel(TELEGRAM, None, username="friends_of_russia_iq"),
        Post(TELEGRAM, None, 42, when, "صلواتكم", media=(Media("photo", "stored", path=content_path(sha, ".jpg"), sha256=sha),)),
    ])
    settings = tmp_path / "echoscope.toml"
    settings.write_text(f'[stages.media]\nworkers = 1\nmedia_dirs = ["{tmp_path / "elsewhere"}"]\n', encoding="utf-8")
    config.file_settings.cache_clear()
    report = pipeline.run_stages(store, ["media"])[0]
    assert report.counts["unreachable"] == 1 and "elsewhere" in report.note and "media_dirs" in report.note
    settings.write_text(f'[stages.media]\nworkers = 1\nmedia_dirs = ["{tmp_path / "elsewhere"}", "{media_dir}"]\n', encoding="utf-8")
    config.file_settings.cache_clear()
    assert pipeline.run_stages(store, ["media"])[0].counts["hashed"] == 1
    with store.reading() as conn:
        assert conn.execute(select(image_hashes.c.status).where(image_hashes.c.sha256 == sha)).scalar_one() == "hashed"


def test_image_search_and_export_from_the_cli(tmp_path):
    db = tmp_path / "cli.db"
    soldiers = Image.fromarray(skimage.data.astronaut())
    table = _facebook_table(tmp_path / "fb", soldiers)
    export = _telegram_export(tmp_path / "tg", {"prayers": _recompressed_with_caption(soldiers)})
    _echoscope("ingest", "table", str(table), db=db)
    _echoscope("ingest", "tdesktop", str(export), db=db)
    _echoscope("analyze", "--only", "media,images", db=db)
    query = _jpeg(soldiers.resize((256, 256)), tmp_path / "query.jpg", quality=50)
    found = [orjson.loads(line) for line in _echoscope("image-search", str(query), "--format", "jsonl", db=db).stdout.splitlines()]
    assert [(row["platform"], row["match"]) for row in found] == [("facebook", "pdq"), ("telegram", "robust")]
    exported = [orjson.loads(line) for line in _echoscope("export", "images", db=db).stdout.splitlines()]
    assert len(exported) == 1 and exported[0]["first_seen"]["platform"] == "facebook"
    refused = _echoscope("image-search", str(query), "--max-distance", "300", db=db, check=False)
    assert refused.returncode == 2 and "--max-distance" in refused.stderr


def _echoscope(*args: str, db: Path, check: bool = True) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "echoscope", *args, "--db", str(db)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=db.parent, check=False)
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.mark.parametrize("missing", ["PIL", "pdqhash", "cv2", "faiss"])
def test_without_the_image_packages_both_stages_switch_off_and_say_what_to_install(sqlite_path, monkeypatch, missing):
    from echoscope.store import Store

    monkeypatch.setitem(sys.modules, missing, None)  # makes `import missing` raise ImportError
    with Store(sqlite_path) as store:
        reports = pipeline.run_stages(store, ["media", "images"])
    assert [(report.status, missing in report.note) for report in reports] == [("skipped", True), ("skipped", True)]
    assert all("pip install 'echoscope[images]'" in report.note for report in reports)


def test_a_file_changed_since_ingest_is_not_hashed_as_if_it_were_the_same(sqlite_path, tmp_path):
    from echoscope.store import Store

    folder = _telegram_export(tmp_path / "tg", {"coffee": Image.fromarray(skimage.data.coffee())})
    with Store(sqlite_path) as store:
        ingest(store, TelegramDesktopExport(folder))
        _jpeg(Image.fromarray(skimage.data.astronaut()), folder / "photos" / "coffee.jpg")
        report = pipeline.run_stages(store, ["media"])[0]
        assert report.counts == {"hashed": 0, "unreadable": 0, "unreachable": 1}
        assert "changed since it was ingested" in report.note


def test_media_inside_a_zipped_export_are_hashed(sqlite_path, tmp_path):
    import zipfile

    from echoscope.store import Store

    folder = _telegram_export(tmp_path / "tg", {"coffee": Image.fromarray(skimage.data.coffee())})
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(folder.rglob("*")):
            zipped.write(path, f"ChatExport/{path.relative_to(folder)}")
    with Store(sqlite_path) as store:
        ingest(store, TelegramDesktopExport(archive))
        assert pipeline.run_stages(store, ["media"])[0].counts == {"hashed": 1, "unreadable": 0, "unreachable": 0}
