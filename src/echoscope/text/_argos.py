"""The `argos` backend: Argos Translate, fully offline once its language packages are installed.

Argos translates a pair with an installed package for it, or through English with two packages
(fa→en then en→de). Which packages are installed is read at one boundary, `installed_packages()`,
so the checks that turn a missing package into the exact `argospm` command are plain Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from echoscope.text.translate import Translator, TranslatorUnavailable

PIVOT = "en"


@dataclass(frozen=True)
class ArgosPackage:
    from_code: str
    to_code: str
    version: str

    @property
    def label(self) -> str:
        return f"translate-{self.from_code}_{self.to_code} {self.version}"


def _install_hint(*pairs: tuple[str, str]) -> str:
    packages = " ".join(f"translate-{source}_{target}" for source, target in pairs)
    return f"argospm update && argospm install {packages}"


def _argostranslate():
    try:
        import argostranslate.package
        import argostranslate.translate
    except ImportError:
        raise TranslatorUnavailable(
            "the argos backend needs Argos Translate, which is not installed: "
            "pip install 'echoscope[translate]', then install the language packages, e.g. "
            + _install_hint(("ar", "en"), ("fa", "en"), ("ru", "en"))
        ) from None
    return argostranslate


def installed_packages() -> list[ArgosPackage]:
    """The Argos language packages installed for this user (the one place that asks Argos)."""
    argos = _argostranslate()
    return [
        ArgosPackage(package.from_code, package.to_code, str(getattr(package, "package_version", "?")))
        for package in argos.package.get_installed_packages()
    ]


def packages_for(source: str, target: str, installed: Sequence[ArgosPackage]) -> list[ArgosPackage]:
    """The packages that translate source→target: one direct package, or two through English.

    Raises TranslatorUnavailable naming the argospm command that installs what is missing."""
    by_pair = {(package.from_code, package.to_code): package for package in installed}
    if (source, target) in by_pair:
        return [by_pair[source, target]]
    if PIVOT in (source, target):
        missing = [(source, target)]
    else:
        legs = [(source, PIVOT), (PIVOT, target)]
        if all(leg in by_pair for leg in legs):
            return [by_pair[leg] for leg in legs]
        missing = [leg for leg in legs if leg not in by_pair]
    have = ", ".join(sorted(f"{p.from_code}→{p.to_code}" for p in installed)) or "none"
    raise TranslatorUnavailable(
        f"no Argos Translate package for {source}→{target} (installed: {have}); "
        f"install it with: {_install_hint(*missing)}"
    )


class ArgosTranslator(Translator):
    name = "argos"

    def __init__(self) -> None:
        self._translations: dict[tuple[str, str], object] = {}

    def model(self, source: str, target: str) -> str:
        return " + ".join(package.label for package in packages_for(source, target, installed_packages()))

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        if (source, target) not in self._translations:
            self.model(source, target)  # a clear error before Argos's own
            self._translations[source, target] = _argostranslate().translate.get_translation_from_codes(source, target)
        translation = self._translations[source, target]
        return [translation.translate(text) for text in texts]
