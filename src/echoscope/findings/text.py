"""Symbol pairings and narratives, from the text stages' per-post tags (`symbol_pairings`, `narrative_tags`).

One finding per symbol–entity pair and per narrative tag, across channels: the analyst's question is not
"does this post use 🏳️‍🌈 next to NATO" but "who does it, how often, since when".
"""

from __future__ import annotations

from typing import Iterator

from sqlalchemy import Connection

from echoscope.findings import NARRATIVE, SYMBOL_PAIRING, Evidence, Finding, saturating
from echoscope.findings import phrasing as say
from echoscope.store import finding_sources

MAX_EVIDENCE = 200


def _channels(members: list[dict]) -> list[str]:
    """Channel names, most posts first."""
    counts: dict[str, int] = {}
    for member in members:
        name = say.name_of(member)
        counts[name] = counts.get(name, 0) + 1
    return sorted(counts, key=lambda name: (-counts[name], name))


def _finding(kind: str, key: str, statement: str, members: list[dict], role: str, details: dict, known: bool) -> Finding:
    """`known`: the watchlist gives the symbol a meaning (a slur, a flag), which makes a pairing worth more."""
    channels = {member["channel_pk"] for member in members}
    return Finding(
        kind=kind,
        key=key,
        statement=statement,
        score=saturating(len(channels) + len(members) / 10 + (1.5 if known else 0), scale=6.0),
        first_date=members[0]["date"],
        last_date=members[-1]["date"],
        evidence=tuple(Evidence(member["post_pk"], member["version"], role) for member in members[:MAX_EVIDENCE]),
        details=details | {"posts": len(members), "channels": len(channels), "posts_cited": min(len(members), MAX_EVIDENCE)},
    )


def symbol_pairings(conn: Connection) -> Iterator[Finding]:
    groups = finding_sources.tag_groups(conn, "symbol_pairings", ("symbol", "meaning", "entity", "entity_name"))
    for (symbol, meaning, entity, entity_name), members in groups:
        names = _channels(members)
        when = say.day_range(members[0]["date"], members[-1]["date"])
        meant = f" ({meaning})" if meaning else ""
        statement = say.opening(when, f"{say.plural(len(names), 'channel')} ({say.names_list(names)}) placed "
                                      f"{symbol}{meant} next to {entity_name} in {say.plural(len(members), 'post')}.")
        yield _finding(SYMBOL_PAIRING, f"{symbol} {entity}", statement, members, "pairing",
                       {"symbol": symbol, "meaning": meaning, "entity": entity, "entity_name": entity_name}, known=meaning is not None)


def narratives(conn: Connection) -> Iterator[Finding]:
    for (narrative,), members in finding_sources.tag_groups(conn, "narrative_tags", ("narrative",)):
        names = _channels(members)
        when = say.day_range(members[0]["date"], members[-1]["date"])
        statement = say.opening(when, f"{say.plural(len(members), 'post')} by {say.plural(len(names), 'channel')} "
                                      f"carried the {narrative} narrative, most of them from {names[0]}.")
        yield _finding(NARRATIVE, narrative, statement, members, "tagged", {"narrative": narrative}, known=True)
