"""The Telegram Desktop export source: every format generation, full exports, media, hostile input."""

from __future__ import annotations

import decimal
import hashlib
import json
import shutil
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import psutil
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from echoscope.errors import ParseError, SourceUnavailable, UnsafePath
from echoscope.model import Capture, Channel, Event, Media, Post, Reaction, SourceWarning, TextEntity
from echoscope.sources import SOURCES
from echoscope.sources.tdesktop import TelegramDesktopExport

DATA = Path(__file__).parent / "data" / "tdesktop"
PHOTO = b"jpegbytes"
PDF = b"%PDF"
NOT_INCLUDED = "(File not included. Change data exporting settings to download.)"


def read(path: Path, **options) -> list:
    return list(TelegramDesktopExport(path, **options).iter_records())


def of_type(records: list, kind: type) -> list:
    return [record for record in records if isinstance(record, kind)]


def posts(records: list) -> dict[int, Post]:
    return {post.post_id: post for post in of_type(records, Post)}


def export_of(tmp_path: Path, fixture: str, files: dict[str, bytes] | None = None) -> Path:
    """A copy of a fixture as an export folder, with the media files given."""
    folder = tmp_path / "export"
    folder.mkdir()
    shutil.copy(DATA / fixture, folder / "result.json")
    for name, data in (files or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def write_chat(path: Path, messages: list, *, indent: int | None = 1, **header) -> Path:
    """A single-chat export laid out as tdesktop writes it (or minified with indent=None)."""
    root = {"name": "Chat", "type": "public_channel", "id": 42, **header, "messages": messages}
    separators = None if indent else (",", ":")
    path.write_text(json.dumps(root, ensure_ascii=False, indent=indent, separators=separators), encoding="utf-8")
    return path


def message(message_id: int, text: object = "", **fields) -> dict:
    return {"id": message_id, "type": "message", "date": "2024-07-09T21:26:08",
            "date_unixtime": str(1720550000 + message_id), "from": "Chat", "from_id": "channel42", "text": text,
            **fields}


def minified_copy(path: Path, tmp_path: Path) -> Path:
    """The same export without line breaks: the fast path cannot cut it, ijson reads it all."""
    copy = tmp_path / "minified" / "result.json"
    copy.parent.mkdir()
    copy.write_text(json.dumps(json.loads(path.read_text("utf-8")), ensure_ascii=False, separators=(",", ":")))
    return copy


def without_capture(records: list) -> list:
    return [record for record in records if not isinstance(record, Capture)]


# --- order, capture, registry ---------------------------------------------------------------------


def test_records_come_as_capture_then_channel_then_its_messages(tmp_path):
    folder = export_of(tmp_path, "v5.14_2025_channel.json")
    records = read(folder, tool_version="9.9")
    capture = records[0]
    assert isinstance(capture, Capture)
    assert (capture.source, capture.locator, capture.tool_version) == ("tdesktop", str(folder), "9.9")
    assert capture.sha256 == hashlib.sha256((folder / "result.json").read_bytes()).hexdigest()
    assert abs((datetime.now(UTC) - capture.collected_at).total_seconds()) < 60
    assert records[1] == Channel(platform="telegram", channel_id="channel1234567890", title="صابرين نيوز",
                                 type="public_channel")
    assert [getattr(record, "post_id", None) for record in records[2:]] == list(range(1, 15))


def test_the_source_is_registered():
    assert TelegramDesktopExport in SOURCES
    assert TelegramDesktopExport.name == "tdesktop"


def test_a_missing_path_is_unavailable_as_soon_as_the_source_is_made(tmp_path):
    with pytest.raises(SourceUnavailable, match="no-such-export"):
        TelegramDesktopExport(tmp_path / "no-such-export")


# --- format generations ---------------------------------------------------------------------------


def test_v2_1_exports_decode_encoded_ids_and_flag_local_time(tmp_path):
    records = read(DATA / "v2.1.8_2020_supergroup.json")
    channel, warning, invite, first, second = records[1:]
    assert channel.channel_id == "channel1234567"  # 8589934592 + 1234567
    assert isinstance(warning, SourceWarning) and warning.channel_id == "channel1234567" and "UTC" in warning.message
    assert (invite.kind, invite.action, invite.actor_id) == ("service", "invite_members", "user111")
    assert invite.date == datetime(2020, 6, 20, 9, 0, tzinfo=UTC)
    assert first.sender_id == "user111" and first.text == "السلام عليكم"
    assert first.edited is None  # the bogus 1970 edit date of every message before v2.1.9
    assert first.extra == {"date_timezone_unknown": True}
    assert second.edited == datetime(2020, 6, 20, 10, 0, tzinfo=UTC)
    assert (second.text, second.reply_to) == ("انظر https://example.org/a", 11)
    assert second.entities == (TextEntity("link", 5, 26),)


def test_v2_6_channel_posts_come_from_the_channel_itself():
    records = read(DATA / "v2.6_2021_channel.json")
    assert records[1].channel_id == "channel1494031694"  # 10083966286 - 8589934592
    assert len(of_type(records, SourceWarning)) == 1
    first, second = of_type(records, Post)
    assert first.sender_id == second.sender_id == "channel1494031694"
    assert (second.forwarded_from, second.text) == ("Other Channel", "Long again")
    assert second.entities == (TextEntity("bold", 0, 4),)


def test_v3_group_exports_keep_string_ids_and_basic_groups_are_chats():
    records = read(DATA / "v3.7_2022_group.json")
    assert records[1].channel_id == "chat555"
    create, post = of_type(records, Event)[0], of_type(records, Post)[0]
    assert (create.action, create.actor, create.actor_id) == ("create_group", "Olga", "user777")
    assert post.text == "Привет, Ivan!"
    assert post.entities == (TextEntity("mention_name", 8, 12, extra={"user_id": 888}),)


def test_v4_exports_have_utc_dates_and_text_without_text_entities():
    records = read(DATA / "v4.0_2022_channel.json")
    assert of_type(records, SourceWarning) == []
    post = of_type(records, Post)[0]
    assert post.date == datetime(2022, 7, 1, 12, 0, tzinfo=UTC)
    assert post.edited == datetime(2022, 7, 1, 12, 30, tzinfo=UTC)
    assert post.extra == {}
    assert post.text == "خبر فوری\nx = 1"
    assert post.entities == (TextEntity("bold", 0, 8), TextEntity("pre", 9, 14, extra={"language": "python"}))


def test_v5_text_entities_keep_every_formatted_part_with_code_point_offsets(tmp_path):
    post = posts(read(export_of(tmp_path, "v5.14_2025_channel.json")))[3]
    assert post.text == "🔴 عاجل #روسيا\nالمصدر @sabereen Ivan🐻print(1)نص مقتبس"
    spans = {entity.type: post.text[entity.start : entity.end] for entity in post.entities}
    assert spans == {"bold": "🔴 عاجل", "hashtag": "#روسيا", "text_link": "المصدر", "mention": "@sabereen",
                     "mention_name": "Ivan", "custom_emoji": "🐻", "pre": "print(1)", "blockquote": "نص مقتبس"}
    by_type = {entity.type: entity for entity in post.entities}
    assert by_type["text_link"].href == "https://t.me/sabereen/3"
    assert by_type["mention_name"].extra == {"user_id": 424242}
    assert by_type["custom_emoji"].extra == {"document_id": "stickers/sticker (2).webp"}
    assert by_type["pre"].extra == {"language": "python"}
    assert by_type["blockquote"].extra == {"collapsed": True}
    assert by_type["bold"].extra is None


def test_v5_post_fields(tmp_path):
    found = posts(read(export_of(tmp_path, "v5.14_2025_channel.json")))
    signed = found[3]
    assert (signed.author, signed.sender_id, signed.sender_name) == ("Abu Ali", "channel1234567890", "صابرين نيوز")
    assert signed.edited == datetime(2024, 7, 10, 8, 0, tzinfo=UTC)
    assert signed.reactions == (Reaction("emoji", 120, emoji="👍"),
                                Reaction("custom_emoji", 7, document="stickers/sticker.webp"),
                                Reaction("paid", 3), Reaction("empty", 1))
    assert found[2].reactions is None
    assert (found[4].forwarded_from, found[4].forwarded_from_id) == ("Rybar", "channel1326223284")
    assert (found[5].reply_to, found[5].reply_to_peer) == (3, "channel999")
    assert found[5].extra == {"via_bot": "@like",
                              "inline_bot_buttons": [[{"type": "url", "text": "Open", "data": "https://example.org"}]]}
    assert found[6].extra["poll"] == {
        "question": "Who wins?", "closed": False, "total_voters": 10,
        "answers": [{"text": "A", "voters": 6, "chosen": False}, {"text": "B", "voters": 4, "chosen": True}],
    }
    assert found[7].extra == {"venue": {"name": "Baghdad Airport", "address": "Baghdad"},
                              "location": {"latitude": 33.262539, "longitude": 44.234578}}
    assert found[8].extra == {"contact": {"first_name": "Ali", "last_name": "", "phone_number": "+964 000",
                                          "vcard": "contacts/contact_1.vcard"}}
    assert found[9].extra == {"sticker_emoji": "😂", "saved_from": "Someone"}


def test_v5_media_evidence_states(tmp_path):
    folder = export_of(tmp_path, "v5.14_2025_channel.json",
                       {"photos/photo_2@09-07-2024_21-26-08.jpg": PHOTO, "files/report.pdf": PDF})
    found = posts(read(folder))
    assert found[2].media == (Media(kind="photo", status="stored", path="photos/photo_2@09-07-2024_21-26-08.jpg",
                                    sha256=hashlib.sha256(PHOTO).hexdigest(), size=len(PHOTO), width=1280, height=720),)
    video, thumbnail = found[4].media
    assert video == Media(kind="video_file", status="not-included", size=2497823, mime="video/mp4",
                          file_name="clip.mp4", width=1136, height=1266, duration=6, note=NOT_INCLUDED)
    assert (thumbnail.kind, thumbnail.status, thumbnail.size) == ("thumbnail", "not-included", 13028)
    sticker = found[9].media[0]
    assert (sticker.kind, sticker.status, sticker.mime) == ("sticker", "not-included", "image/webp")
    assert sticker.note.startswith("(File exceeds maximum size")
    pdf = found[10].media[0]
    assert (pdf.kind, pdf.status, pdf.sha256, pdf.size) == ("file", "stored", hashlib.sha256(PDF).hexdigest(), 4)
    assert found[11].media[0].status == "unavailable"
    refused = found[12].media[0]
    assert (refused.status, refused.path, refused.sha256) == ("refused", "photos/../../../etc/passwd", None)


def test_media_that_is_referenced_but_absent_is_missing(tmp_path):
    found = posts(read(export_of(tmp_path, "v5.14_2025_channel.json")))
    assert [found[2].media[0].status, found[10].media[0].status] == ["missing", "missing"]


def test_service_unsupported_and_unknown_messages_become_events(tmp_path):
    events = {event.post_id: event for event in of_type(read(export_of(tmp_path, "v5.14_2025_channel.json")), Event)}
    created = events[1]
    assert (created.kind, created.action, created.actor, created.actor_id) == (
        "service", "create_channel", "صابرين نيوز", "channel1234567890")
    assert created.date == datetime(2024, 7, 3, 21, 58, 36, tzinfo=UTC)
    assert (events[13].kind, events[13].date) == ("unsupported", None)
    assert events[13].raw == {"id": 13, "type": "unsupported"}
    assert events[14].kind == "unknown" and events[14].raw["story"] == {"id": 7}


def test_raw_is_the_message_as_parsed_without_decimals(tmp_path):
    path = export_of(tmp_path, "v5.14_2025_channel.json") / "result.json"
    original = json.loads(path.read_text("utf-8"))["messages"]
    for export in (path, minified_copy(path, tmp_path)):
        records = read(export)
        raws = [record.raw for record in records if isinstance(record, (Post, Event))]
        assert raws == original
        assert not any(isinstance(value, decimal.Decimal) for value in _leaves(raws))


def _leaves(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


# --- text, dates and ids in detail ----------------------------------------------------------------


def test_text_entities_win_over_text_and_empty_parts_are_ignored(tmp_path):
    path = write_chat(tmp_path / "result.json", [
        message(1, text="stale", text_entities=[{"type": "plain", "text": ""}, {"type": "italic", "text": "new"},
                                                 {"type": "plain", "text": ""}]),
        message(2, text=["a", {"type": "bold", "text": ""}, {"type": "bold", "text": "b"}, ""]),
    ])
    found = posts(read(path))
    assert (found[1].text, found[1].entities) == ("new", (TextEntity("italic", 0, 3),))
    assert (found[2].text, found[2].entities) == ("ab", (TextEntity("bold", 1, 2),))


def test_a_recent_bare_user_id_above_2_32_is_not_decoded(tmp_path):
    path = write_chat(tmp_path / "result.json", [message(1, "hi", from_id="user6123456789")],
                      type="bot_chat", id=6123456789)
    assert read(path)[1].channel_id == "user6123456789"


def test_legacy_user_ids_are_decoded(tmp_path):
    legacy = {"id": 1, "type": "message", "date": "2020-12-01T10:00:00", "from": "Ali", "from_id": 4294967296 + 77,
              "text": "hi"}
    path = write_chat(tmp_path / "result.json", [legacy], type="personal_chat", id=4294967296 + 77)
    records = read(path)
    assert records[1].channel_id == "user77"
    assert of_type(records, Post)[0].sender_id == "user77"


def test_one_local_time_warning_per_chat(tmp_path):
    local = [{"id": i, "type": "message", "date": f"2021-05-0{i}T10:00:00", "text": "x"} for i in (1, 2, 3)]
    records = read(write_chat(tmp_path / "result.json", local))
    assert [type(record).__name__ for record in records[1:]] == ["Channel", "SourceWarning", "Post", "Post", "Post"]
    assert all(post.extra["date_timezone_unknown"] for post in of_type(records, Post))
    assert of_type(records, Post)[0].date == datetime(2021, 5, 1, 10, 0, tzinfo=UTC)


# --- full-account exports -------------------------------------------------------------------------


def test_a_full_export_reads_only_channels_and_groups_by_default():
    records = read(DATA / "full_export_2025.json")
    assert [channel.channel_id for channel in of_type(records, Channel)] == [
        "channel1234567890", "chat4242", "channel1700000000", "channel1500000000"]
    assert [(post.channel_id, post.text) for post in of_type(records, Post)] == [
        ("channel1234567890", "أول"), ("channel1234567890", "ثاني"), ("chat4242", "hello"),
        ("channel1700000000", "reply"), ("channel1500000000", "bye")]
    (warning,) = of_type(records, SourceWarning)
    assert "skipped 3 private chat" in warning.message


def test_private_chats_are_read_when_asked():
    records = read(DATA / "full_export_2025.json", include_private_chats=True)
    assert [channel.channel_id for channel in of_type(records, Channel)] == [
        "channel1234567890", "user5123456789", "user100", "user6000000001", "chat4242", "channel1700000000",
        "channel1500000000"]
    assert of_type(records, SourceWarning) == []
    assert "private words" in [post.text for post in of_type(records, Post)]


def test_a_full_export_cut_inside_a_chat_header_reports_the_damage(tmp_path):
    data = (DATA / "full_export_2025.json").read_bytes()
    path = tmp_path / "result.json"
    path.write_bytes(data[: data.index(b'"type": "private_group"') + 12])
    seen, error = _read_until_error(path)
    assert "malformed JSON" in str(error)
    assert [channel.channel_id for channel in of_type(seen, Channel)] == ["channel1234567890"]


def test_a_full_export_without_chats_yields_only_its_capture(tmp_path):
    path = tmp_path / "result.json"
    path.write_text('{"about": "x", "personal_information": {"user_id": 1}, "chats": {"about": "", "list": []}}')
    assert [type(record) for record in read(path)] == [Capture]


def test_a_truncated_full_export_yields_the_chats_before_the_damage(tmp_path):
    data = (DATA / "full_export_2025.json").read_bytes()
    path = tmp_path / "result.json"
    path.write_bytes(data[: data.index("reply".encode())])
    seen = []
    with pytest.raises(ParseError, match=r"result\.json.*Discussion.*malformed JSON"):
        for record in TelegramDesktopExport(path).iter_records():
            seen.append(record)
    assert [post.text for post in of_type(seen, Post)] == ["أول", "ثاني", "hello"]


# --- the two parsing paths agree ------------------------------------------------------------------

texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20) | st.sampled_from(
    ["\n  },", '"}', "{[", "\\", "}\n  },\n  {", "عاجل", "🔴"])
parts = st.lists(texts | st.fixed_dictionaries({"type": st.sampled_from(["bold", "link", "plain"]), "text": texts}),
                 max_size=4)
# yajl refuses -2**63, so the range stops one short of the signed 64-bit minimum.
json_values = st.recursive(st.none() | st.booleans() | st.integers(-2**63 + 1, 2**63 - 1) | texts,
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
                           max_leaves=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(texts | parts, json_values), min_size=1, max_size=6))
def test_the_fast_path_and_ijson_yield_the_same_records(tmp_path_factory, drafts):
    tmp_path = tmp_path_factory.mktemp("agree")
    messages = [message(i, text, extra_field=value) for i, (text, value) in enumerate(drafts, start=1)]
    indented = write_chat(tmp_path / "result.json", messages)
    assert without_capture(read(indented)) == without_capture(read(minified_copy(indented, tmp_path)))


def test_a_separator_inside_a_message_is_not_a_cut(tmp_path):
    tricky = (
        '{\n "name": "Chat",\n "type": "public_channel",\n "id": 42,\n "messages": [\n'
        '  {\n   "id": 1,\n   "type": "message",\n   "date_unixtime": "1720550001",\n'
        '   "x": [{"a": 1},\n  {"b": 2}],\n   "text": "after"\n  },\n'
        '  {\n   "id": 2,\n   "type": "message",\n   "date_unixtime": "1720550002",\n   "text": "two"\n  }\n ]\n}\n'
    )
    path = tmp_path / "result.json"
    path.write_text(tricky)
    assert [(post.post_id, post.text, post.raw.get("x")) for post in of_type(read(path), Post)] == [
        (1, "after", [{"a": 1}, {"b": 2}]), (2, "two", None)]


def test_one_message_per_line_reads_like_any_layout(tmp_path):
    messages = [message(i, [{"type": "bold", "text": f"{i}"}, " سلام"]) for i in range(1, 6)]
    path = tmp_path / "result.json"
    lines = ",\n".join(json.dumps(item, ensure_ascii=False) for item in messages)
    path.write_text('{"name": "Chat", "type": "public_channel", "id": 42, "messages": [\n' + lines + "\n]}\n")
    records = read(path)
    assert [post.text for post in of_type(records, Post)] == [f"{i} سلام" for i in range(1, 6)]
    assert without_capture(records) == without_capture(read(minified_copy(path, tmp_path)))


def test_the_header_may_come_after_the_messages(tmp_path):
    path = tmp_path / "result.json"
    path.write_text('{"messages": [{"id": 1, "type": "message", "date_unixtime": "5", "text": "x"}], '
                    '"type": "private_channel", "id": 7, "name": "Late"}')
    records = read(path)
    assert records[1] == Channel(platform="telegram", channel_id="channel7", title="Late", type="private_channel")
    assert of_type(records, Post)[0].text == "x"


def test_a_utf8_byte_order_mark_is_tolerated(tmp_path):
    path = write_chat(tmp_path / "result.json", [message(1, "سلام")])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert of_type(read(path), Post)[0].text == "سلام"


# --- malformed and hostile files ------------------------------------------------------------------


def _read_until_error(path: Path) -> tuple[list, ParseError]:
    seen = []
    with pytest.raises(ParseError) as caught:
        for record in TelegramDesktopExport(path).iter_records():
            seen.append(record)
    return seen, caught.value


def test_a_truncated_file_names_the_file_the_last_good_message_and_the_byte(tmp_path):
    path = write_chat(tmp_path / "result.json", [message(i, f"post {i}") for i in range(1, 6)])
    data = path.read_bytes()
    path.write_bytes(data[: data.index(b'"post 4"')])
    seen, error = _read_until_error(path)
    assert [post.post_id for post in of_type(seen, Post)] == [1, 2, 3]
    assert str(path) in str(error) and "after message id 3" in str(error) and "byte" in str(error)


@pytest.mark.parametrize("content, expected", [
    (b'{"type": "public_channel", "id": 1, "messages": [{"id": 1, "type": "message", "text": "\xff"}]}', "UTF8"),
    (b'[{"id": 1}]', "top level is a list"),
    (b'"just a string"', "top level is a string"),
    (b'{"name": "x", "type": "public_channel", "id": 1}', "no `messages`"),
    (b'{"name": "x", "type": "public_channel", "id": 1, "messages": {"id": 1}}', "`messages` is an object"),
    (b"", "premature EOF"),
])
def test_malformed_files_raise_parse_errors(tmp_path, content, expected):
    path = tmp_path / "result.json"
    path.write_bytes(content)
    _, error = _read_until_error(path)
    assert expected in str(error) and str(path) in str(error)


@pytest.mark.parametrize("bad, expected", [
    ({"id": "7", "type": "message", "date_unixtime": "1"}, "integer id"),
    ({"id": 7, "type": "message", "text": "no date"}, "no date"),
    ({"id": 7, "type": "message", "date": "yesterday"}, "unreadable date"),
    ({"id": 7, "type": "service", "date_unixtime": "soon"}, "unixtime"),
    (["not", "an", "object"], "not an object"),
])
def test_a_message_without_an_id_or_a_date_stops_the_read_after_the_good_ones(tmp_path, bad, expected):
    for indent in (1, None):
        path = write_chat(tmp_path / f"result{indent}.json", [message(1, "ok"), message(2, "ok"), bad], indent=indent)
        seen, error = _read_until_error(path)
        assert [post.post_id for post in of_type(seen, Post)] == [1, 2]
        assert expected in str(error) and "after message id 2" in str(error)


def _hostile(tmp_path: Path, value: bytes, *, in_header: bool = False) -> Path:
    path = tmp_path / "result.json"
    header = b'{\n "name": ' + (value if in_header else b'"x"') + b',\n "type": "public_channel",\n "id": 1,\n'
    body = b'  {\n   "id": 1,\n   "type": "message",\n   "date_unixtime": "1",\n   "text": "ok"\n  },\n'
    body += b'  {\n   "id": 2,\n   "type": "message",\n   "date_unixtime": "2",\n   "x": ' + value + b'\n  }'
    path.write_bytes(header + b' "messages": [\n' + body + b"\n ]\n}\n")
    return path


@pytest.mark.parametrize("in_header", [False, True])
def test_100000_levels_of_nesting_are_refused_quickly(tmp_path, in_header):
    path = _hostile(tmp_path, b"[" * 100_000 + b"]" * 100_000, in_header=in_header)
    started = time.monotonic()
    _, error = _read_until_error(path)
    assert "nested deeper" in str(error)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("levels, refused", [(61, False), (62, True), (300, True)])
def test_both_paths_apply_the_same_nesting_limit(tmp_path, levels, refused):
    # root object, messages list, message object, then `levels` lists: 64 levels at most
    value = json.loads("[" * levels + "]" * levels)
    indented = write_chat(tmp_path / "result.json", [message(1, "ok"), message(2, "deep", x=value)])
    for path in (indented, minified_copy(indented, tmp_path)):
        if refused:
            seen, error = _read_until_error(path)
            assert "nested deeper than 64" in str(error)
            assert [post.post_id for post in of_type(seen, Post)] == [1]
        else:
            assert posts(read(path))[2].raw["x"] == value


def test_a_sawtooth_nesting_is_refused_too(tmp_path):
    _, error = _read_until_error(_hostile(tmp_path, b"[[]," * 50_000 + b"1" + b"]" * 50_000))
    assert "nested deeper" in str(error)


def test_a_10_mb_string_is_read(tmp_path):
    path = _hostile(tmp_path, b'"' + b"\xd8\xb9" * 5_000_000 + b'"')
    found = posts(read(path))
    assert len(found[2].raw["x"]) == 5_000_000


@pytest.mark.parametrize("value", [b"9" * 5000, b"NaN", b"Infinity", b"-Infinity", b"1e999"])
def test_numbers_json_cannot_hold_are_parse_errors(tmp_path, value):
    seen, error = _read_until_error(_hostile(tmp_path, value))
    assert [post.post_id for post in of_type(seen, Post)] == [1]
    assert "after message id 1" in str(error)


def test_duplicate_keys_keep_the_last_value(tmp_path):
    path = tmp_path / "result.json"
    path.write_text('{"name": "x", "type": "public_channel", "id": 1, "messages": [\n'
                    '  {"id": 1, "type": "message", "date_unixtime": "1", "text": "first", "text": "second"}]}')
    assert of_type(read(path), Post)[0].text == "second"


# --- zip exports ----------------------------------------------------------------------------------


def test_a_zipped_export_is_read_and_its_media_hashed_without_extracting(tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.write(DATA / "v5.14_2025_channel.json", "ChatExport_2025-02-01/result.json")
        out.writestr("ChatExport_2025-02-01/photos/photo_2@09-07-2024_21-26-08.jpg", PHOTO)
    records = read(archive)
    assert records[0].sha256 == hashlib.sha256(archive.read_bytes()).hexdigest()
    assert records[0].locator == str(archive)
    photo = posts(records)[2].media[0]
    assert (photo.status, photo.sha256) == ("stored", hashlib.sha256(PHOTO).hexdigest())
    assert posts(records)[12].media[0].status == "refused"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["export.zip"]


def test_a_zip_bomb_is_refused_before_any_record(tmp_path):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.write(DATA / "v4.0_2022_channel.json", "result.json")
        out.writestr("files/zeros.bin", bytes(8 << 20))
    records = TelegramDesktopExport(archive).iter_records()
    with pytest.raises(UnsafePath, match=r"bomb\.zip.*max_ratio"):
        next(records)


# --- memory ---------------------------------------------------------------------------------------

_TYPICAL_MESSAGES = [
    message(0, "عاجل | المقاومة الإسلامية", text_entities=[{"type": "plain", "text": "عاجل | المقاومة الإسلامية"}]),
    message(0, [{"type": "bold", "text": "Срочно"}, " #новости"], forwarded_from="Rybar", photo=NOT_INCLUDED,
            width=1280, height=720,
            text_entities=[{"type": "bold", "text": "Срочно"}, {"type": "plain", "text": " #новости"}]),
]


def _write_large_export(path: Path, count: int) -> None:
    """`count` messages laid out as tdesktop does, written as they are made."""
    templates = [
        ("  " + json.dumps(typical, ensure_ascii=False, indent=1).replace("\n", "\n  "))
        .replace('"id": 0', '"id": %d').replace('"1720550000"', '"%d"')
        for typical in _TYPICAL_MESSAGES
    ]
    with open(path, "w", encoding="utf-8") as out:
        out.write('{\n "name": "Big",\n "type": "public_channel",\n "id": 42,\n "messages": [\n')
        for message_id in range(1, count + 1):
            out.write(templates[message_id % 2] % (message_id, 1720000000 + message_id))
            out.write(",\n" if message_id < count else "\n ]\n}\n")


def test_memory_does_not_grow_with_the_export(tmp_path):
    path = tmp_path / "result.json"
    count = 200_000
    _write_large_export(path, count)
    process = psutil.Process()
    baseline = peak = process.memory_info().rss
    seen = 0
    for _record in TelegramDesktopExport(path).iter_records():
        seen += 1
        if seen % 10_000 == 0:
            peak = max(peak, process.memory_info().rss)
    assert seen == count + 2
    # Keeping the 200,000 posts would take about 500 MB; streaming stays within a few chunks.
    assert peak - baseline < 64 << 20, f"RSS grew by {(peak - baseline) >> 20} MiB for {path.stat().st_size >> 20} MiB"
