"""Parsing t.me/s pages (tests/data/webpreview, written from the reference markup) and ingesting saved
pages: every field the issue lists, hostile and broken pages, raw records that verify."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from echoscope.cli import app
from echoscope.errors import ParseError
from echoscope.ingest import ingest
from echoscope.model import MEDIA_NOT_INCLUDED, Reaction, TextEntity
from echoscope.sources._webpreview_html import (
    EMPTY,
    HISTORY,
    NOT_PREVIEW,
    UNKNOWN,
    decode_page,
    estimate,
    parse_page,
)
from echoscope.sources.webpreview import SavedPage
from echoscope.store import Store
from echoscope.store.schema import events, posts
from echoscope.verify import verify_raw_records

DATA = Path(__file__).parent / "data" / "webpreview"


def parse(name: str):
    path = DATA / name
    return parse_page(decode_page(path.read_bytes(), str(path)), str(path))


@pytest.mark.parametrize(
    "shown, value, precision",
    [("2", 2, 1), ("950", 950, 1), ("2.5K", 2500, 100), ("436.6K", 436600, 100), ("10K", 10000, 1000),
     ("3.1M", 3100000, 100000), ("1,2M", 1200000, 100000)],
)
def test_abbreviated_counters_keep_their_precision(shown, value, precision):
    found = estimate(shown)
    assert (found.value, found.precision, found.shown) == (value, precision, shown)


def test_not_a_counter_is_none():
    assert estimate("views") is None and estimate("") is None


def test_the_channel_header_and_the_pagination_link():
    page = parse("channel_newest.html")
    assert (page.kind, page.username, page.before) == (HISTORY, "demo_front", 1003)
    header = page.header
    assert (header["title"], header["verified"]) == ("Demo Front", True)
    assert header["description"] == "Daily news.\nContact: @demo_admin"
    assert header["subscribers"] == {"shown": "12.4K", "estimate": 12400, "precision": 100}
    assert header["photo"].endswith("avatar_demo.jpg")


def test_text_entities_signature_edit_mark_views_and_reactions():
    post = {post.post_id: post for post in parse("channel_newest.html").posts}[1003]
    assert post.date == datetime(2026, 1, 31, 8, 35, 56, tzinfo=UTC)
    assert post.text == "НАТО обсуждает поставки #новости 🌈\n\nПодписывайтесь: @demo_front · the report · https://example.org/x"
    by_type = {entity.type: entity for entity in post.entities}
    assert set(by_type) == {"bold", "italic", "hashtag", "mention", "text_link", "link"}
    for entity, text in [("bold", "НАТО"), ("hashtag", "#новости"), ("mention", "@demo_front"), ("text_link", "the report"),
                         ("link", "https://example.org/x")]:
        span = by_type[entity]
        assert post.text[span.start:span.end] == text
    assert by_type["text_link"].href == "https://example.org/report"
    assert (post.author, post.extra["edited"], post.views) == ("Ivan P.", True, 2500)
    assert post.raw["views"] == {"shown": "2.5K", "estimate": 2500, "precision": 100}
    assert post.raw["html"].startswith('<div class="tgme_widget_message')
    assert post.reactions == (Reaction("emoji", 1200, "👍"), Reaction("custom_emoji", 7, document="5368324170671202286"),
                              Reaction("paid", 3))


def test_forwards_replies_media_previews_polls_and_service_messages():
    page = parse("channel_newest.html")
    post = {post.post_id: post for post in page.posts}
    assert (post[1005].forwarded_from, post[1005].forwarded_post_id, post[1005].extra["forwarded_from_username"]) == (
        "Source Channel", 500, "source_chan")
    assert post[1005].media[0].kind == "photo" and post[1005].media[0].path.endswith("photo_1005.jpg")
    assert post[1005].media[0].status == MEDIA_NOT_INCLUDED
    assert (post[1006].forwarded_from, post[1006].forwarded_post_id, post[1006].reply_to) == ("Hidden Person", None, 1003)
    assert post[1006].text == "Reply with a video and a file"  # the quoted reply is not the post's text
    video, document = post[1006].media
    assert (video.kind, video.duration, video.path.endswith(".mp4")) == ("video_file", 65, True)
    assert (document.kind, document.file_name) == ("file", "orders.pdf")
    assert post[1008].extra["link_preview"]["title"] == "A long read"
    assert post[1008].entities == (TextEntity("link", 11, 32),)
    assert post[1009].extra["poll"] == {"question": "Who wins?", "type": "Anonymous poll",
                                        "answers": [{"text": "Us"}, {"text": "Them"}]}
    [service] = page.events
    assert (service.post_id, service.kind, service.action) == (1010, "service", "pin_message")
    assert 1010 not in post


def test_an_album_is_one_post_whose_items_count_as_shown():
    page = parse("channel_older.html")
    [album] = page.posts
    assert (album.post_id, album.text, len(album.media), album.extra["album"]) == (1001, "Album caption", 2, [1001, 1002])
    assert page.covered == {1, 1001, 1002}
    assert page.before is None  # the start of the channel


@pytest.mark.parametrize(
    "name, kind", [("no_posts.html", EMPTY), ("private_channel.html", NOT_PREVIEW), ("rate_limited.html", UNKNOWN)]
)
def test_pages_without_posts_are_classified_and_yield_no_post(name, kind):
    page = parse(name)
    assert (page.kind, page.posts, page.events, page.covered) == (kind, [], [], set())


def test_a_hostile_page_gives_text_only_no_script_and_copes_with_huge_attributes(tmp_path):
    html = (DATA / "hostile.html").read_text().replace("XXXX_HUGE_XXXX", "A" * 2_000_000)
    html += "<b>" * 5000 + "deep" + "</b>" * 5000
    page = parse_page(html, "hostile.html")
    texts = {post.post_id: post.text for post in page.posts}
    assert set(texts) == {2000, 2001}  # the widget written by a script is not a post
    assert "alert" not in texts[2000] and "body{}" not in texts[2000]
    assert texts[2000].startswith("safe text unclosed click")
    assert texts[2001].startswith("second <<<>>> &&")
    link = [entity for entity in page.posts[0].entities if entity.type == "text_link"]
    assert link[0].href == "javascript:alert(1)"  # kept as evidence; renderers decide what is clickable


def test_a_widget_without_a_readable_date_is_a_parse_error_naming_the_file_and_the_post():
    with pytest.raises(ParseError, match=r"bad_date\.html, post 'demo_front/3001': no readable date"):
        parse("bad_date.html")


def test_a_page_mixing_two_channels_is_refused():
    html = (DATA / "channel_older.html").read_text().replace('data-post="demo_front/1001"', 'data-post="other_chan/1001"')
    with pytest.raises(ParseError, match="a post of @other_chan on the page of @demo_front"):
        parse_page(html, "mixed.html")


def test_bytes_that_are_not_utf8_are_a_parse_error_with_the_offset():
    with pytest.raises(ParseError, match=r"page\.html: not UTF-8 at byte 6"):
        decode_page(b"<html>\xff\xfe</html>", "page.html")


def test_a_saved_page_is_ingested_idempotently_and_its_raw_records_verify(store):
    first = ingest(store, SavedPage(DATA / "channel_newest.html"))
    assert first.posts.new == 5
    again = ingest(store, SavedPage(DATA / "channel_newest.html"))
    assert (again.posts.new, again.posts.unchanged, again.new_events) == (0, 5, 0)
    rows = store.channel_stats()
    assert [(row["channel_id"], row["username"], row["title"], row["posts"]) for row in rows] == [(None, "demo_front", "Demo Front", 5)]
    record = next(r for r in store.iter_posts() if r["post_id"] == 1003)
    assert record["permalink"] == "https://t.me/demo_front/1003"
    assert record["channel"] == "demo_front" and record["channel_id"] is None
    assert verify_raw_records(store).mismatches == []
    with store.reading() as conn:
        kinds = sorted(conn.execute(select(events.c.kind)).scalars())
        [info] = conn.execute(select(events.c.raw).where(events.c.kind == "channel_info")).scalars()
    assert kinds == ["channel_info", "service"]
    assert '"estimate":12400' in info


def test_a_bad_saved_file_is_refused_with_its_place_and_what_was_stored_stays(tmp_path):
    db = tmp_path / "echoscope.db"
    runner = CliRunner()
    good = runner.invoke(app, ["ingest", "webpage", str(DATA / "channel_older.html"), "--db", str(db)])
    assert good.exit_code == 0, good.output
    bad = runner.invoke(app, ["ingest", "webpage", str(DATA / "bad_date.html"), "--db", str(db)])
    assert bad.exit_code != 0
    assert isinstance(bad.exception, ParseError) and "bad_date.html, post 'demo_front/3001'" in str(bad.exception)
    not_a_history = runner.invoke(app, ["ingest", "webpage", str(DATA / "no_posts.html"), "--db", str(db)])
    assert "not a channel history page (empty)" in str(not_a_history.exception)
    with Store(db) as store:
        with store.reading() as conn:
            assert conn.execute(select(posts.c.post_id)).scalars().all() == [1001]
