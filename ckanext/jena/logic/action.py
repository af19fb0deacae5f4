"""Chained dataset actions: a clear message for wrongly shaped input before CKAN validates it.

CKAN's validation framework refuses a repeating field that is not a list of objects (e.g.
``"contact": "Stadt Jena"``) with an untranslated internal error. Checking the shape first
gives API clients the same kind of field message as every other validation rule.
"""
from __future__ import annotations

import functools
from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.jena.logic import schema_doc

__all__ = ["package_create", "package_update"]

CORE_LISTS_OF_OBJECTS = ("resources", "tags", "extras", "groups")
MAX_FREE_EXTRAS = 100
MAX_FREE_EXTRA_LENGTH = 100_000


@functools.lru_cache(maxsize=1)
def _field_kinds() -> dict[str, dict[str, str]]:
    """Per level (dataset, resource): field name → "repeating", "bilingual", "multiple" or "plain"."""
    schema = schema_doc.load_schema()
    kinds: dict[str, dict[str, str]] = {}
    for level in ("dataset", "resource"):
        kinds[level] = {}
        for field in schema[f"{level}_fields"]:
            if "repeating_subfields" in field:
                kind = "repeating"
            elif str(field.get("preset", "")).startswith("fluent"):
                kind = "bilingual"
            elif str(field.get("preset", "")).startswith("jena_multiple"):
                kind = "multiple"
            else:
                kind = "plain"
            kinds[level][field["field_name"]] = kind
    for name in CORE_LISTS_OF_OBJECTS:
        kinds["dataset"][name] = "repeating"
    return kinds


def _is_list_of_objects(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def _holds_objects(value: Any) -> bool:
    return isinstance(value, list) and any(isinstance(item, (dict, list)) for item in value)


def _shape_problems(data: dict[str, Any], kinds: dict[str, str]) -> dict[str, list[str]]:
    """Fields whose value has a shape CKAN's validation framework cannot take apart."""
    problems: dict[str, list[str]] = {}
    for name, kind in kinds.items():
        value = data.get(name)
        if value in (None, ""):
            continue
        if kind == "repeating" and not _is_list_of_objects(value):
            problems[name] = [tk._("Expected a list of objects (entries with named fields).")]
        elif kind == "bilingual" and _holds_objects(value):
            problems[name] = [tk._("Expected a text or an object with the languages {languages}.").format(
                languages="de, en")]
        elif kind == "multiple" and isinstance(value, dict):
            problems[name] = [tk._("Expected a list of values.")]
        elif kind in ("plain", "multiple") and (isinstance(value, dict) or _holds_objects(value)):
            problems[name] = [tk._("Expected a single value, not a list or an object.")]
    return problems


def check_shapes(data_dict: dict[str, Any]) -> None:
    """Raise a ValidationError naming every field whose value has the wrong shape."""
    kinds = _field_kinds()
    errors: dict[str, Any] = _shape_problems(data_dict, kinds["dataset"])
    if "resources" not in errors:
        resource_errors = [_shape_problems(resource, kinds["resource"]) for resource in data_dict.get("resources") or []]
        if any(resource_errors):
            errors["resources"] = resource_errors
    if "extras" not in errors:
        extras_error = _free_extras_problem(data_dict.get("extras") or [])
        if extras_error:
            errors["extras"] = [extras_error]
    if errors:
        raise tk.ValidationError(errors)


def _free_extras_problem(extras: list[dict[str, Any]]) -> str | None:
    """Free key/value extras are stored and indexed as they come: keep them reasonably small."""
    if len(extras) > MAX_FREE_EXTRAS:
        return tk._("Too many entries: at most {max} are allowed.").format(max=MAX_FREE_EXTRAS)
    for extra in extras:
        value = extra.get("value")
        if isinstance(value, str) and len(value) > MAX_FREE_EXTRA_LENGTH:
            return tk._("The text is too long: at most {max} characters are allowed.").format(
                max=MAX_FREE_EXTRA_LENGTH)
    return None


@tk.chained_action
def package_create(original_action, context, data_dict):
    check_shapes(data_dict)
    return original_action(context, data_dict)


@tk.chained_action
def package_update(original_action, context, data_dict):
    check_shapes(data_dict)
    return original_action(context, data_dict)
