"""The text stages' shared pass: one match per post, worker processes, the same rows however it runs."""

from __future__ import annotations

import gc
import os
import signal
import threading

from alembic import command
from builders import capture, channel, post
from mentions_labelled import sentences
from sqlalchemy import select, text

from echoscope import pipeline
from echoscope.ingest import ingest
from echoscope.stages.lang import LanguageStage
from echoscope.stages.mentions import MentionStage
from echoscope.stages.narratives import NarrativeStage
from echoscope.stages.symbols import SymbolStage
from echoscope.stages.text_pass import Lexicon, run_text_pass
from echoscope.store import Store
from echoscope.store import text as text_store
from echoscope.store.engine import _alembic_config
from echoscope.store.schema import posts
from echoscope.store.schema_text import post_language
from echoscope.text import langid
from echoscope.text.mentions import Matcher

TEXT_STAGES = (LanguageStage, MentionStage, SymbolStage, NarrativeStage)
# Ukrainian and Russian without the letters that tell them apart, Arabic without those that tell it from
# Persian: lingua has to decide these, in the worker processes too.
UNDECIDED = ["Путин заявил вчера на встрече", "Зеленський заявив про допомогу", "الناتو والحرب في المنطقة اليوم"]


def _texts() -> list[str]:
    return [sentence.text for sentence in sentences()[::3]] + UNDECIDED


def _stored(store: Store) -> dict[str, list]:
    """Everything the four stages stored, by post id, in an order that does not depend on how they ran."""
    with store.reading() as conn:
        languages = conn.execute(
            select(posts.c.post_id, post_language.c.language, post_language.c.confidence, post_language.c.mixed)
            .join(post_language, post_language.c.post_pk == posts.c.pk)
        ).all()
        return {
            "languages": sorted(tuple(row) for row in languages),
            "mentions": sorted((r["post_id"], r["entity"], *r["span"]) for r in text_store.iter_mentions(conn)),
            "symbols": sorted((r["post_id"], r["symbol"], r["entity"], *r["entity_span"]) for r in text_store.iter_symbols(conn)),
            "narratives": sorted((r["post_id"], r["narrative"], str(r["spans"])) for r in text_store.iter_narratives(conn)),
        }


def _run(store: Store, batch: int, progress=lambda done, total: None):
    stages = [(stage(), stage.defaults | {"batch": batch}, progress) for stage in TEXT_STAGES]
    return run_text_pass(store, stages)


def test_worker_processes_store_what_one_process_stores(store, tmp_path):
    records = [capture(), channel()] + [post(number, text) for number, text in enumerate(_texts(), 1)]
    ingest(store, records)
    frozen_while_running = []
    reports = _run(store, batch=16, progress=lambda done, total: frozen_while_running.append(gc.get_freeze_count()))
    # many batches: the analysis runs in forked workers, with what existed before hidden from the collector
    # while they run (their collections would copy those objects' pages), and given back to it after
    assert max(frozen_while_running) > 0 and gc.get_freeze_count() == 0
    with Store(tmp_path / "alone.db") as alone:
        ingest(alone, records)
        _run(alone, batch=10_000)  # one batch: analysed in this process
        expected = _stored(alone)
    assert _stored(store) == expected
    assert expected["mentions"] and expected["symbols"] and expected["narratives"]
    assert {report.name: report.counts["posts"] for report in reports} == dict.fromkeys(["lang", "mentions", "symbols", "narratives"], len(records) - 2)
    assert reports[1].counts["mentions"] == len(expected["mentions"])


def test_the_stages_run_together_match_each_post_once(store, monkeypatch):
    ingest(store, [capture(), channel()] + [post(number, text) for number, text in enumerate(_texts()[:40], 1)])
    matched = []
    find_folded = Matcher.find_folded
    monkeypatch.setattr(Matcher, "find_folded", lambda self, folded: matched.append(folded.text) or find_folded(self, folded))
    reports = pipeline.run_stages(store, ["lang", "mentions", "symbols", "narratives"])
    assert [report.status for report in reports] == ["ran"] * 4
    assert sorted(matched) == sorted(_texts()[:40])  # mentions, symbols and narratives shared one match
    assert pipeline.run_stages(store, ["mentions", "narratives"])[0].counts["posts"] == 0  # nothing new: nothing read


def test_a_post_edited_since_is_analysed_again_by_every_stage_and_its_old_rows_go(store):
    ingest(store, [capture(), channel(), post(1, "NATO 🏳️‍🌈 again"), post(2, "Путин")])
    pipeline.run_stages(store, ["lang", "mentions", "symbols", "narratives"])
    ingest(store, [capture("edited.json", "c" * 64), channel(), post(1, "Zelensky 🇺🇦 today")])
    reports = pipeline.run_stages(store, ["lang", "mentions", "symbols", "narratives"])
    assert [report.counts["posts"] for report in reports] == [1, 1, 1, 1]
    with store.reading() as conn:
        assert sorted((r["post_id"], r["entity"]) for r in text_store.iter_mentions(conn)) == [(1, "zelensky"), (2, "putin")]
        assert [(r["symbol"], r["entity"]) for r in text_store.iter_symbols(conn)] == [("🇺🇦", "zelensky")]


def test_workers_forked_after_lingua_ran_its_threads_here_still_finish(store):
    """lingua's thread pool is not forked with a worker: a worker that waited on it would never return."""
    langid.forget_answers()
    langid.identify(UNDECIDED)  # this process has started lingua's threads
    langid.forget_answers()
    ingest(store, [capture(), channel()] + [post(number, text) for number, text in enumerate(UNDECIDED * 8, 1)])
    finished = []
    runner = threading.Thread(target=lambda: finished.append(_run(store, batch=4)), daemon=True)
    runner.start()
    runner.join(timeout=300)  # a guard against a hang, not a performance limit
    assert finished, "the worker processes never came back"
    assert finished[0][0].counts["posts"] == len(UNDECIDED) * 8


class _Dies(MentionStage):
    """The mentions stage, in batches of five, except that its analysis kills the worker process running it."""

    defaults = MentionStage.defaults | {"batch": 5}

    def analyser(self, settings, lexicon):
        parent = os.getpid()

        def analyse(posts):
            if os.getpid() != parent:
                os.kill(os.getpid(), signal.SIGKILL)
            return []

        return analyse


def test_a_worker_killed_mid_pass_fails_the_stage_with_a_reason_and_a_rerun_goes_on(store, monkeypatch):
    ingest(store, [capture(), channel()] + [post(number, "NATO") for number in range(1, 41)])
    with monkeypatch.context() as patched:
        patched.setattr(pipeline, "STAGES", [_Dies])
        [report] = pipeline.run_stages(store, ["mentions"])
    assert report.status == "failed"
    assert "worker process ended abruptly" in report.note
    assert gc.get_freeze_count() == 0  # the failed pass gave its frozen objects back to the collector
    assert pipeline.run_stages(store, ["mentions"])[0].counts["posts"] == 40  # nothing was stored for them
    with store.reading() as conn:
        assert len(list(text_store.iter_mentions(conn))) == 40


def _alembic(store: Store, direction: str, revision: str) -> None:
    with store.engine.begin() as conn:
        getattr(command, direction)(_alembic_config(conn), revision)


def test_a_store_migrated_from_0010_keeps_what_its_text_stages_did(store):
    """0011 changed text_analysis (inputs became a 56-bit key): what the stages did before stays done."""
    ingest(store, [capture(), channel()] + [post(number, text) for number, text in enumerate(_texts(), 1)])
    _run(store, batch=10_000)
    expected = _stored(store)
    stages = [(stage(), stage.defaults, None) for stage in TEXT_STAGES]
    lexicon = Lexicon.for_pass(stages)
    _alembic(store, "downgrade", "0010")  # every post analysed "with other inputs" ("")
    with store.transaction() as conn:  # as 0010 stored them: the digests themselves
        for stage, settings, _ in stages:
            conn.execute(text("UPDATE text_analysis SET inputs = :inputs WHERE stage = :stage"),
                         {"inputs": stage.inputs(settings, lexicon), "stage": stage.name})
    _alembic(store, "upgrade", "head")
    assert [report.counts["posts"] for report in _run(store, batch=10_000)] == [0, 0, 0, 0]
    assert _stored(store) == expected
    _alembic(store, "downgrade", "0010")
    _alembic(store, "upgrade", "head")
    analysed_again = _run(store, batch=10_000)  # inputs unknown after a downgrade: analysed again, rows replaced
    assert [report.counts["posts"] for report in analysed_again] == [len(_texts())] * 4
    assert _stored(store) == expected
