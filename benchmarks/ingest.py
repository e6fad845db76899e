"""Ingest throughput and peak memory: echoscope against a naive baseline, on the same synthetic export.

    python benchmarks/ingest.py --messages 1000000

Writes a Telegram Desktop export of N messages (Arabic text, entity arrays, forwards, photos, edits,
reactions, service messages), then ingests it twice, each in its own process so peak RSS is its own:
- echoscope: streaming parse, hashing, versioned upsert and FTS5 indexing into a fresh SQLite store;
- baseline: `json.load` of the whole file and one INSERT per message (text + FTS5 row).
- floor: the rows echoscope stored, written again into a fresh store with plain sqlite3 executemany and
  the same FTS5 statement, timing the writes alone: the least the writer process can cost.
The figures go to stdout and into docs/benchmarks.md between the `ingest` markers.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import orjson
from _figures import floor_store, insert_statement, machine, write_block

ROOT = Path(__file__).resolve().parent.parent

WORDS = (
    "صلواتكم لجيش روسيا العظيمة وهو يقاتل الآن التحالف الأمريكي للشر ويصد الهجوم المضاد المدعوم من حلف "
    "الناتو المقاومة الإسلامية في العراق بيان عاجل القصف القوات الأمريكية قاعدة عين الأسد الحشد الشعبي "
    "بوتين زيلينسكي فاغنر الكرملين موسكو بغداد طهران الجيش الروسي الغرب العقوبات الطائرات المسيرة"
).split()
PHOTOS = 64
FLOOR = "SQLite floor: echoscope's rows re-inserted, writes alone (posts counted)"


def _text_parts(rng: random.Random) -> list:
    body = " ".join(rng.choices(WORDS, k=rng.randint(8, 60)))
    if rng.random() < 0.5:
        return [body] if rng.random() < 0.5 else body
    return [
        {"type": "bold", "text": "عاجل | "},
        body,
        "\n",
        {"type": "hashtag", "text": "#" + rng.choice(WORDS)},
        " ",
        {"type": "text_link", "text": "المصدر", "href": f"https://example.org/{rng.randint(1, 10**6)}"},
        " ",
        {"type": "mention", "text": "@sabereen_news"},
    ]


def _entities(text) -> list:
    if isinstance(text, str):
        return [{"type": "plain", "text": text}] if text else []
    return [part if isinstance(part, dict) else {"type": "plain", "text": part} for part in text]


def _message(rng: random.Random, message_id: int, unix: int) -> dict:
    if rng.random() < 0.01:
        return {"id": message_id, "type": "service", "date": "2023-06-07T12:00:00", "date_unixtime": str(unix),
                "actor": "Bench Channel", "actor_id": "channel1234567890", "action": "pin_message",
                "message_id": message_id - 1, "text": "", "text_entities": []}
    text = _text_parts(rng)
    message = {"id": message_id, "type": "message", "date": "2023-06-07T12:00:00", "date_unixtime": str(unix),
               "from": "Bench Channel", "from_id": "channel1234567890"}
    if rng.random() < 0.1:
        message |= {"edited": "2023-06-07T13:00:00", "edited_unixtime": str(unix + 3600)}
    if rng.random() < 0.2:
        message |= {"forwarded_from": "Sabereen News", "forwarded_from_id": "channel1002"}
    if rng.random() < 0.3:
        message |= {"photo": f"photos/photo_{rng.randrange(PHOTOS)}.jpg", "photo_file_size": 2048,
                    "width": 640, "height": 480}
    message |= {"text": text, "text_entities": _entities(text)}
    if rng.random() < 0.3:
        message["reactions"] = [{"type": "emoji", "count": rng.randint(1, 5000), "emoji": "👍"}]
    return message


def write_export(folder: Path, messages: int, seed: int = 7) -> Path:
    """A single-chat export of `messages` messages, written streaming (the generator holds one message)."""
    rng = random.Random(seed)
    (folder / "photos").mkdir(parents=True, exist_ok=True)
    for index in range(PHOTOS):
        (folder / "photos" / f"photo_{index}.jpg").write_bytes(rng.randbytes(2048))
    path = folder / "result.json"
    with path.open("wb") as out:
        out.write(b'{"name": "Bench Channel", "type": "public_channel", "id": 1234567890, "messages": [\n')
        for message_id in range(1, messages + 1):
            if message_id > 1:
                out.write(b",\n")
            out.write(orjson.dumps(_message(rng, message_id, 1_685_000_000 + message_id * 60)))
        out.write(b"\n]}\n")
    return path


def run_echoscope(export: Path, db: Path) -> dict:
    from echoscope.ingest import ingest
    from echoscope.sources.tdesktop import TelegramDesktopExport
    from echoscope.store import Store

    started = time.perf_counter()
    with Store(db) as store:
        summary = ingest(store, TelegramDesktopExport(export))
        posts = store.counts()["posts"]
    return {"seconds": time.perf_counter() - started, "messages": summary.messages, "posts": posts}


def run_baseline(export: Path, db: Path) -> dict:
    """What a first script would do: load everything, then INSERT row by row (with the same FTS5 index)."""
    started = time.perf_counter()
    data = json.loads(export.read_text(encoding="utf-8"))
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE posts (id INTEGER PRIMARY KEY, date TEXT, text TEXT, raw TEXT)")
    conn.execute("CREATE VIRTUAL TABLE posts_fts USING fts5(text, content='posts', content_rowid='id')")
    for message in data["messages"]:
        text = message.get("text", "")
        if isinstance(text, list):
            text = "".join(part if isinstance(part, str) else part["text"] for part in text)
        conn.execute("INSERT INTO posts VALUES (?, ?, ?, ?)", (message["id"], message["date"], text, json.dumps(message)))
        conn.execute("INSERT INTO posts_fts(rowid, text) VALUES (?, ?)", (message["id"], text))
    conn.commit()
    posts = conn.execute("SELECT count(*) FROM posts").fetchone()[0]
    conn.close()
    return {"seconds": time.perf_counter() - started, "messages": len(data["messages"]), "posts": posts}


def run_floor(stored: Path, db: Path) -> dict:
    """The SQL alone: the rows echoscope stored, read back from its store and written into a fresh store
    of the same schema with plain sqlite3 executemany, batches of 5,000, the same FTS5 statement per
    batch and a commit per batch. Only the writes are timed: what the writer process cannot go below."""
    source, target = floor_store(stored, db)
    seconds: dict[str, float] = {}
    posts = 0
    for table in ("captures", "channels", "posts", "post_versions", "media", "events"):
        columns, insert = insert_statement(source, table)
        rows = source.execute(f"SELECT {columns} FROM {table} ORDER BY rowid")
        while batch := rows.fetchmany(5000):
            started = time.perf_counter()
            target.executemany(insert, batch)
            target.commit()
            seconds[table] = seconds.get(table, 0.0) + time.perf_counter() - started
            if table == "posts":
                started = time.perf_counter()
                target.execute("INSERT INTO posts_fts(rowid, text_norm) SELECT pk, text_norm FROM posts WHERE pk > ?", (posts,))
                target.commit()
                seconds["FTS5 index"] = seconds.get("FTS5 index", 0.0) + time.perf_counter() - started
                posts = batch[-1][0]
    messages = target.execute("SELECT count(*) FROM posts").fetchone()[0]
    return {"seconds": sum(seconds.values()), "messages": messages, "posts": messages, "tables": seconds}


def measure(kind: str, export: Path, db: Path) -> dict:
    """Run one contender in a child process; peak RSS is that child's own (os.wait4)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    child = subprocess.Popen([sys.executable, __file__, "--run", kind, str(export), str(db)], stdout=subprocess.PIPE)
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        raise SystemExit(f"{kind} failed with status {status}")
    result = json.loads(output)
    result["peak_rss_mb"] = usage.ru_maxrss / 1024
    result["rate"] = result["messages"] / result["seconds"]
    return result


def write_doc(messages: int, size_mb: float, results: dict[str, dict]) -> str:
    lines = [
        f"Ingest of a synthetic single-chat export: {messages:,} messages, {size_mb:,.0f} MB of JSON "
        f"(`python benchmarks/ingest.py --messages {messages}`; {machine()}, SQLite {sqlite3.sqlite_version}).",
        "",
        "| contender | messages/s | seconds | peak RSS (MB) |",
        "|---|---:|---:|---:|",
    ]
    for name, result in results.items():
        memory = "–" if name == FLOOR else f"{result['peak_rss_mb']:,.0f}"
        lines.append(f"| {name} | {result['rate']:,.0f} | {result['seconds']:,.1f} | {memory} |")
    floor = results[FLOOR]
    lines += ["", "The floor's writes per message, by table: " + ", ".join(
        f"{table} {seconds / floor['messages'] * 1e6:.1f} µs" for table, seconds in floor["tables"].items() if seconds / floor["messages"] >= 5e-8) + "."]
    return write_block("ingest", "Ingest", lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=200_000, help="size of the synthetic export")
    parser.add_argument("--workdir", type=Path, default=ROOT / "benchmarks" / "out")
    parser.add_argument("--no-baseline", action="store_true", help="skip the naive baseline")
    parser.add_argument("--no-doc", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument("--run", nargs=3, metavar=("KIND", "EXPORT", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        kind, export, db = args.run
        runner = {"echoscope": run_echoscope, "baseline": run_baseline, "floor": run_floor}[kind]
        print(json.dumps(runner(Path(export), Path(db))))
        return

    folder = args.workdir / f"export-{args.messages}"
    export = folder / "result.json"
    if not export.exists():
        print(f"writing a {args.messages:,}-message export to {folder} …", file=sys.stderr)
        write_export(folder, args.messages)
    results = {"echoscope": measure("echoscope", export, args.workdir / "echoscope.db")}
    if not args.no_baseline:
        results["baseline (json.load + INSERT per row)"] = measure("baseline", export, args.workdir / "baseline.db")
    results[FLOOR] = measure("floor", args.workdir / "echoscope.db", args.workdir / "floor.db")
    size_mb = export.stat().st_size / 2**20
    for name, result in results.items():
        print(f"{name:40} {result['rate']:>10,.0f} msg/s {result['seconds']:>8.1f} s {result['peak_rss_mb']:>7.0f} MB RSS")
    if not args.no_doc:
        write_doc(args.messages, size_mb, results)


if __name__ == "__main__":
    main()
