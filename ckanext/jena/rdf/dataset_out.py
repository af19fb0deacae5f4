"""Dataset → RDF: what the Jena profile writes on top of ckanext-dcat's DCAT-AP 3 output.

ckanext-dcat writes the properties DCAT-AP 3 and the scheming fields share (titles, keywords,
themes, contact points, publisher, dates, temporal and spatial coverage, checksums, HVD). This
mixin adds the DCAT-AP.de properties and writes the values whose form DCAT-AP.de prescribes
itself: literal identifiers, EU file types, IANA media types, dcat-ap.de licences on every
distribution and access/download URLs following GovData's conventions.
"""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, SKOS

from ckanext.dcat.profiles import ADMS, DCAT, DCATAP, DCT, FOAF, GSP, LOCN, VCARD
from ckanext.dcat.profiles.base import CleanedURIRef
from ckanext.dcat.utils import catalog_uri, dataset_uri, resource_uri

from ckanext.jena.logic import geometry, legacy, vocabularies
from ckanext.jena.rdf import terms, values
from ckanext.jena.rdf.terms import DCATDE, GEODCATAP, JENA

CONTRIBUTOR_ID_OPTION = "ckanext.jena.contributor_id"
LEGACY_CONTACT_FIELDS = ("maintainer", "maintainer_email", "author", "author_email")
# Fields written here instead of by ckanext-dcat, whose form would not meet DCAT-AP.de
OWN_RESOURCE_FIELDS = ("url", "access_url", "download_url", "format", "mimetype", "license")


def portal_base() -> str:
    return catalog_uri().rstrip("/")


def organization_iri(organization_id: str) -> str:
    return f"{portal_base()}/organization/{organization_id}"


def dataset_page(name: str) -> str:
    return f"{portal_base()}/dataset/{name}"


def _wkt_number(number: float) -> str:
    return f"{number:.6f}".rstrip("0").rstrip(".")


def location_forms(value: Any) -> tuple[dict[str, str], bool]:
    """WKT literals that describe a stored GeoJSON geometry, and whether locn:geometry is needed too.

    A box is fully described by dcat:bbox and a point by dcat:centroid, literals in DCAT-AP.de 2.0
    and 3.0 alike. locn:geometry is kept (as the literal ckanext-dcat writes) only for other
    shapes: DCAT-AP 3.0.0's shapes want it as a node, while DCAT-AP.de 2.0, DCAT-AP 3.0.1 and
    ckanext-dcat's own reader (GovData's harvester among its users) want a literal.
    """
    if not value:
        return {}, True
    try:
        parsed = geometry.parse_geometry(value)
        extent = geometry.check_geometry(parsed, geometry.Bounds(-180, -90, 180, 90))
    except geometry.GeometryError:
        return {}, True
    if parsed["type"] == "Point":
        lon, lat = parsed["coordinates"][:2]
        return {"centroid": f"POINT({_wkt_number(lon)} {_wkt_number(lat)})"}, False
    if not (extent.min_lon < extent.max_lon and extent.min_lat < extent.max_lat):
        return {}, True
    box = [extent.min_lon, extent.min_lat, extent.max_lon, extent.max_lat]
    west, south, east, north = (_wkt_number(number) for number in box)
    bbox = f"POLYGON(({west} {south}, {east} {south}, {east} {north}, {west} {north}, {west} {south}))"
    return {"bbox": bbox}, parsed != geometry.bbox_polygon(box)


class DatasetOut:
    """Mixin of the profile (needs ``self.g`` and ckanext-dcat's helpers)."""

    @staticmethod
    def _with_schema_fields(dataset_dict: dict[str, Any]) -> dict[str, Any]:
        """A copy in which datasets from before the bilingual schema have its fields, derived from
        CKAN's own (search results skip ``after_dataset_show``, which does that for the API)."""
        copied = {**dataset_dict, "resources": [dict(resource) for resource in dataset_dict.get("resources") or []]}
        return legacy.fill_from_core_fields(copied) if copied.get("type", "dataset") == "dataset" else copied

    def _input_for_dcat_ap(self, dataset_dict: dict[str, Any]) -> dict[str, Any]:
        """A copy of the dataset for ckanext-dcat without what this profile writes itself.

        The organisation becomes the publisher when none is given, taken from the dataset dict
        instead of one ``organization_show`` per dataset; CKAN's maintainer/author fields are left
        out, the ``contact`` field replaces them.
        """
        prepared = {key: value for key, value in dataset_dict.items() if key not in LEGACY_CONTACT_FIELDS}
        organization = dataset_dict.get("organization") or {}
        if not values.as_records(dataset_dict.get("publisher")) and organization.get("id"):
            prepared["publisher"] = [{
                "name": organization.get("title") or organization.get("name"),
                "uri": organization_iri(organization["id"]),
            }]
        prepared["resources"] = [
            {key: value for key, value in resource.items() if key not in OWN_RESOURCE_FIELDS}
            for resource in dataset_dict.get("resources") or []
        ]
        return prepared

    # --- helpers --------------------------------------------------------------------------

    def _add_bilingual(self, subject, predicate, value: Any) -> None:
        for language, text in values.as_bilingual(value).items():
            self.g.add((subject, predicate, Literal(text, lang=language)))

    def _add_labelled_term(self, subject, predicate, iri: URIRef, term: vocabularies.Term | None, scheme: URIRef) -> None:
        self.g.add((subject, predicate, iri))
        self.g.add((iri, SKOS.inScheme, scheme))
        if term:
            self.g.add((iri, SKOS.notation, Literal(term.code)))
            for language, label in term.label.items():
                self.g.add((iri, SKOS.prefLabel, Literal(label, lang=language)))

    def _agent_node(self, agent: dict[str, Any]):
        node = CleanedURIRef(agent["uri"]) if values.text(agent.get("uri")) else BNode()
        self.g.add((node, RDF.type, FOAF.Agent))
        if values.text(agent.get("name")):
            self.g.add((node, FOAF.name, Literal(agent["name"].strip())))
        if values.text(agent.get("url")):
            self.g.add((node, FOAF.homepage, CleanedURIRef(agent["url"])))
        if values.text(agent.get("email")):
            self.g.add((node, VCARD.hasEmail, URIRef(self._add_mailto(agent["email"].strip()))))
        return node

    # --- dataset --------------------------------------------------------------------------

    def _add_jena_dataset(self, dataset_dict: dict[str, Any], dataset_ref) -> None:
        g = self.g
        for prefix, namespace in terms.BINDINGS.items():
            g.bind(prefix, namespace)

        # K25/K26: dct:identifier passed through (a literal), the portal's own id in adms:identifier
        g.remove((dataset_ref, DCT.identifier, None))
        identifier = values.text(dataset_dict.get("identifier")) or dataset_uri(dataset_dict)
        g.add((dataset_ref, DCT.identifier, Literal(identifier)))
        if dataset_dict.get("name"):
            own_id = BNode()
            g.add((dataset_ref, ADMS.identifier, own_id))
            g.add((own_id, RDF.type, ADMS.Identifier))
            g.add((own_id, SKOS.notation, Literal(dataset_page(dataset_dict["name"]))))

        # The dataset's licence (DCAT-AP.de 3.0 allows it on the dataset; distributions repeat it)
        dataset_license = terms.license_iri(dataset_dict.get("license_id"))
        if dataset_license:
            g.add((dataset_ref, DCT.license, dataset_license))
            g.add((dataset_license, RDF.type, DCT.LicenseDocument))

        self._add_contributor_ids(dataset_dict, dataset_ref)
        self._add_geocoding(dataset_dict, dataset_ref)
        self._shape_locations(dataset_dict, dataset_ref)
        self._add_bilingual(dataset_ref, DCATDE.geocodingDescription, dataset_dict.get("geocoding_description"))
        self._add_bilingual(dataset_ref, DCATDE.legalBasis, dataset_dict.get("legal_basis"))

        # Originator and maintainer: the DCAT-AP.de 2.0 terms and their 3.0 successors on one node
        for field_name, predicates in (
            ("originator", (DCATDE.originator, GEODCATAP.originator)),
            ("maintainer_agent", (DCATDE.maintainer, GEODCATAP.custodian)),
        ):
            for agent in values.as_records(dataset_dict.get(field_name)):
                node = self._agent_node(agent)
                for predicate in predicates:
                    g.add((dataset_ref, predicate, node))

        musterdatensatz = values.text(dataset_dict.get("musterdatenkatalog_uri"))
        if musterdatensatz:
            g.add((dataset_ref, DCT.references, CleanedURIRef(musterdatensatz)))

        for uri in values.as_list(dataset_dict.get("hvd_category")):
            term = vocabularies.get("hvd-categories").find(uri)
            self._add_labelled_term(dataset_ref, DCATAP.hvdCategory, URIRef(uri), term, terms.HVD_CATEGORY_SCHEME)
            g.add((URIRef(uri), RDF.type, SKOS.Concept))

        self._add_jena_facts(dataset_dict, dataset_ref)
        for resource in dataset_dict.get("resources") or []:
            self._add_jena_distribution(dataset_dict, resource, CleanedURIRef(resource_uri(resource)))

    def _add_contributor_ids(self, dataset_dict: dict[str, Any], dataset_ref) -> None:
        """K12/K13: the IDs a harvested dataset brings along, plus the portal's own, if configured."""
        contributor_ids = values.as_list(dataset_dict.get("contributor_id"))
        own = values.text(tk.config.get(CONTRIBUTOR_ID_OPTION))
        if own and own not in contributor_ids:
            contributor_ids.append(own)
        for uri in contributor_ids:
            self.g.add((dataset_ref, DCATDE.contributorID, CleanedURIRef(uri)))

    def _add_geocoding(self, dataset_dict: dict[str, Any], dataset_ref) -> None:
        """K08/K09/K11: political geocoding with its level, the same IRI again in dct:spatial."""
        geocoding = values.text(dataset_dict.get("political_geocoding_uri"))
        if geocoding:
            iri = CleanedURIRef(geocoding)
            self.g.add((dataset_ref, DCATDE.politicalGeocodingURI, iri))
            self.g.add((dataset_ref, DCT.spatial, iri))
        level = values.text(dataset_dict.get("political_geocoding_level_uri"))
        if level:
            self.g.add((dataset_ref, DCATDE.politicalGeocodingLevelURI, CleanedURIRef(level)))
        districts = vocabularies.get("districts")
        for code in values.as_list(dataset_dict.get("districts")):
            self._add_labelled_term(dataset_ref, DCT.spatial, terms.code_iri(terms.DISTRICT_SCHEME, code),
                                    districts.find(code), terms.DISTRICT_SCHEME)

    def _shape_locations(self, dataset_dict: dict[str, Any], dataset_ref) -> None:
        """The dataset's geometry as dcat:bbox or dcat:centroid; ckanext-dcat's locn:geometry stays
        only for shapes those cannot carry (see ``location_forms``)."""
        g = self.g
        literals, keep_geometry = location_forms(dataset_dict.get("spatial"))
        if not literals:
            return
        for location in list(g.objects(dataset_ref, DCT.spatial)):
            if (location, RDF.type, DCT.Location) not in g or (location, LOCN.geometry, None) not in g:
                continue
            if not keep_geometry:
                g.remove((location, LOCN.geometry, None))
            for key, predicate in (("bbox", DCAT.bbox), ("centroid", DCAT.centroid)):
                if key in literals and (location, predicate, None) not in g:
                    g.add((location, predicate, Literal(literals[key], datatype=GSP.wktLiteral)))

    def _add_jena_facts(self, dataset_dict: dict[str, Any], dataset_ref) -> None:
        """Smart City strategy, sensor facts, personal data and the portal organisation (Jena namespace)."""
        g = self.g
        for field_name, predicate, vocabulary, scheme in (
            ("smart_city_field_of_action", JENA.smartCityFieldOfAction, "smart-city-fields-of-action",
             terms.SMART_CITY_SCHEME),
            ("smart_city_measure", JENA.smartCityMeasure, "smart-city-measures", terms.SMART_CITY_SCHEME),
            ("personal_data", JENA.personalData, "personal-data", terms.PERSONAL_DATA_SCHEME),
        ):
            code = values.text(dataset_dict.get(field_name))
            if not code:
                continue
            term = vocabularies.get(vocabulary).find(code)
            iri = terms.code_iri(scheme, code)
            self._add_labelled_term(dataset_ref, predicate, iri, term, scheme)
            if term and term.extra.get("broader"):
                g.add((iri, SKOS.broader, terms.code_iri(scheme, term.extra["broader"])))
        self._add_bilingual(dataset_ref, JENA.observedProperty, dataset_dict.get("sensor_observed_property"))
        unit = values.text(dataset_dict.get("sensor_unit"))
        if unit:
            g.add((dataset_ref, JENA.unitOfMeasurement, Literal(unit)))
        organization = dataset_dict.get("organization") or {}
        if organization.get("id"):
            node = URIRef(organization_iri(organization["id"]))
            g.add((dataset_ref, JENA.organization, node))
            g.add((node, RDF.type, FOAF.Organization))
            g.add((node, FOAF.name, Literal(organization.get("title") or organization.get("name"))))

    # --- distributions --------------------------------------------------------------------

    def _add_jena_distribution(self, dataset_dict: dict[str, Any], resource: dict[str, Any], distribution) -> None:
        g = self.g
        url = values.text(resource.get("url"))
        download_url = values.text(resource.get("download_url"))
        # K39: a file of the portal is a direct download, so its URL is the download URL too
        if not download_url and resource.get("url_type") == "upload":
            download_url = url
        access_url = values.text(resource.get("access_url")) or url or download_url
        if access_url:
            g.add((distribution, DCAT.accessURL, CleanedURIRef(access_url)))
        if download_url:
            g.add((distribution, DCAT.downloadURL, CleanedURIRef(download_url)))

        file_format = values.text(resource.get("format"))
        if file_format:
            iri = terms.file_type_iri(file_format)
            g.add((distribution, DCT["format"], iri or Literal(file_format)))
            if iri:
                g.add((iri, RDF.type, DCT.MediaTypeOrExtent))
        media_type = terms.media_type_iri(values.text(resource.get("mimetype")))
        if media_type:
            g.add((distribution, DCAT.mediaType, media_type))
            g.add((media_type, RDF.type, DCT.MediaType))

        # K32: a dcat-ap.de licence on every distribution, the dataset's unless the resource has its own
        license_iri = terms.license_iri(resource.get("license") or dataset_dict.get("license_id"))
        if license_iri:
            g.add((distribution, DCT.license, license_iri))
            g.add((license_iri, RDF.type, DCT.LicenseDocument))
        attribution = values.text(resource.get("attribution_text"))
        if attribution:
            g.add((distribution, DCATDE.licenseAttributionByText, Literal(attribution)))
