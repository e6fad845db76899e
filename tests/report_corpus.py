"""A small monitored world for the findings, trends and report tests, built the way an analyst builds one:
Telegram Desktop exports ingested through the real source, a channel registry, then the stages.

Three Telegram channels: a pro-Russia Iraqi channel that posts once a day and then bursts in early June, a
channel affiliated with Ashab al-Kahf that republishes its post (and its photograph) a day later, and a
channel whose title, registry fields, posts and links are an XSS corpus; and a Facebook page (a table
source) where the photograph appeared three weeks earlier. `analyze` runs every stage that is registered; while
the echoes stage is not, the clusters it would find are written through its own store module.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image
from skimage.data import astronaut
from sqlalchemy import select

from echoscope import pipeline
from echoscope.ingest import ingest
from echoscope.model import TELEGRAM, RegistryEntry
from echoscope.sources.table import TableSource
from echoscope.sources.tdesktop import TelegramDesktopExport
from echoscope.stages.base import StageReport
from echoscope.store import Store, stage_runs
from echoscope.store.schema import channels, posts

START = datetime(2023, 5, 15, 8, 0, tzinfo=UTC)
NATO_POST = "عاجل | الناتو 🏳️‍🌈 يرسل أسلحة جديدة إلى زيلينسكي، وبوتين يحذر من الرد"
XSS_PAYLOADS = (
    "<script>parent.document.title='PWNED'</script>",
    "<img src=x onerror=\"parent.document.title='PWNED'\">",
    "[click me](javascript:parent.document.title='PWNED') ![pixel](https://evil.example/track.png)",
    "<a href=\"javascript:alert(1)\">x</a> & </blockquote><iframe src=\"data:text/html,PWNED\"></iframe>",
)
XSS_TITLE = "<script>alert('title')</script> Sabereen \"News\""
UNSAFE_LINKS = ("javascript:parent.document.title='PWNED'", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
                "vbscript:msgbox(1)", " javascript:alert(1)")
SAFE_LINKS = ("https://example.org/a?b=<c>&d=\"e\"", "tg://resolve?domain=kahf_media")


def _message(message_id: int, when: datetime, text: str, links: tuple[str, ...] = (), photo: str | None = None) -> dict:
    parts = [{"type": "plain", "text": text}] + [{"type": "text_link", "text": f" link{i}", "href": href} for i, href in enumerate(links)]
    message = {"id": message_id, "type": "message", "date": when.strftime("%Y-%m-%dT%H:%M:%S"),
               "date_unixtime": str(int(when.timestamp())), "text": parts, "text_entities": parts}
    if photo:
        message |= {"photo": photo, "width": 64, "height": 48}
    return message


def _export(folder: Path, bare_id: int, title: str, messages: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for message in messages:
        message |= {"from": title, "from_id": f"channel{bare_id}"}
    export = {"name": title, "type": "public_channel", "id": bare_id, "messages": messages}
    (folder / "result.json").write_text(json.dumps(export, ensure_ascii=False, indent=1), encoding="utf-8")
    return folder


def build(store: Store, root: Path) -> None:
    """Ingest the three exports and the registry."""
    friends, day = [], START
    message_id = 1
    while day < datetime(2023, 6, 10, tzinfo=UTC):
        burst = datetime(2023, 6, 5, tzinfo=UTC) <= day < datetime(2023, 6, 8, tzinfo=UTC)
        for hour in range(8 if burst else 1):
            friends.append(_message(message_id, day + timedelta(hours=hour), f"أخبار العراق اليوم رقم {message_id} — Новости {message_id}"))
            message_id += 1
        day += timedelta(days=1)
    picture = Image.fromarray(astronaut()).resize((256, 256))
    for folder in (root / "friends" / "photos", root / "kahf" / "photos", root / "facebook"):
        folder.mkdir(parents=True)
        picture.save(folder / "nato.jpg", quality=90)  # the same bytes everywhere: an exact reuse
    (root / "facebook" / "posts.csv").write_text(
        "platform,channel,channel_title,post_id,date,text,media,url\n"
        "facebook,iraq.today.page,Iraq Today (Facebook),501,2023-05-20T08:00:00Z,صورة من الجبهة,nato.jpg,"
        "https://www.facebook.com/iraq.today.page/posts/501\n", encoding="utf-8")
    friends.append(_message(1000, datetime(2023, 6, 7, 10, 0, tzinfo=UTC), NATO_POST, photo="photos/nato.jpg"))
    friends.append(_message(1001, datetime(2023, 6, 9, 12, 0, tzinfo=UTC), " ".join(XSS_PAYLOADS)))
    kahf = [_message(1, datetime(2023, 6, 2, 9, 0, tzinfo=UTC), "بيان المقاومة الإسلامية"),
            _message(2, datetime(2023, 6, 8, 9, 30, tzinfo=UTC), NATO_POST + "\n\nتابعونا على قناة الكهف", photo="photos/nato.jpg")]
    hostile = [_message(1, datetime(2023, 6, 9, 10, 0, tzinfo=UTC), " ".join(XSS_PAYLOADS), links=UNSAFE_LINKS + SAFE_LINKS)]
    for folder, bare_id, title, messages in ((root / "friends", 1001, "Friends of Russia in Iraq", friends),
                                             (root / "kahf", 1002, "قناة الكهف", kahf),
                                             (root / "hostile", 1003, XSS_TITLE, hostile)):
        ingest(store, TelegramDesktopExport(_export(folder, bare_id, title, messages)))
    ingest(store, TableSource(root / "facebook" / "posts.csv"))
    store.import_registry([
        RegistryEntry(TELEGRAM, "channel1001", "friends_of_russia_iq", affiliation=None, country="Iraq"),
        RegistryEntry(TELEGRAM, "channel1002", "kahf_media", affiliation="Ashab al-Kahf"),
        RegistryEntry(TELEGRAM, "channel1003", None, affiliation="<img src=x onerror=alert('affiliation')>"),
    ])


def post_key(store: Store, channel_id: str, post_id: int) -> tuple[int, int]:
    """(post pk, current version) of a post."""
    with store.reading() as conn:
        row = conn.execute(
            select(posts.c.pk, posts.c.version).select_from(posts.join(channels, channels.c.pk == posts.c.channel_pk))
            .where(channels.c.channel_id == channel_id, posts.c.post_id == post_id)
        ).one()
    return row.pk, row.version


ECHOES = (  # (channel id, post id, kind), origin first: what the echoes stage finds in this corpus
    (("channel1001", 1000, "origin"), ("channel1002", 2, "contained")),
    (("channel1003", 1, "origin"), ("channel1001", 1001, "exact")),
)
OTHER_STAGES = ("lang", "mentions", "symbols", "narratives", "translate", "echoes", "media", "images", "network")


def analyze(store: Store) -> list[str]:
    """Run the other issues' stages that are registered, then trends and findings; returns the stages run.
    While the echoes stage is not registered, its clusters are written through its store module."""
    others = [name for name in OTHER_STAGES if name in pipeline.registered()]
    if others:
        pipeline.run_stages(store, others)
    if "echoes" not in others:
        for cluster in ECHOES:
            add_echo_cluster(store, cluster)
    pipeline.run_stages(store, ["trends", "findings"])
    return others


def add_echo_cluster(store: Store, members) -> None:
    """One cluster as the echoes stage stores it (store/echoes.save_cluster), and the stage recorded as run."""
    from echoscope.store import echoes as stored_echoes

    keyed = [(post_key(store, channel_id, post_id), kind) for channel_id, post_id, kind in members]
    with store.transaction() as conn:
        dates = {pk: conn.execute(select(posts.c.date).where(posts.c.pk == pk)).scalar_one() for (pk, _), _ in keyed}
        origin_date = dates[keyed[0][0][0]]
        cluster = {"kind": "contained", "origin_post_pk": keyed[0][0][0], "size": len(keyed), "channels": len({m[0] for m in members}),
                   "first_date": origin_date, "last_date": max(dates.values()), "updated_at": datetime.now(UTC)}
        rows = [{"post_pk": pk, "version": version, "kind": kind, "similarity": 1.0 if kind in ("origin", "exact") else 0.8,
                 "lag_seconds": int((dates[pk] - origin_date).total_seconds()),
                 "changes": {"suffix": "تابعونا على قناة الكهف"} if kind == "contained" else None}
                for (pk, version), kind in keyed]
        stored_echoes.save_cluster(conn, [], cluster, rows)
    now = datetime.now(UTC)
    stage_runs.record(store, StageReport("echoes", counts={"clusters": 1}), now, now)
