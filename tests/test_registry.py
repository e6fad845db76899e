"""The channel registry: CSV and YAML, usernames that make public permalinks, clear errors."""

from __future__ import annotations

import pytest

from builders import capture, channel, post
from echoscope.errors import ConfigError
from echoscope.ingest import ingest
from echoscope.registry import read_registry, telegram_channel_id

CSV = """id,username,title,affiliation,country,language,tags,notes,source
1001,@friends_of_russia_iq,Friends of Russia in Iraq,,IQ,ar,pro-russia;iraq,,MEMRI ITMP 2023-06-12
-1002002,https://t.me/ashab_kahf_media,,Ashab al-Kahf,IQ,ar,militia,self-described,channel bio
,sabereen_news,Sabereen News,Kata'ib Hezbollah network,IQ,ar,,,analyst judgement
"""


@pytest.mark.parametrize(
    "typed, expected",
    [("1001", "channel1001"), ("-1001001", "channel1001"), ("channel1001", "channel1001"), ("-42", "chat42"), ("chat42", "chat42")],
)
def test_channel_ids_are_read_in_every_form_analysts_paste(typed, expected):
    assert telegram_channel_id(typed) == expected


def test_a_csv_registry_gives_usernames_affiliations_and_public_permalinks(store, tmp_path):
    ingest(store, [capture(), channel(1001), post(5, "نص")])
    path = tmp_path / "registry.csv"
    path.write_text(CSV, encoding="utf-8")
    created, updated = store.import_registry(read_registry(path))
    assert (created, updated) == (2, 1)
    record = next(store.iter_posts())
    assert record["channel"] == "friends_of_russia_iq"
    assert record["permalink"] == "https://t.me/friends_of_russia_iq/5"
    by_id = {row["channel_id"]: row for row in store.channel_stats()}
    assert by_id["channel2002"]["username"] == "ashab_kahf_media"
    assert by_id["channel2002"]["affiliation"] == "Ashab al-Kahf"
    assert by_id[None]["username"] == "sabereen_news"


def test_a_username_known_first_is_joined_to_its_id_later(store, tmp_path):
    first = tmp_path / "first.yaml"
    first.write_text("channels:\n  - username: sabereen_news\n    affiliation: Sabereen\n", encoding="utf-8")
    second = tmp_path / "second.yaml"
    second.write_text("- id: 3003\n  username: '@sabereen_news'\n  title: Sabereen News\n", encoding="utf-8")
    store.import_registry(read_registry(first))
    store.import_registry(read_registry(second))
    rows = store.channel_stats()
    assert len(rows) == 1
    assert (rows[0]["channel_id"], rows[0]["username"], rows[0]["affiliation"]) == ("channel3003", "sabereen_news", "Sabereen")


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("bad.csv", "id,username,colour\n1,a,red\n", "unknown column"),
        ("bad.csv", "id,username\n1,a\nxyz,b\n", r"bad.csv:3: 'xyz' is not a Telegram channel id"),
        ("bad.csv", "title\nNo id\n", r"bad.csv:2: a channel needs an id or a username"),
        ("bad.yaml", "channels: [1, 2]", "channel #1 is not a mapping"),
        ("bad.yaml", "channels: [", "not valid YAML"),
        ("bad.txt", "", "must be .csv, .yaml or .yml"),
    ],
)
def test_a_broken_registry_names_the_file_and_the_row(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        list(read_registry(path))


def test_a_failed_registry_import_changes_nothing(store, tmp_path):
    path = tmp_path / "partly.csv"
    path.write_text("id,username,affiliation\n1001,good,X\nnot-an-id,bad,Y\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        store.import_registry(read_registry(path))
    assert store.channel_stats() == []
