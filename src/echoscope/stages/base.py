"""The shape every enrich and link stage has (see DESIGN.md, "The flow").

A stage is a class with a `name` (also its CLI argument and its config section), a `kind`, the names of
the stages it `requires`, the `defaults` of the settings it reads, and one `run(store, settings, progress)`
that reads from the store and writes back to it. A stage that cannot work here (an optional package is
missing) says why in `unavailable()` and the pipeline switches it off with that reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, ClassVar, Literal

from echoscope.store import Store

Progress = Callable[[int, int | None], None]
"""progress(done, total): total is None when unknown; stages call it as they go, it may be a no-op."""


@dataclass
class StageReport:
    """What one stage did: counts to show the analyst, and a note that explains a skip or a failure."""

    name: str
    status: Literal["ran", "skipped", "failed"] = "ran"
    counts: dict[str, int] = field(default_factory=dict)
    note: str = ""


class Stage:
    name: ClassVar[str]
    kind: ClassVar[Literal["enrich", "link"]]
    requires: ClassVar[tuple[str, ...]] = ()
    defaults: ClassVar[dict] = {}
    description: ClassVar[str] = ""

    def unavailable(self) -> str | None:
        """Why this stage cannot run on this machine (e.g. "pip install 'echoscope[images]'"), or None."""
        return None

    def run(self, store: Store, settings: dict, progress: Progress) -> StageReport:
        raise NotImplementedError
