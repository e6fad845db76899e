"""Emoji as whole grapheme clusters, and symbols paired with the entity mention they stand next to."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from builders import capture, channel, post

from echoscope.ingest import ingest
from echoscope.stages.mentions import MentionStage
from echoscope.stages.symbols import SymbolStage, pair_symbols
from echoscope.store import text as text_store
from echoscope.text.emoji import find_emoji, find_symbols, text_symbols
from echoscope.text.mentions import Matcher
from echoscope.text.watchlist import load

ROOT = Path(__file__).resolve().parent.parent
SEED_POST = "صلواتكم لجيش روسيا العظيمة وهو يقاتل الآن تحالف الشر الأمريكي ويصدّ الهجوم المضاد المدعوم من حلف النّاتو 🏳️‍🌈\n\n🇷🇺🇮🇶 تابعونا"


@pytest.mark.parametrize("text, clusters", [
    ("NATO 🏳️‍🌈", ["🏳️‍🌈"]),
    ("🇷🇺🇮🇶🇺🇸", ["🇷🇺", "🇮🇶", "🇺🇸"]),
    ("👍🏽👍", ["👍🏽", "👍"]),
    ("👨‍👩‍👧 family", ["👨‍👩‍👧"]),
    ("❤️ and ❤ and ☠️", ["❤️", "❤", "☠️"]),
    ("1️⃣ first, 2 second", ["1️⃣"]),
    ("🏴󠁧󠁢󠁥󠁮󠁧󠁿 England", ["🏴󠁧󠁢󠁥󠁮󠁧󠁿"]),
    ("© 2023 Sabereen ®", []),
])
def test_emoji_are_whole_grapheme_clusters(text, clusters):
    found = find_emoji(text)
    assert [item.text for item in found] == clusters
    assert all(text[item.start:item.end] == item.text for item in found)


def test_lettered_symbols_stand_alone_and_keep_their_case():
    pattern = text_symbols(["Z", "ZOV", "🇷🇺"])
    assert [item.text for item in find_symbols("Zelensky z Z ZOV Z-войска 🇷🇺", pattern)] == ["Z", "ZOV", "Z", "🇷🇺"]


@pytest.fixture(scope="module")
def watchlist():
    return load()


def _pairs(watchlist, text: str, window: int = 1) -> list[tuple[str, str]]:
    mentions = [mention for mention in Matcher(watchlist).find(text) if mention.kind == "entity"]
    pattern = text_symbols(item.symbol for item in watchlist.symbols.values())
    return [(pairing.symbol.text, pairing.mention.surface) for pairing in pair_symbols(text, mentions, find_symbols(text, pattern), window)]


def test_the_seed_flag_after_nato_comes_out_exactly(watchlist):
    mentions = [mention for mention in Matcher(watchlist).find(SEED_POST) if mention.kind == "entity"]
    pairings = pair_symbols(SEED_POST, mentions, find_emoji(SEED_POST), 1)
    assert len(pairings) == 1  # the flags after the blank line stand on their own
    flag = pairings[0]
    assert (flag.symbol.text, flag.mention.term) == ("🏳️‍🌈", "nato")
    assert SEED_POST[flag.symbol.start:flag.symbol.end] == "🏳️‍🌈"
    assert SEED_POST[flag.mention.start:flag.mention.end] == "حلف النّاتو"


@pytest.mark.parametrize("text, window, expected", [
    ("🏳️‍🌈 NATO", 1, [("🏳️‍🌈", "NATO")]),  # either reading direction
    ("الناتو🏳️‍🌈", 1, [("🏳️‍🌈", "الناتو")]),
    ("NATO the aggressor 🤡", 1, []),
    ("NATO the aggressor 🤡", 2, [("🤡", "NATO")]),
    ("NATO 🤡🏳️‍🌈", 1, [("🤡", "NATO"), ("🏳️‍🌈", "NATO")]),  # other emoji are not words
    ("NATO\n🏳️‍🌈", 5, []),  # never across a line break
    ("Putin 🇷🇺 Zelensky", 1, [("🇷🇺", "Putin")]),  # equally close: the word before
    ("Putin and 🤡 Zelensky", 1, [("🤡", "Zelensky")]),  # the nearer one
    ("Z V Россия", 1, [("Z", "Россия"), ("V", "Россия")]),
])
def test_pairing_window_direction_and_breaks(watchlist, text, window, expected):
    assert _pairs(watchlist, text, window) == expected


def test_the_stage_stores_pairings_with_both_spans_and_exports_them(store):
    ingest(store, [capture(), channel(), post(1, SEED_POST), post(2, "🇺🇸 علم أمريكي محروق")])
    MentionStage().run(store, MentionStage.defaults, lambda done, total: None)
    report = SymbolStage().run(store, SymbolStage.defaults, lambda done, total: None)
    assert report.counts == {"posts": 2, "pairings": 1}
    with store.reading() as conn:
        records = list(text_store.iter_symbols(conn))
    assert len(records) == 1 and list(records[0]) == list(text_store.SYMBOL_FIELDS)
    record = records[0]
    assert (record["symbol"], record["entity"], record["entity_name"]) == ("🏳️‍🌈", "nato", "NATO")
    assert "slur" in record["meaning"]
    assert SEED_POST[slice(*record["symbol_span"])] == "🏳️‍🌈"
    assert SEED_POST[slice(*record["entity_span"])] == "حلف النّاتو"
    assert SymbolStage().run(store, SymbolStage.defaults, lambda done, total: None).counts == {"posts": 0, "pairings": 0}
    wider = SymbolStage.defaults | {"window": 3}
    assert SymbolStage().run(store, wider, lambda done, total: None).counts["posts"] == 2  # a new window re-reads


def _echoscope(*args: str, db: Path) -> subprocess.CompletedProcess:
    env = os.environ | {"COLUMNS": "200", "NO_COLOR": "1", "ECHOSCOPE_DB": str(db)}
    return subprocess.run([sys.executable, "-m", "echoscope", *args], capture_output=True, text=True, env=env, cwd=ROOT)


def test_the_cli_runs_the_text_stages_on_the_bundled_example_and_exports_the_seed_pairing(tmp_path):
    db = tmp_path / "demo.db"
    friends = ROOT / "examples" / "demo" / "exports" / "friends_of_russia_iq"
    assert _echoscope("ingest", "tdesktop", str(friends), db=db).returncode == 0
    analysed = _echoscope("analyze", "--only", "lang,mentions,symbols,narratives", db=db)
    assert analysed.returncode == 0, analysed.stderr
    exported = _echoscope("export", "symbols", "--format", "csv", db=db)
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert list(rows[0]) == list(text_store.SYMBOL_FIELDS)
    assert any(row["symbol"] == "🏳️‍🌈" and row["entity"] == "nato" for row in rows)
    narratives = [json.loads(line) for line in _echoscope("export", "narratives", db=db).stdout.splitlines()]
    assert any(record["narrative"] == "anti-NATO" for record in narratives)
    bad = _echoscope("export", "mentions", "--format", "xml", db=db)
    assert bad.returncode == 2 and "--format must be jsonl or csv" in bad.stderr


def test_the_stage_reads_current_stored_mentions_and_matches_posts_whose_mentions_are_stale(store):
    ingest(store, [capture(), channel(), post(1, "NATO 🏳️‍🌈"), post(2, "Putin 🇷🇺"), post(3, "الطقس 🌧")])
    MentionStage().run(store, MentionStage.defaults, lambda done, total: None)
    ingest(store, [capture("edited.json", "c" * 64), channel(), post(2, "Zelensky 🇺🇦")])  # mentions now stale
    SymbolStage().run(store, SymbolStage.defaults, lambda done, total: None)
    with store.reading() as conn:
        found = sorted((record["post_id"], record["symbol"], record["entity"]) for record in text_store.iter_symbols(conn))
    assert found == [(1, "🏳️‍🌈", "nato"), (2, "🇺🇦", "zelensky")]
