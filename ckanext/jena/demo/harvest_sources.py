"""The demo's harvest sources: one per Jena harvester, pointing at the sample source server.

The sources are defined in ``content.yaml`` (``harvest_sources``) relative to the server's
address, which the caller gives, since the stack lets the port change. Creating them is
idempotent: a source that exists keeps its id and datasets, and only follows the server to a
new address (or a changed definition), so running ``make portal`` again duplicates nothing.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.jena.demo.loader import read_content


@dataclass
class DemoSource:
    """A demo harvest source as the portal holds it, and what loading did to it."""
    source: dict[str, Any]
    outcome: str  # "created", "updated" or "kept"


def source_fields(definition: dict[str, Any], base_url: str) -> dict[str, Any]:
    """``harvest_source_create`` fields of one ``harvest_sources`` entry of the content file."""
    config = definition.get("config") or {}
    return {
        "name": definition["name"],
        "title": definition["title"],
        "notes": definition.get("description") or "",
        "url": base_url.rstrip("/") + definition["path"],
        "source_type": definition["type"],
        "owner_org": definition["organization"],
        "frequency": "MANUAL",
        "config": json.dumps(config, ensure_ascii=False, sort_keys=True) if config else "",
    }


def _field(source: dict[str, Any], key: str) -> Any:
    """A source setting, at the top level or (as some show paths return it) among the extras."""
    if source.get(key) is not None:
        return source[key]
    return next((extra["value"] for extra in source.get("extras") or [] if extra.get("key") == key),
                None)


def _differs(existing: dict[str, Any], wanted: dict[str, Any]) -> bool:
    def config(value: str | None) -> Any:
        return json.loads(value) if value else {}

    return (existing.get("url") != wanted["url"] or existing.get("title") != wanted["title"]
            or _field(existing, "source_type") != wanted["source_type"]
            or config(_field(existing, "config")) != config(wanted["config"]))


def ensure_sources(user_name: str, base_url: str,
                   content: dict[str, Any] | None = None) -> list[DemoSource]:
    """Create the demo's harvest sources that are missing, and move existing ones to ``base_url``."""
    content = content if content is not None else read_content()
    context = {"user": user_name, "ignore_auth": False}
    results = []
    for definition in content.get("harvest_sources", []):
        wanted = source_fields(definition, base_url)
        try:
            existing = tk.get_action("harvest_source_show")(dict(context), {"id": wanted["name"]})
        except tk.ObjectNotFound:
            existing = None
        if existing is None:
            source = tk.get_action("harvest_source_create")(dict(context), wanted)
            outcome = "created"
        elif _differs(existing, wanted):
            source = tk.get_action("harvest_source_update")(
                dict(context), {**wanted, "id": existing["id"]})
            outcome = "updated"
        else:
            source, outcome = existing, "kept"
        results.append(DemoSource(source, outcome))
    return results
