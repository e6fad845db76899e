"""Alerts: once per post and rule, to stdout, a file or a webhook (a real HTTP server on loopback)."""

from __future__ import annotations

import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from builders import capture, channel, post

from echoscope.alerts import AlertRule, deliverer, load_rules, run_alerts
from echoscope.errors import ConfigError, StageError
from echoscope.ingest import ingest
from echoscope.model import RegistryEntry
from echoscope.pipeline import run_stages

SEED = "صلواتكم لجيش روسيا العظيمة وهو يقاتل الآن تحالف الشر الأمريكي ويصدّ الهجوم المضاد المدعوم من حلف النّاتو 🏳️‍🌈"
TEXT_STAGES = ["lang", "mentions", "symbols", "narratives"]


def _analysed(store, *texts: str, bare_id: int = 1001):
    ingest(store, [capture(sha=f"{bare_id:064d}"), channel(bare_id), *(post(number, text, bare_id=bare_id) for number, text in enumerate(texts, 1))])
    run_stages(store, TEXT_STAGES)


def _collect():
    alerts: list[dict] = []
    return alerts, alerts.append


def test_an_alert_fires_once_per_post_and_rule(store):
    _analysed(store, SEED, "بوتين يستقبل وفداً", "الطقس اليوم")
    rules = [AlertRule("nato-slur", pairing=("🏳‍🌈", "nato")), AlertRule("putin", entity=("putin",))]
    alerts, deliver = _collect()
    assert run_alerts(store, rules, deliver) == 2
    assert sorted((alert["rule"], alert["post_id"]) for alert in alerts) == [("nato-slur", 1), ("putin", 2)]
    assert {"platform", "channel", "channel_id", "post_id", "date", "text", "permalink"} <= set(alerts[0])
    assert run_alerts(store, rules, deliver) == 0
    ingest(store, [capture(sha="9" * 64), channel(), post(4, "بوتين 🇷🇺")])
    run_stages(store, TEXT_STAGES)
    assert run_alerts(store, rules, deliver) == 1
    assert alerts[-1]["post_id"] == 4


def test_conditions_combine_and_lists_mean_any_of(store):
    _analysed(store, SEED, "Путин 🇷🇺 победа")
    store.import_registry([RegistryEntry(platform="telegram", channel_id="channel1001", username="friends_iq", affiliation="Ashab al-Kahf")])
    alerts, deliver = _collect()
    rules = [
        AlertRule("pro-russia-nato", narrative=("pro-Russia",), entity=("nato", "iran")),
        AlertRule("kahf", affiliation=("ashab al-kahf",), channel=("@friends_iq",)),
        AlertRule("nobody", affiliation=("Wagner",)),
    ]
    run_alerts(store, rules, deliver)
    assert sorted((alert["rule"], alert["post_id"]) for alert in alerts) == [("kahf", 1), ("kahf", 2), ("pro-russia-nato", 1)]


def test_alerts_append_to_a_file_and_go_to_a_stream(store, tmp_path):
    _analysed(store, SEED)
    target = tmp_path / "alerts.jsonl"
    run_alerts(store, [AlertRule("nato", entity=("nato",))], str(target))
    run_alerts(store, [AlertRule("russia", entity=("russia",))], str(target))
    assert [json.loads(line)["rule"] for line in target.read_text(encoding="utf-8").splitlines()] == ["nato", "russia"]
    stream = io.StringIO()
    deliverer("-", stream)({"rule": "x"})
    assert stream.getvalue() == '{"rule":"x"}\n'


class _Webhook(BaseHTTPRequestHandler):
    received: list[dict] = []
    status = 200

    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        type(self).received.append(json.loads(body))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        """Quiet: a test server's request log would only clutter the test output."""


@pytest.fixture
def webhook():
    _Webhook.received, _Webhook.status = [], 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def test_a_webhook_gets_one_post_per_alert_and_a_failure_is_retried_next_run(sqlite_path, webhook):
    from echoscope.store import Store

    with Store(sqlite_path) as store:
        _analysed(store, SEED, "بوتين يتحدث")
        rules = [AlertRule("any-entity", entity=("nato", "putin"))]
        _Webhook.status = 503
        with pytest.raises(StageError, match="answered 503"):
            run_alerts(store, rules, webhook)
        _Webhook.status = 200
        assert run_alerts(store, rules, webhook) == 2
        assert [alert["post_id"] for alert in _Webhook.received[-2:]] == [1, 2]
        assert run_alerts(store, rules, webhook) == 0


def test_an_unreachable_webhook_says_so(sqlite_path):
    from echoscope.store import Store

    with Store(sqlite_path) as store:
        _analysed(store, SEED)
        with pytest.raises(StageError, match="unreachable"):
            run_alerts(store, [AlertRule("nato", entity=("nato",))], "http://127.0.0.1:9/hook")


@pytest.mark.parametrize("text, message", [
    ("alerts: [{entity: [nato]}]", r"alerts\[0\]: every rule needs a name"),
    ("alerts: [{name: x}]", r"alerts\[0\] \(x\): a rule needs at least one of"),
    ("alerts: [{name: x, colour: red}]", r"unknown field\(s\) colour"),
    ("alerts: [{name: x, pairing: [nato]}]", r"pairing must be"),
    ("alerts: [{name: x, entity: nato}, {name: x, entity: putin}]", r"two rules are named 'x'"),
    ("rules: []", r"expected a list of rules under 'alerts:'"),
])
def test_a_bad_rules_file_names_the_file_and_the_rule(tmp_path, text, message):
    path = tmp_path / "alerts.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as caught:
        load_rules(path)
    assert str(path) in str(caught.value)
