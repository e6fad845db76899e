"""Watchlists: the bundled default covers the seed's world, files merge, and every mistake names the
file and the entry."""

from __future__ import annotations

import pytest

from echoscope.errors import ConfigError
from echoscope.text.mentions import Matcher
from echoscope.text.watchlist import ENTITY_TYPES, default_path, load

SEED_WORLD = [
    "putin", "zelensky", "nato", "usa", "russia", "ukraine", "iran", "israel", "wagner", "kataib-hezbollah",
    "asaib-ahl-al-haq", "nujaba", "kataib-sayyid-al-shuhada", "ashab-al-kahf", "islamic-resistance-iraq",
    "sabereen-news",
]


def test_the_default_covers_the_seed_world_in_every_corpus_language():
    watchlist = load()
    entities = watchlist.entities
    for key in SEED_WORLD:
        assert key in entities, key
        assert {"en", "ar"} <= set(entities[key].aliases), key
        assert entities[key].type in ENTITY_TYPES
    for key in ("putin", "zelensky", "nato", "usa", "russia", "ukraine", "iran", "israel", "wagner"):
        assert {"en", "ar", "fa", "ru", "uk"} <= set(entities[key].aliases), key
    assert watchlist.symbol_for("🏳️‍🌈").id == "rainbow-flag"
    assert watchlist.symbol_for("🏳‍🌈").id == "rainbow-flag"  # typed without VARIATION SELECTOR-16
    assert {"pro-Russia", "anti-NATO", "anti-US"} <= {rule.tag for rule in watchlist.narratives}


def test_the_default_is_package_data():
    assert default_path().is_file()


def _write(tmp_path, text: str, name: str = "mine.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_an_analysts_file_adds_aliases_to_a_bundled_entity(tmp_path):
    mine = _write(tmp_path, """
entities:
  - {id: putin, type: person, name: Vladimir Putin, aliases: {ar: [القيصر]}}
  - {id: new-channel, type: media outlet, name: New Outlet, aliases: {en: [New Outlet]}, affiliations: [russia]}
""")
    watchlist = load([mine])
    assert "القيصر" in watchlist.entities["putin"].aliases["ar"]
    assert "بوتين" in watchlist.entities["putin"].aliases["ar"]
    assert [mention.term for mention in Matcher(watchlist).find("القيصر و New Outlet")] == ["putin", "new-channel"]
    assert watchlist.digest != load().digest


@pytest.mark.parametrize("text, message", [
    ("entities: [{id: x, type: robot, name: X, aliases: {en: [X]}}]", r"entities\[0\] \(x\): type 'robot' is not one of"),
    ("entities: [{id: x, type: person, name: X}]", r"entities\[0\] \(x\): 'aliases' is missing"),
    ("entities: [{id: x, type: person, name: X, aliases: {en: [X]}, colour: red}]", r"entities\[0\] \(x\): unknown field\(s\) colour"),
    ("entities: [{id: x, type: person, name: X, aliases: {en: ['']}}]", r"aliases.en must be a list of non-empty"),
    ("entities:\n - {id: x, type: person, name: X, aliases: {en: [X]}}\n - {id: x, type: person, name: Y, aliases: {en: [Y]}}",
     r"entities\[1\] \(x\): the id 'x' appears twice"),
    ("narratives: [{tag: t, any_of: [nobody]}]", r"narrative 't' uses 'nobody'"),
    ("narratives: [{tag: t, none_of: [putin]}]", r"narratives\[0\] \(t\): a narrative needs any_of, all_of or near"),
    ("narratives: [{tag: t, near: [{terms: [putin], within: 2}]}]", r"near\[0\] needs at least two terms"),
    ("narratives: [{tag: t, near: [{terms: [putin, nato], within: -1}]}]", r"near\[0\].within must be"),
    ("symbols: [{id: s, symbol: 🐍}]", r"symbols\[0\] \(s\): 'meaning' is missing"),
    ("people: []", r"unknown section\(s\) people"),
    ("entities: {id: x}", r"entities must be a list"),
    ("entities: [unclosed", r"not a readable YAML file"),
])
def test_a_mistake_names_the_file_and_the_entry(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match=message) as caught:
        load([path])
    assert str(path) in str(caught.value)


def test_an_unknown_affiliation_is_named(tmp_path):
    path = _write(tmp_path, "entities: [{id: x, type: person, name: X, aliases: {en: [X]}, affiliations: [nowhere]}]")
    with pytest.raises(ConfigError, match="'x' is affiliated with unknown id 'nowhere'"):
        load([path])


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="absent.yaml: cannot read the watchlist"):
        load([tmp_path / "absent.yaml"])


def test_an_alias_without_letters_is_refused_when_compiled(tmp_path):
    path = _write(tmp_path, "entities: [{id: x, type: person, name: X, aliases: {en: ['🔥']}}]")
    with pytest.raises(ConfigError, match="entity 'x': alias '🔥' \\(en\\) has no letters"):
        Matcher(load([path], include_default=False))
