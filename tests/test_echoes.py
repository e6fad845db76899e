"""The echoes stage on real SQLite and PostgreSQL stores: clusters, origin, lags, kinds, incremental runs,
and the CLI's timeline and export."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest
from builders import capture, channel, post
from sqlalchemy import select

from echoscope import config
from echoscope.errors import ConfigError
from echoscope.ingest import ingest
from echoscope.model import TELEGRAM, Channel
from echoscope.pipeline import run_stages
from echoscope.stages.echoes import Echoes
from echoscope.store import Store
from echoscope.store.schema_echoes import (
    channel_boilerplate,
    echo_clusters,
    echo_members,
)
from echoscope.text.normalize import normalize

STORY = "أعلنت المقاومة الإسلامية في العراق استهداف قاعدة عين الأسد الأمريكية بطائرة مسيرة فجر اليوم"
OTHER = "Российские войска заняли новые позиции под Авдеевкой сообщает министерство обороны России сегодня"


def _channels():
    return [capture(), Channel(TELEGRAM, "channel1001", "Sabereen", username="sabereen"), channel(1002), channel(1003)]


def _members(store):
    with store.reading() as conn:
        return {row.post_pk: row for row in conn.execute(select(echo_members))}


def test_a_story_echoed_by_two_channels_makes_one_cluster_with_its_origin_first(store):
    ingest(store, _channels() + [
        post(1, STORY, bare_id=1001, hours=0),
        post(7, "عاجل | " + STORY + " 🔥", bare_id=1002, hours=0.5),
        post(9, STORY.replace("الإسلامية", "الاسلامية"), bare_id=1003, hours=2),
        post(2, OTHER, bare_id=1001, hours=1),
    ])
    [report] = run_stages(store, ["echoes"])
    assert report.status == "ran" and report.counts["clusters"] == 1
    with store.reading() as conn:
        cluster = conn.execute(select(echo_clusters)).one()
    members = _members(store)
    assert cluster.size == 3 and cluster.channels == 3
    origin = members[cluster.origin_post_pk]
    assert origin.kind == "origin" and origin.lag_seconds == 0
    lags = sorted(member.lag_seconds for member in members.values())
    assert lags == [0, 1800, 7200]
    kinds = {member.lag_seconds: member for member in members.values()}
    assert kinds[1800].kind == "near" and 0.6 <= kinds[1800].similarity < 1
    assert kinds[1800].changes["prefix_added"] == "عاجل |" and kinds[1800].changes["emoji_added"] == ["🔥"]
    assert kinds[7200].kind == "exact" and kinds[7200].similarity == 1.0


def test_new_posts_join_the_stored_cluster_and_a_second_run_changes_nothing(store):
    ingest(store, _channels() + [post(1, STORY, bare_id=1001), post(5, STORY, bare_id=1002, hours=1)])
    run_stages(store, ["echoes"])
    before = _members(store)
    [cluster_pk] = {member.cluster_pk for member in before.values()}
    ingest(store, _channels() + [post(3, STORY + "\n\nتابعونا #العراق", bare_id=1003, hours=3)])
    [report] = run_stages(store, ["echoes"])
    assert report.counts["signed"] == 1  # only the new post was signed
    after = _members(store)
    assert len(after) == 3 and {member.cluster_pk for member in after.values()} == {cluster_pk}
    [again] = run_stages(store, ["echoes"])
    assert again.counts["signed"] == 0 and _members(store) == after


def test_a_forward_is_an_echo_of_kind_forward_linked_to_its_source(store):
    ingest(store, _channels() + [
        post(4, "short note", bare_id=1001),
        post(8, "short note", bare_id=1002, hours=5, forwarded_from="Sabereen", forwarded_from_id="channel1001", forwarded_post_id=4),
    ])
    run_stages(store, ["echoes"])
    kinds = sorted(member.kind for member in _members(store).values())
    assert kinds == ["forward", "origin"]


def test_an_earlier_post_found_later_becomes_the_origin(store):
    ingest(store, _channels() + [post(1, STORY, bare_id=1001, hours=5), post(2, STORY, bare_id=1002, hours=6)])
    run_stages(store, ["echoes"])
    ingest(store, _channels() + [post(3, STORY, bare_id=1003, hours=1)])
    run_stages(store, ["echoes"])
    members = _members(store)
    assert len({member.cluster_pk for member in members.values()}) == 1
    assert sorted(member.lag_seconds for member in members.values()) == [0, 4 * 3600, 5 * 3600]


def _cli(*args, db):
    env = os.environ | {"ECHOSCOPE_DB": str(db), "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "echoscope", *args], capture_output=True, text=True, env=env, check=False)


def test_cli_timeline_and_exports(sqlite_path):
    with Store(sqlite_path) as store:
        ingest(store, _channels() + [post(1, STORY, bare_id=1001), post(5, STORY + " 🔥", bare_id=1002, hours=1)])
        run_stages(store, ["echoes"])
    timeline = _cli("echoes", "https://t.me/sabereen/1", db=sqlite_path)
    assert timeline.returncode == 0, timeline.stderr
    assert "origin" in timeline.stdout and "+1h 00m" in timeline.stdout and "emoji added" in timeline.stdout
    assert _cli("echoes", "channel1002/5", db=sqlite_path).returncode == 0
    missing = _cli("echoes", "sabereen/404", db=sqlite_path)
    assert missing.returncode != 0 and "sabereen/404" in missing.stderr
    [line] = _cli("export", "echoes", "--format", "jsonl", db=sqlite_path).stdout.splitlines()
    record = json.loads(line)
    assert set(record) == {"cluster", "kind", "origin", "members"}
    assert record["origin"] == {"platform": "telegram", "channel": "sabereen", "channel_id": "channel1001", "post_id": 1, "date": "2023-06-07T09:00:00Z"}
    [member] = record["members"]
    assert member["channel_id"] == "channel1002" and member["lag_seconds"] == 3600 and member["kind"] == "exact"
    assert set(member) == {"platform", "channel", "channel_id", "post_id", "date", "lag_seconds", "similarity", "kind"}
    rows = list(csv.DictReader(io.StringIO(_cli("export", "echoes", "--format", "csv", db=sqlite_path).stdout)))
    assert [row["kind"] for row in rows] == ["origin", "exact"] and rows[1]["origin_post_id"] == "1"


def test_a_threshold_out_of_range_is_a_config_error_naming_the_setting(sqlite_path, tmp_path, monkeypatch):
    settings_file = tmp_path / "echoscope.toml"
    settings_file.write_text("[stages.echoes]\njaccard = 1.5\n", encoding="utf-8")
    monkeypatch.setenv("ECHOSCOPE_CONFIG", str(settings_file))
    config.file_settings.cache_clear()
    try:
        with Store(sqlite_path) as store, pytest.raises(ConfigError, match=r"\[stages.echoes\] jaccard = 1.5"):
            run_stages(store, ["echoes"])
    finally:
        config.file_settings.cache_clear()


def test_boilerplate_is_learnt_stored_and_a_shared_footer_makes_no_cluster(store):
    footer = "تابعونا على قناتنا في تلغرام للمزيد من الأخبار العاجلة"
    bodies = [f"خبر رقم {i} عن موضوع مختلف تماما {i * 7} في مدينة {i * 13}" for i in range(50)]
    records = _channels() + [post(i, f"{body}\n\n{footer}", bare_id=1001 + i % 2, hours=i) for i, body in enumerate(bodies)]
    ingest(store, records)
    [report] = run_stages(store, ["echoes"])
    assert report.counts["clusters"] == 0
    with store.reading() as conn:
        learnt = conn.execute(select(channel_boilerplate)).all()
    assert {row.channel_pk for row in learnt} and all(row.share == 1.0 for row in learnt)
    assert any(normalize(footer) in row.text for row in learnt)  # one phrase, in search form


def test_an_edited_post_is_signed_again_and_joins_by_its_new_text(store):
    ingest(store, _channels() + [post(1, STORY, bare_id=1001), post(2, OTHER, bare_id=1002, hours=1)])
    run_stages(store, ["echoes"])
    assert _members(store) == {}
    ingest(store, [capture(sha="e" * 64), *_channels()[1:], post(2, STORY + " 🔥", bare_id=1002, hours=1)])
    [report] = run_stages(store, ["echoes"])
    assert report.counts["signed"] == 1 and report.counts["clusters"] == 1
    assert sorted(member.version for member in _members(store).values()) == [1, 2]


def test_a_new_post_near_two_stored_clusters_merges_them_into_one(store):
    words = [f"слово{i}" for i in range(40)]
    first, second, bridge = " ".join(words[0:20]), " ".join(words[8:28]), " ".join(words[4:24])
    ingest(store, _channels() + [
        post(1, first, bare_id=1001), post(2, first, bare_id=1002, hours=1),
        post(3, second, bare_id=1003, hours=2), post(4, second, bare_id=1002, hours=3),
    ])
    [report] = run_stages(store, ["echoes"])
    assert report.counts["clusters"] == 2
    ingest(store, _channels() + [post(5, bridge, bare_id=1003, hours=4)])
    [report] = run_stages(store, ["echoes"])
    assert report.counts["clusters"] == 1
    members = _members(store)
    assert len(members) == 5 and len({member.cluster_pk for member in members.values()}) == 1
    with store.reading() as conn:
        cluster = conn.execute(select(echo_clusters)).one()
    assert cluster.size == 5 and members[cluster.origin_post_pk].lag_seconds == 0


def test_changed_matching_settings_make_the_stage_match_every_post_again(store):
    reworded = STORY.replace("بطائرة مسيرة", "بصاروخ")  # one change in the middle: near at 0.6, not at 0.95
    ingest(store, _channels() + [post(1, STORY, bare_id=1001), post(5, STORY, bare_id=1002, hours=1),
                                 post(8, reworded, bare_id=1003, hours=2)])
    [report] = run_stages(store, ["echoes"])
    assert report.note == "" and len(_members(store)) == 3
    strict = Echoes.defaults | {"jaccard": 0.95, "containment": 0.95}
    rerun = Echoes().run(store, strict, lambda done, total: None)
    assert rerun.counts["signed"] == 3  # the old signatures and clusters were made with other settings
    assert "settings changed" in rerun.note
    with store.reading() as conn:
        [cluster] = conn.execute(select(echo_clusters)).all()
    assert cluster.size == 2 and len(_members(store)) == 2  # the reworded post is no longer an echo
    again = Echoes().run(store, strict | {"batch_size": 7}, lambda done, total: None)  # batch size changes nothing
    assert again.counts["signed"] == 0 and again.note == ""
