"""Where a harvested dataset came from, for its page: the harvest source and the original record.

Read from the database by package id rather than from the ``harvest_*`` extras ckanext-harvest
adds at index time, because the dataset page does not always come from the search index.
"""
from __future__ import annotations

from typing import Any

import ckan.plugins as p
from ckan import model


def dataset_origin(package_id: str | None) -> dict[str, Any] | None:
    """Source name, title and address, the record's original URL and its harvest object id;
    None for a dataset that was not harvested (or when the harvest plugin is off)."""
    if not package_id or not p.plugin_loaded("harvest"):
        return None
    from ckanext.harvest.model import HarvestObject, HarvestObjectExtra, HarvestSource

    from ckanext.jena.harvesters.base import ORIGINAL_URL

    source_package = model.meta.metadata.tables["package"].alias("source_package")
    row = (model.Session.query(HarvestObject.id, HarvestSource.id, HarvestSource.title,
                               HarvestSource.url, source_package.c.name)
           .join(HarvestSource, HarvestObject.harvest_source_id == HarvestSource.id)
           .outerjoin(source_package, source_package.c.id == HarvestSource.id)
           .filter(HarvestObject.package_id == package_id, HarvestObject.current.is_(True))
           .order_by(HarvestObject.import_finished.desc().nullslast())
           .first())
    if row is None:
        return None
    object_id, source_id, title, url, name = row
    original = (model.Session.query(HarvestObjectExtra.value)
                .filter(HarvestObjectExtra.harvest_object_id == object_id,
                        HarvestObjectExtra.key == ORIGINAL_URL).first())
    original_url = original[0] if original else None
    return {
        "source_id": source_id,
        "source_name": name or source_id,
        "source_title": title or url,
        "source_url": url,
        "original_url": original_url if original_url and original_url.startswith(("http://", "https://")) else None,
        "harvest_object_id": object_id,
    }
