"""The parts of the network stage on plain arrays: pairs within windows, the null model, communities, roles."""

from __future__ import annotations

from math import comb

import numpy as np
import pytest

from echoscope.errors import ConfigError
from echoscope.network.communities import leiden_communities
from echoscope.network.cooccurrence import Cooccurrence, parse_windows
from echoscope.network.roles import RoleTally, classify
from echoscope.network.significance import benjamini_hochberg, hypergeom_sf, score_directed, score_shared

MINUTE = 60


def edges(found: Cooccurrence, window: str) -> dict[tuple[int, int], tuple[int, float]]:
    table = found.pairs(window)
    return {(s, t): (c, round(w, 6)) for s, t, c, w in zip(table.source.tolist(), table.target.tolist(), table.count.tolist(), table.weight.tolist())}


def test_pairs_point_from_first_to_follower_and_count_only_inside_each_window():
    found = Cooccurrence(parse_windows(["1h", "10m"]))
    # item 1: channel 1 first, 2 after 5 min, 3 after 50 min; channel 2 posts it twice (counts once, first time)
    # item 2: channels 2 then 1 after 2 min; item 3: channel 4 alone (shared by nobody)
    found.add(item=[1, 1, 1, 1, 2, 2, 3], channel=[1, 2, 3, 2, 2, 1, 4],
              seconds=[0, 5 * MINUTE, 50 * MINUTE, 6 * MINUTE, 1000, 1000 + 2 * MINUTE, 0])
    assert list(found.windows) == ["10m", "1h"]
    third = round(1 / 2, 6)  # item 1 has three channels: each pair gets 1/(3 − 1)
    assert edges(found, "10m") == {(1, 2): (1, third), (2, 1): (1, 1.0)}
    assert edges(found, "1h") == {(1, 2): (1, third), (1, 3): (1, third), (2, 3): (1, third), (2, 1): (1, 1.0)}
    # the null model's population (items two channels shared) and each channel's activity per window
    assert found.items == 2
    assert found.items_of == {"10m": {1: 2, 2: 2}, "1h": {1: 2, 2: 2, 3: 1}}


def test_batches_add_up_like_one_batch():
    rng = np.random.default_rng(3)
    item = np.repeat(np.arange(300), 4)
    channel = rng.integers(1, 12, item.size)
    seconds = rng.integers(0, 4 * 3600, item.size)
    whole, parts = Cooccurrence({"1h": 3600}), Cooccurrence({"1h": 3600})
    whole.add(item, channel, seconds)
    for start in range(0, item.size, 400):  # 100 whole items per batch
        parts.add(item[start:start + 400], channel[start:start + 400], seconds[start:start + 400])
    assert edges(whole, "1h") == edges(parts, "1h")
    assert whole.items == parts.items and whole.items_of == parts.items_of


@pytest.mark.parametrize("bad", [["10x"], ["0m"], [], ["ten minutes"]])
def test_a_bad_window_is_a_config_error(bad):
    with pytest.raises(ConfigError, match="windows"):
        parse_windows(bad)


def test_hypergeometric_tail_matches_the_exact_sum():
    def exact(x, population, successes, draws):
        return sum(comb(successes, k) * comb(population - successes, draws - k) for k in range(x, draws + 1)) / comb(population, draws)

    cases = [(0, 10, 3, 4), (1, 10, 3, 4), (3, 10, 3, 4), (4, 10, 3, 4), (2, 50, 40, 5), (12, 400, 15, 20), (5, 5, 5, 5)]
    ours = hypergeom_sf(*zip(*cases))
    assert ours == pytest.approx([exact(*case) for case in cases], rel=1e-9, abs=1e-15)


def test_hypergeometric_tail_agrees_with_scipy_on_large_counts():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(1)
    population = rng.integers(1, 5000, 500)
    successes, draws = rng.integers(0, population + 1), rng.integers(0, population + 1)
    observed = rng.integers(0, np.minimum(successes, draws) + 2)
    reference = stats.hypergeom.sf(observed - 1, population, successes, draws)
    assert hypergeom_sf(observed, population, successes, draws) == pytest.approx(reference, rel=1e-8, abs=1e-12)


def test_benjamini_hochberg_counts_untested_pairs_as_tests():
    p = np.array([0.001, 0.02, 0.035, 0.5])
    assert benjamini_hochberg(p, tests=4, alpha=0.05).tolist() == [True, True, True, False]  # 0.035 ≤ 0.05·3/4
    assert benjamini_hochberg(p, tests=40, alpha=0.05).tolist() == [True, False, False, False]


def test_a_channel_in_every_item_is_expected_to_share_everything():
    # channel 9 is in all 100 items; 1 and 2 share 10 of their 10
    source, target = np.array([9, 9, 1]), np.array([1, 2, 2])
    count = np.array([10, 10, 10])
    scored = score_shared(source, target, count, count.astype(float), {9: 100, 1: 10, 2: 10}, 100, alpha=0.01, min_count=2)
    assert scored.significant.tolist() == [False, False, True]
    assert scored.expected.tolist() == pytest.approx([10.0, 10.0, 1.0])
    assert scored.p_value[:2].tolist() == [1.0, 1.0]


def test_forwards_are_tested_per_direction_against_each_sides_activity():
    # four sources each forwarded 6 times by their own forwarder; one forwarder takes 6 from every source
    source = np.array([1, 2, 3, 4, 1, 2, 3, 4])
    target = np.array([11, 12, 13, 14, 20, 20, 20, 20])
    count = np.full(8, 6)
    out_of = {s: 12 for s in (1, 2, 3, 4)}
    in_of = {11: 6, 12: 6, 13: 6, 14: 6, 20: 24}
    scored = score_directed(source, target, count, out_of, in_of, 48, alpha=0.01, min_count=2)
    assert scored.significant.tolist() == [True] * 4 + [False] * 4


def test_leiden_finds_two_groups_the_same_way_every_time():
    group_a, group_b = [1, 2, 3, 4], [5, 6, 7, 8]
    links = [(a, b, 3.0) for group in (group_a, group_b) for a in group for b in group if a < b] + [(4, 5, 0.5)]
    first = leiden_communities(links, seed=7, resolution=1.0)
    assert first == leiden_communities(list(reversed(links)), seed=7, resolution=1.0)
    assert {first[n] for n in group_a} != {first[n] for n in group_b}
    assert len({first[n] for n in group_a}) == len({first[n] for n in group_b}) == 1
    assert sorted(set(first.values())) == [1, 2] and first[1] == 1  # ties in size: the group with the lowest channel first
    assert leiden_communities([], seed=7, resolution=1.0) == {}


def test_roles_count_each_cluster_once_per_channel():
    tally = RoleTally()
    # cluster 1: origin channel 1; channel 2 twice (lags 60 and 900) → one echo at 60; cluster 2: 2 first, 1 echoes at 30
    tally.add(cluster=[1, 1, 1, 2, 2], channel=[1, 2, 2, 2, 1], lag=[0, 900, 60, 0, 30], origin_channel=[1, 1, 1, 2, 2])
    tally.add(cluster=[3, 3], channel=[1, 3], lag=[0, 120], origin_channel=[1, 1])
    roles = tally.roles(origin_share=0.6, min_clusters=2)
    assert (roles[1].origins, roles[1].echoes, roles[1].median_lag_seconds, roles[1].role) == (2, 1, 30, "origin")
    assert (roles[2].origins, roles[2].echoes, roles[2].median_lag_seconds, roles[2].role) == (1, 1, 60, "mixed")
    assert (roles[3].origins, roles[3].echoes, roles[3].role) == (0, 1, "none")  # one cluster: too little to say


@pytest.mark.parametrize(("origins", "echoes", "role"), [(6, 4, "origin"), (4, 6, "amplifier"), (5, 5, "mixed"), (0, 2, "none")])
def test_classify_by_share_of_first_posts(origins, echoes, role):
    assert classify(origins, echoes, origin_share=0.6, min_clusters=3) == role


def test_pairs_agree_with_a_plain_loop_on_random_items():
    rng = np.random.default_rng(11)
    item = rng.integers(0, 60, 500)
    channel = rng.integers(1, 15, 500)
    seconds = rng.integers(0, 3 * 3600, 500)
    windows = {"10m": 600, "1h": 3600}
    found = Cooccurrence(windows)
    found.add(item, channel, seconds)
    first: dict[tuple[int, int], int] = {}
    for i, c, t in zip(item.tolist(), channel.tolist(), seconds.tolist()):
        first[(i, c)] = min(t, first.get((i, c), t))
    by_item: dict[int, list[tuple[int, int]]] = {}
    for (i, c), t in first.items():
        by_item.setdefault(i, []).append((t, c))
    for label, span in windows.items():
        expected: dict[tuple[int, int], list] = {}
        for members in by_item.values():
            members.sort()
            for x, (t1, c1) in enumerate(members):
                for t2, c2 in members[x + 1:]:
                    if t2 - t1 <= span:
                        entry = expected.setdefault((c1, c2), [0, 0.0])
                        entry[0] += 1
                        entry[1] += 1 / (len(members) - 1)
        assert edges(found, label) == {key: (count, round(weight, 6)) for key, (count, weight) in expected.items()}
