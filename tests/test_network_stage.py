"""The network stage on a real store (SQLite file and PostgreSQL): edges of every kind, the significance
filter against a hyperactive channel, communities, roles, and a re-run that replaces the network."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from network_corpus import START, Corpus
from sqlalchemy import MetaData, insert, select

from echoscope.errors import ConfigError
from echoscope.stages.network import Network
from echoscope.store import network as network_store
from echoscope.store import stage_runs
from echoscope.store.schema_images import image_clusters, image_members
from echoscope.store.schema_network import network_channels, network_edges


def run_network(store, **settings):
    report = Network().run(store, Network.defaults | settings, lambda done, total: None)
    stage_runs.record(store, report, datetime.now(UTC), datetime.now(UTC))
    return report


def stored_edges(store, corpus: Corpus, significant_only: bool = True) -> dict[tuple[str, str, str, str], dict]:
    names = {pk: name for name, pk in corpus.channel_pk.items()}
    with store.reading() as conn:
        rows = network_store.network_edge_rows(conn, significant_only=significant_only)
    return {(names[r["source_pk"]], names[r["target_pk"]], r["kind"], r["time_window"]): r for r in rows}


def channel_rows(store, corpus: Corpus) -> dict[str, dict]:
    names = {pk: name for name, pk in corpus.channel_pk.items()}
    with store.reading() as conn:
        return {names[row.channel_pk]: row._asdict() for row in conn.execute(select(network_channels))}


def without_keys(rows: dict) -> dict:
    """Rows without their primary keys, which a re-run renumbers."""
    return {key: {name: value for name, value in row.items() if name != "pk"} for key, row in rows.items()}


def hyperactive_corpus(store) -> Corpus:
    """Twenty channels echo each other at random; "hyper" joins 85 % of all clusters at a random time
    within the day; "a" starts twenty clusters that "b" echoes within minutes."""
    corpus, rng = Corpus(store), random.Random(7)
    names = ["a", "b", "hyper"] + [f"r{i}" for i in range(20)]
    for name in names:
        corpus.channel(name, affiliation="Kataib Hezbollah" if name in ("a", "b") else None)
    pool = [name for name in names if name != "hyper"]
    minutes = 0.0
    for index in range(220):
        minutes += rng.uniform(100, 400)
        if index % 11 == 0:
            members = [("a", minutes), ("b", minutes + rng.uniform(2, 8))]
        else:
            chosen = rng.sample(pool, rng.randint(2, 4))
            members = [(chosen[0], minutes)] + [(name, minutes + rng.uniform(1, 1440)) for name in chosen[1:]]
        if rng.random() < 0.85:
            members.append(("hyper", minutes + rng.uniform(1, 1200)))
        corpus.cluster(members)
    corpus.save()
    return corpus


def test_a_hyperactive_channel_is_not_linked_while_a_real_pair_is(store):
    corpus = hyperactive_corpus(store)
    report = run_network(store)
    everything = stored_edges(store, corpus, significant_only=False)
    raw_partners = {source if target == "hyper" else target for source, target, kind, window in everything
                    if "hyper" in (source, target) and window == "24h"}
    assert len(raw_partners) == 22  # by raw counts it is tied to every other channel
    significant = stored_edges(store, corpus)
    assert not [key for key in significant if "hyper" in key[:2]]
    for window in ("10m", "1h", "24h"):
        edge = significant[("a", "b", "echo", window)]
        assert edge["count"] >= 20 and edge["p_value"] < 1e-4 and edge["expected"] < edge["count"] * 0.6
    assert significant[("a", "b", "echo", "10m")]["p_value"] < significant[("a", "b", "echo", "24h")]["p_value"]
    assert report.counts["echo 10m"] >= 1 and report.status == "ran"
    roles = channel_rows(store, corpus)
    assert roles["hyper"]["role"] == "amplifier" and roles["hyper"]["origins"] == 0 and roles["hyper"]["echoes"] > 150
    assert roles["b"]["role"] == "amplifier" and roles["a"]["origins"] >= 20
    assert roles["a"]["community"] == roles["b"]["community"] == 1 and roles["hyper"]["community"] is None


def test_a_rerun_replaces_the_network_with_the_same_one(store):
    corpus = hyperactive_corpus(store)
    run_network(store)
    first = (stored_edges(store, corpus, significant_only=False), channel_rows(store, corpus))
    run_network(store)
    second = (stored_edges(store, corpus, significant_only=False), channel_rows(store, corpus))
    assert without_keys(first[0]) == without_keys(second[0]) and without_keys(first[1]) == without_keys(second[1])
    assert store.counts()["network_edges"] == len(first[0])


def test_two_groups_become_two_communities_with_their_affiliations(store):
    corpus, rng = Corpus(store), random.Random(2)
    groups = {"kataib": ["k1", "k2", "k3", "k4"], "nujaba": ["n1", "n2", "n3", "n4"]}
    for affiliation, names in groups.items():
        for name in names:
            corpus.channel(name, affiliation=affiliation)
    minutes = 0.0
    for index in range(120):
        minutes += 300
        names = groups["kataib" if index % 2 else "nujaba"]
        chosen = rng.sample(names, 3)
        corpus.cluster([(chosen[0], minutes)] + [(name, minutes + rng.uniform(1, 9)) for name in chosen[1:]])
    corpus.save()
    run_network(store)
    rows = channel_rows(store, corpus)
    for names in groups.values():
        assert len({rows[name]["community"] for name in names}) == 1
    assert {rows["k1"]["community"], rows["n1"]["community"]} == {1, 2}
    assert run_network(store).counts["communities"] == 2


def test_forwards_make_directed_edges_from_the_source(store):
    corpus = Corpus(store)
    for name in ("s1", "s2", "s3", "s4", "f1", "f2", "f3", "f4"):
        corpus.channel(name)
    for index in range(1, 5):
        for repeat in range(6):
            corpus.forward(f"s{index}", f"f{index}", minutes=index * 100 + repeat)
    corpus.forward("s2", "f1", minutes=1)
    corpus.post("f3", 5, "forwarded", forwarded_from="Somebody Else", forwarded_from_id="channel999999")
    corpus.post("f3", 6, "forwarded", forwarded_from="Hidden User")
    corpus.save()
    report = run_network(store, kinds=["forward"])
    significant = stored_edges(store, corpus)
    assert set(significant) == {(f"s{i}", f"f{i}", "forward", "any") for i in range(1, 5)}
    assert significant[("s1", "f1", "forward", "any")]["count"] == 6
    assert stored_edges(store, corpus, significant_only=False)[("s2", "f1", "forward", "any")]["count"] == 1
    assert report.counts["forwards from unstored channels"] == 2
    assert "echo 10m" not in report.counts


def test_shared_links_link_channels_however_the_link_was_written(store):
    corpus, rng = Corpus(store), random.Random(5)
    names = ["l1", "l2"] + [f"x{i}" for i in range(8)]
    for name in names:
        corpus.channel(name)
    for index in range(8):  # l1 shares a link, l2 the same link a few minutes later, spelt differently
        corpus.post("l1", index * 600, f"اقرأ المزيد https://www.news.example/item/{index}?utm_source=tg")
        corpus.post("l2", index * 600 + 4, "المصدر", entities=[{"type": "text_link", "start": 0, "end": 6,
                                                               "href": f"HTTP://news.example/item/{index}/?fbclid=x"}])
    for index in range(40):  # background: random channels share random links from a small pool
        for name in rng.sample(names[2:], 2):
            corpus.post(name, 10_000 + index * 600 + rng.uniform(0, 30), f"see https://pool.example/{rng.randint(0, 30)}")
    corpus.save()
    report = run_network(store, kinds=["link"])
    significant = stored_edges(store, corpus)
    assert ("l1", "l2", "link", "10m") in significant and significant[("l1", "l2", "link", "10m")]["count"] == 8
    assert not [key for key in significant if key[:2] != ("l1", "l2")]
    assert report.counts["link 10m"] == 1


def test_image_edges_switch_off_cleanly_without_image_clusters(store, monkeypatch):
    corpus = hyperactive_corpus(store)
    report = run_network(store)
    assert "image edges off: no image cluster" in report.note
    monkeypatch.setattr(network_store, "metadata", MetaData())  # as if the image stage were not installed
    assert "image edges off: no image clusters in this store" in run_network(store).note
    assert not [key for key in stored_edges(store, corpus, significant_only=False) if key[2] == "image"]


def test_image_clusters_make_edges_when_the_image_stage_has_run(store):
    corpus = Corpus(store)
    for name in ("p1", "p2", "p3", "p4", "p5", "p6"):
        corpus.channel(name)
    clusters, members = [], []
    for cluster in range(12):  # p1 and p2 post the same picture within minutes; otherwise p1 follows others late
        pairs = [("p1", 0), ("p2", 3)] if cluster % 2 == 0 else [(f"p{3 + cluster % 4}", 0), ("p1", 600)]
        post_pks = [corpus.post(name, cluster * 2000 + offset, "photo") for name, offset in pairs]
        when = START + timedelta(minutes=cluster * 2000)
        clusters.append({"pk": cluster + 1, "first_post_pk": post_pks[0], "first_sha256": "a" * 64, "size": 2, "channels": 2,
                         "platforms": 1, "first_date": when, "last_date": when, "updated_at": when})
        members += [{"cluster_pk": cluster + 1, "post_pk": pk, "sha256": f"{cluster:064x}", "match": "exact", "distance": 0,
                     "lag_seconds": 0} for pk in post_pks]
    corpus.save()
    with store.transaction() as conn:
        conn.execute(insert(image_clusters), clusters)
        conn.execute(insert(image_members), members)
    report = run_network(store, kinds=["image"])
    assert "image edges off" not in report.note
    significant = stored_edges(store, corpus)
    assert significant[("p1", "p2", "image", "10m")]["count"] == 6
    assert report.counts["image 10m"] == 1


@pytest.mark.parametrize(("setting", "message"), [
    ({"kinds": ["echo", "retweet"]}, "retweet"),
    ({"alpha": 1.5}, "alpha"),
    ({"windows": ["soon"]}, "soon"),
    ({"origin_share": 0.4}, "origin_share"),
])
def test_bad_settings_are_config_errors_naming_the_setting(store, setting, message):
    with pytest.raises(ConfigError, match=message):
        Network().run(store, Network.defaults | setting, lambda done, total: None)
    assert store.counts()["network_edges"] == 0


def test_an_empty_store_gives_an_empty_network(store):
    report = run_network(store)
    assert report.counts["communities"] == 0 and store.counts()["network_edges"] == 0
    with store.reading() as conn:
        assert conn.execute(select(network_edges)).first() is None
