"""What the portal adds to a dataset's Solr document: its texts in both languages.

Bilingual fields are stored as JSON objects in extras. Indexed as they are, a long description
would land in a ``string`` field of CKAN's schema (too long for Solr) and every search would
match the JSON's language keys. Instead each language becomes a field of its own,
``extras_<field>_<language>`` (``extras_title_en``, ``extras_notes_de``, …): CKAN's schema
indexes ``extras_*`` as text and copies it into the default search field, so a word of either
language finds the dataset, and ``extras_title_en:…`` searches one language. CKAN's own
``title``, ``notes`` and ``tags`` keep the German texts.
"""
from __future__ import annotations

import json
from typing import Any

import ckan.plugins as plugins

from ckanext.jena.logic import bilingual

BILINGUAL_DATASET_FIELDS = (
    "title", "notes", "tags", "geocoding_description", "legal_basis", "sensor_observed_property",
)
BILINGUAL_RESOURCE_FIELDS = ("name", "description")


def _as_text(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(item) for item in value)
    return "" if value is None else str(value)


def _resource_texts(pkg_dict: dict[str, Any]) -> dict[str, list[str]]:
    """Texts of the resources' bilingual fields per language (from the validated dataset)."""
    texts: dict[str, list[str]] = {}
    try:
        resources = json.loads(pkg_dict.get("validated_data_dict") or "{}").get("resources") or []
    except ValueError:
        return texts
    for resource in resources:
        for name in BILINGUAL_RESOURCE_FIELDS:
            for language, text in bilingual.parse_leniently(resource.get(f"{name}_translated")).items():
                if text and language in bilingual.LANGUAGES:
                    texts.setdefault(language, []).append(_as_text(text))
    return texts


def index_bilingual_texts(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """Replace the stored JSON objects by one text field per field and language."""
    for name in BILINGUAL_DATASET_FIELDS:
        stored = pkg_dict.pop(f"{name}_translated", None)
        stored_extra = pkg_dict.pop(f"extras_{name}_translated", None)
        values = bilingual.parse_leniently(stored if stored is not None else stored_extra)
        for language, text in values.items():
            if language in bilingual.LANGUAGES and text:
                pkg_dict[f"extras_{name}_{language}"] = _as_text(text)
    for language, texts in _resource_texts(pkg_dict).items():
        pkg_dict[f"extras_resources_{language}"] = " ".join(texts)
    for key, value in list(pkg_dict.items()):
        # Repeating fields (contact, temporal_coverage, …) reach the index as lists of objects
        # on CKAN 2.11; Solr would take objects for nested documents and refuse the dataset.
        if isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value)):
            pkg_dict[key] = json.dumps(value, ensure_ascii=False)
    if not plugins.plugin_loaded("spatial_query"):
        # Without ckanext-spatial nobody consumes the geometry, and a large one would not fit
        # the string field Solr would otherwise put it in.
        pkg_dict.pop("spatial", None)
    return pkg_dict
