"""The stage registry: a new enrich or link stage is one module plus one line in STAGES."""

from __future__ import annotations

from echoscope.stages.base import Stage, StageReport

STAGES: list[type[Stage]] = [
]

__all__ = ["STAGES", "Stage", "StageReport"]
