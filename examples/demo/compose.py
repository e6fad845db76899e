"""Compose the bundled illustrative example (run once; its output is committed).

    python examples/demo/compose.py

ILLUSTRATIVE DATA. The channels, ids, usernames and posts are invented for the demo, modelled on the
situation described in a public monitoring report (MEMRI ITMP, 12 June 2023): an Iraqi channel calling
itself the best friends of Russia in Iraq posts a prayer for the Russian army with a rainbow-flag emoji
after "NATO"; a channel affiliated with the militia Ashab al-Kahf posts the same text a day later.
No post here is a real post of a real channel.

The exports use two Telegram Desktop format generations (a current one with `date_unixtime` and
`text_entities`, and a 2021 one with string `from_id` but no entity list), so the demo exercises both.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).parent
SKIPPED = "(File not included. Change data exporting settings to download.)"

PRAYER = (
    "صلواتكم لجيش روسيا العظيمة وهو يقاتل الآن تحالف الشر الأمريكي ويصدّ الهجوم المضاد "
    "المدعوم من حلف النّاتو 🏳️‍🌈"
)
ARABIC_NEWS = [
    "عاجل | القوات الروسية تصد هجوماً أوكرانياً على محور زابوريجيا",
    "بوتين يلتقي قادة الجيش في موسكو ويشيد بصمود الجنود",
    "بيان المقاومة الإسلامية في العراق حول القواعد الأمريكية",
    "زيلينسكي يطلب مزيداً من الأسلحة من حلف الناتو",
    "مجموعة فاغنر تعلن السيطرة على مواقع جديدة",
    "الحشد الشعبي ينفذ عملية أمنية في صحراء الأنبار",
    "أسعار صرف الدولار في أسواق بغداد اليوم",
    "انقطاع الكهرباء في عدة مناطق من البصرة بسبب ارتفاع الحرارة",
    "وزارة التربية تعلن جدول الامتحانات الوزارية للسادس الإعدادي",
    "الولايات المتحدة تعلن حزمة مساعدات عسكرية جديدة لأوكرانيا",
]
RUSSIAN_NEWS = [
    "Путин провёл совещание с Министерством обороны",
    "ВСУ начали контрнаступление, идут тяжёлые бои",
    "НАТО обсуждает новые поставки вооружений Киеву",
    "Зеленский снова просит у Запада самолёты",
    "В Багдаде прошла встреча с российскими дипломатами",
    "Ещё одна колонна техники уничтожена под Запорожьем",
]
FOOTERS = {
    "friends": "\n\n🇷🇺🇮🇶 تابعونا: @friends_of_russia_iq",
    "kahf": "\n\n#أصحاب_الكهف",
    "vestnik": "\n\nПодписывайтесь: @russkiy_vestnik_demo",
}


def _ts(moment: datetime) -> dict:
    """Both date fields as a current Telegram Desktop writes them (local time here is UTC+3, Baghdad)."""
    local = moment + timedelta(hours=3)
    return {"date": local.strftime("%Y-%m-%dT%H:%M:%S"), "date_unixtime": str(int(moment.timestamp()))}


def _entities(text: str) -> list[dict]:
    """The footer's @handle or #tag as the entity Telegram makes of it."""
    head, space, last = text.rpartition(" ") if " " in text.rsplit("\n", 1)[-1] else text.rpartition("\n")
    kind = {"@": "mention", "#": "hashtag"}.get(last[:1])
    if kind is None:
        return [{"type": "plain", "text": text}]
    return [{"type": "plain", "text": head + space}, {"type": kind, "text": last}]


def modern_channel(name: str, bare_id: int, key: str, start: datetime, rng: random.Random, lines: list[str]) -> dict:
    messages = [{"id": 1, "type": "service", **_ts(start - timedelta(days=400)), "actor": name,
                 "actor_id": f"channel{bare_id}", "action": "create_channel", "title": name, "text": "", "text_entities": []}]
    moment = start
    for index, line in enumerate(lines, start=2):
        moment += timedelta(hours=rng.randint(3, 20), minutes=rng.randint(0, 59))
        text = line + FOOTERS[key]
        entities = _entities(text)
        # As Telegram Desktop writes it: `text` is an array as soon as one part is formatted.
        parts = [e["text"] if e["type"] == "plain" else e for e in entities]
        message = {"id": index, "type": "message", **_ts(moment), "from": name, "from_id": f"channel{bare_id}",
                   "text": parts if len(parts) > 1 else text, "text_entities": entities}
        if rng.random() < 0.3:
            message |= {"photo": SKIPPED, "photo_file_size": rng.randint(40_000, 200_000), "width": 1280, "height": 720}
        messages.append(message)
    return {"name": name, "type": "public_channel", "id": bare_id, "messages": messages}


def with_prayer(export: dict, moment: datetime, extra: dict | None = None) -> dict:
    """Insert the seed's post at `moment`, keeping ids in date order."""
    bare_id = export["id"]
    message = {"type": "message", **_ts(moment), "from": export["name"], "from_id": f"channel{bare_id}",
               "photo": SKIPPED, "photo_file_size": 163_840, "width": 1280, "height": 853,
               "text": PRAYER, "text_entities": [{"type": "plain", "text": PRAYER}], **(extra or {})}
    messages = sorted(export["messages"][1:] + [message], key=lambda m: int(m["date_unixtime"]))
    export["messages"] = export["messages"][:1] + messages
    for number, item in enumerate(export["messages"], start=1):
        item["id"] = number
    return export


def older_russian_channel(rng: random.Random) -> dict:
    """A 2021-generation export: string from_id, text arrays, no date_unixtime nor text_entities."""
    name, bare_id = "Русский вестник (демо)", 1700000003
    moment = datetime(2023, 5, 20, 6, 0, tzinfo=UTC)
    messages = []
    for index, line in enumerate(RUSSIAN_NEWS * 3, start=1):
        moment += timedelta(hours=rng.randint(10, 30))
        text = [line + " ", {"type": "hashtag", "text": "#новости"}, FOOTERS["vestnik"]]
        messages.append({"id": index, "type": "message", "date": moment.strftime("%Y-%m-%dT%H:%M:%S"),
                         "from": name, "from_id": f"channel{bare_id}", "text": text})
    messages[3]["edited"] = (moment + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S")
    return {"name": name, "type": "public_channel", "id": bare_id, "messages": messages}


def main() -> None:
    rng = random.Random(2023)
    may = datetime(2023, 5, 15, 5, 0, tzinfo=UTC)
    friends = modern_channel("أصدقاء روسيا في العراق", 1700000001, "friends", may, rng, rng.sample(ARABIC_NEWS, 8) * 2)
    kahf = modern_channel("إعلام أصحاب الكهف", 1700000002, "kahf", may, rng, rng.sample(ARABIC_NEWS, 7) * 2)
    with_prayer(friends, datetime(2023, 6, 7, 9, 12, tzinfo=UTC))
    with_prayer(kahf, datetime(2023, 6, 8, 10, 40, tzinfo=UTC))
    exports = {"friends_of_russia_iq": friends, "ashab_kahf_media": kahf, "russkiy_vestnik": older_russian_channel(rng)}
    for folder, export in exports.items():
        target = HERE / "exports" / folder
        target.mkdir(parents=True, exist_ok=True)
        (target / "result.json").write_text(json.dumps(export, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
