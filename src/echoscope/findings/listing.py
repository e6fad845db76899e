"""Findings as records, best first: what `echoscope findings` prints and exports.

Each record carries its evidence as post records (the shared post fields of the output contract, plus the
cited version and its hashes), so an exported finding can be checked without the store.
"""

from __future__ import annotations

from echoscope.errors import QueryError
from echoscope.findings import KIND_LABELS
from echoscope.store import Store
from echoscope.store import findings as stored
from echoscope.store import trends as stored_trends
from echoscope.store.findings import Scope
from echoscope.store.reader import iso

FINDING_FIELDS = ("finding", "kind", "score", "statement", "first_date", "last_date", "evidence")


def key_findings(ranked: list[dict], top: int, per_kind: int) -> list[dict]:
    """The best `top` findings with at most `per_kind` of one kind: sixteen echo cascades must not hide
    the one image reuse."""
    taken: dict[str, int] = {}
    chosen = []
    for finding in ranked:
        if taken.get(finding["kind"], 0) < per_kind and len(chosen) < top:
            taken[finding["kind"]] = taken.get(finding["kind"], 0) + 1
            chosen.append(finding)
    return chosen


def tag_filters(scope: Scope) -> dict[str, tuple]:
    """The (table, column) behind --entity and --narrative; an error when the text stages are not installed."""
    filters = {}
    for name, column in (("entity", "entity"), ("narrative", "narrative")):
        if getattr(scope, name) is None:
            continue
        table = stored_trends.tag_table(name)
        if table is None:
            raise QueryError(f"--{name} needs the text stages (mentions, narratives), which are not installed")
        filters[name] = (table, table.c[column])
    return filters


def ranked_records(store: Store, scope: Scope = Scope(), kinds: list[str] | None = None, limit: int | None = None) -> list[dict]:
    unknown = [kind for kind in kinds or () if kind not in KIND_LABELS]
    if unknown:
        raise QueryError(f"--kind {', '.join(unknown)}: kinds are {', '.join(KIND_LABELS)}")
    with store.reading() as conn:
        found = stored.ranked(conn, stored.scope_condition(scope, tag_filters(scope)), kinds=kinds, limit=limit)
        cited = stored.cited_posts(conn, ((item["post_pk"], item["version"]) for finding in found for item in finding["evidence"]))
    return [
        {
            "finding": finding["pk"],
            "kind": finding["kind"],
            "score": finding["score"],
            "statement": finding["statement"],
            "first_date": iso(finding["first_date"]),
            "last_date": iso(finding["last_date"]),
            "evidence": [_evidence(cited[(item["post_pk"], item["version"])], item) for item in finding["evidence"]],
        }
        for finding in found
    ]


def _evidence(post: dict, item: dict) -> dict:
    return {
        "platform": post["platform"], "channel": post["username"], "channel_id": post["channel_id"], "post_id": post["post_id"],
        "date": iso(post["date"]), "permalink": post["permalink"], "role": item["role"], "version": item["version"],
        "raw_sha256": item["raw_sha256"], "media_sha256": item["media_sha256"],
    }
