"""The clustering core on small, readable cases: each rule of the echoes stage, one test."""

from __future__ import annotations

import numpy as np

from echoscope.similarity import candidates, grouping, minhash
from echoscope.similarity.boilerplate import Boilerplate, learn
from echoscope.similarity.changes import describe
from echoscope.similarity.engine import (
    EMOJI,
    LINK,
    LONG,
    NONE,
    SHORT,
    Batch,
    Settings,
    link_posts,
    prepare,
)
from echoscope.similarity.tokens import hash_tokens, sequence_keys, shingles
from echoscope.text.normalize import normalize_many

STORY = "Российские войска заняли новые позиции под Авдеевкой сообщает министерство обороны России сегодня утром"
ARABIC = "أعلنت المقاومة الإسلامية في العراق استهداف قاعدة عين الأسد الأمريكية بطائرة مسيرة فجر اليوم"


SETTINGS = Settings()


def run(texts, channels=None, minutes=None, settings=SETTINGS, boilerplate=None, **arrays):
    channels = np.arange(len(texts)) if channels is None else np.array(channels)
    dates = np.arange(len(texts)) * 60 if minutes is None else np.array(minutes) * 60
    batch = Batch(normalize_many(texts), list(texts), channels, dates, np.argsort(np.argsort(dates, kind="stable")), **arrays)
    content = prepare(batch, boilerplate or Boilerplate([], 3), settings)
    return link_posts(batch, content, settings).roots, content


def same(roots, *rows):
    return len({int(roots[row]) for row in rows}) == 1


def test_token_hashes_are_stable_and_keys_follow_token_order():
    tokens = hash_tokens(["a b c", "", "a b c", "c b a"])
    assert tokens.count.tolist() == [3, 0, 3, 3]
    keys = sequence_keys(tokens)
    assert keys[0] == keys[2] != keys[3] and keys[1] == 0
    again = hash_tokens(["a b c"])
    assert again.hashes.tolist() == tokens.hashes[:3].tolist()  # no per-process salt: stored keys stay valid


def test_a_text_shorter_than_a_shingle_still_has_one():
    _, post = shingles(hash_tokens(["one", "one two three"]), 2)
    assert post.tolist() == [0, 1, 1]


def test_minhash_agreement_estimates_jaccard():
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(3000)]
    pairs = []
    for _ in range(100):
        text = rng.choice(words, 60).tolist()
        pairs += [" ".join(text), " ".join(text[:40])]
    tokens = hash_tokens(pairs)
    hashes, post = shingles(tokens, 2)
    signature = minhash.signatures(hashes, post, len(pairs), minhash.permutations(128))
    sets = candidates.ShingleSets.build(hashes, post, len(pairs))
    a, b = np.arange(0, len(pairs), 2), np.arange(1, len(pairs), 2)
    exact, containment = candidates.overlap(sets, a, b)
    estimate, _ = candidates.estimated_overlap(signature, sets.sizes, a, b)
    assert abs(estimate.mean() - exact.mean()) < 0.03
    assert np.all(containment == 1.0)


def test_exact_copies_and_light_edits_cluster_and_unrelated_posts_do_not():
    texts = [STORY, STORY + " 🔥", "Срочно | " + STORY, STORY + "\n#Россия #СВО", "Совсем другая новость о погоде в Москве сегодня дождь и сильный ветер"]
    roots, content = run(texts)
    assert same(roots, 0, 1, 2, 3)
    assert not same(roots, 0, 4)
    assert content.kind.tolist() == [LONG] * 5


def test_truncation_and_quote_with_commentary_join_by_containment():
    quote = "Вот что пишут наши коллеги сегодня, обратите внимание на детали и источники этого сообщения: " + STORY
    truncated = " ".join(STORY.split()[:9]) + "…"
    roots, _ = run([STORY, quote, truncated])
    assert same(roots, 0, 1, 2)


def test_a_digest_quoting_two_stories_never_merges_them():
    other = "Иранские военные провели учения в Персидском заливе с участием флота и авиации на этой неделе"
    digest = STORY + "\n\n" + other
    roots, _ = run([STORY, other, digest])
    assert not same(roots, 0, 1)
    assert same(roots, 0, 2) or same(roots, 1, 2)


def test_a_channel_reposting_itself_is_not_an_echo():
    roots, _ = run([STORY, STORY], channels=[7, 7])
    assert not same(roots, 0, 1)


def test_short_posts_match_exactly_and_only_within_the_window():
    texts = ["Взрыв в Белгороде сейчас", "Взрыв в Белгороде сейчас", "Взрыв в Белгороде сейчас"]
    roots, content = run(texts, minutes=[0, 20, 60 * 24])
    assert content.kind.tolist() == [SHORT] * 3
    assert same(roots, 0, 1) and not same(roots, 0, 2)


def test_one_liners_and_greetings_are_never_matched():
    roots, _ = run(["Срочно", "Срочно", "Доброе утро", "Доброе утро"], minutes=[0, 1, 2, 3])
    assert not same(roots, 0, 1) and not same(roots, 2, 3)


def test_pure_links_match_on_the_whole_link_and_pure_emoji_need_several():
    texts = ["https://t.me/sabereenews/101", "https://t.me/sabereenews/101", "https://t.me/sabereenews/102", "🔥🔥🔥🇷🇺", "🔥🔥🔥🇷🇺", "🔥", "🔥"]
    roots, content = run(texts)
    assert content.kind.tolist()[:5] == [LINK, LINK, LINK, EMOJI, EMOJI]
    assert content.kind[5] == NONE
    assert same(roots, 0, 1) and not same(roots, 0, 2) and same(roots, 3, 4) and not same(roots, 5, 6)


def test_forwards_link_to_their_source_whatever_the_text():
    roots, _ = run(["short", "forwarded text"], forward_of=np.array([-1, 0]))
    assert same(roots, 0, 1)


def _footer_corpus():
    footer = "تابعونا على قناتنا في تلغرام للمزيد من الأخبار العاجلة والحصرية"
    rng = np.random.default_rng(1)
    words = [f"كلمة{i}" for i in range(500)]
    texts = [" ".join(rng.choice(words, 4)) + "\n" + footer for _ in range(40)]
    return texts


def test_boilerplate_is_learnt_per_channel_and_a_shared_footer_links_nothing():
    texts = _footer_corpus()
    channels = np.array([1] * 20 + [2] * 20)
    norms = normalize_many(texts)
    phrases = learn(norms, channels, 3, 0.3, 20)
    assert {phrase.channel for phrase in phrases} == {1, 2}
    assert all(phrase.share >= 0.9 for phrase in phrases)
    boilerplate = Boilerplate(phrases, 3)
    roots, _ = run(texts, channels=channels, boilerplate=boilerplate)
    assert np.unique(roots).size == len(texts)
    without, _ = run(texts, channels=channels)  # the same posts without learnt boilerplate look alike
    assert np.unique(without).size < len(texts)


def test_containment_attaches_a_lone_post_and_never_merges_two_clusters():
    roots = np.array([0, 0, 2, 2, 4])
    rank = np.arange(5)
    attacher, partner = grouping.attachments(roots, rank, np.array([4, 4, 1]), np.array([0, 2, 3]), np.array([0.9, 0.95, 1.0]))
    assert attacher.tolist() == [4] and partner.tolist() == [2]


def test_union_find_joins_chains():
    roots = grouping.union_find(6, np.array([5, 3, 1]), np.array([4, 4, 0]))
    assert roots.tolist() == [0, 0, 2, 3, 3, 3]


def test_describe_names_prefix_suffix_hashtags_emoji_and_truncation():
    assert describe(ARABIC, ARABIC) == {}
    edit = describe(ARABIC, "عاجل | " + ARABIC + " 🔥\n#المقاومة")
    assert edit["prefix_added"] == "عاجل |"
    assert edit["hashtags_added"] == ["#المقاومة"] and edit["emoji_added"] == ["🔥"]
    cut = describe(STORY, " ".join(STORY.split()[:5]) + "…")
    assert cut["truncated"] is True and cut["suffix_removed"].startswith("под Авдеевкой")
    assert "spelling" in describe("الخَبَرُ العاجِل", "الخبر العاجل")


def test_a_stock_phrase_repeated_day_after_day_is_never_an_echo():
    texts = ["Спокойной ночи всем друзьям"] * 8
    days = [0, 1, 24 * 60, 24 * 60 + 2, 48 * 60, 48 * 60 + 3, 72 * 60, 72 * 60 + 1]
    roots, _ = run(texts, minutes=days)
    assert np.unique(roots).size == len(texts)
    roots, _ = run(texts[:4], minutes=days[:4])  # the same text in two bursts only: both bursts are echoes
    assert same(roots, 0, 1) and same(roots, 2, 3) and not same(roots, 0, 2)


def test_an_exact_group_spanning_channels_still_finds_its_near_copies_in_those_channels():
    # channel 1 posts the story, channel 2 copies it verbatim, channel 1 later posts a light edit:
    # the edit is an echo of channel 2's copy even though the group's first post is its own channel's
    roots, _ = run([STORY, STORY, "Срочно | " + STORY + " #СВО"], channels=[1, 2, 1])
    assert same(roots, 0, 1, 2)


def test_an_empty_batch_links_nothing():
    roots, content = run([])
    assert roots.size == 0 and content.signature.shape == (0, Settings().permutations)
