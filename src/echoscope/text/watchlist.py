"""Watchlists: the entities, keywords, symbols and narrative rules the text stages look for.

A watchlist is a YAML file (the bundled `watchlists/default.yaml` shows every field):

    entities:
      - id: nato
        type: organisation          # person, organisation, armed group, state, media outlet, place
        name: NATO                  # the English display name exports show
        aliases: {en: [NATO], ar: [الناتو, حلف شمال الأطلسي], fa: [ناتو], ru: [НАТО], uk: [НАТО]}
        affiliations: [usa]         # optional: ids of other entities
        not_in: {en: [NATO Street]} # optional: phrases in which an alias is no mention (Latin America)
    keywords:                       # words narrative rules use, matched like aliases, never exported as mentions
      - {id: nazis, aliases: {ru: [нацисты], en: [Nazis]}}
    symbols:
      - {id: rainbow-flag, symbol: 🏳️‍🌈, meaning: used as a slur against the West}
    narratives:
      - tag: anti-NATO              # every clause given must hold; several entries with one tag: any
        any_of: [...]  all_of: [...]  none_of: [...]   # ids of entities, keywords or symbols
        near: [{terms: [nato, [rainbow-flag, clown]], within: 3}]   # a term may be a list (any of)

Several files load as one: an entity, keyword or symbol whose id is already known adds its aliases to
the earlier one (the analyst's file extends the bundled default). A mistake is a ConfigError that names
the file and the entry, because a watchlist is edited by hand and a silent typo means missed mentions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from echoscope.errors import ConfigError

ENTITY_TYPES = ("person", "organisation", "armed group", "state", "media outlet", "place")
SECTIONS = ("entities", "keywords", "symbols", "narratives")


@dataclass(frozen=True)
class Term:
    """An entity or keyword: what the matcher looks for. Keywords have kind "keyword" and no type."""

    id: str
    kind: str  # entity / keyword
    name: str
    type: str | None
    aliases: dict[str, tuple[str, ...]]  # language code → spellings
    affiliations: tuple[str, ...] = ()
    not_in: dict[str, tuple[str, ...]] = field(default_factory=dict)  # language → phrases that are no mention


@dataclass(frozen=True)
class Symbol:
    id: str
    symbol: str
    meaning: str


@dataclass(frozen=True)
class Near:
    groups: tuple[frozenset[str], ...]  # each group: any of these term ids
    within: int  # tokens between the first group's occurrence and the others'


@dataclass(frozen=True)
class NarrativeRule:
    tag: str
    description: str
    any_of: frozenset[str]
    all_of: frozenset[str]
    none_of: frozenset[str]
    near: tuple[Near, ...]


@dataclass
class Watchlist:
    terms: dict[str, Term] = field(default_factory=dict)
    symbols: dict[str, Symbol] = field(default_factory=dict)
    narratives: list[NarrativeRule] = field(default_factory=list)  # several rules may share a tag: any of them tags
    sources: list[str] = field(default_factory=list)
    digest: str = ""  # SHA-256 of the files' bytes in order: a stage re-reads posts when it changes

    @property
    def entities(self) -> dict[str, Term]:
        return {key: term for key, term in self.terms.items() if term.kind == "entity"}

    def symbol_for(self, emoji: str) -> Symbol | None:
        """The watchlist symbol an emoji sequence stands for, with or without variation selectors."""
        return self._by_text().get(symbol_key(emoji))

    def _by_text(self) -> dict[str, Symbol]:
        if getattr(self, "_symbol_index", None) is None:
            self._symbol_index = {symbol_key(item.symbol): item for item in self.symbols.values()}
        return self._symbol_index


def symbol_key(emoji: str) -> str:
    """🏳️‍🌈 is typed both with and without VARIATION SELECTOR-16; both mean the same symbol."""
    return emoji.replace("\ufe0f", "").replace("\ufe0e", "")


def default_path() -> Path:
    return Path(str(resources.files("echoscope") / "watchlists" / "default.yaml"))


def load(paths: Iterable[str | Path] = (), *, include_default: bool = True) -> Watchlist:
    """The bundled default (unless excluded) followed by `paths`, checked and merged into one watchlist."""
    files = ([default_path()] if include_default else []) + [Path(path) for path in paths]
    if not files:
        raise ConfigError("no watchlist: give a file or keep the bundled default")
    watchlist = Watchlist()
    digest = hashlib.sha256()
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the watchlist ({exc.strerror})") from None
        digest.update(data)
        _merge(watchlist, _parse(path, data), path)
        watchlist.sources.append(str(path))
    _check_references(watchlist)
    watchlist.digest = digest.hexdigest()
    return watchlist


def _parse(path: Path, data: bytes) -> Watchlist:
    try:
        document = yaml.safe_load(data.decode("utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a readable YAML file ({exc})") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: expected the sections {', '.join(SECTIONS)} at the top level")
    unknown = set(document) - set(SECTIONS)
    if unknown:
        raise ConfigError(f"{path}: unknown section(s) {', '.join(sorted(map(str, unknown)))}; known: {', '.join(SECTIONS)}")
    parsed = Watchlist()
    for section in SECTIONS:
        entries = document.get(section) or []
        if not isinstance(entries, list):
            raise ConfigError(f"{path}: {section} must be a list of entries")
        for index, entry in enumerate(entries):
            where = f"{path}: {section}[{index}]"
            if not isinstance(entry, dict):
                raise ConfigError(f"{where}: expected a mapping of fields")
            if isinstance(entry.get("id") or entry.get("tag"), str):
                where += f" ({entry.get('id') or entry.get('tag')})"
            _ENTRY_READERS[section](parsed, entry, where)
    return parsed


def _fields(entry: dict, where: str, required: tuple[str, ...], optional: tuple[str, ...]) -> None:
    unknown = set(entry) - set(required) - set(optional)
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {', '.join(sorted(map(str, unknown)))}; known: {', '.join(required + optional)}")
    for name in required:
        if entry.get(name) in (None, "", [], {}):
            raise ConfigError(f"{where}: {name!r} is missing")


def _text(entry: dict, name: str, where: str) -> str:
    value = entry.get(name, "")
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise ConfigError(f"{where}: {name!r} must be text")
    return str(value).strip()


def _id_list(value: Any, name: str, where: str) -> list:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise ConfigError(f"{where}: {name!r} must be a list of ids")
    return value


def _unique(target: dict, key: str, where: str) -> None:
    if key in target:
        raise ConfigError(f"{where}: the id {key!r} appears twice in this file")


def _read_spellings(entry: dict, name: str, where: str) -> dict[str, tuple[str, ...]]:
    spellings_by_language = entry.get(name)
    if not isinstance(spellings_by_language, dict):
        raise ConfigError(f"{where}: {name!r} must map language codes to lists of spellings")
    read = {}
    for language, spellings in spellings_by_language.items():
        spellings = [spellings] if isinstance(spellings, str) else spellings
        if not isinstance(spellings, list) or not all(isinstance(item, str) and item.strip() for item in spellings):
            raise ConfigError(f"{where}: {name}.{language} must be a list of non-empty spellings")
        read[str(language)] = tuple(item.strip() for item in spellings)
    return read


def _read_term(kind: str):
    def read(parsed: Watchlist, entry: dict, where: str) -> None:
        if kind == "entity":
            _fields(entry, where, ("id", "type", "name", "aliases"), ("affiliations", "not_in", "notes"))
            kind_of = _text(entry, "type", where).replace("_", " ")
            if kind_of not in ENTITY_TYPES:
                raise ConfigError(f"{where}: type {kind_of!r} is not one of {', '.join(ENTITY_TYPES)}")
        else:
            _fields(entry, where, ("id", "aliases"), ("name", "notes"))
            kind_of = None
        key = _text(entry, "id", where)
        _unique(parsed.terms, key, where)
        affiliations = tuple(str(item) for item in _id_list(entry.get("affiliations"), "affiliations", where))
        name = _text(entry, "name", where) if "name" in entry else key
        not_in = _read_spellings(entry, "not_in", where) if "not_in" in entry else {}
        parsed.terms[key] = Term(key, kind, name, kind_of, _read_spellings(entry, "aliases", where), affiliations, not_in)

    return read


def _read_symbol(parsed: Watchlist, entry: dict, where: str) -> None:
    _fields(entry, where, ("id", "symbol", "meaning"), ("notes",))
    key = _text(entry, "id", where)
    _unique(parsed.symbols, key, where)
    parsed.symbols[key] = Symbol(key, _text(entry, "symbol", where), _text(entry, "meaning", where))


def _read_narrative(parsed: Watchlist, entry: dict, where: str) -> None:
    _fields(entry, where, ("tag",), ("description", "any_of", "all_of", "none_of", "near"))
    tag = _text(entry, "tag", where)
    sets = {name: frozenset(map(str, _id_list(entry.get(name), name, where))) for name in ("any_of", "all_of", "none_of")}
    near = []
    for index, clause in enumerate(_id_list(entry.get("near"), "near", where)):
        if not isinstance(clause, dict) or set(clause) - {"terms", "within"} or not isinstance(clause.get("terms"), list):
            raise ConfigError(f"{where}: near[{index}] must be {{terms: [a, b], within: N}}")
        within = clause.get("within", 5)
        if not isinstance(within, int) or isinstance(within, bool) or within < 0:
            raise ConfigError(f"{where}: near[{index}].within must be a whole number of words ≥ 0")
        groups = tuple(frozenset(map(str, group if isinstance(group, list) else [group])) for group in clause["terms"])
        if len(groups) < 2:
            raise ConfigError(f"{where}: near[{index}] needs at least two terms")
        near.append(Near(groups, within))
    if not (sets["any_of"] or sets["all_of"] or near):
        raise ConfigError(f"{where}: a narrative needs any_of, all_of or near (none_of alone would tag every post)")
    parsed.narratives.append(NarrativeRule(tag, _text(entry, "description", where), sets["any_of"], sets["all_of"], sets["none_of"], tuple(near)))


_ENTRY_READERS = {"entities": _read_term("entity"), "keywords": _read_term("keyword"), "symbols": _read_symbol, "narratives": _read_narrative}


def _merge(into: Watchlist, new: Watchlist, path: Path) -> None:
    for key, term in new.terms.items():
        old = into.terms.get(key)
        if old is None:
            into.terms[key] = term
            continue
        if old.kind != term.kind:
            raise ConfigError(f"{path}: {key!r} is a {term.kind} here but a {old.kind} in {', '.join(into.sources)}")
        into.terms[key] = Term(key, old.kind, term.name or old.name, term.type or old.type, _joined(old.aliases, term.aliases),
                               tuple(dict.fromkeys(old.affiliations + term.affiliations)), _joined(old.not_in, term.not_in))
    into.symbols.update(new.symbols)
    into.narratives.extend(new.narratives)


def _joined(old: dict[str, tuple[str, ...]], new: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    joined = dict(old)
    for language, spellings in new.items():
        joined[language] = tuple(dict.fromkeys(joined.get(language, ()) + spellings))
    return joined


def _check_references(watchlist: Watchlist) -> None:
    known = set(watchlist.terms) | set(watchlist.symbols)
    for term in watchlist.terms.values():
        for affiliation in term.affiliations:
            if affiliation not in watchlist.terms:
                raise ConfigError(f"{' + '.join(watchlist.sources)}: entity {term.id!r} is affiliated with unknown id {affiliation!r}")
    for rule in watchlist.narratives:
        used = rule.any_of | rule.all_of | rule.none_of | frozenset().union(*(group for near in rule.near for group in near.groups))
        for unknown in sorted(used - known):
            raise ConfigError(f"{' + '.join(watchlist.sources)}: narrative {rule.tag!r} uses {unknown!r}, which is no entity, keyword or symbol id")
