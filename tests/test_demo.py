"""The main job end to end: `echoscope demo` on the bundled example rediscovers the seed report's findings.

Every assertion reads the store through the public exports (never the report's wording): the verbatim
echo a day later with its origin, the photograph first seen on Facebook, 🏳️‍🌈 next to NATO, the
militia-affiliated amplifier community, and the June uptick of pro-Russia posts.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRAYER_START = "صلواتكم لجيش روسيا العظيمة"


def _run(*args: str) -> subprocess.CompletedProcess:
    env = os.environ | {"COLUMNS": "200", "NO_COLOR": "1"}
    result = subprocess.run([sys.executable, "-m", "echoscope", *args], capture_output=True, text=True, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return result


def _jsonl(*args: str) -> list[dict]:
    return [json.loads(line) for line in _run(*args).stdout.splitlines() if line.strip()]


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    result = _run("demo", "--example", str(ROOT / "examples" / "demo"), "--out", str(out))
    assert "Findings, best first" in result.stdout
    return out


def _prayer_posts(db: str) -> set[tuple[str, int]]:
    found = _jsonl("search", PRAYER_START, "--format", "jsonl", "--db", db)
    return {(post["channel"], post["post_id"]) for post in found}


def test_the_report_is_written(demo):
    html = (demo / "report" / "report.html").read_text(encoding="utf-8")
    assert "<html" in html and (demo / "report" / "report.md").is_file()


def test_the_verbatim_echo_a_day_later_is_found_with_its_origin(demo):
    db = str(demo / "echoscope.db")
    prayers = _prayer_posts(db)
    assert {channel for channel, _ in prayers} == {"friends_of_russia_iq", "ashab_kahf_media"}
    clusters = [cluster for cluster in _jsonl("export", "echoes", "--db", db)
                if (cluster["origin"]["channel"], cluster["origin"]["post_id"]) in prayers]
    assert len(clusters) == 1
    (cluster,) = clusters
    assert cluster["origin"]["channel"] == "friends_of_russia_iq" and cluster["origin"]["date"].startswith("2023-06-07")
    (echo,) = [member for member in cluster["members"] if member["channel"] == "ashab_kahf_media"]
    assert echo["kind"] in ("exact", "near") and echo["similarity"] >= 0.9
    assert 20 * 3600 <= echo["lag_seconds"] <= 30 * 3600  # "a day later"


def test_the_photograph_was_first_seen_on_facebook(demo):
    db = str(demo / "echoscope.db")
    prayers = _prayer_posts(db)
    (cluster,) = [cluster for cluster in _jsonl("export", "images", "--db", db)
                  if prayers <= {(member["channel"], member["post_id"]) for member in cluster["members"]}]
    assert cluster["first_seen"]["platform"] == "facebook" and cluster["first_seen"]["date"].startswith("2022-10-14")
    assert {member["platform"] for member in cluster["members"]} == {"facebook", "x", "telegram"}


def test_the_rainbow_flag_is_paired_with_nato_in_both_posts(demo):
    db = str(demo / "echoscope.db")
    pairings = {(row["channel"], row["post_id"]) for row in _jsonl("export", "symbols", "--db", db)
                if row["symbol"] == "🏳️‍🌈" and row["entity"] == "nato"}
    assert _prayer_posts(db) <= pairings


def test_the_militia_affiliated_channels_form_one_amplifier_community(demo, tmp_path):
    db = str(demo / "echoscope.db")
    _run("export", "network", "--format", "csv", "-o", str(tmp_path / "network"), "--db", db)
    with (tmp_path / "network" / "nodes.csv").open(encoding="utf-8") as handle:
        nodes = {row["username"]: row for row in csv.DictReader(handle)}
    militia = ("ashab_kahf_media", "saberoon_news_demo", "friends_of_russia_iq")
    assert len({nodes[name]["community"] for name in militia}) == 1 and nodes["ashab_kahf_media"]["community"]
    assert nodes["ashab_kahf_media"]["role"] == "amplifier" and nodes["saberoon_news_demo"]["role"] == "origin"
    assert all(nodes[name]["community"] != nodes["ashab_kahf_media"]["community"]
               for name in ("baghdad_today_demo", "basra_news_demo") if name in nodes)


def test_pro_russia_posts_tick_up_in_june(demo):
    db = str(demo / "echoscope.db")
    upticks = [finding for finding in _jsonl("findings", "--kind", "uptick", "--limit", "50", "-f", "jsonl", "--db", db)
               if "pro-Russia" in finding["statement"]]
    assert upticks and all(_when(finding["first_date"]).month == 6 for finding in upticks)
    cited = {item["channel"] for finding in upticks for item in finding["evidence"]}
    assert cited <= {"friends_of_russia_iq", "ashab_kahf_media", "saberoon_news_demo", "russkiy_vestnik_demo"}


def test_the_demo_report_renders_in_chromium_with_the_arabic_quotes_right_to_left(demo, tmp_path):
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    import browser

    chromium = browser.chromium()
    site = demo / "report"
    (site / "harness.html").write_text(browser.harness("/report.html", "blockquote.quote"), encoding="utf-8")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        page = browser.rendered(chromium, tmp_path / "profile", f"{base}/harness.html")
        shot = demo / "report.png"  # kept next to the report for a human to look at
        result = browser.run(chromium, tmp_path / "profile", "--window-size=1200,3000", f"--screenshot={shot}", f"{base}/report.html")
    finally:
        server.shutdown()
        server.server_close()
    assert page["scripts"] == 0 and page["images"] and all(image["complete"] for image in page["images"])
    prayers = [quote for quote in page["quotes"] if quote["text"].startswith(PRAYER_START)]
    assert prayers and all(quote["direction"] == "rtl" and abs(quote["fromRight"]) < 2 for quote in prayers)
    assert result.returncode == 0 and shot.read_bytes()[:4] == b"\x89PNG"
