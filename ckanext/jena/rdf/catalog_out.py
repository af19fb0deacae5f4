"""The portal's dcat:Catalog: title, description and publisher (mandatory in DCAT-AP.de 3.0) in German
and English, the EU language IRIs and the EU data themes as theme taxonomy.

German texts are the portal's own (``ckan.site_title``, ``ckan.site_description``), English ones and
the publisher come from the ``ckanext.jena.catalog.*`` options.
"""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF

from ckanext.dcat.profiles import DCAT, DCT, FOAF, VCARD
from ckanext.dcat.profiles.base import CleanedURIRef

from ckanext.jena.rdf import terms

LANGUAGES = {
    "de": URIRef("http://publications.europa.eu/resource/authority/language/DEU"),
    "en": URIRef("http://publications.europa.eu/resource/authority/language/ENG"),
}
DATA_THEMES = URIRef("http://publications.europa.eu/resource/authority/data-theme")


def _option(name: str) -> str:
    value = tk.config.get(f"ckanext.jena.catalog.{name}")
    return value.strip() if isinstance(value, str) else ""


class CatalogOut:
    """Mixin of the profile (needs ``self.g``)."""

    def _add_jena_catalog(self, catalog_dict: dict[str, Any] | None, catalog_ref) -> None:
        g = self.g
        for prefix, namespace in terms.BINDINGS.items():
            g.bind(prefix, namespace)
        catalog_dict = catalog_dict or {}
        title = catalog_dict.get("title") or tk.config.get("ckan.site_title")
        description = catalog_dict.get("description") or tk.config.get("ckan.site_description") or title
        for predicate, german, english in (
            (DCT.title, title, _option("title_en")),
            (DCT.description, description, _option("description_en")),
        ):
            g.remove((catalog_ref, predicate, None))
            g.add((catalog_ref, predicate, Literal(german, lang="de")))
            if english:
                g.add((catalog_ref, predicate, Literal(english, lang="en")))

        g.remove((catalog_ref, DCT.language, None))
        offered = (tk.config.get("ckan.locales_offered") or ["de"])
        offered = offered.split() if isinstance(offered, str) else offered
        for language in offered:
            if language in LANGUAGES:
                g.add((catalog_ref, DCT.language, LANGUAGES[language]))
                g.add((LANGUAGES[language], RDF.type, DCT.LinguisticSystem))
        g.add((catalog_ref, DCAT.themeTaxonomy, DATA_THEMES))

        publisher = CleanedURIRef(_option("publisher_uri")) if _option("publisher_uri") else BNode()
        g.add((catalog_ref, DCT.publisher, publisher))
        g.add((publisher, RDF.type, FOAF.Organization))
        g.add((publisher, RDF.type, FOAF.Agent))
        g.add((publisher, FOAF.name, Literal(_option("publisher_name") or title, lang="de")))
        if _option("publisher_name_en"):
            g.add((publisher, FOAF.name, Literal(_option("publisher_name_en"), lang="en")))
        if _option("publisher_url"):
            g.add((publisher, FOAF.homepage, CleanedURIRef(_option("publisher_url"))))
        if _option("publisher_email"):
            g.add((publisher, VCARD.hasEmail, URIRef("mailto:" + _option("publisher_email"))))
