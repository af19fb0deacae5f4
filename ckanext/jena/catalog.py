"""The DCAT catalogue endpoint without the datasets of chosen harvest sources.

GovData harvests the portal's catalogue; datasets the portal itself harvested from sources that
GovData already receives directly would reach it twice. ``ckanext.jena.catalog.exclude_harvest_sources``
names those sources, and the catalogue actions of ckanext-dcat (``/catalog.{ttl,rdf,jsonld}``) are
chained to leave their datasets out with one more Solr filter, so paging and ``modified_since``
keep working unchanged.
"""
from __future__ import annotations

import logging
from typing import Any

import ckan.plugins.toolkit as tk

log = logging.getLogger(__name__)

EXCLUDE_OPTION = "ckanext.jena.catalog.exclude_harvest_sources"


def _quoted(values: list[str]) -> str:
    return " OR ".join('"{}"'.format(value.replace("\\", "").replace('"', "")) for value in values)


def excluded_source_ids() -> list[str]:
    """Ids of the configured harvest sources (configured by id or name), with one search."""
    wanted = [value for value in tk.aslist(tk.config.get(EXCLUDE_OPTION)) if value.strip()]
    if not wanted:
        return []
    found = tk.get_action("package_search")(
        {"ignore_auth": True},
        {
            "q": "name:({0}) OR id:({0})".format(_quoted(wanted)),
            "fq": "+dataset_type:harvest",
            "fl": "id name",
            "rows": 2 * len(wanted),
            "include_private": True,
        },
    )["results"]
    known = {source["name"]: source["id"] for source in found} | {source["id"]: source["id"] for source in found}
    unknown = [value for value in wanted if value not in known]
    if unknown:
        log.warning("%s: no harvest source named %s; used as ids as they are", EXCLUDE_OPTION, ", ".join(unknown))
    return sorted({known.get(value, value) for value in wanted})


def without_excluded_sources(data_dict: dict[str, Any]) -> dict[str, Any]:
    """The catalogue request with a filter that leaves out the excluded sources' datasets."""
    source_ids = excluded_source_ids()
    if not source_ids:
        return data_dict
    exclusion = "-harvest_source_id:({})".format(_quoted(source_ids))
    requested = data_dict.get("fq")
    return {**data_dict, "fq": f"({requested}) {exclusion}" if requested else exclusion}


@tk.side_effect_free
@tk.chained_action
def dcat_catalog_show(original_action, context, data_dict):
    return original_action(context, without_excluded_sources(data_dict))


@tk.side_effect_free
@tk.chained_action
def dcat_catalog_search(original_action, context, data_dict):
    return original_action(context, without_excluded_sources(data_dict))
