"""Coordination communities: channels the network stage found acting together (echoing or forwarding each
other more than their activity alone explains), with the shared echoes that prove it."""

from __future__ import annotations

from typing import Iterator

from sqlalchemy import Connection

from echoscope.findings import COORDINATION_COMMUNITY, Evidence, Finding, saturating
from echoscope.findings import phrasing as say
from echoscope.store import finding_sources

MAX_EVIDENCE = 200
KIND_WORDS = {"echo": "echoed", "forward": "forwarded", "image": "shared images with", "link": "shared links with"}


def statement(members: list[dict], edges: list[dict]) -> str:
    names = [say.name_of(member) for member in members]
    kinds = [KIND_WORDS.get(kind, kind) for kind in sorted({edge["kind"] for edge in edges})]
    times = sum(edge["count"] for edge in edges)
    amplifiers = [name for name, member in zip(names, members) if member["role"] == "amplifier"]
    roles = f"; {say.names_list(amplifiers)} mostly amplified what others posted first" if amplifiers else ""
    return (f"{say.channel_group(members, limit=5)} acted together: they "
            f"{say.names_list(kinds) if kinds else 'linked to'} each other {say.plural(times, 'time')} more often than "
            f"their activity alone explains{roles}.")


def produce(conn: Connection) -> Iterator[Finding]:
    for community, members, edges in finding_sources.communities(conn):
        behind = finding_sources.shared_echo_posts(conn, [member["channel_pk"] for member in members], MAX_EVIDENCE)
        if not behind:
            continue
        affiliated = sum(1 for member in members if member["affiliation"])
        yield Finding(
            kind=COORDINATION_COMMUNITY,
            key=f"community:{community}:" + ",".join(str(member["channel_pk"]) for member in members),
            statement=statement(members, edges),
            score=saturating(len(members) + 0.5 * affiliated + len(edges) / 2, scale=4.0),
            first_date=behind[0][2],
            last_date=behind[-1][2],
            evidence=tuple(Evidence(pk, version, "shared") for pk, version, _ in behind),
            details={"community": community, "channels": [member["channel_pk"] for member in members],
                     "edges": len(edges), "posts": len(behind)},
        )
