"""Loads the demo content through CKAN's action API, as a sysadmin would through the web.

Everything goes through ``organization_create``, ``group_create``, ``package_create`` and
``resource_create`` (with real file uploads), so the demo exercises the same validation,
indexing and storage as content entered by people. Loading is idempotent: what already
exists is kept untouched, so edits an administrator made to demo content survive.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from werkzeug.datastructures import FileStorage

import ckan.plugins.toolkit as tk

from ckanext.jena.logic import vocabularies

log = logging.getLogger(__name__)

DEMO_DIR = Path(__file__).resolve().parent
CONTENT_FILE = DEMO_DIR / "content.yaml"
FILES_DIR = DEMO_DIR / "files"


@dataclass
class LoadReport:
    """What a load created and what it found already there, by kind of object."""

    created: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, created: bool) -> None:
        target = self.created if created else self.kept
        target[kind] = target.get(kind, 0) + 1


def read_content(path: Path = CONTENT_FILE) -> dict[str, Any]:
    with path.open(encoding="utf-8") as stream:
        return yaml.safe_load(stream)


def bbox_geometry(bbox: list[float]) -> dict[str, Any]:
    """A GeoJSON polygon for ``[min_lon, min_lat, max_lon, max_lat]`` (what ckanext-spatial indexes)."""
    min_lon, min_lat, max_lon, max_lat = bbox
    ring = [
        [min_lon, min_lat],
        [max_lon, min_lat],
        [max_lon, max_lat],
        [min_lon, max_lat],
        [min_lon, min_lat],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def german(value: Any) -> str:
    """The German text of a bilingual ``{de: …, en: …}`` value (German is always given)."""
    if isinstance(value, dict):
        return value.get("de") or ""
    return value or ""


def english(value: Any) -> str:
    if isinstance(value, dict):
        return value.get("en") or ""
    return ""


class DemoLoader:
    """Creates the demo organisations, categories and datasets as the given sysadmin."""

    def __init__(self, user_name: str, content: dict[str, Any] | None = None):
        self.user_name = user_name
        self.content = content if content is not None else read_content()
        self.report = LoadReport()

    def _context(self) -> dict[str, Any]:
        return {"user": self.user_name, "ignore_auth": False}

    def _exists(self, action: str, name: str) -> bool:
        try:
            tk.get_action(action)(self._context(), {"id": name})
        except tk.ObjectNotFound:
            return False
        return True

    def load(self) -> LoadReport:
        for organization in self.content["organizations"]:
            self._load_organization(organization)
        for category in self.content["categories"]:
            self._load_category(category)
        for dataset in self.content["datasets"]:
            self._load_dataset(dataset)
        return self.report

    def _load_organization(self, organization: dict[str, Any]) -> None:
        created = not self._exists("organization_show", organization["name"])
        if created:
            tk.get_action("organization_create")(
                self._context(),
                {
                    "name": organization["name"],
                    "title": german(organization["title"]),
                    "description": german(organization.get("description")),
                    "extras": _english_extras(organization, ("title", "description")),
                },
            )
        self.report.count("organizations", created)

    def _load_category(self, category: dict[str, Any]) -> None:
        created = not self._exists("group_show", category["name"])
        if created:
            extras = _english_extras(category, ("title", "description"))
            extras.append({"key": "eu_themes", "value": " ".join(category.get("eu_themes", []))})
            tk.get_action("group_create")(
                self._context(),
                {
                    "name": category["name"],
                    "title": german(category["title"]),
                    "description": german(category.get("description")),
                    "extras": extras,
                },
            )
        self.report.count("categories", created)

    def _load_dataset(self, dataset: dict[str, Any]) -> None:
        created = not self._exists("package_show", dataset["name"])
        if created:
            package = tk.get_action("package_create")(self._context(), dataset_dict(dataset))
            for resource in dataset.get("resources", []):
                self._load_resource(package["id"], resource)
        else:
            for _resource in dataset.get("resources", []):
                self.report.count("resources", False)
        self.report.count("datasets", created)

    def _load_resource(self, package_id: str, resource: dict[str, Any]) -> None:
        data = {"package_id": package_id, **resource_dict(resource)}
        if resource.get("file"):
            path = FILES_DIR / resource["file"]
            with path.open("rb") as stream:
                data["upload"] = FileStorage(stream=stream, filename=path.name)
                data["url"] = path.name
                tk.get_action("resource_create")(self._context(), data)
        else:
            data["url"] = resource["url"]
            tk.get_action("resource_create")(self._context(), data)
        self.report.count("resources", True)


def _english_extras(item: dict[str, Any], keys: tuple[str, ...]) -> list[dict[str, str]]:
    """English texts of organisations and categories (groups have no bilingual schema)."""
    return [
        {"key": f"{key}_en", "value": english(item.get(key))}
        for key in keys
        if english(item.get(key))
    ]


def bilingual(value: Any) -> dict[str, Any]:
    """A ``{de, en}`` value of the content file as the schema stores it (no empty languages)."""
    if not isinstance(value, dict):
        return {"de": value} if value else {}
    return {language: text for language, text in value.items() if text}


def _iso(value: Any) -> str | None:
    """Dates come from YAML as ``datetime.date``; the API takes ISO 8601 text."""
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _term(vocabulary: str, code: Any) -> str | None:
    """The stored value (URI or code) of a vocabulary term named by its code or alias."""
    if not code:
        return None
    term = vocabularies.get(vocabulary).find(code)
    if term is None:
        raise ValueError(f"{code!r} is not in the vocabulary {vocabulary}")
    return term.value


def _geocoding_description(district_codes: list[str]) -> dict[str, str] | None:
    """Data about single districts name them (GovData convention K10: no geocoding key fits)."""
    if not district_codes:
        return None
    districts = vocabularies.get("districts")
    names = ", ".join(districts.find(code).label["de"] for code in district_codes)
    return {"de": f"Jena, Ortsteile: {names}", "en": f"Jena, districts: {names}"}


def dataset_dict(dataset: dict[str, Any]) -> dict[str, Any]:
    """Map one demo dataset onto the fields of the portal's dataset schema."""
    temporal = dataset.get("temporal") or {}
    period = {key: _iso(temporal.get(key)) for key in ("start", "end") if temporal.get(key)}
    sensor = dataset.get("sensor") or {}
    contact = dataset.get("contact") or {}
    districts = list(dataset.get("districts") or [])
    fields = {
        "name": dataset["name"],
        "title_translated": bilingual(dataset["title"]),
        "notes_translated": bilingual(dataset.get("notes")),
        "tags_translated": bilingual(dataset.get("tags") or {}),
        "owner_org": dataset["organization"],
        "groups": [{"name": name} for name in dataset.get("categories", [])],
        "license_id": dataset.get("license") or None,
        "contact": [{"name": contact.get("name"), "email": contact.get("email")}] if contact else [],
        "frequency": _term("frequencies", dataset.get("frequency")),
        "temporal_coverage": [period] if period else [],
        "districts": districts,
        "spatial": json.dumps(bbox_geometry(dataset["spatial_bbox"])) if dataset.get("spatial_bbox") else None,
        "geocoding_description": _geocoding_description(districts),
        "smart_city_field_of_action": dataset.get("field_of_action"),
        "smart_city_measure": dataset.get("measure"),
        "hvd_category": [_term("hvd-categories", dataset["hvd_category"])] if dataset.get("hvd_category") else [],
        "issued": _iso(dataset.get("issued")),
        "modified": _iso(dataset.get("modified")),
        "sensor_observed_property": bilingual(sensor.get("observed_property")),
        "sensor_unit": sensor.get("unit"),
        "temporal_resolution": sensor.get("interval"),
    }
    return {key: value for key, value in fields.items() if value not in (None, "", [], {})}


def resource_dict(resource: dict[str, Any]) -> dict[str, Any]:
    """Map one demo resource onto the resource fields of the schema (without the file or URL)."""
    fields = {
        "name_translated": bilingual(resource["name"]),
        "description_translated": bilingual(resource.get("description")),
        "format": _term("file-types", resource.get("format")),
        "attribution_text": resource.get("attribution"),
    }
    return {key: value for key, value in fields.items() if value not in (None, "", [], {})}
