"""One pass over the posts for the per-post text stages: lang, mentions, symbols, narratives.

Each of these stages turns a post's text into rows, and they share work: the folded text, the watchlist
match, the emoji. When `analyze` runs several of them, the pipeline hands them to one pass: each pending
post is read once, a `PostText` keeps what one stage worked out for the next (narratives and symbols use
the match the mentions stage made), and every stage's rows for a batch are written in one transaction.
A stage run alone is a pass of one; symbols alone matches only the posts that hold a symbol.

With more than one batch to do, the analysis runs in worker processes (forked, so they inherit the
compiled watchlist) while this process reads the next batches and writes the rows: two cores, both busy.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

from sqlalchemy import Table

from echoscope import config
from echoscope.errors import StageError
from echoscope.memory import existing_objects_frozen
from echoscope.stages.base import Progress, Stage, StageReport
from echoscope.store import Store
from echoscope.store.text import (
    Analysed,
    PendingPost,
    count_pending_each,
    pending_posts,
    store_analysis,
)
from echoscope.text.emoji import Found, TextSymbols, find_symbols, text_symbols
from echoscope.text.langid import without_threads
from echoscope.text.mentions import MATCHER_VERSION, FoldedText, Matcher, Mention
from echoscope.text.watchlist import Watchlist, load

WATCHLIST_DEFAULTS = {"watchlists": [], "include_default": True}
_AHEAD = 2  # batches each worker may have in hand: the next is ready when one is written


@dataclass(frozen=True)
class Lexicon:
    """The configured watchlist, compiled: what the watchlist stages match against."""

    watchlist: Watchlist
    matcher: Matcher
    names: dict[str, str]  # entity id → English display name
    lettered_symbols: TextSymbols | None  # the watchlist's symbols written with letters (Z, V)

    @property
    def digest(self) -> str:
        """What the watchlist stages' results depend on besides the text: the watchlist files and the matcher."""
        return hashlib.sha256(f"{self.watchlist.digest}|matcher={MATCHER_VERSION}".encode()).hexdigest()

    @classmethod
    def of(cls, watchlist: Watchlist) -> Lexicon:
        return cls(
            watchlist,
            Matcher(watchlist),
            {term.id: term.name for term in watchlist.entities.values()},
            text_symbols(item.symbol for item in watchlist.symbols.values()),
        )

    @classmethod
    def for_pass(cls, stages: Sequence[tuple[TextStage, dict, Progress]]) -> Lexicon | None:
        """The watchlist of the mentions stage's settings (given to the pass, or else `[stages.mentions]`):
        the three watchlist stages always agree on it. None when no stage of the pass needs one."""
        if not any(stage.uses_watchlist for stage, _, _ in stages):
            return None
        from echoscope.stages.mentions import MentionStage  # it imports this module

        given = [settings for stage, settings, _ in stages if isinstance(stage, MentionStage)]
        settings = given[0] if given else config.stage_settings(MentionStage.name, MentionStage.defaults)
        return _compiled(tuple(settings["watchlists"]), settings["include_default"])


@lru_cache(maxsize=4)
def _compiled(paths: tuple[str, ...], include_default: bool) -> Lexicon:
    return Lexicon.of(load(paths, include_default=include_default))


class PostText:
    """One post as the text stages read it; the folded text, the matches and the symbols are worked out
    once, by the first stage that asks."""

    __slots__ = ("_folded", "_matches", "_symbols", "lexicon", "pk", "text", "version")

    def __init__(self, pk: int, version: int, text: str, lexicon: Lexicon | None):
        self.pk, self.version, self.text = pk, version, text
        self.lexicon = lexicon
        self._folded: FoldedText | None = None
        self._matches: list[Mention] | None = None
        self._symbols: list[Found] | None = None

    @property
    def folded(self) -> FoldedText:
        if self._folded is None:
            self._folded = FoldedText(self.text)
        return self._folded

    @property
    def matches(self) -> list[Mention]:
        """Every watchlist entity and keyword in the text, in reading order."""
        if self._matches is None:
            self._matches = self.lexicon.matcher.find_folded(self.folded)
        return self._matches

    @property
    def entity_mentions(self) -> list[Mention]:
        return [mention for mention in self.matches if mention.kind == "entity"]

    @property
    def symbols(self) -> list[Found]:
        """Emoji and the watchlist's lettered symbols, in reading order."""
        if self._symbols is None:
            self._symbols = find_symbols(self.text, self.lexicon.lettered_symbols)
        return self._symbols


Analyser = Callable[[list[PostText]], list[tuple]]
"""A batch of posts → the rows to store for them, as tuples of the stage's `columns`."""


class TextStage(Stage):
    """A stage that analyses each post's current text on its own: it can share a pass with the others."""

    kind = "enrich"
    table: ClassVar[Table]  # where its rows go; a re-analysed post's earlier rows are replaced
    columns: ClassVar[tuple[str, ...]]  # the fields of its rows, in order, post_pk and version first
    found: ClassVar[str | None] = None  # what its rows are called in the report ("mentions"), if worth counting
    uses_watchlist: ClassVar[bool] = True

    def inputs(self, settings: dict, lexicon: Lexicon | None) -> str:
        """A digest of what the rows depend on besides the text: posts analysed with other inputs are redone."""
        raise NotImplementedError

    def analyser(self, settings: dict, lexicon: Lexicon | None) -> Analyser:
        raise NotImplementedError

    def run(self, store: Store, settings: dict, progress: Progress) -> StageReport:
        return run_text_pass(store, [(self, settings, progress)])[0]


@dataclass
class _Planned:
    stage: TextStage
    inputs: str
    analyse: Analyser
    progress: Progress
    total: int = 0
    done: int = 0
    rows: int = 0


def run_text_pass(store: Store, stages: Sequence[tuple[TextStage, dict, Progress]]) -> list[StageReport]:
    """Run text stages together over every post one of them has not analysed in its current version."""
    lexicon = Lexicon.for_pass(stages)
    planned = [
        _Planned(stage, stage.inputs(settings, lexicon), stage.analyser(settings, lexicon), progress)
        for stage, settings, progress in stages
    ]
    batch = min(settings["batch"] for _, settings, _ in stages)
    keys = [(item.stage.name, item.inputs) for item in planned]
    with store.reading() as conn:
        for item, total in zip(planned, count_pending_each(conn, keys), strict=True):
            item.total = total
            item.progress(0, total)
    workers = _worker_count() if max(item.total for item in planned) > batch else 0
    try:
        with existing_objects_frozen(), _Workers(workers, _batch_analyser([item.analyse for item in planned], lexicon)) as pool:
            in_flight: deque = deque()
            last = 0
            while batch_rows := _read(store, keys, last, batch):
                last = batch_rows[-1][0]
                in_flight.append((batch_rows, pool.submit(batch_rows)))
                if len(in_flight) >= _AHEAD * max(workers, 1):
                    _write(store, planned, *_collect(in_flight.popleft()))
            while in_flight:
                _write(store, planned, *_collect(in_flight.popleft()))
    except BrokenProcessPool as exc:
        done = min(item.done for item in planned)
        raise StageError(f"a worker process ended abruptly (killed, or out of memory?) after {done:,} posts were "
                         "stored; run analyze again to go on from there") from exc
    return [
        StageReport(item.stage.name, counts={"posts": item.done} | ({item.stage.found: item.rows} if item.stage.found else {}))
        for item in planned
    ]


def _worker_count() -> int:
    """One worker per core (up to four: beyond that the one writing process is the limit), none on one core."""
    cores = min(os.cpu_count() or 1, 4)
    return cores if cores > 1 and hasattr(os, "fork") else 0


def _read(store: Store, keys: list[tuple[str, str]], after: int, limit: int) -> list[PendingPost]:
    with store.reading() as conn:
        return pending_posts(conn, keys, after, limit)


def _batch_analyser(analysers: list[Analyser], lexicon: Lexicon | None) -> Callable[[list[PendingPost]], list[list[tuple]]]:
    """(pending posts) → rows per stage, each stage over the posts it has not seen."""

    def analyse(batch: list[PendingPost]) -> list[list[tuple]]:
        texts = [PostText(pk, version, text, lexicon) for pk, version, text, _ in batch]
        return [
            analyser([post for post, (*_, states) in zip(texts, batch) if states[index]])
            for index, analyser in enumerate(analysers)
        ]

    return analyse


def _collect(item) -> tuple[list[PendingPost], list[list[tuple]]]:
    batch, result = item
    return batch, result.result()


def _write(store: Store, planned: list[_Planned], batch: list[PendingPost], found: list[list[tuple]]) -> None:
    with store.transaction() as conn:
        store_analysis(conn, batch, [
            Analysed(item.stage.name, item.inputs, item.stage.table, item.stage.columns, rows)
            for item, rows in zip(planned, found, strict=True)
        ])
    analysed = [sum(map(bool, column)) for column in zip(*(states for *_, states in batch))]
    for item, posts, rows in zip(planned, analysed, found, strict=True):
        item.done += posts
        item.rows += len(rows)
        item.progress(item.done, item.total)


_ANALYSE: Callable | None = None  # in a worker process: the batch analyser it inherited


def _install(analyse: Callable) -> None:
    global _ANALYSE
    _ANALYSE = analyse
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle: it stops the workers
    without_threads()


def _analyse_in_worker(batch: list[PendingPost]) -> list[list[tuple]]:
    return _ANALYSE(batch)


class _Workers:
    """Batches analysed by forked worker processes, or here when there are none. Forked, not spawned: the
    analyser (closures over the compiled watchlist) is inherited, never pickled; only posts and rows travel.
    A worker that dies mid-batch (killed, out of memory) fails the pass instead of leaving it waiting."""

    def __init__(self, count: int, analyse: Callable):
        self.count = count
        self.analyse = analyse
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> _Workers:
        if self.count:
            context = multiprocessing.get_context("fork")
            self.pool = ProcessPoolExecutor(self.count, mp_context=context, initializer=_install, initargs=(self.analyse,))
        return self

    def submit(self, batch: list[PendingPost]) -> Future:
        if self.pool is None:
            done: Future = Future()
            done.set_result(self.analyse(batch))
            return done
        return self.pool.submit(_analyse_in_worker, batch)

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
