"""The stage registry: a new enrich or link stage is one module plus one line in STAGES."""

from __future__ import annotations

from echoscope.stages.base import Stage, StageReport
from echoscope.stages.echoes import Echoes
from echoscope.stages.findings import Findings
from echoscope.stages.images import ImageReuse
from echoscope.stages.lang import LanguageStage
from echoscope.stages.media import MediaHashes
from echoscope.stages.mentions import MentionStage
from echoscope.stages.narratives import NarrativeStage
from echoscope.stages.network import Network
from echoscope.stages.symbols import SymbolStage
from echoscope.stages.translate import Translate
from echoscope.stages.trends import Trends

STAGES: list[type[Stage]] = [
    LanguageStage,
    MentionStage,
    SymbolStage,
    NarrativeStage,  # the four text stages side by side: analyze runs them in one pass over the posts
    Translate,
    Trends,
    Echoes,
    MediaHashes,
    ImageReuse,  # before network, which draws image-reuse edges between channels
    Network,
    Findings,  # last: it reads every other stage's results
]

__all__ = ["STAGES", "Stage", "StageReport"]
