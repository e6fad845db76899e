"""Link stage `trends`: daily and weekly post counts per channel, affiliation, entity, narrative and symbol
pairing, and "uptick" findings where a count breaks out of its trailing baseline.

Burst test, run on days (sudden bursts) and on weeks (a rise that lasts, such as "more pro-Russia posts in
June than in May"): the baseline rate of a period is the mean count of the last `baseline` periods before
it that were not flagged themselves (so a long burst neither hides itself nor runs out of baseline),
floored at `min_rate`. Only periods the sources cover count (corpus-wide posts at least `min_coverage`
of the median period): a gap in collection is not a quiet spell. A period is flagged when its count is at least `min_posts`, at least `min_ratio`
times the baseline, and the Poisson probability of a count that high is at most `max_p`. Consecutive
flagged periods form one uptick, scored by the Poisson surprise of its total. A weekly uptick that is
mostly explained by daily upticks inside it (they hold half its excess or more) is left out: the daily
ones say the same more precisely.
Counts are recomputed on every run (one streaming pass per dimension; memory grows with keys × days, not
with posts).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from echoscope.findings import UPTICK, Evidence, Finding, saturating
from echoscope.findings import phrasing as say
from echoscope.stages.base import Progress, Stage, StageReport
from echoscope.store import Store
from echoscope.store import findings as stored_findings
from echoscope.store import trends as stored_trends


def poisson_surprise(count: int, rate: float) -> float:
    """-log10 P(X ≥ count) for X ~ Poisson(rate); 0 when the count is not above the rate."""
    if count <= rate:
        return 0.0
    log_term = -rate + count * math.log(rate) - math.lgamma(count + 1)
    total, term, k = 1.0, 1.0, count
    while term > 1e-12 * total:  # the series' ratios fall below 1 once k > rate, so this ends quickly
        k += 1
        term *= rate / k
        total += term
    return -(log_term + math.log(total)) / math.log(10)


@dataclass(frozen=True)
class BurstTest:
    step: timedelta  # one day or one week
    baseline: int  # periods
    min_history: int
    min_posts: int
    min_ratio: float
    min_rate: float
    max_p: float

    @classmethod
    def days(cls, settings: dict) -> "BurstTest":
        return cls(timedelta(days=1), settings["baseline_days"], settings["min_history_days"], settings["min_posts"],
                   settings["min_ratio"], settings["min_rate"], settings["max_p"])

    @classmethod
    def weeks(cls, settings: dict) -> "BurstTest":
        return cls(timedelta(weeks=1), settings["baseline_weeks"], settings["min_history_weeks"], settings["min_posts"],
                   settings["weekly_min_ratio"], settings["min_rate"], settings["weekly_max_p"])


@dataclass
class Uptick:
    first: date  # start of the first period
    last: date  # start of the last period
    posts: int
    expected: float
    step: timedelta

    @property
    def surprise(self) -> float:
        return poisson_surprise(self.posts, self.expected)

    @property
    def end(self) -> date:
        """The day after the uptick."""
        return self.last + self.step


def find_upticks(counts: dict[date, int], periods: list[date], test: BurstTest) -> list[Uptick]:
    """Runs of consecutive `periods` (the covered ones, keyed by their first day, in order) whose counts
    break out of the trailing baseline (see the module docstring)."""
    threshold = -math.log10(test.max_p)
    flagged: set[int] = set()
    upticks: list[Uptick] = []
    for index, period in enumerate(periods):
        count = counts.get(period, 0)
        history = [counts.get(periods[back], 0) for back in range(index - 1, -1, -1) if back not in flagged][: test.baseline]
        if count < test.min_posts or len(history) < test.min_history:
            continue
        rate = max(sum(history) / len(history), test.min_rate)
        if count >= test.min_ratio * rate and poisson_surprise(count, rate) >= threshold:
            if upticks and index - 1 in flagged:
                upticks[-1].last, upticks[-1].posts, upticks[-1].expected = period, upticks[-1].posts + count, upticks[-1].expected + rate
            else:
                upticks.append(Uptick(period, period, count, rate, test.step))
            flagged.add(index)
    return upticks


def covered(volume: Counter, share: float) -> list[date]:
    """The periods the sources cover, in order: those whose corpus-wide post count is at least `share` of the
    median non-empty period. A stray old post (a 2022 Facebook post in a 2023 corpus) covers nothing, so the
    months around it are not read as quiet history."""
    if not volume:
        return []
    typical = sorted(volume.values())[len(volume) // 2]
    return sorted(period for period, posts in volume.items() if posts >= share * typical)


def series_upticks(daily: Counter, days: list[date], weeks: list[date], settings: dict) -> list[Uptick]:
    """A series' daily upticks, and its weekly ones that the daily ones do not already explain."""
    by_day = find_upticks(daily, days, BurstTest.days(settings))
    by_week = []
    for uptick in find_upticks(_weekly(daily), weeks, BurstTest.weeks(settings)):
        inside = sum(day.posts - day.expected for day in by_day if uptick.first <= day.first < uptick.end)
        if inside < 0.5 * (uptick.posts - uptick.expected):
            by_week.append(uptick)
    return by_day + by_week


def _weekly(daily: Counter) -> Counter:
    weekly: Counter = Counter()
    for day, posts in daily.items():
        weekly[_monday(day)] += posts
    return weekly


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


class Trends(Stage):
    name = "trends"
    kind = "link"
    description = "Daily/weekly counts per channel, affiliation, entity, narrative, symbol; upticks against a trailing baseline."
    defaults = {"baseline_days": 14, "min_history_days": 7, "min_posts": 5, "min_ratio": 2.0, "min_rate": 0.5, "max_p": 0.001,
                "baseline_weeks": 4, "min_history_weeks": 3, "weekly_min_ratio": 1.5, "weekly_max_p": 0.01, "min_coverage": 0.2, "max_evidence": 200}

    def run(self, store: Store, settings: dict, progress: Progress) -> StageReport:
        dimensions = stored_trends.dimensions()
        daily: dict[tuple[str, str], Counter] = defaultdict(Counter)
        with store.reading() as conn:
            for done, dimension in enumerate(dimensions):
                for key, moment, _ in stored_trends.iter_dated(conn, dimension):
                    daily[(dimension, key)][moment.date()] += 1
                progress(done + 1, len(dimensions) + 1)
        report = StageReport(self.name, counts={"series": len(daily), "upticks": 0})
        volume = Counter()
        for (dimension, _), counts in daily.items():
            if dimension == "channel":
                volume.update(counts)
        days, weeks = covered(volume, settings["min_coverage"]), covered(_weekly(volume), settings["min_coverage"])
        with store.transaction() as conn:
            stored_trends.replace_counts(conn, _count_rows(daily))
            labels = _Labels(conn, dimensions)
            found = [
                _finding(conn, dimension, key, uptick, labels, settings)
                for (dimension, key), counts in sorted(daily.items())
                for uptick in series_upticks(counts, days, weeks, settings)
            ]
            report.counts["upticks"] = stored_findings.replace_findings(conn, UPTICK, found, datetime.now(UTC))
        progress(len(dimensions) + 1, len(dimensions) + 1)
        return report


def _count_rows(daily: dict[tuple[str, str], Counter]) -> list[dict]:
    rows = []
    for (dimension, key), counts in daily.items():
        rows += [{"dimension": dimension, "key": key, "period": "day", "start": _midnight(day), "posts": posts}
                 for day, posts in counts.items()]
        rows += [{"dimension": dimension, "key": key, "period": "week", "start": _midnight(day), "posts": posts}
                 for day, posts in _weekly(counts).items()]
    return rows


class _Labels:
    """How each series is named in a sentence."""

    def __init__(self, conn, dimensions: list[str]):
        self.channels = stored_trends.channel_labels(conn)
        self.tags = {dimension: stored_trends.tag_labels(conn, dimension) for dimension in dimensions if dimension in ("entity", "symbol")}

    def subject(self, dimension: str, key: str) -> tuple[str, str]:
        """(the label for charts and tables, the subject and verb of the statement)."""
        if dimension == "channel":
            channel = self.channels[key]
            name = say.name_of(channel)
            return name, f"{say.channel_phrase(name, channel['affiliation'])} published"
        if dimension == "affiliation":
            return key, f"channels affiliated with {key} published"
        label = self.tags.get(dimension, {}).get(key, key)
        verbs = {"entity": f"mentioning {label}", "narrative": f"carrying the {key} narrative", "symbol": f"placing {label}"}
        return label, f"channels published posts {verbs[dimension]}:"


def _finding(conn, dimension: str, key: str, uptick: Uptick, labels: _Labels, settings: dict) -> Finding:
    first, end = _midnight(uptick.first), _midnight(uptick.end)
    behind = stored_trends.posts_of(conn, dimension, key, first, end)
    label, subject = labels.subject(dimension, key)
    ratio = uptick.posts / uptick.expected
    weekly = uptick.step.days == 7
    baseline = f"{settings['baseline_weeks']}-week" if weekly else f"{settings['baseline_days']}-day"
    last_post = behind[-1][2] if behind else end - timedelta(days=1)
    statement = (
        f"{say.opening(say.day_range(first, min(end - timedelta(days=1), last_post)), subject)} "
        f"{say.plural(uptick.posts, 'post')}, {ratio:.1f} times the trailing {baseline} baseline ({uptick.expected:.1f} expected)."
    )
    return Finding(
        kind=UPTICK,
        key=f"{dimension}:{key}:{'week' if weekly else 'day'}:{uptick.first.isoformat()}",
        statement=statement,
        score=saturating(uptick.surprise, scale=8.0),
        first_date=behind[0][2] if behind else first,
        last_date=last_post,
        evidence=tuple(Evidence(pk, version, "burst") for pk, version, _ in behind[: settings["max_evidence"]]),
        details={"dimension": dimension, "key": key, "label": label, "period": "week" if weekly else "day",
                 "first_day": uptick.first.isoformat(), "last_day": (uptick.end - timedelta(days=1)).isoformat(),
                 "posts": uptick.posts, "expected": round(uptick.expected, 2), "ratio": round(ratio, 2),
                 "surprise": round(uptick.surprise, 2), "posts_cited": min(len(behind), settings["max_evidence"])},
    )
