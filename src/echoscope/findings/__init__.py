"""Findings: stored conclusions, each with a sentence generated from the data and the posts that prove it.

    Finding(kind="echo_cascade", key="cluster:12", statement="On 8 June 2023 the channel …",
            score=0.71, first_date=…, last_date=…, evidence=[Evidence(post_pk, version, "origin"), …])

Producers (one module per kind of stage result) build findings from the store; `stages/findings.py` and
`stages/trends.py` store them; the report and `echoscope findings` only read them. The score is in [0, 1)
so findings of different kinds rank on one list: each producer maps its own strength measure through
`saturating`, with a scale chosen so that a typical strong finding of that kind lands near 0.6–0.8.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ECHO_CASCADE = "echo_cascade"
UPTICK = "uptick"
SYMBOL_PAIRING = "symbol_pairing"
NARRATIVE = "narrative"
IMAGE_REUSE = "image_reuse"
COORDINATION_COMMUNITY = "coordination_community"

KIND_LABELS = {
    ECHO_CASCADE: "echo cascade",
    UPTICK: "uptick",
    SYMBOL_PAIRING: "symbol pairing",
    NARRATIVE: "narrative",
    IMAGE_REUSE: "image reuse",
    COORDINATION_COMMUNITY: "coordination community",
}


@dataclass(frozen=True, slots=True)
class Evidence:
    """One post version a finding rests on; the store adds its raw-record and media hashes."""

    post_pk: int
    version: int
    role: str  # origin / echo / burst / pairing / tagged


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    key: str
    statement: str
    score: float
    first_date: datetime
    last_date: datetime
    evidence: tuple[Evidence, ...]
    details: dict[str, Any] = field(default_factory=dict)


def saturating(strength: float, scale: float) -> float:
    """Map an unbounded strength (≥ 0) into [0, 1): `scale` is the strength that scores about 0.63."""
    return round(1.0 - math.exp(-max(strength, 0.0) / scale), 4)
