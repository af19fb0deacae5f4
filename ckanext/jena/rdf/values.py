"""Reading field values of a dataset dict the same way whether they come from ``package_show``
(lists and ``{de, en}`` objects) or from stored extras (JSON text)."""
from __future__ import annotations

from typing import Any

from ckanext.jena.logic import bilingual


def as_list(value: Any) -> list[Any]:
    if value in (None, "", [], {}):
        return []
    if isinstance(value, list):
        return [item for item in value if item not in (None, "")]
    if isinstance(value, str):
        decoded = bilingual.decoded_json(value, list)
        if decoded is not None:
            return [item for item in decoded if item not in (None, "")]
        return [value]
    return [value]


def as_bilingual(value: Any) -> dict[str, Any]:
    """``{language: text}`` without empty languages."""
    return {language: text for language, text in bilingual.parse_leniently(value).items() if text}


def as_records(value: Any) -> list[dict[str, Any]]:
    """The entries of a repeating field, without empty ones."""
    return [item for item in as_list(value) if isinstance(item, dict) and any(item.values())]


def text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
