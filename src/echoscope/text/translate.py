"""Translation backends behind one small interface, chosen per deployment.

    translator = make_translator({"backend": "libretranslate", "url": "http://localhost:5000", …})
    model = translator.model("ar", "en")          # raises TranslatorUnavailable: what to install or start
    english = translator.translate(["…"], "ar", "en")

Backends: `argos` (argostranslate, offline once its language packages are installed), `libretranslate`
(a LibreTranslate server; the API key comes from ECHOSCOPE_LIBRETRANSLATE_API_KEY and is never stored)
and `none` (translation switched off). A translation is always kept next to its original, never in its
place; the store records which backend and model made it.

Errors (both StageError, so a pipeline run records them and goes on with the other stages):
    TranslatorUnavailable   the backend cannot translate this pair here; says what to install, start or set
    TranslationFailed       the backend was reachable but refused or broke on a request
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar, Sequence

import orjson

from echoscope.errors import ConfigError, ParseError, SourceUnavailable, StageError

BACKENDS = ("argos", "libretranslate", "none")
API_KEY_ENV = "ECHOSCOPE_LIBRETRANSLATE_API_KEY"


class TranslatorUnavailable(StageError):
    """This backend cannot translate the pair on this machine; the message says what to install or start."""


class TranslationFailed(StageError):
    """The backend answered but refused or failed a translation request."""


class Translator:
    """One translation backend. `model()` checks a language pair before any work is done."""

    name: ClassVar[str]

    def model(self, source: str, target: str) -> str:
        """The model (package and version, or server) that translates `source`→`target` here.

        Stored with every translation it makes. Raises TranslatorUnavailable when the pair cannot be
        translated, saying exactly what to install or start."""
        raise NotImplementedError

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        """The translations of `texts`, in the same order."""
        raise NotImplementedError

    def close(self) -> None:
        """Release connections or models; a no-op for backends that hold none."""


class NoTranslator(Translator):
    """Translation switched off: every pair is unavailable, with the settings that switch it on."""

    name = "none"

    def model(self, source: str, target: str) -> str:
        raise TranslatorUnavailable(
            'translation is off (backend "none"): choose a backend with `echoscope translate --backend argos` '
            "(offline) or `--backend libretranslate --url http://localhost:5000`, or set `backend` under "
            "[stages.translate] in echoscope.toml"
        )


def make_translator(settings: dict) -> Translator:
    """The backend named by `settings["backend"]`, configured from the translate stage's settings."""
    backend = settings["backend"]
    if backend == "none":
        return NoTranslator()
    if backend == "argos":
        from echoscope.text._argos import ArgosTranslator

        return ArgosTranslator()
    if backend == "libretranslate":
        from echoscope.text._libretranslate import LibreTranslate

        return LibreTranslate(
            settings["url"],
            os.environ.get(API_KEY_ENV) or None,
            batch_size=settings["batch_size"],
            retries=settings["retries"],
            backoff=settings["backoff"],
            timeout=settings["timeout"],
        )
    raise ConfigError(f"[stages.translate] backend = {backend!r}: expected one of {', '.join(BACKENDS)}")


IMPORT_FIELDS = ("channel", "post_id", "source", "target", "text")


def read_translation_file(path: Path) -> list[tuple[str, dict]]:
    """Translations made elsewhere, as JSON Lines with IMPORT_FIELDS: (location, row) for each line.

    A line that is not a JSON object with those fields is a ParseError naming the file and line."""
    rows = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceUnavailable(f"{path}: {exc}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        location = f"{path}, line {number}"
        try:
            row = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"not JSON: {exc}", location=location) from None
        missing = [name for name in IMPORT_FIELDS if not isinstance(row, dict) or row.get(name) in (None, "")]
        if missing:
            raise ParseError(f"missing {', '.join(missing)}", location=location)
        rows.append((location, row))
    return rows
