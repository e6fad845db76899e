"""Findings from the stages' results: statements generated from the data, scores, and exact evidence."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest
import report_corpus
from sqlalchemy import select
from typer.testing import CliRunner

from echoscope import pipeline
from echoscope.cli._common import app
from echoscope.errors import QueryError
from echoscope.findings import COORDINATION_COMMUNITY, ECHO_CASCADE, IMAGE_REUSE, SYMBOL_PAIRING, UPTICK, Evidence, Finding
from echoscope.findings import phrasing as say
from echoscope.findings.listing import ranked_records
from echoscope.store import Store
from echoscope.store import findings as stored_findings
from echoscope.store.findings import Scope
from echoscope.store.schema import channels, post_versions, posts


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def analysed(request, tmp_path_factory):
    """The corpus, analysed once per database engine for this module's tests (which only read it, but the
    last one, which adds a network community)."""
    root = tmp_path_factory.mktemp(request.param)
    url = root / "echoscope.db" if request.param == "sqlite" else request.getfixturevalue("postgres_cluster").new_database()
    with Store(url) as store:
        report_corpus.build(store, root / "exports")
        report_corpus.analyze(store)
        store.root = root
        yield store


def _ranked(store, kinds=None) -> list[dict]:
    with store.reading() as conn:
        return stored_findings.ranked(conn, kinds=kinds)


def _raw_sha(store, post_pk: int, version: int) -> str:
    with store.reading() as conn:
        return conn.execute(select(post_versions.c.raw_sha256).where(post_versions.c.post_pk == post_pk, post_versions.c.version == version)).scalar_one()


def test_the_verbatim_echo_is_a_finding_with_origin_lag_affiliation_and_hashed_evidence(analysed):
    origin = report_corpus.post_key(analysed, "channel1001", 1000)
    echo = report_corpus.post_key(analysed, "channel1002", 2)
    cascades = [f for f in _ranked(analysed, [ECHO_CASCADE]) if f["evidence"][0]["post_pk"] == origin[0]]
    (cascade,) = cascades
    assert [(item["post_pk"], item["version"], item["role"]) for item in cascade["evidence"]] == [(*origin, "origin"), (*echo, "echo")]
    statement = cascade["statement"]
    assert statement.startswith("On 8 June 2023 the channel قناة الكهف, affiliated with Ashab al-Kahf, published")
    assert "the channel Friends of Russia in Iraq had published on 7 June 2023" in statement
    assert statement.endswith("23.5 hours later.")  # 10:00 on 7 June → 09:30 on 8 June
    photo = hashlib.sha256((analysed.root / "exports" / "friends" / "photos" / "nato.jpg").read_bytes()).hexdigest()
    assert cascade["evidence"][0]["media_sha256"] == [photo]
    for item in cascade["evidence"]:
        assert item["raw_sha256"] == _raw_sha(analysed, item["post_pk"], item["version"])


def test_scores_rank_every_kind_on_one_list_between_zero_and_one(analysed):
    found = _ranked(analysed)
    assert {ECHO_CASCADE, UPTICK} <= {finding["kind"] for finding in found}
    scores = [finding["score"] for finding in found]
    assert scores == sorted(scores, reverse=True) and all(0 < score < 1 for score in scores)


def test_the_symbol_next_to_nato_is_a_finding_when_the_text_stages_exist(analysed):
    if "symbols" not in pipeline.registered():
        pytest.skip("the symbols stage (issue 4) is not registered yet")
    (pairing,) = [f for f in _ranked(analysed, [SYMBOL_PAIRING]) if f["details"]["entity"] == "nato" and "🏳" in f["details"]["symbol"]]
    cited = {item["post_pk"] for item in pairing["evidence"]}
    assert cited == {report_corpus.post_key(analysed, "channel1001", 1000)[0], report_corpus.post_key(analysed, "channel1002", 2)[0]}
    assert "next to NATO in 2 posts" in pairing["statement"] and "2 channels" in pairing["statement"]


def test_a_producer_whose_stage_has_not_run_switches_itself_off_and_says_why(store, tmp_path):
    report_corpus.build(store, tmp_path / "exports")
    (trends, findings) = pipeline.run_stages(store, ["trends", "findings"])
    assert findings.status == "ran"
    assert "echo_cascade: the echoes stage has not run" in findings.note or "echo_cascade: the echoes stage is not installed" in findings.note
    assert ECHO_CASCADE not in findings.counts
    assert {f["kind"] for f in _ranked(store)} == {UPTICK}


def test_the_scope_keeps_findings_whose_evidence_is_in_the_period_and_affiliation(analysed):
    kahf = ranked_records(analysed, Scope(affiliation="ashab al-kahf"))
    assert kahf and all(any(item["channel_id"] == "channel1002" for item in record["evidence"]) for record in kahf)
    late = ranked_records(analysed, Scope(since=datetime(2023, 6, 9, tzinfo=UTC)))
    assert late and all(any(item["date"] >= "2023-06-09" for item in record["evidence"]) for record in late)
    assert ranked_records(analysed, Scope(channel="kahf_media")) == kahf


def test_an_unknown_kind_is_an_error_naming_the_kinds(analysed):
    with pytest.raises(QueryError, match="echo_cascade"):
        ranked_records(analysed, kinds=["echo"])


def test_the_findings_command_lists_and_exports_ranked_findings(analysed):
    if analysed.dialect != "sqlite":
        pytest.skip("the command is the same on both; once is enough")
    sqlite_path = analysed.root / "echoscope.db"
    runner = CliRunner()
    table = runner.invoke(app, ["findings", "--db", str(sqlite_path), "--kind", "echo_cascade"], env={"COLUMNS": "250"})
    assert table.exit_code == 0, table.output
    assert "echo cascade" in table.output and "https://t.me/friends_of_russia_iq/1000" in table.output
    exported = runner.invoke(app, ["findings", "--db", str(sqlite_path), "-f", "jsonl", "--limit", "100"])
    records = [json.loads(line) for line in exported.output.splitlines()]
    assert [record["score"] for record in records] == sorted((record["score"] for record in records), reverse=True)
    evidence = records[0]["evidence"][0]
    assert {"platform", "channel", "channel_id", "post_id", "date", "raw_sha256", "media_sha256"} <= set(evidence)


@pytest.mark.parametrize(("first", "last", "words"), [
    (datetime(2023, 6, 8), datetime(2023, 6, 8, 23), "on 8 June 2023"),
    (datetime(2023, 6, 1), datetime(2023, 6, 7), "between 1 and 7 June 2023"),
    (datetime(2023, 5, 28), datetime(2023, 6, 3), "between 28 May and 3 June 2023"),
    (datetime(2022, 12, 30), datetime(2023, 1, 2), "between 30 December 2022 and 2 January 2023"),
])
def test_periods_read_as_an_analyst_writes_them(first, last, words):
    assert say.day_range(first, last) == words


@pytest.mark.parametrize(("seconds", "words"), [(30, "1 minute"), (240, "4 minutes"), (3 * 3600, "3 hours"),
                                                (86400 + 600, "1 day"), (2.5 * 86400, "2.5 days")])
def test_lags_read_as_an_analyst_says_them(seconds, words):
    assert say.duration(seconds) == words


def test_the_image_first_seen_on_facebook_is_a_finding_with_its_later_appearances(analysed):
    if "images" not in pipeline.registered():
        pytest.skip("the images stage (issue 6) is not registered yet")
    (reuse,) = _ranked(analysed, [IMAGE_REUSE])
    first, *later = reuse["evidence"]
    with analysed.reading() as conn:
        platform = conn.execute(select(channels.c.platform).select_from(posts.join(channels, channels.c.pk == posts.c.channel_pk))
                                .where(posts.c.pk == first["post_pk"])).scalar_one()
    assert (first["role"], platform) == ("first", "facebook")
    assert {item["post_pk"] for item in later} == {report_corpus.post_key(analysed, "channel1001", 1000)[0],
                                                   report_corpus.post_key(analysed, "channel1002", 2)[0]}
    photo = hashlib.sha256((analysed.root / "exports" / "facebook" / "nato.jpg").read_bytes()).hexdigest()
    assert all(item["media_sha256"] == [photo] for item in reuse["evidence"])
    assert "first appeared in a post by Iraq Today (Facebook) on Facebook on 20 May 2023" in reuse["statement"]


def test_a_community_of_channels_that_act_together_cites_the_echoes_they_share(analysed):
    if "network" not in pipeline.registered():
        pytest.skip("the network stage (issue 5) is not registered yet")
    from echoscope.store import network as stored_network

    friends, kahf = (report_corpus.post_key(analysed, channel_id, post_id)[0] for channel_id, post_id in (("channel1001", 1000), ("channel1002", 2)))
    with analysed.transaction() as conn:
        pks = dict(conn.execute(select(channels.c.channel_id, channels.c.pk)).all())
        edge = {"kind": "echo", "time_window": "24h", "count": 4, "weight": 4.0, "expected": 0.5, "p_value": 0.001, "significant": True}
        roles = [{"channel_pk": pks["channel1001"], "community": 1, "role": "origin", "origins": 4, "echoes": 0, "median_lag_seconds": None},
                 {"channel_pk": pks["channel1002"], "community": 1, "role": "amplifier", "origins": 0, "echoes": 4, "median_lag_seconds": 84600}]
        stored_network.replace_network(conn, [edge | {"source_pk": pks["channel1001"], "target_pk": pks["channel1002"]}], roles)
    pipeline.run_stages(analysed, ["findings"])
    (community,) = _ranked(analysed, [COORDINATION_COMMUNITY])
    assert {item["post_pk"] for item in community["evidence"]} == {friends, kahf}  # not the echo shared with channel1003
    # Only قناة الكهف is affiliated: the affiliation goes with its name, never with the whole group.
    assert community["statement"] == ("2 channels (Friends of Russia in Iraq and قناة الكهف [Ashab al-Kahf]) acted "
                                      "together: they echoed each other 4 times more often than their activity alone explains; "
                                      "قناة الكهف mostly amplified what others posted first.")


def test_findings_written_in_small_batches_are_the_same_as_in_one(analysed):
    def stored_rows():
        return [(f["key"], f["statement"], [(e["post_pk"], e["version"], e["raw_sha256"], e["media_sha256"]) for e in f["evidence"]])
                for f in _ranked(analysed, [UPTICK])]

    before = stored_rows()
    again = [Finding(UPTICK, f["key"], f["statement"], f["score"], f["first_date"], f["last_date"],
                     tuple(Evidence(e["post_pk"], e["version"], e["role"]) for e in f["evidence"]), f["details"])
             for f in _ranked(analysed, [UPTICK])]
    with analysed.transaction() as conn:
        assert stored_findings.replace_findings(conn, UPTICK, iter(again), datetime.now(UTC), batch=1) == len(before)
    assert stored_rows() == before


def test_a_group_of_channels_names_an_affiliation_only_for_the_channels_that_have_it():
    from echoscope.findings.phrasing import channel_group

    def row(title, affiliation):
        return {"title": title, "username": None, "channel_id": None, "affiliation": affiliation}

    assert channel_group([row("A", "Kahf"), row("B", "Kahf")]) == "2 channels (A and B), both affiliated with Kahf,"
    assert channel_group([row("A", "Kahf"), row("B", None), row("A", "Kahf")]) == "2 channels (A [Kahf] and B)"
    assert channel_group([row("A", "Kahf"), row("B", "Nujaba"), row("C", "Kahf")]) == "3 channels (A [Kahf], B [Nujaba] and C [Kahf])"
