"""The `mentions` stage: watchlist entities in every post, with their spans in the original text.

The watchlist is configured here for all text stages: `[stages.mentions] watchlists = ["mine.yaml"]`
(added to the bundled default unless `include_default = false`). Symbols and narratives read the same
setting, so the three stages always agree on what the watchlist is.
"""

from __future__ import annotations

from echoscope.stages.text_pass import (
    WATCHLIST_DEFAULTS,
    Analyser,
    Lexicon,
    PostText,
    TextStage,
)
from echoscope.store.schema_text import mentions


class MentionStage(TextStage):
    name = "mentions"
    description = "Watchlist entities in each post (any script, clitics and case endings), with spans."
    defaults = {**WATCHLIST_DEFAULTS, "batch": 5000}
    table = mentions
    columns = ("post_pk", "version", "entity", "entity_name", "start", "end", "surface")
    found = "mentions"

    def inputs(self, settings: dict, lexicon: Lexicon | None) -> str:
        return lexicon.digest

    def analyser(self, settings: dict, lexicon: Lexicon | None) -> Analyser:
        names = lexicon.names

        def analyse(posts: list[PostText]) -> list[tuple]:
            return [
                (post.pk, post.version, found.term, names[found.term], found.start, found.end, found.surface)
                for post in posts
                for found in post.entity_mentions
            ]

        return analyse
