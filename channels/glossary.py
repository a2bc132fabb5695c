"""The glossary: what variant selection and filters depend on, translated without a machine.

Option and attribute names (颜色 → Color, 尺码 → Size), common values (黑色 → Black,
均码 → One size, materials, seasons) and units come from a bundled data file,
``channels/data/glossary.zh-en.json``; a deployment overrides or extends it with its own
file of the same shape (``PRODUCTGRAPH_GLOSSARY_FILE``), whose terms win. Besides exact
matches the glossary composes a few regular forms from its terms:

    XL码, 38码             → XL, 38            (a size with the 码 suffix)
    500毫升, 2米, 3件套     → 500 ml, 2 m, Set of 3
    浅蓝色, 深灰            → Light blue, Dark gray   (a colour modifier and a colour)
    黑色+白色, 黑色 XL      → Black+White, Black XL   (every segment known)

Text with no Chinese in it (``XL``, ``M``, ``iPhone 15``) is its own translation. Anything
else is unknown (``None``): titles and free text go to a machine provider.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from channels.translation import primary_language

BUNDLED = "glossary.zh-en.json"
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_SEPARATORS = re.compile(r"(\s+|[+/、,，;；|【】\[\]（）()＋])")
_NUMBER = r"(\d+(?:\.\d+)?)"


def has_chinese(text: str) -> bool:
    return _HAN.search(text) is not None


@dataclass(frozen=True)
class LanguageGlossary:
    """The glossary of one target language."""

    terms: Mapping[str, str]
    colour_modifiers: Mapping[str, str] = field(default_factory=dict)
    size_suffix: str = "码"
    set_of: str = "Set of {n}"
    pack_of: str = "Pack of {n}"

    def lookup(self, text: str) -> str | None:
        """``text`` translated, or ``None`` when the glossary does not know it."""
        text = text.strip()
        if not text:
            return text
        found = self._single(text)
        if found is not None:
            return found
        pieces = _SEPARATORS.split(text)
        if len(pieces) == 1:
            return None
        out = []
        for piece in pieces:
            if not piece or _SEPARATORS.fullmatch(piece):
                out.append(piece)
                continue
            known = self._single(piece)
            if known is None:
                return None
            out.append(known)
        return "".join(out).strip()

    def _single(self, text: str) -> str | None:
        exact = self.terms.get(text)
        if exact is not None:
            return exact
        if not has_chinese(text):
            return text
        if self.size_suffix and text.endswith(self.size_suffix):
            size = text[: -len(self.size_suffix)].strip()
            if size and not has_chinese(size):
                return size
        number = re.fullmatch(_NUMBER + r"\s*(件套|套装|套)", text)
        if number:
            return self.set_of.format(n=number.group(1))
        number = re.fullmatch(_NUMBER + r"\s*(.)装", text)
        if number and number.group(2) in self.terms:
            return self.pack_of.format(n=number.group(1))
        number = re.fullmatch(_NUMBER + r"\s*(\D+)", text)
        if number and number.group(2) in self.terms:
            return f"{number.group(1)} {self.terms[number.group(2)]}"
        for modifier, english in self.colour_modifiers.items():
            if text.startswith(modifier) and len(text) > len(modifier):
                rest = text[len(modifier):]
                colour = self.terms.get(rest) or self.terms.get(rest + "色")
                if colour is not None:
                    return english + colour[:1].lower() + colour[1:]
        return None


@dataclass(frozen=True)
class Glossary:
    """Glossaries by target language (the primary subtag: ``en``)."""

    languages: Mapping[str, LanguageGlossary]

    def lookup(self, text: str, language: str) -> str | None:
        glossary = self.languages.get(primary_language(language))
        return glossary.lookup(text) if glossary is not None else None

    def knows(self, language: str) -> bool:
        return primary_language(language) in self.languages


def _language(data: Mapping[str, Any]) -> LanguageGlossary:
    return LanguageGlossary(
        terms={str(k): str(v) for k, v in (data.get("terms") or {}).items()},
        colour_modifiers={str(k): str(v)
                          for k, v in (data.get("colour_modifiers") or {}).items()},
        size_suffix=str(data.get("size_suffix", "码")),
        set_of=str(data.get("set_of", "Set of {n}")),
        pack_of=str(data.get("pack_of", "Pack of {n}")),
    )


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = {name: dict(value) for name, value in base.items()}
    for name, value in override.items():
        target = merged.setdefault(name, {})
        for key, item in value.items():
            if isinstance(item, Mapping):
                target[key] = {**(target.get(key) or {}), **item}
            else:
                target[key] = item
    return merged


def load_glossary(override: str | Path | None = None) -> Glossary:
    """The bundled glossary, with ``override`` (a JSON file of the same shape) on top.
    A missing or malformed override file raises ``ValueError`` naming it."""
    bundled = json.loads(resources.files("channels.data").joinpath(BUNDLED)
                         .read_text(encoding="utf-8"))
    languages: dict[str, Any] = dict(bundled.get("languages") or {})
    if override:
        try:
            extra = json.loads(Path(override).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"glossary file {override}: {exc}") from None
        if not isinstance(extra, Mapping) or not isinstance(extra.get("languages"), Mapping):
            raise ValueError(f"glossary file {override}: needs a \"languages\" object")
        languages = _merge(languages, extra["languages"])
    return Glossary({name: _language(data) for name, data in languages.items()})
