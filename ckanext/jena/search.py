"""What the portal adds to a dataset's Solr document: its texts in both languages.

Bilingual fields are stored as JSON objects in extras. Indexed as they are, a long description
would land in a ``string`` field of CKAN's schema (too long for Solr) and every search would
match the JSON's language keys. Instead each language becomes a field of its own,
``extras_<field>_<language>`` (``extras_title_en``, ``extras_notes_de``, …): CKAN's schema
indexes ``extras_*`` as text and copies it into the default search field, so a word of either
language finds the dataset, and ``extras_title_en:…`` searches one language. CKAN's own
``title``, ``notes`` and ``tags`` keep the German texts.

For relevance, the texts of each language also go into fields analysed for that language
(the Solr schema additions, ``stack/solr/schema_additions.py``): ``title_de`` and ``text_de``
split compounds, normalise umlauts and stem German words, so "Bäume" finds "Straßenbäume";
``title_en`` and ``text_en`` stem English words. The default search (``q``) looks in those
fields first and in CKAN's ``text`` field last.
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

# Fields of the schema additions, per language: (title field, text field).
LANGUAGE_FIELDS = {"de": ("title_de", "text_de"), "en": ("title_en", "text_en")}
# The fields of a free-text search and their weights. CKAN's own list is "name^4 title^4 tags^2
# groups^2 text"; the title is searched in both languages instead, and CKAN's ``text`` (English
# stemming for every language, URLs, formats, organisations) comes last, at a lower weight.
QUERY_FIELDS = "name^4 title_de^4 title_en^4 tags^2 groups^2 text_de text_en text^0.5"
# How many words of a query a dataset must contain. CKAN asks for all of up to two words; here
# one of two may be missing ("Einwohner Lobeda" also finds the population of every district),
# the datasets holding both still come first. From five words on, 80 % as in CKAN.
MINIMUM_MATCH = "1<-1 5<80%"


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


def _core_text(pkg_dict: dict[str, Any], name: str) -> str:
    """CKAN's own title, notes or tags (tag names), which hold German texts on this portal."""
    if name == "tags":
        tags = pkg_dict.get("tags") or []
        return " ".join(tag if isinstance(tag, str) else str(tag.get("name", "")) for tag in tags)
    return _as_text(pkg_dict.get(name))


def index_bilingual_texts(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """Replace the stored JSON objects by one text field per field and language, and fill the
    language-analysed search fields."""
    language_texts: dict[str, dict[str, str]] = {language: {} for language in LANGUAGE_FIELDS}
    for name in BILINGUAL_DATASET_FIELDS:
        stored = pkg_dict.pop(f"{name}_translated", None)
        stored_extra = pkg_dict.pop(f"extras_{name}_translated", None)
        values = bilingual.parse_leniently(stored if stored is not None else stored_extra)
        for language, text in values.items():
            if language in bilingual.LANGUAGES and text:
                pkg_dict[f"extras_{name}_{language}"] = _as_text(text)
                if language in language_texts:
                    language_texts[language][name] = _as_text(text)
    for name in ("title", "notes", "tags"):
        # datasets without translations (older or harvested ones) are German in CKAN's fields
        if not language_texts["de"].get(name):
            language_texts["de"][name] = _core_text(pkg_dict, name)
    for language, texts in _resource_texts(pkg_dict).items():
        pkg_dict[f"extras_resources_{language}"] = " ".join(texts)
        if language in language_texts:
            language_texts[language]["resources"] = " ".join(texts)
    for language, (title_field, text_field) in LANGUAGE_FIELDS.items():
        texts = language_texts[language]
        if texts.get("title"):
            pkg_dict[title_field] = [texts["title"]]
        pkg_dict[text_field] = [text for text in texts.values() if text]
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


def search_in_both_languages(search_params: dict[str, Any]) -> dict[str, Any]:
    """Let a free-text search use the language-analysed fields, unless the caller chose fields.

    CKAN passes ``qf`` and ``mm`` to Solr only for free text; a fielded query (``q`` with a
    colon, e.g. ``extras_title_en:street``) keeps Solr's standard parser and ignores both.
    """
    search_params.setdefault("qf", QUERY_FIELDS)
    search_params.setdefault("mm", MINIMUM_MATCH)
    return search_params
