"""Reading and writing bilingual values ``{"de": …, "en": …}``.

Datasets store bilingual texts as JSON objects in CKAN extras (and resource extras). These
functions are shared by the validators, the search index, the display helpers and the legacy
fallbacks, so that every place agrees on what a bilingual value looks like.
"""
from __future__ import annotations

import json
from typing import Any

GERMAN = "de"
LANGUAGES = ("de", "en")


class BilingualFormatError(ValueError):
    """A value that is neither a text nor an object of languages."""


def decoded_json(text: str, kind: type) -> Any:
    """The JSON ``kind`` (dict or list) that a stored text holds, or None when it holds none.

    Lists and objects reach CKAN both as such and as JSON text in extras; this is the one
    place that tells the two apart.
    """
    stripped = text.strip()
    if not stripped.startswith("{" if kind is dict else "["):
        return None
    try:
        decoded = json.loads(stripped)
    except ValueError:
        return None
    return decoded if isinstance(decoded, kind) else None


def parse(value: Any) -> dict[str, Any]:
    """A bilingual value as a dict; a plain text counts as German.

    Raises BilingualFormatError for anything else (numbers, lists, invalid JSON objects).
    """
    if value is None or value == "":
        return {}
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        decoded = decoded_json(value, dict)
        return decoded if decoded is not None else {GERMAN: value}
    raise BilingualFormatError(type(value).__name__)


def parse_leniently(value: Any) -> dict[str, Any]:
    """Like parse, but never raises: for display and indexing of stored values."""
    try:
        return parse(value)
    except BilingualFormatError:
        return {}


def dump(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def pick(value: Any, language: str) -> tuple[Any, str]:
    """The value in a language, falling back to German; with the language actually returned."""
    values = parse_leniently(value)
    if values.get(language):
        return values[language], language
    if values.get(GERMAN):
        return values[GERMAN], GERMAN
    for other, text in values.items():
        if text:
            return text, other
    return "", language
