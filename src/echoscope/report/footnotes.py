"""Footnotes: what each cited post version is, where it can be seen, and how to check it was not altered.

A footnote gives the permalink, the post date (UTC), the capture that saw the cited version (source, file
or URL, when), the SHA-256 of that version's raw record and of its media, and the quote in its original
script with the cached English translation and the backend that made it.
"""

from __future__ import annotations

from echoscope.findings import phrasing as say
from echoscope.report.model import Citations, Footnote, Link, Quote
from echoscope.report.safety import clickable, direction
from echoscope.store import finding_sources
from echoscope.store import findings as stored

TARGET_LANGUAGE = "en"


def footnotes(conn, citations: Citations) -> list[Footnote]:
    cited = stored.cited_posts(conn, citations.numbers)
    english = _translations(conn, [post_pk for post_pk, _ in citations.numbers])
    notes = []
    for (post_pk, version), number in sorted(citations.numbers.items(), key=lambda item: item[1]):
        post = cited[(post_pk, version)]
        notes.append(Footnote(
            number=number,
            channel=say.name_of(post),
            affiliation=post["affiliation"],
            permalink=link(post["permalink"] or f"{post['platform']} {post['channel_id']} post {post['post_id']}", post["permalink"]),
            post_date=post["date"],
            captured_at=post["collected_at"],
            capture_source=post["source"],
            capture_locator=post["locator"],
            version=version,
            current_version=post["current_version"],
            raw_sha256=post["raw_sha256"],
            media_sha256=post["media_sha256"],
            quote=quote(post["text"], post["entities"], english.get((post_pk, version))),
        ))
    return notes


def link(label: str, url: str | None) -> Link:
    return Link(label, clickable(url))


def quote(text: str, entities: list[dict] | None, translation: dict | None) -> Quote:
    """The post's text as a quote, with the links it carries (clickable only when safe) and the translation."""
    links = []
    for entity in entities or ():
        if entity.get("type") == "text_link":
            links.append(link(entity.get("href") or "", entity.get("href")))
        elif entity.get("type") == "link":
            target = text[entity["start"] : entity["end"]]
            links.append(link(target, target))
    return Quote(
        text=text,
        dir=direction(text),
        translation=translation["text"] if translation else None,
        translation_source=_translated_by(translation) if translation else None,
        links=links,
    )


def _translated_by(translation: dict) -> str:
    """Who translated: a machine backend and its model, or a file of translations made elsewhere (by hand)."""
    if translation["backend"] == "imported":
        return f"translation imported from {translation['model']}"
    return f"machine translation, {translation['backend']} ({translation['model']})"


def _translations(conn, post_pks: list[int]) -> dict[tuple[int, int], dict]:
    """(post, version) → the cached English translation, when the translate stage's table exists."""
    if not finding_sources.has_table("translations") or not post_pks:
        return {}
    from echoscope.store import translations as stored_translations  # the translate stage's own reader

    found = {}
    for post_pk, rows in stored_translations.for_posts(conn, post_pks).items():
        for row in rows:
            if row["target"] == TARGET_LANGUAGE:
                found.setdefault((post_pk, row["version"]), row)
    return found
