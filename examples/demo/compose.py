"""Compose the bundled illustrative example (run once; its output is committed).

    python examples/demo/compose.py          # needs scikit-image and Pillow (pip install -e '.[test]')

ILLUSTRATIVE DATA. The channels, ids, usernames and posts are invented for the demo, modelled on the
situation described in a public monitoring report (MEMRI ITMP, 12 June 2023): an Iraqi channel calling
itself the best friends of Russia in Iraq posts a photograph and a prayer for the Russian army with a
rainbow-flag emoji after "NATO"; a channel affiliated with the militia Ashab al-Kahf posts the same text a
day later; the photograph had circulated on Facebook and X before. No post here is a real post of a real
channel. The photographs are scikit-image's sample images (public domain or CC0, see its data README).

What the machine should find, and what is there to make it earn it:
- the prayer, first on friends_of_russia_iq on 7 June 2023 and verbatim on ashab_kahf_media a day later;
- the launch photograph, first on Facebook (2022), then X, then both Telegram channels, recompressed,
  resized and with a caption band added;
- 🏳️‍🌈 right after "NATO"; 🇷🇺 next to Russia;
- Saberoon (a Sabereen-News-like outlet) breaking stories that ashab_kahf_media and friends_of_russia_iq echo
  within minutes, edited (prefix dropped, emoji added, cut short), and forwards: the amplifier network;
- many more pro-Russia posts in June than in May: an uptick;
- noise: two ordinary Iraqi news channels (echoing each other hours apart, as news does), house footers on
  every post, a Russian channel in a 2021 export format, unrelated photographs, posts about the same topics in
  different words.
"""

from __future__ import annotations

import csv
import json
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from corpus_text import (
    CASCADES, COMMENTARY, ENGLISH, ENGLISH_FOOTERS, FOOTERS, FRONTS, FRONTS_RU, GLOSSARY, LOCAL_STORIES, NUMBERS,
    NUMBERS_RU, OTHER_PLATFORMS_TEXT, PLACES, PRAYER, RUSSIAN, TEMPLATES,
)

HERE = Path(__file__).parent
START, END = datetime(2023, 5, 1, tzinfo=UTC), datetime(2023, 7, 1, tzinfo=UTC)
JUNE = datetime(2023, 6, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ChannelSpec:
    key: str
    username: str
    bare_id: int
    title: str
    per_day_may: float
    per_day_june: float


SPECS = {
    spec.key: spec
    for spec in (
        ChannelSpec("friends", "friends_of_russia_iq", 1700000001, "أصدقاء روسيا في العراق", 0.6, 1.8),
        ChannelSpec("kahf", "ashab_kahf_media", 1700000002, "إعلام أصحاب الكهف", 0.5, 0.9),
        ChannelSpec("vestnik", "russkiy_vestnik_demo", 1700000003, "Русский вестник (демо)", 0.8, 0.8),
        ChannelSpec("saberoon", "saberoon_news_demo", 1700000004, "صابرون نيوز (تجريبي)", 1.0, 2.2),
        ChannelSpec("baghdad", "baghdad_today_demo", 1700000005, "بغداد اليوم (تجريبي)", 1.5, 1.5),
        ChannelSpec("basra", "basra_news_demo", 1700000006, "أخبار البصرة (تجريبي)", 1.0, 1.0),
    )
}


@dataclass
class Planned:
    moment: datetime
    text: str
    photo: str | None = None  # a key of PHOTOS
    forwarded_from: str | None = None  # a channel key
    edited_after: timedelta | None = None
    english: str | None = None  # the hand-written gloss for the translation cache


@dataclass
class Plan:
    posts: dict[str, list[Planned]] = field(default_factory=lambda: {key: [] for key in SPECS})

    def add(self, key: str, post: Planned) -> None:
        self.posts[key].append(post)


def fill(template: str, rng: random.Random) -> tuple[str, str | None]:
    """The template with its slots filled, and the same sentence in English when there is a gloss."""
    first, second = rng.sample(PLACES, 2)
    slots = {"place": first, "place2": second, "front": rng.choice(FRONTS), "number": rng.choice(NUMBERS),
             "front_ru": rng.choice(FRONTS_RU), "number_ru": rng.choice(NUMBERS_RU)}
    english = ENGLISH.get(template)
    glossed = english.format(**{key: GLOSSARY.get(value, value) for key, value in slots.items()}) if english else None
    return template.format(**slots), glossed[:1].upper() + glossed[1:] if glossed else None


def _joined(pairs: list[tuple[str, str | None]]) -> tuple[str, str | None]:
    english = [gloss for _, gloss in pairs]
    return "\n".join(text for text, _ in pairs), "\n".join(english) if all(english) else None


def everyday_posts(plan: Plan, rng: random.Random) -> None:
    """Each channel's own posts, one or two filled-in templates each, at the channel's daily rate."""
    day = START
    while day < END:
        for key, spec in SPECS.items():
            rate = spec.per_day_june if day >= JUNE else spec.per_day_may
            for _ in range(int(rate) + (rng.random() < rate % 1)):
                moment = day + timedelta(hours=rng.randint(5, 21), minutes=rng.randint(0, 59))
                pool = RUSSIAN if key == "vestnik" else TEMPLATES[key]
                text, english = _joined([fill(template, rng) for template in rng.sample(pool, rng.choice((1, 1, 2)))])
                plan.add(key, Planned(moment, text, english=english))
        day += timedelta(days=1)


def cascades(plan: Plan, rng: random.Random) -> None:
    """Saberoon breaks a story; the militia channel echoes within minutes, the friends within the hour."""
    days = [datetime(2023, 5, d, tzinfo=UTC) for d in (9, 18, 27)] + [datetime(2023, 6, d, tzinfo=UTC) for d in (2, 5, 9, 12, 15, 19, 22, 26, 29)]
    for index, (day, story) in enumerate(zip(days, CASCADES)):
        broke = day + timedelta(hours=rng.randint(6, 18), minutes=rng.randint(0, 59))
        english = ENGLISH[story]
        plan.add("saberoon", Planned(broke, story, english=english))
        body, body_english = story.removeprefix("عاجل | "), english.removeprefix("Urgent | ")
        if index % 4 == 3:  # sometimes the militia channel forwards instead of retyping
            plan.add("kahf", Planned(broke + timedelta(minutes=rng.randint(2, 8)), story, forwarded_from="saberoon", english=english))
        else:
            plan.add("kahf", Planned(broke + timedelta(minutes=rng.randint(3, 9)), body, english=body_english))
        echoed, echoed_english = "🔥 " + body, "🔥 " + body_english
        if index % 3 == 1:  # cut short, as channels do when they only want the headline
            echoed = "🔥 " + " ".join(body.split()[:9]) + "…"
            echoed_english = "🔥 " + " ".join(body_english.split()[:11]) + "…"
        plan.add("friends", Planned(broke + timedelta(minutes=rng.randint(20, 55)), echoed, english=echoed_english))
    quoted = CASCADES[5]
    plan.add("friends", Planned(days[8] + timedelta(hours=20), f"{quoted}\n\n{COMMENTARY}",
                                english=f"{ENGLISH[quoted]}\n\n{ENGLISH[COMMENTARY]}"))


def seed_posts(plan: Plan) -> None:
    """The report's own finding: the photograph and prayer, then the same post a day later."""
    plan.add("friends", Planned(datetime(2023, 6, 7, 9, 12, tzinfo=UTC), PRAYER, photo="rocket_captioned", english=ENGLISH[PRAYER]))
    plan.add("kahf", Planned(datetime(2023, 6, 8, 10, 40, tzinfo=UTC), PRAYER, photo="rocket_small", english=ENGLISH[PRAYER]))
    text, english = fill(TEMPLATES["friends"][3], random.Random(7))
    plan.add("friends", Planned(datetime(2023, 5, 20, 16, 5, tzinfo=UTC), text, photo="astronaut", english=english))
    plan.add("baghdad", Planned(datetime(2023, 5, 12, 8, 30, tzinfo=UTC), "فنجان قهوة الصباح من شارع المتنبي", photo="coffee"))
    plan.add("basra", Planned(datetime(2023, 6, 3, 18, 45, tzinfo=UTC), "قطط البصرة تبحث عن الظل في موجة الحر", photo="chelsea"))


def local_echoes(plan: Plan, rng: random.Random) -> None:
    for day, story in zip((8, 17, 28), LOCAL_STORIES):
        first = datetime(2023, 6 if day < 20 else 5, day, 7, 0, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 300))
        plan.add("baghdad", Planned(first, story))
        plan.add("basra", Planned(first + timedelta(hours=rng.randint(2, 6)), story))


def main(target: Path = HERE) -> None:
    from photos import write_other_platforms_media, write_photo  # needs scikit-image; only compose uses it

    rng = random.Random(2023)
    plan = Plan()
    everyday_posts(plan, rng)
    cascades(plan, rng)
    seed_posts(plan)
    local_echoes(plan, rng)
    plan.posts["vestnik"][5].edited_after = timedelta(minutes=7)
    translations = []
    for key, posts in plan.posts.items():
        spec = SPECS[key]
        folder = target / "exports" / spec.username
        folder.mkdir(parents=True, exist_ok=True)
        export, glossed = (older_export if key == "vestnik" else modern_export)(spec, sorted(posts, key=lambda p: p.moment), folder, write_photo)
        (folder / "result.json").write_text(json.dumps(export, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        translations += glossed
    write_other_platforms(target, write_other_platforms_media(target))
    write_translations(target, translations)
    write_registry(target)


def _ts(moment: datetime) -> dict:
    """Both date fields as a current Telegram Desktop writes them (local time here is UTC+3, Baghdad)."""
    local = moment + timedelta(hours=3)
    return {"date": local.strftime("%Y-%m-%dT%H:%M:%S"), "date_unixtime": str(int(moment.timestamp()))}


def _entities(text: str) -> list[dict]:
    """Hashtags and @mentions as the entities Telegram makes of them; the rest plain."""
    pieces = re.split(r"([@#]\w+)", text)
    return [{"type": {"@": "mention", "#": "hashtag"}[piece[0]] if index % 2 else "plain", "text": piece}
            for index, piece in enumerate(pieces) if piece]


def modern_export(spec: ChannelSpec, posts: list[Planned], folder: Path, write_photo) -> dict:
    created = {"id": 1, "type": "service", **_ts(START - timedelta(days=400)), "actor": spec.title,
               "actor_id": f"channel{spec.bare_id}", "action": "create_channel", "title": spec.title,
               "text": "", "text_entities": []}
    messages, translations = [created], []
    for number, post in enumerate(posts, start=2):
        text = post.text if post.forwarded_from else post.text + FOOTERS[spec.key]
        entities = _entities(text)
        message = {"id": number, "type": "message", **_ts(post.moment), "from": spec.title,
                   "from_id": f"channel{spec.bare_id}",
                   "text": [e["text"] if e["type"] == "plain" else e for e in entities] if len(entities) > 1 else text,
                   "text_entities": entities}
        if post.forwarded_from:
            source = SPECS[post.forwarded_from]
            message |= {"forwarded_from": source.title, "forwarded_from_id": f"channel{source.bare_id}"}
        if post.photo:
            name = f"photos/photo_{number}@{(post.moment + timedelta(hours=3)).strftime('%d-%m-%Y_%H-%M-%S')}.jpg"
            width, height, size = write_photo(post.photo, folder / name)
            message |= {"photo": name, "photo_file_size": size, "width": width, "height": height}
        messages.append(message)
        if post.english:
            footer = "" if post.forwarded_from else ENGLISH_FOOTERS.get(spec.key, "")
            translations.append({"channel": spec.username, "post_id": number, "source": "ar", "target": "en",
                                 "text": post.english + footer})
    return {"name": spec.title, "type": "public_channel", "id": spec.bare_id, "messages": messages}, translations


def older_export(spec: ChannelSpec, posts: list[Planned], folder: Path, write_photo) -> dict:
    """A 2021-generation export: string from_id, text arrays, no date_unixtime nor text_entities."""
    messages = []
    for number, post in enumerate(posts, start=1):
        text = [post.text + " ", {"type": "hashtag", "text": "#новости"}, FOOTERS[spec.key]]
        message = {"id": number, "type": "message", "date": (post.moment + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%S"),
                   "from": spec.title, "from_id": f"channel{spec.bare_id}", "text": text}
        if post.edited_after:
            message["edited"] = (post.moment + timedelta(hours=3) + post.edited_after).strftime("%Y-%m-%dT%H:%M:%S")
        messages.append(message)
    return {"name": spec.title, "type": "public_channel", "id": spec.bare_id, "messages": messages}, []


def write_translations(target: Path, translations: list[dict]) -> None:
    """The hand-written English glosses, one JSON line per post, for `echoscope translate --import`."""
    with (target / "translations.jsonl").open("w", encoding="utf-8") as handle:
        for row in translations:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def write_other_platforms(target: Path, media: dict[str, str]) -> None:
    """Where the photograph appeared before Telegram: a Facebook page in 2022, an X account in 2023."""
    rows = [
        {"platform": "facebook", "channel": "muqawama.fans.demo", "post_id": "pfbid0demo1", "date": "2022-10-14T19:03:00Z",
         "text": OTHER_PLATFORMS_TEXT["facebook"], "url": "https://www.facebook.com/muqawama.fans.demo/posts/pfbid0demo1",
         "media": media["facebook"]},
        {"platform": "x", "channel": "iraq_resist_demo", "post_id": "1621234567890123456", "date": "2023-02-02T11:47:00Z",
         "text": OTHER_PLATFORMS_TEXT["x"], "url": "https://x.com/iraq_resist_demo/status/1621234567890123456",
         "media": media["x"]},
    ]
    with (target / "other-platforms.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


REGISTRY = [
    ("friends", "", "pro-russia;iran-backed", "Describes itself as the best friends of Russia in Iraq"),
    ("kahf", "Ashab al-Kahf", "militia;iran-backed", "Stand-in for a militia-affiliated channel"),
    ("vestnik", "", "russian-media", "Stand-in for a Russian news channel"),
    ("saberoon", "Islamic Resistance in Iraq", "militia-media;iran-backed", "Stand-in for a Sabereen-News-like outlet"),
    ("baghdad", "", "news", "Stand-in for an ordinary Iraqi news channel"),
    ("basra", "", "news", "Stand-in for an ordinary Iraqi news channel"),
]


def write_registry(target: Path) -> None:
    with (target / "registry.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "username", "title", "affiliation", "country", "language", "tags", "notes", "source"])
        for key, affiliation, tags, notes in REGISTRY:
            spec = SPECS[key]
            writer.writerow([spec.bare_id, spec.username, spec.title, affiliation, "RU" if key == "vestnik" else "IQ",
                             "ru" if key == "vestnik" else "ar", tags, f"{notes} (illustrative)", "illustrative example"])


if __name__ == "__main__":
    main()
