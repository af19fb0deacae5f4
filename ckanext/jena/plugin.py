"""The ``jena`` plugin: wires the portal's templates, helpers, CLI and translations into CKAN."""
from __future__ import annotations

import ckan.plugins as plugins
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import DefaultTranslation

from ckanext.jena import translations


@tk.blanket.helpers
@tk.blanket.cli
@tk.blanket.config_declarations
class JenaPlugin(plugins.SingletonPlugin, DefaultTranslation):
    plugins.implements(plugins.IConfigurer)
    plugins.implements(plugins.ITranslation)

    # IConfigurer

    def update_config(self, config):
        tk.add_template_directory(config, "templates")
        tk.add_public_directory(config, "public")

    # ITranslation

    def i18n_directory(self) -> str:
        return str(translations.catalog_directory())
