"""The ``jena`` plugin: wires the portal's templates, helpers, validators, CLI and translations into CKAN.

The plugin only connects interfaces to the modules that do the work: ``logic/validators.py``
(the dataset schema's validators), ``logic/action.py`` (input shape checks), ``logic/legacy.py`` (old datasets shown with the new fields),
``search.py`` (both languages in the search index and in free-text search) and ``logic/licenses.py`` (the licence list).
"""
from __future__ import annotations

from typing import Any

import ckan.plugins as plugins
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import DefaultTranslation

from ckanext.jena import search, translations
from ckanext.jena.logic import legacy, licenses


@tk.blanket.helpers
@tk.blanket.actions
@tk.blanket.validators
@tk.blanket.cli
@tk.blanket.config_declarations
class JenaPlugin(plugins.SingletonPlugin, DefaultTranslation):
    plugins.implements(plugins.IConfigurer)
    plugins.implements(plugins.ITranslation)
    plugins.implements(plugins.IPackageController, inherit=True)
    plugins.implements(plugins.IBlueprint)

    # IConfigurer

    def update_config(self, config):
        tk.add_template_directory(config, "templates")
        tk.add_public_directory(config, "public")
        licenses.use_packaged_licenses(config)

    # IBlueprint

    def get_blueprint(self):
        from ckanext.jena.views.pages import pages

        return [pages]

    # ITranslation

    def i18n_directory(self) -> str:
        return str(translations.catalog_directory())

    # IPackageController

    def after_dataset_show(self, context: Any, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        if pkg_dict.get("type") == "dataset":
            legacy.fill_from_core_fields(pkg_dict)
        return pkg_dict

    def before_dataset_index(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        return search.index_bilingual_texts(pkg_dict)

    def before_dataset_search(self, search_params: dict[str, Any]) -> dict[str, Any]:
        return search.search_in_both_languages(search_params)
