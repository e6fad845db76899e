"""The translate stage: machine translations of posts, cached in the store next to their originals.

Incremental: only post versions without a translation into the target by the configured backend are
sent, one backend call and one commit per batch, so an interrupted run keeps what it did and memory stays
flat. A language pair the backend cannot translate here is left out with the reason (what to install
or start); if no pair can be translated the stage is skipped, and the other stages go on.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Iterator

from echoscope import __version__
from echoscope.errors import ConfigError, StageError
from echoscope.stages.base import Progress, Stage, StageReport
from echoscope.store import Store
from echoscope.store import translations as cache
from echoscope.text.translate import Translator, TranslatorUnavailable, make_translator

_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(-[A-Za-z]{2,4})?")


class Translate(Stage):
    name = "translate"
    kind = "enrich"
    requires = ("lang",)
    description = "Machine translation into the target language (argos, libretranslate or none), cached per post version."
    defaults = {
        "backend": "none",  # argos (offline), libretranslate (a server), none (off)
        "target": "en",
        "languages": [],  # ISO 639-1 codes to translate, e.g. ["ar", "fa", "ru"]; empty: every language found
        "url": "http://localhost:5000",  # the LibreTranslate server; its API key comes from the environment only
        "batch_size": 32,  # texts per backend call, and per commit
        "retries": 4,  # LibreTranslate: further attempts after a 429, a 5xx or a dropped connection
        "backoff": 1.0,  # seconds before the first retry, doubled each time (or the server's Retry-After)
        "timeout": 60.0,  # seconds to wait for one LibreTranslate answer
    }

    def run(self, store: Store, settings: dict, progress: Progress, *, force: bool = False) -> StageReport:
        """Translate what is not cached yet; `force` translates again and replaces this backend's rows."""
        _check(settings)
        translator = make_translator(settings)
        try:
            return self._translate(store, translator, settings, progress, force)
        finally:
            translator.close()

    def _translate(self, store: Store, translator: Translator, settings: dict, progress: Progress, force: bool) -> StageReport:
        target = settings["target"]
        with store.reading() as conn:
            pending = cache.pending_languages(conn, target=target, backend=translator.name, languages=settings["languages"], force=force)
            waiting = cache.waiting_for_language(conn)
        notes = [f"language not identified yet for {waiting:,} post(s): run `echoscope analyze --only lang` first"] if waiting else []
        models: dict[str, str] = {}
        for source in pending:
            try:
                models[source] = translator.model(source, target)
            except TranslatorUnavailable as exc:
                notes.append(str(exc))
        notes = list(dict.fromkeys(notes))  # one reason once, however many languages it stops
        counts = {"translated": 0}
        left_out = sum(count for source, count in pending.items() if source not in models)
        if left_out:
            counts["left untranslated"] = left_out
        if pending and not models:
            return StageReport(self.name, "skipped", counts, "; ".join(notes))
        total = sum(pending[source] for source in models)
        progress(0, total)
        try:
            for source, model in models.items():
                for stored in self._batches(store, translator, settings, source, model, force):
                    counts["translated"] += stored
                    progress(counts["translated"], total)
        except StageError as exc:
            note = f"{exc} ({counts['translated']:,} translations were stored before this)"
            return StageReport(self.name, "failed", counts, "; ".join([note, *notes]))
        return StageReport(self.name, "ran", counts, "; ".join(notes))

    def _batches(self, store: Store, translator: Translator, settings: dict, source: str, model: str, force: bool) -> Iterator[int]:
        """Translate every pending post in `source`: one backend call and one commit per batch, whose size it yields."""
        target, after = settings["target"], 0
        while True:
            with store.reading() as conn:
                batch = cache.pending_posts(conn, source=source, target=target, backend=translator.name, force=force,
                                            after=after, limit=settings["batch_size"])
            if not batch:
                return
            texts = translator.translate([row.text for row in batch], source, target)
            now = datetime.now(UTC)
            rows = [
                {"post_pk": row.pk, "version": row.version, "source": source, "target": target, "backend": translator.name,
                 "model": model, "text": text, "translated_at": now, "tool_version": __version__}
                for row, text in zip(batch, texts, strict=True)
            ]
            with store.transaction() as conn:
                cache.save(conn, rows, replace=force)
            after = batch[-1].pk
            yield len(batch)


def _check(settings: dict) -> None:
    codes = [settings["target"], *settings["languages"]]
    wrong = [code for code in codes if not isinstance(code, str) or not _LANGUAGE_CODE.fullmatch(code)]
    if wrong:
        raise ConfigError(f"[stages.translate] {wrong[0]!r} is not a language code (use ISO 639-1 codes such as ar, fa, ru, en)")
    for key, lowest in (("batch_size", 1), ("retries", 0), ("backoff", 0), ("timeout", 0.001)):
        if settings[key] < lowest:
            raise ConfigError(f"[stages.translate] {key} = {settings[key]!r}: must be at least {lowest}")
