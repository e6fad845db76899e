"""Narrative rules: any-of, all-of, near and negations, with the spans that made a tag."""

from __future__ import annotations

import pytest
from builders import capture, channel, post

from echoscope.errors import QueryError
from echoscope.ingest import ingest
from echoscope.stages.narratives import NarrativeStage, RuleIndex, occurrences, tag_narratives
from echoscope.stages.text_pass import Lexicon, PostText
from echoscope.store import text as text_store
from echoscope.text.watchlist import load

RULES = """
narratives:
  - {tag: any, any_of: [putin, nato]}
  - {tag: all, all_of: [putin, nato]}
  - {tag: negated, any_of: [putin], none_of: [ua-flag]}
  - {tag: near, near: [{terms: [nato, [rainbow-flag, clown]], within: 2}]}
  - {tag: two-ways, any_of: [zelensky]}
  - {tag: two-ways, near: [{terms: [putin, victory], within: 1}]}
"""


@pytest.fixture(scope="module")
def tagger(tmp_path_factory):
    path = tmp_path_factory.mktemp("rules") / "rules.yaml"
    path.write_text(RULES, encoding="utf-8")
    watchlist = load([path])
    watchlist.narratives = [rule for rule in watchlist.narratives if rule.tag in {"any", "all", "negated", "near", "two-ways"}]
    lexicon = Lexicon.of(watchlist)
    return lambda text: tag_narratives(watchlist.narratives, occurrences(PostText(1, 1, text, lexicon)))


def _spans(text: str, spans: list[list]) -> list[tuple[str, str]]:
    return [(text[start:end], term) for start, end, term in spans]


def test_any_of_and_all_of(tagger):
    text = "Путин против НАТО"
    tags = tagger(text)
    assert set(tags) == {"any", "all", "negated"}
    assert _spans(text, tags["all"]) == [("Путин", "putin"), ("НАТО", "nato")]
    assert set(tagger("НАТО снова")) == {"any"}


def test_a_negation_keeps_the_tag_off(tagger):
    assert "negated" not in tagger("Путин 🇺🇦")
    assert "negated" in tagger("Путин 🇷🇺")


def test_near_counts_words_and_names_both_spans(tagger):
    text = "الناتو المجرم الكبير 🏳️‍🌈"
    assert _spans(text, tagger(text)["near"]) == [("الناتو", "nato"), ("🏳️‍🌈", "rainbow-flag")]
    assert "near" not in tagger("الناتو المجرم الكبير جداً اليوم 🏳️‍🌈")
    assert "near" in tagger("🤡 NATO")


def test_rules_sharing_a_tag_are_alternatives(tagger):
    assert "two-ways" in tagger("Zelensky again")
    assert "two-ways" in tagger("Putin victory")
    assert "two-ways" not in tagger("Putin spoke today about victory")


def test_the_default_rules_tag_the_seed_post():
    watchlist = load()
    text = "صلواتكم لجيش روسيا العظيمة وهو يقاتل الآن تحالف الشر الأمريكي ويصدّ الهجوم المضاد المدعوم من حلف النّاتو 🏳️‍🌈"
    tags = tag_narratives(watchlist.narratives, occurrences(PostText(1, 1, text, Lexicon.of(watchlist))))
    assert {"pro-Russia", "anti-NATO"} <= set(tags)
    assert ("🏳️‍🌈", "rainbow-flag") in _spans(text, tags["anti-NATO"])
    assert ("روسيا", "russia") in _spans(text, tags["pro-Russia"])


def test_the_stage_stores_tags_exports_them_and_search_filters_by_them(store):
    ingest(store, [capture(), channel(), post(1, "الناتو 🏳️‍🌈 يخسر"), post(2, "الناتو يعقد قمة")])
    with pytest.raises(QueryError, match="analyze --only narratives"):
        store.search("الناتو", narratives=["anti-NATO"])
    report = NarrativeStage().run(store, NarrativeStage.defaults, lambda done, total: None)
    assert report.counts == {"posts": 2, "tags": 1}
    with store.reading() as conn:
        records = list(text_store.iter_narratives(conn))
    assert [list(record) for record in records] == [list(text_store.NARRATIVE_FIELDS)]
    assert (records[0]["narrative"], records[0]["post_id"]) == ("anti-NATO", 1)
    assert [term for _, _, term in records[0]["spans"]] == ["nato", "rainbow-flag"]
    assert [found["post_id"] for found in store.search("الناتو", narratives=["anti-NATO"])] == [1]
    assert NarrativeStage().run(store, NarrativeStage.defaults, lambda done, total: None).counts == {"posts": 0, "tags": 0}


def test_checking_only_the_rules_of_the_terms_present_tags_as_checking_every_rule():
    watchlist = load()
    lexicon, index = Lexicon.of(watchlist), RuleIndex(watchlist.narratives)
    texts = ["الناتو 🏳️‍🌈 يخسر", "Путин 🇷🇺 победа", "Zelensky 🇺🇦", "الطقس جميل اليوم", "الموت لأمريكا 🇮🇷 و🇷🇺 روسيا"]
    for text in texts:
        found = occurrences(PostText(1, 1, text, lexicon))
        assert tag_narratives(index.candidates(found), found) == tag_narratives(watchlist.narratives, found)
    assert index.candidates({}) == []
    assert any(tag_narratives(index.candidates(found), found) for found in
               (occurrences(PostText(1, 1, text, lexicon)) for text in texts))  # the texts do tag something
