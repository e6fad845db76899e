"""Dates as analysts type them, for every front end (CLI flags, web forms)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Optional

from echoscope.errors import QueryError


def parse_when(value: Optional[str], *, end: bool) -> Optional[datetime]:
    """A date or ISO datetime (UTC unless it says otherwise). A bare --until date includes that day."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return start + timedelta(days=1) if end else start
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise QueryError(f"{value!r} is not a date (use 2023-06-07 or 2023-06-07T14:30:00Z)") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
