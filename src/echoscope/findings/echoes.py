"""Echo cascades: an origin post and the channels that republished it, from the echoes stage's clusters."""

from __future__ import annotations

from typing import Iterator

from sqlalchemy import Connection

from echoscope.findings import ECHO_CASCADE, Evidence, Finding, saturating
from echoscope.findings import phrasing as say
from echoscope.store import finding_sources

HOW = {"exact": "verbatim", "near": "almost verbatim", "contained": "in part (cut or expanded)", "forward": "as a forward"}
_LOOSENESS = ("exact", "forward", "near", "contained")


def _how(echoes: list[dict]) -> str:
    kinds = {member["kind"] for member in echoes}
    loosest = max(kinds, key=lambda kind: _LOOSENESS.index(kind) if kind in _LOOSENESS else len(_LOOSENESS))
    return HOW.get(loosest, "")


def statement(origin: dict, echoes: list[dict]) -> str:
    """One sentence: who echoed whom, how faithfully, and how fast."""
    origin_phrase = say.channel_phrase(say.name_of(origin), origin["affiliation"])
    if len({member["channel_pk"] for member in echoes}) == 1:
        first = echoes[0]
        echoer = say.channel_phrase(say.name_of(first), first["affiliation"])
        return (f"On {say.day(first['date'])} {echoer} published {_how(echoes)} the post that {origin_phrase} had "
                f"published on {say.day(origin['date'])}, {say.duration(first['lag_seconds'])} later.")
    when = say.day_range(echoes[0]["date"], echoes[-1]["date"])
    rest = (f"{say.channel_group(echoes)} republished {_how(echoes)} the post "
            f"that {origin_phrase} had published on {say.day(origin['date'])}; the first echo came "
            f"{say.duration(echoes[0]['lag_seconds'])} later.")
    return say.opening(when, rest)


def produce(conn: Connection) -> Iterator[Finding]:
    for cluster, members in finding_sources.echo_cascades(conn):
        origin = next((member for member in members if member["kind"] == "origin"), None)
        echoes = [member for member in members if member is not origin and member["channel_pk"] != (origin or {}).get("channel_pk")]
        if origin is None or not echoes:
            continue
        echo_channels = {member["channel_pk"] for member in echoes}
        other_affiliation = {member["channel_pk"] for member in echoes if member["affiliation"] and member["affiliation"] != origin["affiliation"]}
        fast = 1.0 if echoes[0]["lag_seconds"] < 3600 else 0.0
        yield Finding(
            kind=ECHO_CASCADE,
            key=f"cluster:{cluster['pk']}",
            statement=statement(origin, echoes),
            score=saturating(len(echo_channels) + 0.5 * len(other_affiliation) + fast, scale=3.0),
            first_date=origin["date"],
            last_date=echoes[-1]["date"],
            evidence=(Evidence(origin["post_pk"], origin["version"], "origin"),)
            + tuple(Evidence(member["post_pk"], member["version"], "echo") for member in echoes),
            details={"cluster": cluster["pk"], "cluster_kind": cluster["kind"], "channels": len(echo_channels) + 1,
                     "first_lag_seconds": echoes[0]["lag_seconds"],
                     "members": [{"post_pk": member["post_pk"], "lag_seconds": member["lag_seconds"], "kind": member["kind"],
                                  "similarity": member["similarity"], "changes": member["changes"]} for member in members]},
        )
