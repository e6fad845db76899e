"""Telegram Desktop exports all the way into the store, through the worker process the CLI uses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from echoscope.errors import ParseError
from echoscope.ingest import ingest
from echoscope.sources.tdesktop import TelegramDesktopExport
from echoscope.store.schema import media, post_versions

DATA = Path(__file__).parent / "data" / "tdesktop"


def _message(message_id: int, text: str, **fields) -> dict:
    unix = 1686128400 + message_id * 600
    return {"id": message_id, "type": "message", "date": "2023-06-07T12:00:00", "date_unixtime": str(unix),
            "from": "Friends of Russia", "from_id": "channel1001", "text": text,
            "text_entities": [{"type": "plain", "text": text}], **fields}


def _export(folder: Path, messages: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    export = {"name": "Friends of Russia", "type": "public_channel", "id": 1001, "messages": messages}
    (folder / "result.json").write_text(json.dumps(export, ensure_ascii=False, indent=1), encoding="utf-8")
    return folder


@pytest.mark.parametrize("fixture", sorted(p.name for p in DATA.glob("*.json")))
def test_every_format_generation_ingests_idempotently(store, tmp_path, fixture):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "result.json").write_bytes((DATA / fixture).read_bytes())
    first = ingest(store, TelegramDesktopExport(folder))
    counts = store.counts()
    second = ingest(store, TelegramDesktopExport(folder))
    assert first.posts.new > 0
    assert (second.posts.new, second.posts.new_versions, second.new_events) == (0, 0, 0)
    assert store.counts() == counts


def test_an_edit_in_a_later_export_adds_a_version(store, tmp_path):
    ingest(store, TelegramDesktopExport(_export(tmp_path / "june7", [_message(1, "قبل التعديل")])))
    later = _message(1, "بعد التعديل", edited="2023-06-07T13:00:00", edited_unixtime="1686142800")
    summary = ingest(store, TelegramDesktopExport(_export(tmp_path / "june8", [later])))
    assert summary.posts.new_versions == 1
    with store.reading() as conn:
        raws = conn.execute(select(post_versions.c.raw).order_by(post_versions.c.version)).scalars().all()
    assert "قبل التعديل" in raws[0] and "بعد التعديل" in raws[1]
    assert store.search("التعديل")[0]["edited"] == "2023-06-07T13:00:00Z"


def test_a_path_escaping_the_export_is_refused_and_the_post_kept(store, tmp_path):
    (tmp_path / "secret.jpg").write_bytes(b"outside the export")
    folder = _export(tmp_path / "export", [_message(1, "صورة", photo="../secret.jpg"), _message(2, "سليم")])
    summary = ingest(store, TelegramDesktopExport(folder))
    assert summary.posts.new == 2 and summary.media["refused"] == 1
    with store.reading() as conn:
        status, sha = conn.execute(select(media.c.status, media.c.sha256)).one()
    assert (status, sha) == ("refused", None)


def test_a_truncated_export_keeps_the_batches_before_the_damage(store, tmp_path):
    folder = _export(tmp_path / "export", [_message(i, f"رسالة رقم {i}") for i in range(1, 201)])
    data = (folder / "result.json").read_bytes()
    (folder / "result.json").write_bytes(data[: len(data) * 3 // 4])
    with pytest.raises(ParseError) as failure:
        ingest(store, TelegramDesktopExport(folder), batch_size=20)
    assert "result.json" in str(failure.value)
    stored = store.counts()["posts"]
    assert 100 <= stored < 200
    # The analyst fixes the file and runs again: only the missing posts are added.
    (folder / "result.json").write_bytes(data)
    summary = ingest(store, TelegramDesktopExport(folder))
    assert (summary.posts.new, summary.posts.unchanged) == (200 - stored, stored)
