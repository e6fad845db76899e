"""Storing findings with their evidence, and reading them back ranked, with what a footnote cites.

A re-run of a producer replaces the findings of its kind in one transaction, so the table always says what
the latest run concluded; the evidence rows copy the cited version's raw-record SHA-256 and its media
SHA-256s, so a finding stays verifiable against the archive on its own.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Sequence

from sqlalchemy import Connection, and_, delete, exists, func, insert, or_, select, tuple_

from echoscope.findings import Finding
from echoscope.store.reader import as_utc, permalink
from echoscope.store.schema import captures, channels, media, post_versions, posts
from echoscope.store.schema_findings import finding_evidence, findings


@dataclass(frozen=True)
class Scope:
    """Which findings a report or listing covers: by the dates and channels of their evidence."""

    since: datetime | None = None
    until: datetime | None = None
    channel: str | None = None  # username, channel id or title
    affiliation: str | None = None
    entity: str | None = None
    narrative: str | None = None


def version_hashes(conn: Connection, cited: Iterable[tuple[int, int]]) -> dict[tuple[int, int], tuple[str | None, list[str]]]:
    """(post_pk, version) → (raw_sha256, [media sha256 …]) for the versions given."""
    pairs = list(set(cited))
    found: dict[tuple[int, int], tuple[str | None, list[str]]] = {}
    for start in range(0, len(pairs), 500):
        chunk = pairs[start : start + 500]
        rows = conn.execute(
            select(post_versions.c.post_pk, post_versions.c.version, post_versions.c.raw_sha256).where(
                tuple_(post_versions.c.post_pk, post_versions.c.version).in_(chunk)
            )
        )
        for row in rows:
            found[(row.post_pk, row.version)] = (row.raw_sha256, [])
        media_rows = conn.execute(
            select(media.c.post_pk, media.c.version, media.c.sha256)
            .where(tuple_(media.c.post_pk, media.c.version).in_(chunk), media.c.sha256.is_not(None))
            .order_by(media.c.post_pk, media.c.version, media.c.ordinal)
        )
        for row in media_rows:
            found.setdefault((row.post_pk, row.version), (None, []))[1].append(row.sha256)
    return found


def replace_findings(conn: Connection, kind: str, produced: Iterable[Finding], created_at: datetime, batch: int = 500) -> int:
    """Store `produced` as the findings of `kind`, dropping that kind's previous ones. Returns the count.
    Written `batch` findings at a time: one insert for the findings, one lookup of hashes, one insert of evidence."""
    old = select(findings.c.pk).where(findings.c.kind == kind)
    conn.execute(delete(finding_evidence).where(finding_evidence.c.finding_pk.in_(old)))
    conn.execute(delete(findings).where(findings.c.kind == kind))
    count = 0
    for chunk in _batches(produced, batch):
        _insert(conn, chunk, created_at)
        count += len(chunk)
    return count


def _batches(items: Iterable[Finding], size: int) -> Iterable[list[Finding]]:
    chunk: list[Finding] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _insert(conn: Connection, chunk: list[Finding], created_at: datetime) -> None:
    rows = [{"kind": finding.kind, "key": finding.key, "statement": finding.statement, "score": finding.score,
             "first_date": finding.first_date, "last_date": finding.last_date, "details": finding.details,
             "created_at": created_at} for finding in chunk]
    pks = conn.execute(insert(findings).returning(findings.c.pk, sort_by_parameter_order=True), rows).scalars().all()
    hashes = version_hashes(conn, ((item.post_pk, item.version) for finding in chunk for item in finding.evidence))
    evidence = [
        {"finding_pk": finding_pk, "ordinal": ordinal, "role": item.role, "post_pk": item.post_pk, "version": item.version,
         "raw_sha256": hashes.get((item.post_pk, item.version), (None, []))[0],
         "media_sha256": hashes.get((item.post_pk, item.version), (None, []))[1]}
        for finding_pk, finding in zip(pks, chunk)
        for ordinal, item in enumerate(finding.evidence)
    ]
    if evidence:
        conn.execute(insert(finding_evidence), evidence)


def _channel_matches(name: str):
    lowered = name.lower().removeprefix("@")
    return or_(func.lower(channels.c.username) == lowered, channels.c.channel_id == name, channels.c.title == name)


def scope_condition(scope: Scope, tag_tables: dict[str, tuple]):
    """A WHERE clause on findings: some evidence post lies in the period, channel and affiliation asked for,
    and (for --entity / --narrative) carries that tag. `tag_tables` maps entity/narrative to (table, column)."""
    conditions = [finding_evidence.c.finding_pk == findings.c.pk]
    if scope.since:
        conditions.append(posts.c.date >= scope.since)
    if scope.until:
        conditions.append(posts.c.date < scope.until)
    if scope.channel:
        conditions.append(_channel_matches(scope.channel))
    if scope.affiliation:
        conditions.append(func.lower(channels.c.affiliation) == scope.affiliation.lower())
    for name, wanted in (("entity", scope.entity), ("narrative", scope.narrative)):
        if wanted:
            table, column = tag_tables[name]
            conditions.append(exists().where(table.c.post_pk == posts.c.pk, column == wanted))
    evidence_posts = finding_evidence.join(posts, posts.c.pk == finding_evidence.c.post_pk).join(
        channels, channels.c.pk == posts.c.channel_pk
    )
    return exists(select(finding_evidence.c.pk).select_from(evidence_posts).where(and_(*conditions)))


def ranked(conn: Connection, where=None, kinds: Sequence[str] | None = None, limit: int | None = None) -> list[dict]:
    """Findings best first (score, then most recent), each with its evidence rows in order."""
    query = select(findings).order_by(findings.c.score.desc(), findings.c.last_date.desc(), findings.c.pk)
    if where is not None:
        query = query.where(where)
    if kinds:
        query = query.where(findings.c.kind.in_(kinds))
    if limit:
        query = query.limit(limit)
    rows = [dict(row._mapping) for row in conn.execute(query)]
    evidence: dict[int, list[dict]] = defaultdict(list)
    pks = [row["pk"] for row in rows]
    for start in range(0, len(pks), 500):
        chunk = pks[start : start + 500]
        items = conn.execute(
            select(finding_evidence).where(finding_evidence.c.finding_pk.in_(chunk)).order_by(finding_evidence.c.finding_pk, finding_evidence.c.ordinal)
        )
        for item in items:
            evidence[item.finding_pk].append(dict(item._mapping))
    for row in rows:
        row["first_date"], row["last_date"] = as_utc(row["first_date"]), as_utc(row["last_date"])
        row["evidence"] = evidence[row["pk"]]
    return rows


def cited_posts(conn: Connection, cited: Iterable[tuple[int, int]]) -> dict[tuple[int, int], dict]:
    """What a footnote says about each cited (post_pk, version): channel, permalink, post date, the capture
    that saw that version (source, file or URL, when), its hashes, and the post's text and links."""
    pairs = list(set(cited))
    found: dict[tuple[int, int], dict] = {}
    hashes = version_hashes(conn, pairs)
    source = post_versions.join(posts, posts.c.pk == post_versions.c.post_pk).join(
        channels, channels.c.pk == posts.c.channel_pk
    ).join(captures, captures.c.pk == post_versions.c.capture_pk)
    columns = (post_versions.c.post_pk, post_versions.c.version, posts.c.post_id, posts.c.date, posts.c.text,
               posts.c.entities, posts.c.extra, posts.c.version.label("current_version"), channels.c.pk.label("channel_pk"),
               channels.c.platform, channels.c.channel_id, channels.c.username, channels.c.title,
               channels.c.affiliation, captures.c.source, captures.c.locator, captures.c.collected_at)
    for start in range(0, len(pairs), 500):
        chunk = pairs[start : start + 500]
        for row in conn.execute(select(*columns).select_from(source).where(tuple_(post_versions.c.post_pk, post_versions.c.version).in_(chunk))):
            raw_sha256, media_sha256 = hashes.get((row.post_pk, row.version), (None, []))
            found[(row.post_pk, row.version)] = row._asdict() | {
                "date": as_utc(row.date),
                "collected_at": as_utc(row.collected_at),
                # Telegram's permalink, or the post URL another platform's table gave (extra["url"])
                "permalink": permalink(row.platform, row.username, row.channel_id, row.post_id) or (row.extra or {}).get("url"),
                "raw_sha256": raw_sha256,
                "media_sha256": media_sha256,
            }
    return found


def finding_kinds(conn: Connection) -> dict[str, int]:
    return dict(conn.execute(select(findings.c.kind, func.count()).group_by(findings.c.kind)).all())
