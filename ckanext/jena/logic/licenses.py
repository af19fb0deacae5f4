"""The dcat-ap.de licence list as CKAN's licence register.

CKAN reads its licences from the file or URL in ``licenses_group_url`` and offers no plugin
hook for them. The list ships inside this package, so its location is only known at run time:
when the option is not set, the plugin points it at the packaged file (from an editable
checkout and from an installed wheel alike). A deployment can still set its own list.
"""
from __future__ import annotations

from typing import Any

from ckanext.jena.logic import vocabularies

OPTION = "licenses_group_url"


def packaged_license_url() -> str:
    # CKAN strips "file://" and opens the rest as a path (no URL decoding), so no as_uri()
    return f"file://{vocabularies.LICENSE_FILE}"


def use_packaged_licenses(config: Any) -> None:
    """Point ``licenses_group_url`` at the packaged list unless the deployment set one."""
    if not config.get(OPTION):
        config[OPTION] = packaged_license_url()
