"""Alerts: rules over analysed posts, delivered once per post and rule.

A rules file (YAML) lists named rules; every condition a rule gives must hold, and a list means any of:

    alerts:
      - name: nato-slur
        pairing: {symbol: 🏳️‍🌈, entity: nato}   # a symbol-entity pairing (either part may be left out)
      - name: militia-on-putin
        entity: [putin]
        affiliation: [Kata'ib Hezbollah, Ashab al-Kahf]    # the channel's affiliation (channel registry)
      - {name: pro-russia-sabereen, narrative: [pro-Russia], channel: [sabreenS1]}

`run_alerts(store, rules, deliver)` finds the posts each rule matches and has not fired for yet, hands
each alert to `deliver` and records that it fired. A delivery that fails (webhook down) raises; the
alerts delivered before it stay recorded and the rest are tried again next round. `echoscope monitor` calls it after each round; `echoscope
alerts run` calls it once. Rules read what the text stages stored, so `analyze` runs first.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import httpx
import orjson
import yaml

from echoscope.errors import ConfigError, StageError
from echoscope.store import Store
from echoscope.store import text as text_store
from echoscope.store.search import resolve_channels

Deliver = Callable[[dict], None]
CONDITIONS = ("entity", "narrative", "pairing", "channel", "affiliation")
PAGE = 500


@dataclass(frozen=True)
class AlertRule:
    name: str
    entity: tuple[str, ...] = ()
    narrative: tuple[str, ...] = ()
    pairing: tuple[str | None, str | None] | None = None  # (symbol, entity)
    channel: tuple[str, ...] = ()
    affiliation: tuple[str, ...] = ()


def _names(value, where: str, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    value = [value] if isinstance(value, str) else value
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise ConfigError(f"{where}: {field} must be a name or a list of names")
    return tuple(item.strip() for item in value)


def _rule(entry, where: str) -> AlertRule:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a mapping with a name and conditions")
    unknown = set(entry) - {"name", *CONDITIONS}
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {', '.join(sorted(map(str, unknown)))}; known: name, {', '.join(CONDITIONS)}")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: every rule needs a name (it is what keeps an alert from firing twice)")
    pairing = entry.get("pairing")
    if pairing is not None:
        if not isinstance(pairing, dict) or set(pairing) - {"symbol", "entity"} or not pairing:
            raise ConfigError(f"{where}: pairing must be {{symbol: …, entity: …}} (either may be left out)")
        pairing = (pairing.get("symbol"), pairing.get("entity"))
    rule = AlertRule(name.strip(), _names(entry.get("entity"), where, "entity"), _names(entry.get("narrative"), where, "narrative"),
                     pairing, _names(entry.get("channel"), where, "channel"), _names(entry.get("affiliation"), where, "affiliation"))
    if not (rule.entity or rule.narrative or rule.pairing or rule.channel or rule.affiliation):
        raise ConfigError(f"{where} ({rule.name}): a rule needs at least one of {', '.join(CONDITIONS)}")
    return rule


def load_rules(path: str | Path) -> list[AlertRule]:
    """The rules of a YAML file; a mistake is a ConfigError naming the file and the rule."""
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the alert rules ({exc.strerror})") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a readable YAML file ({exc})") from None
    entries = document.get("alerts") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path}: expected a list of rules under 'alerts:'")
    rules = [_rule(entry, f"{path}: alerts[{index}]") for index, entry in enumerate(entries)]
    names = [rule.name for rule in rules]
    duplicate = next((name for name in names if names.count(name) > 1), None)
    if duplicate:
        raise ConfigError(f"{path}: two rules are named {duplicate!r}; names must be unique")
    return rules


def deliverer(target: str, stream: IO[str] | None = None) -> Deliver:
    """Where alerts go: "-" (JSON Lines on `stream`, standard output by default), an http(s) webhook URL
    (one POST of the alert as JSON each), or a file that gets one JSON line per alert appended."""
    if target == "-":
        out = stream or sys.stdout

        def write(alert: dict) -> None:
            out.write(orjson.dumps(alert).decode() + "\n")
            out.flush()  # a watcher piping alerts sees each one as it fires

        return write

    if target.startswith(("http://", "https://")):
        client = httpx.Client(timeout=10)

        def post(alert: dict) -> None:
            try:
                response = client.post(target, content=orjson.dumps(alert), headers={"content-type": "application/json"})
            except httpx.HTTPError as exc:
                raise StageError(f"alert webhook {target} is unreachable ({exc}); the alert will be retried next run") from None
            if response.status_code >= 300:
                raise StageError(f"alert webhook {target} answered {response.status_code}; the alert will be retried next run")

        return post

    path = Path(target)
    if path.is_dir():
        raise ConfigError(f"{path} is a folder; give a file to append alerts to")

    def append(alert: dict) -> None:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(orjson.dumps(alert).decode() + "\n")

    return append


def _conditions(conn, rule: AlertRule) -> list:
    conditions = []
    if rule.entity:
        conditions.append(text_store.mentions_entity(rule.entity))
    if rule.narrative:
        conditions.append(text_store.tagged_with(rule.narrative))
    if rule.pairing:
        conditions.append(text_store.pairs_symbol(*rule.pairing))
    if rule.channel:
        conditions.append(text_store.in_channels(resolve_channels(conn, list(rule.channel))))
    if rule.affiliation:
        conditions.append(text_store.affiliated_with(rule.affiliation))
    return conditions


def run_alerts(store: Store, rules_path_or_rules: str | Path | Sequence[AlertRule], deliver: Deliver | str) -> int:
    """Deliver every alert not yet fired (one per post and rule) and record it; returns how many fired."""
    rules = load_rules(rules_path_or_rules) if isinstance(rules_path_or_rules, (str, Path)) else list(rules_path_or_rules)
    send = deliverer(deliver) if isinstance(deliver, str) else deliver
    fired = 0
    for rule in rules:
        after = 0
        while True:
            with store.reading() as conn:
                found = text_store.alert_candidates(conn, rule.name, _conditions(conn, rule), after, PAGE)
            if not found:
                break
            delivered: list[int] = []
            try:
                for post in found:
                    key = post.pop("pk")
                    send({"rule": rule.name, **post})
                    delivered.append(key)
            finally:  # what was delivered before a failure is recorded, so it never fires twice
                with store.transaction() as conn:
                    text_store.mark_fired(conn, rule.name, delivered, datetime.now(UTC))
            fired += len(delivered)
            after = delivered[-1]
    return fired
