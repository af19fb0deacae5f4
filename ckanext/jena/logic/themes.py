"""The 13 EU data themes as CKAN groups (the categories GovData and DCAT-AP expect).

Each group is named after the theme's code in lower case (``agri``, ``econ``, …), has the German
label as title and keeps the English label in the extra ``title_en``, like the portal's other
categories. Its extra ``eu_themes`` holds the code: datasets in the group get the theme's URI
(see ``jena_dataset_consistency``), exactly as datasets in Jena's own categories do.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import ckan.plugins.toolkit as tk

from ckanext.jena.logic import vocabularies


@dataclass
class ThemeReport:
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def theme_groups() -> list[dict]:
    groups = []
    for term in vocabularies.get("data-themes").terms:
        groups.append({
            "name": term.code.lower(),
            "title": term.label["de"],
            "description": "",
            "extras": [
                {"key": "title_en", "value": term.label["en"]},
                {"key": "eu_themes", "value": term.code},
            ],
        })
    return groups


def create_theme_groups(user_name: str) -> ThemeReport:
    """Create the groups that do not exist yet; existing ones are left as they are."""
    report = ThemeReport()
    for group in theme_groups():
        try:
            tk.get_action("group_show")({"user": user_name}, {"id": group["name"], "include_datasets": False})
        except tk.ObjectNotFound:
            tk.get_action("group_create")({"user": user_name}, group)
            report.created.append(group["name"])
        else:
            report.kept.append(group["name"])
    return report
