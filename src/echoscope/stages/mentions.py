"""The `mentions` stage: watchlist entities in every post, with their spans in the original text.

The watchlist is configured here for all text stages: `[stages.mentions] watchlists = ["mine.yaml"]`
(added to the bundled default unless `include_default = false`). Symbols and narratives read the same
setting, so the three stages always agree on what the watchlist is.
"""

from __future__ import annotations

from functools import lru_cache

from echoscope import config
from echoscope.stages.base import Progress, Stage, StageReport
from echoscope.store import Store
from echoscope.store.schema_text import mentions
from echoscope.store.text import analyse_pending
from echoscope.text.mentions import Matcher
from echoscope.text.watchlist import Watchlist, load

WATCHLIST_DEFAULTS = {"watchlists": [], "include_default": True}


def configured_watchlist() -> tuple[Watchlist, Matcher]:
    """The watchlist of `[stages.mentions]` and its compiled matcher."""
    settings = config.stage_settings("mentions", MentionStage.defaults)
    return _compiled(tuple(settings["watchlists"]), settings["include_default"])


@lru_cache(maxsize=4)
def _compiled(paths: tuple[str, ...], include_default: bool) -> tuple[Watchlist, Matcher]:
    watchlist = load(paths, include_default=include_default)
    return watchlist, Matcher(watchlist)


class MentionStage(Stage):
    name = "mentions"
    kind = "enrich"
    description = "Watchlist entities in each post (any script, clitics and case endings), with spans."
    defaults = {**WATCHLIST_DEFAULTS, "batch": 5000}

    def run(self, store: Store, settings: dict, progress: Progress) -> StageReport:
        watchlist, matcher = _compiled(tuple(settings["watchlists"]), settings["include_default"])
        names = {term.id: term.name for term in watchlist.entities.values()}

        def analyse(conn, rows) -> list[dict]:
            return [
                {"post_pk": row.pk, "version": row.version, "entity": found.term, "entity_name": names[found.term],
                 "start": found.start, "end": found.end, "surface": found.surface}
                for row in rows
                for found in matcher.find(row.text)
                if found.kind == "entity"
            ]

        done, stored = analyse_pending(store, self.name, watchlist.digest, mentions, analyse, settings["batch"], progress)
        return StageReport(self.name, counts={"posts": done, "mentions": stored})
