"""The words findings are made of: dates, channels with their affiliation, counts, durations.

Statements are plain text (the report escapes them); channel names come from the store and are untrusted.
"""

from __future__ import annotations

from datetime import datetime


def day(moment: datetime) -> str:
    """8 June 2023"""
    return f"{moment.day} {moment:%B %Y}"


def day_range(first: datetime, last: datetime) -> str:
    """'on 8 June 2023', or 'between 1 and 7 June 2023', or 'between 28 May and 3 June 2023'."""
    if first.date() == last.date():
        return f"on {day(first)}"
    if (first.year, first.month) == (last.year, last.month):
        return f"between {first.day} and {day(last)}"
    if first.year == last.year:
        return f"between {first.day} {first:%B} and {day(last)}"
    return f"between {day(first)} and {day(last)}"


def opening(when: str, rest: str) -> str:
    """A sentence that starts with its date phrase: 'On 8 June 2023 the channel …', and a comma before a
    number so two figures never run together ('Between 1 and 7 June 2023, 42 posts …')."""
    return f"{when[0].upper()}{when[1:]}{',' if rest[:1].isdigit() else ''} {rest}"


def channel_name(title: str | None, username: str | None, channel_id: str | None) -> str:
    if title:
        return title
    if username:
        return f"@{username}"
    return channel_id or "an unnamed channel"


def name_of(row: dict) -> str:
    """The channel name of a record carrying title, username and channel_id."""
    return channel_name(row["title"], row["username"], row["channel_id"])


def channel_phrase(name: str, affiliation: str | None) -> str:
    """'the channel X, affiliated with Ashab al-Kahf' — the registry's affiliation, when it has one."""
    return f"the channel {name}, affiliated with {affiliation}," if affiliation else f"the channel {name}"


def channel_group(rows: list[dict], limit: int = 3) -> str:
    """'2 channels (X and Y), both affiliated with A,' when they share one affiliation; otherwise each name
    carries its own: '2 channels (X and Y [Ashab al-Kahf])', so no channel is given another's affiliation."""
    named = list(dict.fromkeys((name_of(row), row["affiliation"]) for row in rows))
    affiliations = {affiliation for _, affiliation in named}
    count = plural(len(named), "channel")
    if len(affiliations) == 1 and None not in affiliations:
        together = "both" if len(named) == 2 else "all"
        return f"{count} ({names_list([name for name, _ in named], limit)}), {together} affiliated with {affiliations.pop()},"
    return f"{count} ({names_list([f'{name} [{affiliation}]' if affiliation else name for name, affiliation in named], limit)})"


def names_list(names: list[str], limit: int = 3) -> str:
    """'X, Y and Z' — or 'X, Y, Z and 4 others' past the limit."""
    if len(names) > limit:
        return f"{', '.join(names[:limit])} and {len(names) - limit} others"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (words or word + 's')}"


def duration(seconds: float) -> str:
    """A lag as an analyst says it: '4 minutes', '3 hours', '23.5 hours', '1 day', '2.5 days'."""
    if seconds < 3600:
        return plural(max(1, round(seconds / 60)), "minute")
    if seconds < 86400:
        return _about(seconds / 3600, "hour", 0.1)
    return _about(seconds / 86400, "day", 0.15)


def _about(value: float, unit: str, tolerance: float) -> str:
    return plural(round(value), unit) if abs(value - round(value)) < tolerance else f"{value:.1f} {unit}s"
