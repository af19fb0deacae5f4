"""Datasets created before the bilingual schema, shown as if they had its fields.

Such datasets only have CKAN's own title, notes, tags, maintainer and resource names. Showing
those as the German values of the bilingual fields (and the maintainer as contact point) lets
their pages, the API and the edit form work unchanged; saving the form then stores them in the
new fields, which brings the dataset into compliance.
"""
from __future__ import annotations

from typing import Any

from ckanext.jena.logic import bilingual


def _missing(data: dict[str, Any], key: str) -> bool:
    if data.get(key) not in (None, "", {}, []):
        return False
    return not any(extra.get("key") == key for extra in data.get("extras") or [])


def fill_from_core_fields(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """Add ``*_translated`` and ``contact`` derived from core fields where they are missing."""
    for name in ("title", "notes"):
        if _missing(pkg_dict, f"{name}_translated") and pkg_dict.get(name):
            pkg_dict[f"{name}_translated"] = {bilingual.GERMAN: pkg_dict[name]}
    tag_names = [tag["name"] for tag in pkg_dict.get("tags") or [] if not tag.get("vocabulary_id")]
    if _missing(pkg_dict, "tags_translated") and tag_names:
        pkg_dict["tags_translated"] = {bilingual.GERMAN: tag_names}
    if _missing(pkg_dict, "contact"):
        for name_field, email_field in (("maintainer", "maintainer_email"), ("author", "author_email")):
            if pkg_dict.get(email_field):
                pkg_dict["contact"] = [{
                    "name": pkg_dict.get(name_field) or pkg_dict[email_field],
                    "email": pkg_dict[email_field],
                }]
                break
    for resource in pkg_dict.get("resources") or []:
        for name in ("name", "description"):
            if _missing(resource, f"{name}_translated") and resource.get(name):
                resource[f"{name}_translated"] = {bilingual.GERMAN: resource[name]}
    return pkg_dict
