"""Image reuse: a picture's first known appearance (any platform) and the channels that posted it later,
from the images stage's clusters — the seed's "this image had previously been used on Facebook"."""

from __future__ import annotations

from typing import Iterator

from sqlalchemy import Connection

from echoscope.findings import IMAGE_REUSE, Evidence, Finding, saturating
from echoscope.findings import phrasing as say
from echoscope.store import finding_sources

PLATFORM_NAMES = {"telegram": "Telegram", "facebook": "Facebook", "twitter": "Twitter", "x": "X", "instagram": "Instagram", "vk": "VK"}


def platform_name(platform: str) -> str:
    return PLATFORM_NAMES.get(platform.lower(), platform)


def statement(first: dict, later: list[dict]) -> str:
    where = f" on {platform_name(first['platform'])}" if first["platform"] != later[0]["platform"] else ""
    origin = f"in a post by {say.name_of(first)}{where} on {say.day(first['date'])}"
    if len({member["channel_pk"] for member in later}) == 1:
        one = later[0]
        return (f"On {say.day(one['date'])} {say.channel_phrase(say.name_of(one), one['affiliation'])} posted an image that had "
                f"first appeared {origin}, {say.duration(one['lag_seconds'])} earlier.")
    names = list(dict.fromkeys(say.name_of(member) for member in later))
    platforms = {member["platform"] for member in [first, *later]}
    across = f" on {len(platforms)} platforms" if len(platforms) > 1 else ""
    when = say.day_range(later[0]["date"], later[-1]["date"])
    rest = (f"{say.plural(len(names), 'channel')} ({say.names_list(names)}) posted an image that had first appeared "
            f"{origin}; it appears in {say.plural(len(later) + 1, 'post')}{across}.")
    return say.opening(when, rest)


def produce(conn: Connection) -> Iterator[Finding]:
    for cluster, members in finding_sources.image_cascades(conn):
        if len(members) < 2:
            continue
        first, later = members[0], members[1:]
        channels = {member["channel_pk"] for member in later} - {first["channel_pk"]}
        platforms = {member["platform"] for member in members}
        affiliated = {member["channel_pk"] for member in later if member["affiliation"]}
        yield Finding(
            kind=IMAGE_REUSE,
            key=f"cluster:{cluster['pk']}",
            statement=statement(first, later),
            score=saturating(len(channels) + (len(platforms) - 1) + 0.5 * len(affiliated), scale=3.0),
            first_date=first["date"],
            last_date=later[-1]["date"],
            evidence=(Evidence(first["post_pk"], first["version"], "first"),)
            + tuple(Evidence(member["post_pk"], member["version"], "reuse") for member in later),
            details={"cluster": cluster["pk"], "platforms": sorted(platforms),
                     "members": [{"post_pk": member["post_pk"], "sha256": member["sha256"], "match": member["match"],
                                  "distance": member["distance"], "lag_seconds": member["lag_seconds"]} for member in members]},
        )
