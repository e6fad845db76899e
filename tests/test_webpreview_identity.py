"""One channel, one post, whatever the order sources arrive in: the web preview knows a username, a
Telegram Desktop export an id, and the registry or the API links the two."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from builders import BASE, capture, channel, post
from echoscope.errors import ConfigError
from echoscope.ingest import ingest
from echoscope.model import TELEGRAM, Capture, Channel, RegistryEntry
from echoscope.sources.webpreview import SavedPage
from echoscope.store.schema import captures, channels, collector_state, events, post_versions, posts
from echoscope.verify import verify_raw_records

BARE_ID = 1700000003
TEXTS = {1: "Путин провёл совещание #новости", 2: "ВСУ начали контрнаступление #новости", 3: "НАТО обсуждает поставки #новости"}


def page_html(username: str, texts: dict[int, str]) -> str:
    """A t.me/s page with these posts, marked up as Telegram does (hashtags are links)."""
    widgets = []
    for post_id, text in texts.items():
        words, _, tag = text.rpartition(" ")
        date = (BASE + timedelta(hours=post_id)).isoformat()
        widgets.append(
            f'<div class="tgme_widget_message_wrap js-widget_message_wrap"><div class="tgme_widget_message js-widget_message" '
            f'data-post="{username}/{post_id}"><div class="tgme_widget_message_bubble">'
            f'<div class="tgme_widget_message_text js-message_text" dir="auto">{words} <a href="?q=%23x">{tag}</a></div>'
            f'<div class="tgme_widget_message_footer"><span class="tgme_widget_message_views">1.1K</span>'
            f'<span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" href="https://t.me/{username}/{post_id}">'
            f'<time datetime="{date}" class="time"></time></a></span></div></div></div></div>'
        )
    return (
        '<html><body><div class="tgme_channel_info"><div class="tgme_channel_info_header_title"><span>Русский вестник</span></div>'
        f'<div class="tgme_channel_info_header_username"><a>@{username}</a></div></div>'
        f'<section class="tgme_channel_history js-message_history">{"".join(widgets)}</section></body></html>'
    )


def from_export(store):
    ingest(store, [capture(), channel(BARE_ID, "Русский вестник")] + [post(i, text, bare_id=BARE_ID, hours=i) for i, text in TEXTS.items()])


def from_web(store, tmp_path: Path, username: str = "Russkiy_Vestnik"):
    path = tmp_path / f"{username}.html"
    path.write_text(page_html(username, TEXTS), encoding="utf-8")
    ingest(store, SavedPage(path))


def from_registry(store, username: str = "russkiy_vestnik"):
    store.import_registry([RegistryEntry(TELEGRAM, f"channel{BARE_ID}", username, affiliation="state media")])


def from_api(store, username: str = "russkiy_vestnik"):
    api = Capture("telegram", "api:russkiy_vestnik", "c" * 64, BASE + timedelta(days=400), "test")
    ingest(store, [api, Channel(TELEGRAM, f"channel{BARE_ID}", "Русский вестник", username, "public_channel")])


ORDERS = {
    "export, registry, web": [from_export, from_registry, from_web],
    "registry, web, export": [from_registry, from_web, from_export],
    "web, export, registry": [from_web, from_export, from_registry],
    "web, export, api": [from_web, from_export, from_api],
    "export, web, api, registry": [from_export, from_web, from_api, from_registry],
}


@pytest.mark.parametrize("order", ORDERS)
def test_the_same_posts_from_an_export_and_the_web_preview_are_one_post_each(store, tmp_path, order):
    for step in ORDERS[order]:
        step(store, tmp_path) if step is from_web else step(store)
    with store.reading() as conn:
        rows = conn.execute(select(channels.c.channel_id, func.lower(channels.c.username))).all()
        ids = conn.execute(select(posts.c.post_id).order_by(posts.c.post_id)).scalars().all()
        seen_by = conn.execute(
            select(posts.c.post_id, captures.c.source)
            .select_from(post_versions.join(posts).join(captures, captures.c.pk == post_versions.c.capture_pk))
        ).all()
        current = dict(conn.execute(select(posts.c.post_id, posts.c.content_sha256)).all())
        last = dict(conn.execute(
            select(posts.c.post_id, post_versions.c.content_sha256).join(posts).where(post_versions.c.version == posts.c.version)
        ).all())
        numbers = conn.execute(select(post_versions.c.post_pk, post_versions.c.version)).all()
    assert rows == [(f"channel{BARE_ID}", "russkiy_vestnik")]
    assert ids == [1, 2, 3]
    for post_id in ids:
        assert sorted(source for pid, source in seen_by if pid == post_id) == ["tdesktop", "web"]
        assert current[post_id] == last[post_id]  # the current state is the newest version
    assert sorted(version for _, version in numbers) == [1, 1, 1, 2, 2, 2]
    assert verify_raw_records(store).mismatches == []
    assert [(hit["channel_id"], hit["post_id"]) for hit in store.search("НАТО")] == [(f"channel{BARE_ID}", 3)]


def test_merging_moves_events_and_collector_state_and_keeps_registry_fields(store, tmp_path):
    store.import_registry([RegistryEntry(TELEGRAM, None, "russkiy_vestnik", notes="seen on the web first")])
    from_web(store, tmp_path)
    with store.transaction() as conn:
        web_row = conn.execute(select(channels.c.pk)).scalar_one()
        conn.execute(collector_state.insert().values(collector="web", channel_key="russkiy_vestnik", channel_pk=web_row,
                                                     status="ok", updated_at=BASE))
    from_export(store)
    from_registry(store)
    with store.reading() as conn:
        [row] = conn.execute(select(channels)).mappings().all()
        info = conn.execute(select(events.c.channel_pk).where(events.c.kind == "channel_info")).scalars().all()
        state = conn.execute(select(collector_state.c.channel_pk)).scalar_one()
    assert (row["notes"], row["affiliation"], row["username"]) == ("seen on the web first", "state media", "russkiy_vestnik")
    assert info == [row["pk"]] and state == row["pk"]


def test_usernames_are_one_channel_whatever_their_case(store, tmp_path):
    from_web(store, tmp_path, "Russkiy_Vestnik")
    from_web(store, tmp_path, "RUSSKIY_VESTNIK")
    assert [row["posts"] for row in store.channel_stats()] == [3]


def test_a_username_the_store_knows_under_another_id_is_an_error(store, tmp_path):
    from_export(store)
    from_registry(store)
    with pytest.raises(ConfigError, match="is channel1700000003 in the store, not channel42"):
        store.import_registry([RegistryEntry(TELEGRAM, "channel42", "russkiy_vestnik")])


def test_derived_rows_of_both_posts_that_would_clash_are_left_for_the_stage_to_recompute(store, tmp_path):
    from echoscope.store.schema_echoes import echo_signatures

    from_web(store, tmp_path)
    from_export(store)
    with store.transaction() as conn:
        rows = [{"post_pk": pk, "version": 1, "class": "short", "exact_key": pk} for pk in conn.execute(select(posts.c.pk)).scalars()]
        conn.execute(echo_signatures.insert(), rows)
    from_registry(store)
    with store.reading() as conn:
        kept = conn.execute(select(echo_signatures.c.post_pk)).scalars().all()
        live = conn.execute(select(posts.c.pk)).scalars().all()
    assert sorted(kept) == sorted(live) and len(live) == 3
