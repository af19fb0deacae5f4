"""Which datasets would fail the schema's validation, and why (``ckan jena check-metadata``).

Each dataset is shown and validated exactly as if it were saved unchanged through the API, with
the same validators; nothing is written. Old datasets that only need their core fields copied
into the bilingual ones pass (saving converts them); the others are listed with the reasons.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

import ckan.plugins.toolkit as tk
from ckan.lib.plugins import lookup_package_plugin

from ckanext.jena.logic import schema_doc


@dataclass
class Finding:
    name: str
    problems: list[tuple[str, str]]


def _dataset_names() -> Iterator[str]:
    rows, start = 500, 0
    while True:
        result = tk.get_action("package_search")(
            {"ignore_auth": True},
            {"q": "*:*", "fq": "+dataset_type:dataset", "rows": rows, "start": start, "include_private": True,
             "include_drafts": True, "fl": "name", "sort": "name asc"},
        )
        for dataset in result["results"]:
            yield dataset["name"]
        start += rows
        if start >= result["count"]:
            return


def _labels(language: str) -> dict[str, str]:
    """Field name → label in the portal's language, for readable reports."""
    schema = schema_doc.load_schema()
    labels = {}
    for group in ("dataset_fields", "resource_fields"):
        for field in schema[group]:
            label = field.get("label") or {}
            labels[field["field_name"]] = label.get(language) or label.get("de") or field["field_name"]
    return labels


def _flatten(errors: Any, path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    if isinstance(errors, dict):
        for key, value in errors.items():
            yield from _flatten(value, path + (key,))
    elif isinstance(errors, list):
        for index, item in enumerate(errors):
            if isinstance(item, (dict, list)):
                yield from _flatten(item, path + (index,))
            elif item:
                yield path, str(item)


def _describe(path: tuple, labels: dict[str, str]) -> str:
    parts = []
    for part in path:
        if isinstance(part, int):
            parts.append(str(part + 1))
        else:
            parts.append(labels.get(part, str(part)))
    return " › ".join(parts)


def validate_dataset(name: str, user_name: str) -> list[tuple[tuple, str]]:
    context: dict[str, Any] = {"user": user_name, "ignore_auth": True, "use_cache": False}
    dataset = tk.get_action("package_show")(context, {"id": name})
    # the toolkit has no dry run of package_update: validate the way package_update does
    plugin = lookup_package_plugin(dataset.get("type"))
    schema = plugin.update_package_schema()
    result = plugin.validate(context, dataset, schema, "package_update") if hasattr(plugin, "validate") else None
    _data, errors = result if result is not None else tk.navl_validate(dataset, schema, context)
    return list(_flatten(errors))


def check_all(user_name: str, language: str) -> Iterator[Finding]:
    """Findings for every dataset that would not pass validation."""
    labels = _labels(language)
    for name in _dataset_names():
        problems = validate_dataset(name, user_name)
        if problems:
            yield Finding(name, [(_describe(path, labels), message) for path, message in problems])
