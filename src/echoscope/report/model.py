"""What a report contains, as plain data the templates lay out: no SQL, no markup.

Every claim carries footnote numbers; a `Citations` object hands them out in order of first use, and the
footnotes are filled from the store at the end (permalink, post date, capture, hashes, text, translation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Link:
    label: str
    url: str | None  # only set when clickable (http, https, tg); otherwise shown as text


@dataclass
class Quote:
    text: str
    dir: str  # rtl / ltr, from the script of the text
    translation: str | None = None
    translation_source: str | None = None  # "machine translation, argos (translate-ar_en 1.0)"
    links: list[Link] = field(default_factory=list)


@dataclass
class Footnote:
    number: int
    channel: str
    affiliation: str | None
    permalink: Link
    post_date: datetime
    captured_at: datetime
    capture_source: str  # tdesktop / webpreview / telegram / table
    capture_locator: str
    version: int
    current_version: int
    raw_sha256: str | None
    media_sha256: list[str]
    quote: Quote


@dataclass
class FindingItem:
    kind: str
    statement: str
    score: float
    refs: list[int]
    more: int = 0  # further evidence posts stored with the finding but not cited here


@dataclass
class CascadeMember:
    channel: str
    affiliation: str | None
    date: datetime
    lag: str
    kind: str
    similarity: float
    changes: str
    ref: int


@dataclass
class Cascade:
    finding: FindingItem
    origin: CascadeMember
    echoes: list[CascadeMember]
    quote: Quote | None


@dataclass
class ImageMember:
    channel: str
    platform: str
    affiliation: str | None
    date: datetime
    lag: str
    match: str  # first / exact / pdq / robust
    distance: int
    ref: int


@dataclass
class ImageCase:
    finding: FindingItem
    thumbnail: str | None  # a data: URI of a JPEG re-encoded from the archived file, or None when unreadable
    first: ImageMember
    later: list[ImageMember]


@dataclass
class Figure:
    title: str
    svg: str
    name: str  # file name stem for formats that keep figures alongside (Markdown)


@dataclass
class SymbolRow:
    symbol: str
    meaning: str | None
    entity: str
    posts: int
    channels: int
    first: datetime
    last: datetime
    refs: list[int]


@dataclass
class Community:
    number: int | None
    channels: list[str]  # "name (affiliation)"


@dataclass
class ChannelRow:
    name: str
    username: str | None
    channel_id: str | None
    platform: str
    affiliation: str | None
    posts: int
    first: str | None
    last: str | None
    role: str | None


@dataclass
class StageRow:
    stage: str
    status: str
    finished_at: datetime
    counts: str
    note: str


@dataclass
class Report:
    title: str
    period: tuple[datetime | None, datetime | None]
    generated_at: datetime
    scope: list[str]  # the filters, in words
    key_findings: list[FindingItem] = field(default_factory=list)
    cascades: list[Cascade] = field(default_factory=list)
    images: list[ImageCase] = field(default_factory=list)
    symbols: list[SymbolRow] = field(default_factory=list)
    upticks: list[FindingItem] = field(default_factory=list)
    communities: list[Community] = field(default_factory=list)
    figures: dict[str, list[Figure]] = field(default_factory=dict)  # section → figures
    channels: list[ChannelRow] = field(default_factory=list)
    stages: list[StageRow] = field(default_factory=list)
    omitted: dict[str, str] = field(default_factory=dict)  # section → why it is not in this report
    footnotes: list[Footnote] = field(default_factory=list)
    tool_version: str = ""


class Citations:
    """Footnote numbers for cited post versions, in order of first citation."""

    def __init__(self) -> None:
        self.numbers: dict[tuple[int, int], int] = {}

    def cite(self, post_pk: int, version: int) -> int:
        return self.numbers.setdefault((post_pk, version), len(self.numbers) + 1)
