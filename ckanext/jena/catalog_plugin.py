"""The ``jena_dcat`` plugin: the portal's additions to ckanext-dcat's catalogue endpoints.

A plugin of its own because it chains actions of the ``dcat`` plugin, which must then be
enabled too (``ckan.plugins = … dcat jena_dcat``); the ``jena`` plugin works without ckanext-dcat.
The RDF profile itself is an entry point of ckanext-dcat (``jena_dcat_ap_de``), not a plugin.
"""
from __future__ import annotations

import ckan.plugins as plugins

from ckanext.jena import catalog


class JenaDCATPlugin(plugins.SingletonPlugin):
    plugins.implements(plugins.IActions)

    # IActions

    def get_actions(self):
        return {
            "dcat_catalog_show": catalog.dcat_catalog_show,
            "dcat_catalog_search": catalog.dcat_catalog_search,
        }
