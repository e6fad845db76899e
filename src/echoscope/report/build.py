"""Building a report from the store: findings in scope, their evidence, figures, and what was left out.

    report = build_report(store, Scope(since=…, affiliation="Kata'ib Hezbollah"), title="June 2023")

A section whose stage is not installed or has not run is left out and `report.omitted` says why, so the
method notes never claim more than the store holds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from echoscope import __version__
from echoscope.findings import ECHO_CASCADE, IMAGE_REUSE, KIND_LABELS, SYMBOL_PAIRING, UPTICK
from echoscope.findings import phrasing as say
from echoscope.findings.images import platform_name
from echoscope.findings.listing import key_findings, tag_filters
from echoscope.report import charts
from echoscope.report.footnotes import footnotes
from echoscope.report.model import (
    Cascade,
    CascadeMember,
    ChannelRow,
    Citations,
    Community,
    Figure,
    FindingItem,
    ImageCase,
    ImageMember,
    Report,
    StageRow,
    SymbolRow,
)
from echoscope.report.thumbnails import thumbnail
from echoscope.stages.findings import stage_missing
from echoscope.store import Store, stage_runs
from echoscope.store import findings as stored
from echoscope.store import trends as stored_trends
from echoscope.store.findings import Scope
from echoscope.store.reader import as_utc, channel_stats

MAX_CASCADES = 25
MAX_SERIES = 6


def build_report(store: Store, scope: Scope = Scope(), *, title: str | None = None, top: int = 15, per_kind: int = 4,
                 cite: int = 4) -> Report:
    """`top` key findings, at most `per_kind` of each kind (sixteen echo cascades must not hide the one image
    reuse), each citing at most `cite` posts (the rest stay in the store's evidence)."""
    history = stage_runs.history(store, limit=500)
    with store.reading() as conn:
        ranked = stored.ranked(conn, stored.scope_condition(scope, tag_filters(scope)))
        citations = Citations()
        report = Report(title=title or "echoscope report", period=_period(conn, scope), generated_at=datetime.now(UTC),
                        scope=_scope_words(scope), tool_version=__version__)
        report.key_findings = [_item(finding, citations, cite) for finding in key_findings(ranked, top, per_kind)]
        _cascades(store, conn, report, [f for f in ranked if f["kind"] == ECHO_CASCADE][:MAX_CASCADES], citations)
        _images(store, conn, report, [f for f in ranked if f["kind"] == IMAGE_REUSE][:MAX_CASCADES], citations)
        _symbols(store, report, [f for f in ranked if f["kind"] == SYMBOL_PAIRING], citations, cite)
        _trends(store, conn, report, [f for f in ranked if f["kind"] == UPTICK], citations, cite)
        roles = _network(store, conn, report)
        report.channels = _channels(conn, scope, roles)
        report.stages = _stages(history)
        report.footnotes = footnotes(conn, citations)
    for cascade in report.cascades:
        cascade.quote = report.footnotes[cascade.origin.ref - 1].quote
    return report


def _period(conn, scope: Scope) -> tuple[datetime | None, datetime | None]:
    stats = [row for row in channel_stats(conn) if row["first"]]
    first = min((datetime.fromisoformat(row["first"]) for row in stats), default=None)
    last = max((datetime.fromisoformat(row["last"]) for row in stats), default=None)
    until = scope.until - timedelta(microseconds=1) if scope.until else None  # --until is exclusive
    return (max(filter(None, (first, scope.since)), default=None), min(filter(None, (last, until)), default=None))


def _scope_words(scope: Scope) -> list[str]:
    words = []
    for name in ("channel", "affiliation", "entity", "narrative"):
        if getattr(scope, name):
            words.append(f"{name}: {getattr(scope, name)}")
    return words


def _item(finding: dict, citations: Citations, cite: int) -> FindingItem:
    evidence = finding["evidence"]
    refs = [citations.cite(item["post_pk"], item["version"]) for item in evidence[:cite]]
    total = finding["details"].get("posts", len(evidence)) if finding["details"] else len(evidence)
    return FindingItem(KIND_LABELS.get(finding["kind"], finding["kind"]), finding["statement"], finding["score"], refs, max(total - len(refs), 0))


def _cited_members(conn, found: list[dict], citations: Citations):
    """Per finding: (evidence item, cited post, the stage's detail for that post, footnote number), in order."""
    cited = stored.cited_posts(conn, ((item["post_pk"], item["version"]) for finding in found for item in finding["evidence"]))
    for finding in found:
        details = {member["post_pk"]: member for member in finding["details"]["members"]}
        yield finding, [(item, cited[(item["post_pk"], item["version"])], details.get(item["post_pk"], {}),
                         citations.cite(item["post_pk"], item["version"])) for item in finding["evidence"]]


def _cascades(store: Store, conn, report: Report, found: list[dict], citations: Citations) -> None:
    reason = stage_missing(store, "echoes", "echo_clusters")
    if reason:
        report.omitted["Echo cascades"] = reason
        return
    timeline = []
    for finding, cited in _cited_members(conn, found, citations):
        members = [CascadeMember(say.name_of(post), post["affiliation"], post["date"],
                                 "origin" if item["role"] == "origin" else say.duration(detail.get("lag_seconds", 0)),
                                 detail.get("kind", item["role"]), detail.get("similarity") or 1.0, _changes(detail.get("changes")), ref)
                   for item, post, detail, ref in cited]
        report.cascades.append(Cascade(_item(finding, citations, 0), members[0], members[1:], None))
        origin = cited[0][1]
        timeline.append({"label": charts.latin_label(origin["username"] and f"@{origin['username']}", origin["title"], origin["channel_id"]),
                         "origin": members[0].date, "echoes": [member.date for member in members[1:]]})
    if timeline:
        report.figures["Echo cascades"] = [Figure("Echo cascades: origin and echoes over time", charts.echo_timeline(timeline), "echo-timeline")]


def _changes(changes) -> str:
    """The echoes stage's description of an edit, in words: 'prefix "عاجل |", emoji added'."""
    if not changes:
        return ""
    if isinstance(changes, dict):
        return "; ".join(f"{key}: {value}" if value not in (True, None) else str(key) for key, value in changes.items())
    return "; ".join(str(change) for change in changes)


def _images(store: Store, conn, report: Report, found: list[dict], citations: Citations) -> None:
    reason = stage_missing(store, "images", "image_clusters")
    if reason:
        report.omitted["Image provenance"] = reason
        return
    for finding, cited in _cited_members(conn, found, citations):
        members = [ImageMember(say.name_of(post), platform_name(post["platform"]), post["affiliation"], post["date"],
                               "first seen" if item["role"] == "first" else say.duration(detail.get("lag_seconds", 0)),
                               detail.get("match", item["role"]), detail.get("distance", 0), ref)
                   for item, post, detail, ref in cited]
        first, _, detail, _ = cited[0]
        picture = thumbnail(conn, first["post_pk"], first["version"], detail["sha256"]) if detail.get("sha256") else None
        report.images.append(ImageCase(_item(finding, citations, 0), picture, members[0], members[1:]))


def _symbols(store: Store, report: Report, found: list[dict], citations: Citations, cite: int) -> None:
    reason = stage_missing(store, "symbols", "symbol_pairings")
    if reason:
        report.omitted["Symbols next to entities"] = reason
        return
    for finding in found:
        details = finding["details"]
        report.symbols.append(SymbolRow(details["symbol"], details.get("meaning"), details["entity_name"], details["posts"], details["channels"],
                                        finding["first_date"], finding["last_date"],
                                        [citations.cite(item["post_pk"], item["version"]) for item in finding["evidence"][:cite]]))


def _trends(store: Store, conn, report: Report, upticks: list[dict], citations: Citations, cite: int) -> None:
    reason = stage_missing(store, "trends", "trend_counts")
    if reason:
        report.omitted["Trends and upticks"] = reason
        return
    report.upticks = [_item(finding, citations, cite) for finding in upticks]
    since, until = report.period
    if since is None or until is None:
        return
    for dimension, title in (("narrative", "Narratives"), ("entity", "Entities"), ("symbol", "Symbols next to entities"), ("affiliation", "Affiliations")):
        if dimension not in stored_trends.dimensions():
            continue
        flagged = [finding for finding in upticks if finding["details"]["dimension"] == dimension]
        all_series = stored_trends.series(conn, dimension)
        keys = list(dict.fromkeys([finding["details"]["key"] for finding in flagged]
                                  + sorted(all_series, key=lambda key: -sum(count for _, count in all_series[key]))))[:MAX_SERIES]
        if not keys:
            continue
        labels = stored_trends.tag_labels(conn, dimension)
        shown = {charts.latin_label(labels.get(key), key): all_series[key] for key in keys}
        periods = [(_utc_day(f["details"]["first_day"]), _utc_day(f["details"]["last_day"])) for f in flagged]
        svg = charts.counts_over_time(shown, periods, f"{title}: posts per day, upticks shaded", since, until)
        report.figures.setdefault("Trends and upticks", []).append(Figure(f"{title} over time", svg, f"trend-{dimension}"))


def _utc_day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _network(store: Store, conn, report: Report) -> dict[str, str]:
    reason = stage_missing(store, "network", "network_channels")
    if reason:
        report.omitted["Coordination network"] = reason
        return {}
    from echoscope.store import network as stored_network  # the network stage's own readers

    nodes = [node for node in stored_network.network_nodes(conn) if node["role"] is not None]
    weights: dict[tuple[int, int], float] = {}
    for edge in stored_network.network_edge_rows(conn):
        pair = (min(edge["source_pk"], edge["target_pk"]), max(edge["source_pk"], edge["target_pk"]))
        weights[pair] = weights.get(pair, 0.0) + edge["weight"]
    communities: dict = {}
    for node in nodes:
        name = say.name_of(node)
        communities.setdefault(node["community"], []).append(f"{name} ({node['affiliation']})" if node["affiliation"] else name)
    report.communities = [Community(number, names) for number, names in sorted(communities.items(), key=lambda item: (item[0] is None, item[0] or 0))]
    figure_nodes = [{"id": node["pk"], "community": node["community"],
                     "label": charts.latin_label(node["username"] and f"@{node['username']}", node["title"], node["channel_id"])
                     + (f"\n{charts.latin_label(node['affiliation'])}" if node["affiliation"] else "")} for node in nodes]
    ids = {node["id"] for node in figure_nodes}
    edges = [(a, b, weight) for (a, b), weight in sorted(weights.items()) if a in ids and b in ids]
    if edges:  # without a significant edge there is nothing to draw, only the list below
        report.figures["Coordination network"] = [Figure("Channels that act together, coloured by community", charts.network(figure_nodes, edges), "network")]
    return {node["channel_id"]: node["role"] for node in nodes}


def _channels(conn, scope: Scope, roles: dict[str, str]) -> list[ChannelRow]:
    rows = []
    for row in channel_stats(conn):
        if scope.affiliation and (row["affiliation"] or "").lower() != scope.affiliation.lower():
            continue
        if scope.channel and scope.channel.lower().lstrip("@") not in {(row["username"] or "").lower(), (row["channel_id"] or "").lower(), (row["title"] or "").lower()}:
            continue
        if not row["posts"]:
            continue
        rows.append(ChannelRow(say.name_of(row), row["username"], row["channel_id"],
                               row["platform"], row["affiliation"], row["posts"], row["first"], row["last"], roles.get(row["channel_id"])))
    return rows


def _stages(history: list[dict]) -> list[StageRow]:
    """The latest run of each stage, in the order they last ran."""
    latest: dict[str, dict] = {}
    for run in history:  # newest first
        latest.setdefault(run["stage"], run)
    runs = sorted(latest.values(), key=lambda run: run["pk"])
    return [StageRow(run["stage"], run["status"], as_utc(run["finished_at"]),
                     ", ".join(f"{key} {value:,}" for key, value in (run["counts"] or {}).items()), run["note"] or "") for run in runs]

