"""The controlled vocabularies of the dataset schema, read from ``ckanext/jena/vocabularies/``.

Each vocabulary is a YAML file with ``terms`` (``code``, optional ``uri``, ``label: {de, en}``,
optional ``aliases``); ``stores`` says whether datasets keep a term's URI or its code. The CKAN
licence list (``licenses.json``) doubles as the vocabulary of resource licences, whose values are
the dcat-ap.de licence URIs. Files are read once per process: they ship with the package.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

PACKAGE_DIR = Path(__file__).resolve().parent.parent
VOCABULARY_DIR = PACKAGE_DIR / "vocabularies"
LICENSE_FILE = PACKAGE_DIR / "licenses.json"

HVD_LEGISLATION = "http://data.europa.eu/eli/reg_impl/2023/138/oj"
FILE_TYPE_PREFIX = "http://publications.europa.eu/resource/authority/file-type/"
LICENSE_PREFIX = "http://dcat-ap.de/def/licenses/"
POLITICAL_GEOCODING_PREFIX = "http://dcat-ap.de/def/politicalGeocoding/"


@dataclass(frozen=True)
class Term:
    value: str
    code: str
    label: dict[str, str]
    uri: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def label_in(self, language: str) -> str:
        return self.label.get(language) or self.label.get("de") or self.value


@dataclass(frozen=True)
class Vocabulary:
    """Terms in their file's order, looked up by stored value, code, URI or alias (any case)."""

    name: str
    terms: tuple[Term, ...]
    settings: dict[str, Any] = field(default_factory=dict)

    @functools.cached_property
    def _index(self) -> dict[str, Term]:
        index: dict[str, Term] = {}
        for term in self.terms:
            keys = [term.value, term.code, term.uri, *term.extra.get("aliases", ())]
            for key in keys:
                if key:
                    index.setdefault(str(key).casefold(), term)
        return index

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and any(term.value == value for term in self.terms)

    def find(self, value: Any) -> Term | None:
        """The term a value names (stored value, code, URI or alias), or None."""
        if not isinstance(value, str):
            return None
        return self._index.get(value.strip().casefold())

    def values(self) -> list[str]:
        return [term.value for term in self.terms]

    def choices(self) -> list[dict[str, Any]]:
        """Choices as ckanext-scheming expects them: ``{"value", "label": {de, en}}``."""
        return [{"value": term.value, "label": dict(term.label)} for term in self.terms]


def _read_yaml(file_name: str) -> dict[str, Any]:
    with (VOCABULARY_DIR / file_name).open(encoding="utf-8") as stream:
        return yaml.safe_load(stream)


def _terms_from(document: dict[str, Any]) -> tuple[Term, ...]:
    stores_uri = document.get("stores") == "uri"
    terms = []
    for raw in document["terms"]:
        extra = {key: value for key, value in raw.items() if key not in ("code", "uri", "label")}
        terms.append(Term(
            value=raw["uri"] if stores_uri else raw["code"],
            code=raw["code"],
            uri=raw.get("uri", ""),
            label=dict(raw["label"]),
            extra=extra,
        ))
    return tuple(terms)


def _file_vocabulary(name: str) -> Vocabulary:
    document = _read_yaml(f"{name}.yaml")
    settings = {key: value for key, value in document.items() if key != "terms"}
    return Vocabulary(name, _terms_from(document), settings)


def _smart_city(level: str) -> Vocabulary:
    """Fields of action, or the measures with the code of their field of action as ``broader``."""
    document = _read_yaml("smart-city.yaml")
    if level == "fields":
        terms = [Term(value=item["code"], code=item["code"], label=dict(item["label"]))
                 for item in document["terms"]]
        return Vocabulary("smart-city-fields-of-action", tuple(terms))
    terms = [
        Term(value=measure["code"], code=measure["code"], label=dict(measure["label"]),
             extra={"broader": item["code"]})
        for item in document["terms"]
        for measure in item["measures"]
    ]
    return Vocabulary("smart-city-measures", tuple(terms))


def read_license_list() -> list[dict[str, Any]]:
    with LICENSE_FILE.open(encoding="utf-8") as stream:
        return json.load(stream)


def _licenses() -> Vocabulary:
    terms = [
        Term(value=entry["url"], code=entry["id"], uri=entry["url"],
             label={"de": entry["title"], "en": entry["title_en"]},
             extra={"homepage": entry.get("homepage", ""), "is_open": entry.get("is_open", False)})
        for entry in read_license_list()
    ]
    return Vocabulary("licenses", tuple(terms))


_SPECIAL = {
    "smart-city-fields-of-action": lambda: _smart_city("fields"),
    "smart-city-measures": lambda: _smart_city("measures"),
    "licenses": _licenses,
}


@functools.lru_cache(maxsize=None)
def get(name: str) -> Vocabulary:
    """The vocabulary of that name; raises KeyError for an unknown name."""
    if name in _SPECIAL:
        return _SPECIAL[name]()
    if not (VOCABULARY_DIR / f"{name}.yaml").is_file():
        raise KeyError(f"Unknown vocabulary: {name}")
    return _file_vocabulary(name)


def names() -> list[str]:
    """Every vocabulary the schema can name."""
    files = sorted(path.stem for path in VOCABULARY_DIR.glob("*.yaml") if path.stem != "smart-city")
    return files + sorted(_SPECIAL)


def label(name: str, value: Any, language: str) -> str:
    """The label of a stored value in a language; the value itself when it is unknown."""
    term = get(name).find(value)
    return term.label_in(language) if term else ("" if value is None else str(value))


def district_bboxes(codes: Iterable[str]) -> list[list[float]]:
    vocabulary = get("districts")
    boxes = []
    for code in codes:
        term = vocabulary.find(code)
        if term:
            boxes.append(list(term.extra["bbox"]))
    return boxes


def city_bbox() -> list[float]:
    return list(get("districts").settings["city_bbox"])


def file_type_uri(code: str) -> str:
    return FILE_TYPE_PREFIX + code
