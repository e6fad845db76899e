"""The `echoes` link stage: which posts are the same post across channels, who posted first, who echoed.

Incremental: each run signs only the posts without a signature for their current version (new or
edited), looks up the stored posts they may match (same exact key, or a shared LSH band among the
stored MinHash signatures, read a page at a time), and writes back only the clusters they touch.
A post that joins, or that merges two clusters, re-derives that cluster's origin, lags and changes.
Boilerplate is re-learnt for the channels that got new posts, from their latest posts; posts signed
earlier keep their signatures (re-measured exactly with the current boilerplate when they are
candidates). Signatures and classes depend on the [stages.echoes] settings, so when those change the
stage forgets its clusters and matches every post again (a digest of them is kept in stage_inputs).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields
from datetime import UTC, datetime

import numpy as np

from echoscope.errors import ConfigError
from echoscope.similarity import candidates, changes, minhash
from echoscope.similarity.boilerplate import Boilerplate, Phrase, learn
from echoscope.similarity.engine import (
    LONG,
    Batch,
    Content,
    Settings,
    join,
    link_posts,
    prepare,
)
from echoscope.stages.base import Progress, Stage, StageReport
from echoscope.store import Store, stage_runs
from echoscope.store import echoes as echo_store
from echoscope.store.reader import as_utc

CLASS_NAMES = ("none", "tiny", "emoji", "link", "short", "long")
_LOOSENESS = {"exact": 0, "forward": 1, "near": 2, "contained": 3}
_MATCHING = {field.name: field.default for field in fields(Settings)}


class Echoes(Stage):
    name = "echoes"
    kind = "link"
    description = "Exact and near-duplicate posts across channels: clusters, origin, lag, what changed."
    defaults = _MATCHING | {
        "boilerplate_share": 0.3,  # an n-gram in ≥ 30% of a channel's posts is its boilerplate
        "boilerplate_words": 3,
        "boilerplate_min_posts": 20,
        "boilerplate_sample": 2000,  # latest posts per channel the boilerplate is learnt from
        "batch_size": 20000,
    }

    def run(self, store: Store, settings: dict, progress: Progress) -> StageReport:
        _check(settings)
        matching = Settings(**{key: settings[key] for key in _MATCHING})
        note = _start_over_if_settings_changed(store, settings)
        with store.reading() as conn:
            total = echo_store.pending_count(conn)
        done, counts, last = 0, {"signed": 0, "clusters written": 0}, 0
        learnt: set[int] = set()  # channels whose boilerplate this run has learnt already
        while True:
            with store.transaction() as conn:
                rows = echo_store.pending(conn, last, settings["batch_size"])
                if not rows:
                    break
                boilerplate = _learn_boilerplate(conn, {row.channel_pk for row in rows} - learnt, settings)
                learnt |= {row.channel_pk for row in rows}
                written, links = _link_batch(conn, rows, boilerplate, matching)
            last = rows[-1].pk
            done += len(rows)
            counts["signed"] += len(rows)
            counts["clusters written"] += written
            for name, value in links.items():
                counts[name] = counts.get(name, 0) + int(value)
            progress(done, total)
        with store.reading() as conn:
            counts |= echo_store.counts(conn)
        return StageReport(self.name, counts=counts, note=note)


def _start_over_if_settings_changed(store: Store, settings: dict) -> str:
    """Forget the stored clusters when they were made with other settings; record the current ones."""
    digest = hashlib.sha256(json.dumps({key: value for key, value in settings.items() if key != "batch_size"},
                                       sort_keys=True).encode()).hexdigest()
    with store.transaction() as conn:
        before = stage_runs.recorded_inputs(conn, Echoes.name)
        changed = before is not None and before != digest  # None: clusters from before digests were kept
        if changed:
            echo_store.clear(conn)
        stage_runs.record_inputs(conn, Echoes.name, digest, datetime.now(UTC))
    return "the [stages.echoes] settings changed since the last run: every post was matched again" if changed else ""


def _check(settings: dict) -> None:
    """Thresholds are shares, counts are positive, and bands must split the permutations evenly."""
    for key in ("jaccard", "containment", "boilerplate_share"):
        if not 0 < settings[key] <= 1:
            raise ConfigError(f"[stages.echoes] {key} = {settings[key]}: expected a share above 0 and at most 1")
    for key, value in settings.items():
        if isinstance(value, int) and value < (0 if key == "short_window_seconds" else 1):
            raise ConfigError(f"[stages.echoes] {key} = {value}: expected a positive number")
    if settings["permutations"] % settings["bands"]:
        raise ConfigError(f"[stages.echoes] bands = {settings['bands']} must divide permutations = {settings['permutations']}")


def _learn_boilerplate(conn, channel_pks: set[int], settings: dict) -> Boilerplate:
    words = settings["boilerplate_words"]
    for channel_pk in sorted(channel_pks):
        texts = echo_store.channel_texts(conn, channel_pk, settings["boilerplate_sample"])
        phrases = learn(texts, np.full(len(texts), channel_pk), words, settings["boilerplate_share"], settings["boilerplate_min_posts"])
        rows = [{"kind": "phrase", "text": p.text, "share": p.share, "posts": p.posts} for p in phrases]
        echo_store.replace_boilerplate(conn, channel_pk, rows)
    learnt = [Phrase(row.channel_pk, row.text, row.posts, row.share) for row in echo_store.boilerplate(conn)]
    return Boilerplate(learnt, words)


def _batch_of(rows: list, new: set[int], forwards: dict) -> Batch:
    index = {row.pk: i for i, row in enumerate(rows)}
    dates = np.array([int(as_utc(row.date).timestamp()) for row in rows], np.int64)
    capture = np.array([row.capture_pk or 0 for row in rows], np.int64)
    pks = np.array([row.pk for row in rows], np.int64)
    rank = np.empty(len(rows), np.int64)
    rank[np.lexsort((pks, capture, dates))] = np.arange(len(rows))
    forward_of = [index.get(forwards.get((row.forwarded_from_id, row.forwarded_post_id)), -1) for row in rows]
    return Batch(
        text_norm=[row.text_norm for row in rows],
        text=[row.text for row in rows],
        channel=np.array([row.channel_pk for row in rows], np.int64),
        date=dates,
        rank=rank,
        is_new=np.array([row.pk in new for row in rows]),
        cluster=np.array([-1 if row.cluster_pk is None else row.cluster_pk for row in rows], np.int64),
        forward_of=np.array(forward_of, np.int64),
    )


def _stored_candidates(conn, batch_rows: list, fresh: Content, settings: Settings) -> tuple[list, dict]:
    """The stored posts the new ones may match, and every member of their clusters."""
    keys = fresh.key.view(np.int64)
    wanted = set(echo_store.posts_by_key(conn, keys[fresh.kind != LONG].tolist(), list(CLASS_NAMES[2:5])))
    wanted |= set(echo_store.posts_by_key(conn, keys[fresh.kind == LONG].tolist(), ["long"]))
    new_keys = minhash.band_keys(fresh.signature[fresh.kind == LONG], settings.bands)
    for page in echo_store.signature_pages(conn, 50_000):
        stored = np.frombuffer(b"".join(row.signature for row in page), np.uint32).reshape(len(page), -1)
        shared = np.isin(minhash.band_keys(stored, settings.bands), new_keys).any(axis=1)
        wanted |= {page[i].post_pk for i in np.flatnonzero(shared).tolist()}
    forwards = {(row.forwarded_from_id, row.forwarded_post_id) for row in batch_rows if row.forwarded_from_id and row.forwarded_post_id is not None}
    sources = echo_store.forward_sources(conn, forwards)
    wanted |= set(sources.values())
    wanted -= {row.pk for row in batch_rows}
    stored_rows = echo_store.posts_by_pk(conn, wanted)
    clusters = {row.cluster_pk for row in stored_rows + batch_rows if row.cluster_pk is not None}
    more = set(echo_store.members_of(conn, clusters)) - wanted - {row.pk for row in batch_rows}
    return stored_rows + echo_store.posts_by_pk(conn, more), sources


def _link_batch(conn, batch_rows: list, boilerplate: Boilerplate, settings: Settings) -> tuple[int, dict]:
    """Sign a batch of new posts, link them with each other and the stored posts, write what changed.
    Returns the clusters written and the links found by kind."""
    fresh = prepare(_batch_of(batch_rows, set(), {}), boilerplate, settings)
    echo_store.write_signatures(conn, [
        {
            "post_pk": row.pk,
            "version": row.version,
            "class": CLASS_NAMES[fresh.kind[i]],
            "exact_key": int(fresh.key.view(np.int64)[i]),
            "signature": fresh.signature[i].astype("<u4").tobytes() if fresh.kind[i] == LONG else None,
        }
        for i, row in enumerate(batch_rows)
    ])
    stored_rows, sources = _stored_candidates(conn, batch_rows, fresh, settings)
    rows = batch_rows + stored_rows
    batch = _batch_of(rows, {row.pk for row in batch_rows}, sources)
    content = join([fresh, prepare(_batch_of(stored_rows, set(), {}), boilerplate, settings)])
    links = link_posts(batch, content, settings)
    roots = links.roots
    order = np.argsort(roots, kind="stable")
    starts = np.flatnonzero(np.diff(roots[order], prepend=-1))
    components = [
        members
        for members in np.split(order, starts[1:])
        # only components with a new post changed, and only those across channels are echoes
        if members.min() < len(batch_rows) and np.unique(batch.channel[members]).size > 1
    ]
    echo_store.save_clusters(conn, _describe(rows, batch, content, components, settings))
    return len(components), links.counts


def _describe(rows: list, batch: Batch, content: Content, components: list[np.ndarray], settings: Settings) -> list:
    """(merged stored clusters, cluster row, member rows) of each component: origin, lags, kinds, changes."""
    origins = [int(members[np.argmin(batch.rank[members])]) for members in components]
    others = [members[members != origin] for members, origin in zip(components, origins)]
    flat = np.concatenate(others) if others else np.zeros(0, np.int64)
    repeated = np.repeat(origins, [len(members) for members in others]).astype(np.int64)
    jaccard, containment = candidates.overlap(content.sets, repeated, flat)  # one exact measure for the batch
    described, at = [], 0
    now = datetime.now(UTC)
    for members, origin, echoes in zip(components, origins, others):  # one step per cluster
        entries = [{"post_pk": rows[origin].pk, "version": rows[origin].version, "lag_seconds": 0, "similarity": 1.0, "kind": "origin", "changes": {}}]
        for member in echoes.tolist():
            kind, similarity = _kind(rows[member], content, member, origin, jaccard[at], containment[at], settings)
            at += 1
            entries.append({
                "post_pk": rows[member].pk,
                "version": rows[member].version,
                "lag_seconds": int(batch.date[member] - batch.date[origin]),
                "similarity": round(float(similarity), 4),
                "kind": kind,
                "changes": changes.describe(rows[origin].text, rows[member].text),
            })
        dates = batch.date[members]
        cluster = {
            "kind": max((entry["kind"] for entry in entries[1:]), key=_LOOSENESS.__getitem__),
            "origin_post_pk": rows[origin].pk,
            "size": len(entries),
            "channels": int(np.unique(batch.channel[members]).size),
            "first_date": datetime.fromtimestamp(int(dates.min()), UTC),
            "last_date": datetime.fromtimestamp(int(dates.max()), UTC),
            "updated_at": now,
        }
        merged = sorted({rows[m].cluster_pk for m in members.tolist() if rows[m].cluster_pk is not None})
        described.append((merged, cluster, entries))
    return described


def _kind(row, content: Content, member: int, origin: int, jaccard: float, containment: float, settings: Settings) -> tuple[str, float]:
    """How a member relates to its origin: forward, exact copy, light edit (near) or contained."""
    exact = content.key[member] == content.key[origin] and content.kind[member] == content.kind[origin]
    if row.forwarded_from_id:
        return "forward", 1.0 if exact else max(jaccard, containment)
    if exact:
        return "exact", 1.0
    if jaccard >= settings.jaccard or jaccard >= containment:
        return "near", jaccard
    return "contained", containment
