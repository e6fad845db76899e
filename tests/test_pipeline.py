"""The stage pipeline: order by requirements, switch off with a reason, record every outcome."""

from __future__ import annotations

import pytest

from echoscope import config, pipeline
from echoscope.errors import ConfigError, StageError
from echoscope.stages import Stage, StageReport
from echoscope.store import stage_runs

RAN: list[tuple[str, dict]] = []


class Count(Stage):
    name, kind, description = "count", "enrich", "counts posts"
    defaults = {"factor": 1, "threshold": 0.5}

    def run(self, store, settings, progress):
        RAN.append((self.name, settings))
        progress(1, 1)
        return StageReport(self.name, counts={"posts": store.counts()["posts"] * settings["factor"]})


class Link(Stage):
    name, kind, requires = "link", "link", ("count",)

    def run(self, store, settings, progress):
        RAN.append((self.name, settings))
        return StageReport(self.name)


class Broken(Stage):
    name, kind = "broken", "enrich"

    def run(self, store, settings, progress):
        raise StageError("the model file is damaged")


class NeedsBroken(Stage):
    name, kind, requires = "after-broken", "link", ("broken",)

    def run(self, store, settings, progress):
        RAN.append((self.name, settings))
        return StageReport(self.name)


class Missing(Stage):
    name, kind = "missing", "enrich"

    def unavailable(self):
        return "pip install 'echoscope[images]'"

    def run(self, store, settings, progress):
        raise AssertionError("an unavailable stage must not run")


@pytest.fixture(autouse=True)
def toy_stages(monkeypatch, tmp_path):
    monkeypatch.setattr(pipeline, "STAGES", [Link, NeedsBroken, Count, Broken, Missing])
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ECHOSCOPE_CONFIG", raising=False)
    config.file_settings.cache_clear()
    RAN.clear()
    yield
    config.file_settings.cache_clear()


def test_requirements_run_first_and_only_runs_the_named_stages():
    assert [stage.name for stage in pipeline.plan()] == ["count", "link", "broken", "after-broken", "missing"]
    assert [stage.name for stage in pipeline.plan(["link", "count"])] == ["count", "link"]
    assert [stage.name for stage in pipeline.plan(["link"])] == ["link"]


def test_an_unknown_stage_is_an_error_that_lists_the_stages():
    with pytest.raises(StageError, match="unknown stage.*nope.*count"):
        pipeline.plan(["nope"])


def test_a_requirement_cycle_is_an_error(monkeypatch):
    class Loop(Stage):
        name, kind, requires = "loop", "link", ("loop",)

    monkeypatch.setattr(pipeline, "STAGES", [Loop])
    with pytest.raises(StageError, match="requires itself"):
        pipeline.plan()


def test_outcomes_are_recorded_and_failures_do_not_stop_independent_stages(store):
    reports = {report.name: report for report in pipeline.run_stages(store)}
    assert {name: report.status for name, report in reports.items()} == {
        "count": "ran", "link": "ran", "broken": "failed", "after-broken": "skipped", "missing": "skipped",
    }
    assert "damaged" in reports["broken"].note
    assert "broken did not run" in reports["after-broken"].note
    assert "echoscope[images]" in reports["missing"].note
    assert [name for name, _ in RAN] == ["count", "link"]
    history = {row["stage"]: row for row in stage_runs.history(store)}
    assert history["broken"]["status"] == "failed" and history["count"]["counts"] == {"posts": 0}


def test_a_stage_run_alone_needs_its_requirement_to_have_run_once(store):
    (report,) = pipeline.run_stages(store, ["link"])
    assert report.status == "skipped" and "analyze --only count" in report.note
    pipeline.run_stages(store, ["count"])
    (report,) = pipeline.run_stages(store, ["link"])
    assert report.status == "ran"


def test_stage_settings_come_from_the_config_file(tmp_path, sqlite_path):
    from echoscope.store import Store

    (tmp_path / "echoscope.toml").write_text("[stages.count]\nfactor = 3\nthreshold = 1\n", encoding="utf-8")
    with Store(sqlite_path) as store:
        pipeline.run_stages(store, ["count"])
    assert RAN == [("count", {"factor": 3, "threshold": 1.0})]


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[stages.count]\nfactr = 3\n", r"\[stages.count\]: unknown setting\(s\) factr; known: factor, threshold"),
        ('[stages.count]\nfactor = "three"\n', r"factor = 'three': expected int"),
        ("[stages.count]\nfactor = true\n", r"factor = True: expected int"),
        ("[stages.cuont]\nfactor = 3\n", r"\[stages.cuont\]: no such stage"),
    ],
)
def test_a_wrong_stage_setting_is_a_config_error(tmp_path, toml, message):
    (tmp_path / "echoscope.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        pipeline.plan()
        config.stage_settings("count", Count.defaults)
