"""The trends stage: counts per day and week, and upticks against a trailing baseline, on a real store."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
import report_corpus
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from echoscope import pipeline
from echoscope.findings import UPTICK
from echoscope.stages.trends import BurstTest, Trends, covered, find_upticks, poisson_surprise, series_upticks
from echoscope.store import findings as stored_findings
from echoscope.store import trends as stored_trends
from echoscope.store.schema import channels, post_versions, posts

SETTINGS = Trends.defaults
MAY = date(2023, 5, 1)


def _days(counts: list[int]) -> Counter:
    return Counter({MAY + timedelta(days=index): count for index, count in enumerate(counts) if count})


def _calendar(days: int) -> list[date]:
    return [MAY + timedelta(days=index) for index in range(days)]


def _upticks(counts: list[int], **overrides):
    return find_upticks(_days(counts), _calendar(len(counts)), BurstTest.days(SETTINGS | overrides))


@given(st.integers(min_value=0, max_value=60), st.floats(min_value=0.1, max_value=30))
def test_the_poisson_surprise_is_the_upper_tail_probability(count, rate):
    tail = math.fsum(math.exp(k * math.log(rate) - rate - math.lgamma(k + 1)) for k in range(count, count + 500))
    expected = -math.log10(tail) if count > rate else 0.0
    assert poisson_surprise(count, rate) == pytest.approx(expected, rel=1e-6, abs=1e-9)


def test_a_burst_after_a_quiet_baseline_is_one_uptick_spanning_its_days():
    counts = [1, 2, 1, 1, 0, 2, 1, 1, 2, 1, 1, 1, 0, 1, 9, 12, 8, 1, 1]
    (uptick,) = _upticks(counts)
    assert (uptick.first, uptick.last) == (MAY + timedelta(days=14), MAY + timedelta(days=16))
    assert uptick.posts == 29
    # each day's baseline: the last 14 days before it that are not burst days
    assert uptick.expected == pytest.approx(3 * sum(counts[:14]) / 14)
    assert uptick.surprise > 10


def test_steady_or_noisy_activity_and_small_counts_are_not_upticks():
    assert _upticks([5, 6, 4, 5, 7, 5, 6, 4, 5, 6, 5, 7, 6, 5, 8, 6]) == []
    assert _upticks([0] * 10 + [4]) == []  # below min_posts
    assert _upticks([9, 9, 9, 30]) == []  # not enough history for a baseline


def test_the_baseline_leaves_out_days_already_flagged_so_a_long_burst_stays_one_uptick():
    counts = [1] * 14 + [10] * 10
    (uptick,) = _upticks(counts)
    assert (uptick.last - uptick.first).days == 9 and uptick.posts == 100


def _weeks(days: int) -> list[date]:
    return sorted({day - timedelta(days=day.weekday()) for day in _calendar(days)})


def test_a_rise_that_lasts_weeks_is_one_weekly_uptick_though_no_day_stands_out():
    counts = [1, 0, 1, 1, 0, 1, 1] * 4 + [3, 2, 3, 3, 2, 3, 3] * 3  # May: 5 a week; then 19 a week
    calendar = [day for day in _calendar(len(counts))]
    (uptick,) = series_upticks(_days(counts), calendar, _weeks(len(counts)), SETTINGS)
    assert uptick.step == timedelta(weeks=1) and uptick.posts == 57
    assert uptick.first == MAY + timedelta(days=28)  # 1 May 2023 is a Monday: the weeks of 29 May, 5 and 12 June
    assert find_upticks(_days(counts), calendar, BurstTest.days(SETTINGS)) == []


def test_a_week_explained_by_a_daily_burst_is_not_reported_twice():
    counts = [1] * 28 + [1, 1, 12, 14, 1, 1, 1]
    found = series_upticks(_days(counts), _calendar(len(counts)), _weeks(len(counts)), SETTINGS)
    assert [uptick.step for uptick in found] == [timedelta(days=1)]


def test_a_gap_in_collection_is_not_read_as_a_quiet_spell():
    stray = date(2022, 10, 14)  # one old post from another platform
    volume = Counter({stray: 1} | {MAY + timedelta(days=index): 8 for index in range(30)})
    series = Counter({stray: 1} | {MAY + timedelta(days=index): 5 for index in range(30)})
    days = covered(volume, 0.2)
    assert days == _calendar(30)
    assert find_upticks(series, days, BurstTest.days(SETTINGS)) == []
    every_day_since = [stray + timedelta(days=index) for index in range((MAY - stray).days + 30)]
    assert find_upticks(series, every_day_since, BurstTest.days(SETTINGS)) != []  # what the coverage rule prevents


@pytest.fixture
def analysed(store, tmp_path):
    report_corpus.build(store, tmp_path / "exports")
    pipeline.run_stages(store, ["trends"])
    return store


def _channel_pk(conn, channel_id: str) -> str:
    return str(conn.execute(select(channels.c.pk).where(channels.c.channel_id == channel_id)).scalar_one())


def test_daily_and_weekly_counts_add_up_to_the_posts_of_each_channel(analysed):
    with analysed.reading() as conn:
        dates = [row.date for row in conn.execute(select(posts.c.date, channels.c.channel_id).select_from(
            posts.join(channels, channels.c.pk == posts.c.channel_pk)).where(channels.c.channel_id == "channel1001"))]
        key = _channel_pk(conn, "channel1001")
        daily = stored_trends.series(conn, "channel", "day", [key])[key]
        weekly = stored_trends.series(conn, "channel", "week", [key])[key]
    assert sum(count for _, count in daily) == sum(count for _, count in weekly) == len(dates)
    assert Counter(moment.date() for moment in dates) == {day.date(): count for day, count in daily}
    assert all(start.weekday() == 0 for start, _ in weekly)


def test_the_june_burst_is_an_uptick_finding_citing_exactly_its_posts(analysed):
    with analysed.reading() as conn:
        found = stored_findings.ranked(conn, kinds=[UPTICK])
        key = _channel_pk(conn, "channel1001")
        burst_posts = conn.execute(
            select(posts.c.pk, post_versions.c.raw_sha256)
            .join(post_versions, (post_versions.c.post_pk == posts.c.pk) & (post_versions.c.version == posts.c.version))
            .where(posts.c.channel_pk == int(key), posts.c.date >= datetime(2023, 6, 5, tzinfo=UTC), posts.c.date < datetime(2023, 6, 8, tzinfo=UTC))
        ).all()
    (uptick,) = [finding for finding in found if finding["details"]["dimension"] == "channel"]
    assert (uptick["details"]["first_day"], uptick["details"]["last_day"]) == ("2023-06-05", "2023-06-07")
    assert uptick["details"]["posts"] == len(burst_posts)
    assert {(item["post_pk"], item["raw_sha256"]) for item in uptick["evidence"]} == {tuple(row) for row in burst_posts}
    assert uptick["statement"].startswith("Between 5 and 7 June 2023 the channel Friends of Russia in Iraq published")
    assert f"{len(burst_posts)} posts" in uptick["statement"]


def test_a_second_run_replaces_counts_and_upticks_instead_of_adding(analysed):
    before = analysed.counts()
    pipeline.run_stages(analysed, ["trends"])
    after = analysed.counts()
    assert (after["trend_counts"], after["findings"], after["finding_evidence"]) == (
        before["trend_counts"], before["findings"], before["finding_evidence"])
