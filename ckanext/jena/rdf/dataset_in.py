"""RDF → dataset: DCAT-AP.de 2.0 and 3.0 (and the older dcatde namespaces) into the portal's schema.

ckanext-dcat's DCAT-AP 3 parser fills the fields DCAT-AP and the scheming schema share; this
mixin reads the DCAT-AP.de properties, turns IRIs back into the values the schema stores (file
type codes, media types, licence ids, district and Smart City codes) and drops what the export
only derives (the dataset's own identifier and page, licences and URLs equal to their defaults),
so that a dataset read back from its own export equals the dataset.
"""
from __future__ import annotations

import json
from typing import Any

import ckan.plugins.toolkit as tk
from geomet import wkt
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import SKOS

from ckanext.dcat.profiles import ADMS, DCAT, DCT, FOAF, GSP, LOCN, VCARD

from ckanext.jena.logic import bilingual, vocabularies
from ckanext.jena.rdf import terms, values
from ckanext.jena.rdf.dataset_out import CONTRIBUTOR_ID_OPTION, portal_base
from ckanext.jena.rdf.terms import GEODCATAP, JENA

GEOCODING_PREFIX = "http://dcat-ap.de/def/politicalGeocoding/"
# Most specific first: the one kept when a dataset names several political geocodings
GEOCODING_KINDS = ("municipalityKey", "regionalKey", "municipalAssociationKey", "districtKey",
                   "governmentDistrictKey", "stateKey")
AGENT_KEYS = ("name", "uri", "email", "url")
CONTACT_KEYS = ("name", "email", "url")
LIST_FIELDS = ("theme", "language", "hvd_category", "applicable_legislation")
BILINGUAL_FIELDS = ("title_translated", "notes_translated")
RESOURCE_BILINGUAL_FIELDS = ("name_translated", "description_translated")


def _portal_of(dataset_ref) -> str | None:
    """The address of the portal a dataset IRI of the form ``<portal>/dataset/<id>`` belongs to."""
    text = str(dataset_ref)
    return text.rsplit("/dataset/", 1)[0] if isinstance(dataset_ref, URIRef) and "/dataset/" in text else None


def _geocoding_rank(iri: str) -> int:
    kind = iri[len(GEOCODING_PREFIX):].split("/", 1)[0]
    return GEOCODING_KINDS.index(kind) if kind in GEOCODING_KINDS else len(GEOCODING_KINDS)


def _geojson_of(literal) -> str | None:
    """A GeoJSON or WKT literal as GeoJSON text (a WKT's leading CRS IRI is dropped); None otherwise."""
    if not isinstance(literal, Literal):
        return None
    text = str(literal).strip()
    if literal.datatype != GSP.wktLiteral:
        try:
            decoded = json.loads(text)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict):
            return json.dumps(decoded)
    if text.startswith("<") and ">" in text:
        text = text.split(">", 1)[1].strip()
    try:
        return json.dumps(wkt.loads(text))
    except (ValueError, TypeError, AttributeError, IndexError, KeyError):
        return None


def _drop_extras(dataset_dict: dict[str, Any], keys) -> None:
    dataset_dict["extras"] = [extra for extra in dataset_dict.get("extras", []) if extra["key"] not in keys]


def _extra(dataset_dict: dict[str, Any], key: str) -> Any:
    for extra in dataset_dict.get("extras", []):
        if extra["key"] == key:
            return extra["value"]
    return None


class DatasetIn:
    """Mixin of the profile (needs ``self.g`` and ckanext-dcat's helpers)."""

    # --- helpers --------------------------------------------------------------------------

    def _parse_geodata(self, spatial, predicate, cur_value):
        """ckanext-dcat's geometry reader, also for DCAT-AP 3 geometry nodes (gsp:asWKT, gsp:asGeoJSON)."""
        found = {"geojson": None, "wkt": None}
        for value in self.g.objects(spatial, predicate):
            literals = [value] if isinstance(value, Literal) else [
                *self.g.objects(value, GSP.asGeoJSON), *self.g.objects(value, GSP.asWKT)]
            for literal in literals:
                kind = "wkt" if literal.datatype == GSP.wktLiteral else "geojson"
                found[kind] = found[kind] or _geojson_of(literal)
        return cur_value or found["geojson"] or found["wkt"]

    def _first_object(self, subject, predicates):
        for predicate in predicates:
            for value in self.g.objects(subject, predicate):
                return value
        return None

    def _all_objects(self, subject, predicates) -> list[Any]:
        found = []
        for predicate in predicates:
            for value in self.g.objects(subject, predicate):
                if value not in found:
                    found.append(value)
        return found

    def _bilingual_value(self, subject, predicates) -> dict[str, str]:
        """Literals by language; untagged ones count as the portal's default language."""
        languages = self._form_languages or list(bilingual.LANGUAGES)
        found: dict[str, str] = {}
        for literal in self._all_objects(subject, predicates):
            if not isinstance(literal, Literal) or not str(literal).strip():
                continue
            language = (literal.language or self._default_lang or bilingual.GERMAN).split("-")[0].lower()
            if language in languages:
                found.setdefault(language, str(literal).strip())
        return found

    def _agent(self, node) -> dict[str, str]:
        agent = {"uri": str(node) if isinstance(node, URIRef) else ""}
        names = self._bilingual_value(node, [FOAF.name])
        agent["name"] = names.get(bilingual.GERMAN) or next(iter(names.values()), "")
        email = self._object_value(node, FOAF.mbox) or self._object_value(node, VCARD.hasEmail)
        agent["email"] = self._without_mailto(email) if email else ""
        agent["url"] = self._object_value(node, FOAF.homepage)
        return {key: agent[key] for key in AGENT_KEYS if agent.get(key)}

    @staticmethod
    def _only(entries: list[dict[str, Any]], keys) -> list[dict[str, Any]]:
        cleaned = [{key: entry[key] for key in keys if entry.get(key)} for entry in entries]
        return [entry for entry in cleaned if entry]

    # --- dataset --------------------------------------------------------------------------

    def _parse_jena_dataset(self, dataset_dict: dict[str, Any], dataset_ref) -> dict[str, Any]:
        portal = _portal_of(dataset_ref)
        self._parse_identifiers(dataset_dict, dataset_ref, portal)
        self._parse_texts_and_lists(dataset_dict, dataset_ref)
        self._parse_agents(dataset_dict, dataset_ref, portal)
        self._parse_coverage(dataset_dict, dataset_ref)
        self._parse_jena_facts(dataset_dict, dataset_ref)
        dataset_license = self._parse_dataset_license(dataset_dict, dataset_ref)
        distributions = {str(node): node for node in self._distributions(dataset_ref)}
        for resource in dataset_dict.get("resources", []):
            node = distributions.get(resource.pop("distribution_ref", None))
            if node is not None:
                self._parse_distribution(resource, node, dataset_license)
        return dataset_dict

    def _parse_identifiers(self, dataset_dict, dataset_ref, portal) -> None:
        """dct:identifier is kept unless it is only the dataset's own IRI; the own page gives the name."""
        if dataset_dict.get("identifier") == str(dataset_ref):
            dataset_dict.pop("identifier")
        others = []
        for node in self.g.objects(dataset_ref, ADMS.identifier):
            notation = str(node) if isinstance(node, Literal) else self._object_value(node, SKOS.notation)
            own_page = f"{portal}/dataset/" if portal else None
            if own_page and notation.startswith(own_page) and "/" not in notation[len(own_page):]:
                dataset_dict.setdefault("name", notation[len(own_page):])
            elif notation:
                others.append(notation)
        _drop_extras(dataset_dict, {"alternate_identifier"})
        if others:
            dataset_dict["extras"].append({"key": "alternate_identifier", "value": json.dumps(sorted(others))})

    def _parse_texts_and_lists(self, dataset_dict, dataset_ref) -> None:
        languages = self._form_languages or list(bilingual.LANGUAGES)
        for field_name in BILINGUAL_FIELDS:
            if field_name in dataset_dict:
                dataset_dict[field_name] = {language: text for language, text in
                                            values.as_bilingual(dataset_dict[field_name]).items()
                                            if language in languages}
        if isinstance(dataset_dict.get("tags_translated"), dict):
            dataset_dict["tags_translated"] = {language: tags for language, tags in
                                               dataset_dict["tags_translated"].items()
                                               if tags and language in languages}
        for field_name in LIST_FIELDS:
            if field_name in dataset_dict:
                dataset_dict[field_name] = sorted(str(item) for item in values.as_list(dataset_dict[field_name]))
        for field_name, name in (("geocoding_description", "geocodingDescription"), ("legal_basis", "legalBasis")):
            text = self._bilingual_value(dataset_ref, terms.dcatde_terms(name))
            if text:
                dataset_dict[field_name] = text
        for node in self.g.objects(dataset_ref, DCT.references):
            if str(node).startswith(terms.MUSTERDATENKATALOG):
                dataset_dict["musterdatenkatalog_uri"] = str(node)
                break
        own = values.text(tk.config.get(CONTRIBUTOR_ID_OPTION))
        contributor_ids = sorted(str(node) for node in self._all_objects(dataset_ref, terms.dcatde_terms("contributorID"))
                                 if str(node) != own)
        if contributor_ids:
            dataset_dict["contributor_id"] = contributor_ids

    def _parse_agents(self, dataset_dict, dataset_ref, portal) -> None:
        if "contact" in dataset_dict:
            dataset_dict["contact"] = self._only(dataset_dict["contact"], CONTACT_KEYS)
        own_organizations = f"{portal_base()}/organization/"
        organization = self._object(dataset_ref, JENA.organization)
        if isinstance(organization, URIRef) and str(organization).startswith(own_organizations):
            dataset_dict.setdefault("owner_org", str(organization)[len(own_organizations):])
        publishers = self._only(dataset_dict.get("publisher") or [], AGENT_KEYS)
        # The organisation written as publisher because none was given stays implicit
        if portal and any(agent.get("uri", "").startswith(f"{portal}/organization/") for agent in publishers):
            publishers = []
        dataset_dict["publisher"] = publishers
        for field_name, predicates in (
            ("originator", [GEODCATAP.originator, *terms.dcatde_terms("originator")]),
            ("maintainer_agent", [GEODCATAP.custodian, *terms.dcatde_terms("maintainer")]),
        ):
            agents = [self._agent(node) for node in self._all_objects(dataset_ref, predicates)]
            unique = []
            for agent in agents:
                if agent and agent not in unique:
                    unique.append(agent)
            if unique:
                dataset_dict[field_name] = sorted(unique, key=lambda agent: (agent.get("name", ""), agent.get("uri", "")))
        for field_name in ("contact", "publisher"):
            if not dataset_dict.get(field_name):
                dataset_dict.pop(field_name, None)

    def _parse_coverage(self, dataset_dict, dataset_ref) -> None:
        """Political geocoding, districts and the geometry, from DCAT-AP.de 2.0 or from dct:spatial alone."""
        geocodings = [str(node) for node in self._all_objects(dataset_ref, terms.dcatde_terms("politicalGeocodingURI"))]
        spatial_iris = [str(node) for node in self.g.objects(dataset_ref, DCT.spatial) if isinstance(node, URIRef)]
        if not geocodings:
            geocodings = [iri for iri in spatial_iris
                          if iri.startswith(GEOCODING_PREFIX) and not iri.startswith(GEOCODING_PREFIX + "Level/")]
        if geocodings:
            dataset_dict["political_geocoding_uri"] = sorted(geocodings, key=_geocoding_rank)[0]
        level = self._first_object(dataset_ref, terms.dcatde_terms("politicalGeocodingLevelURI"))
        if level is not None:
            dataset_dict["political_geocoding_level_uri"] = str(level)
        district_vocabulary = vocabularies.get("districts")
        districts = [code for code in (terms.code_of(terms.DISTRICT_SCHEME, iri) for iri in spatial_iris)
                     if code and district_vocabulary.find(code)]
        if districts:
            dataset_dict["districts"] = sorted(districts)
        represented = set(geocodings) | {str(terms.code_iri(terms.DISTRICT_SCHEME, code)) for code in districts}
        if _extra(dataset_dict, "spatial_uri") in represented:
            _drop_extras(dataset_dict, {"spatial_uri"})
        if not dataset_dict.get("spatial"):
            geometry = _extra(dataset_dict, "spatial_bbox") or _extra(dataset_dict, "spatial_centroid")
            if geometry:
                dataset_dict["spatial"] = geometry
                _drop_extras(dataset_dict, {"spatial_bbox", "spatial_centroid"})
        if not dataset_dict.get("spatial"):
            geometry = self._geometry_without_type(dataset_ref)
            if geometry:
                dataset_dict["spatial"] = geometry

    def _geometry_without_type(self, dataset_ref) -> str | None:
        """A geometry of a dct:spatial node that does not say it is a dct:Location."""
        for node in self.g.objects(dataset_ref, DCT.spatial):
            for predicate in (LOCN.geometry, DCAT.bbox, DCAT.centroid):
                geometry = self._parse_geodata(node, predicate, None)
                if geometry:
                    return geometry
        return None

    def _parse_jena_facts(self, dataset_dict, dataset_ref) -> None:
        for field_name, predicate, scheme in (
            ("smart_city_field_of_action", JENA.smartCityFieldOfAction, terms.SMART_CITY_SCHEME),
            ("smart_city_measure", JENA.smartCityMeasure, terms.SMART_CITY_SCHEME),
            ("personal_data", JENA.personalData, terms.PERSONAL_DATA_SCHEME),
        ):
            node = self._object(dataset_ref, predicate)
            code = terms.code_of(scheme, str(node)) if node is not None else None
            if code:
                dataset_dict[field_name] = code
        observed = self._bilingual_value(dataset_ref, [JENA.observedProperty])
        if observed:
            dataset_dict["sensor_observed_property"] = observed
        unit = self._object_value(dataset_ref, JENA.unitOfMeasurement)
        if unit:
            dataset_dict["sensor_unit"] = unit

    def _parse_dataset_license(self, dataset_dict, dataset_ref) -> str | None:
        """The dataset's licence IRI: its own dct:license, else the one ckanext-dcat found on a distribution."""
        for node in self.g.objects(dataset_ref, DCT.license):
            license_id = terms.license_id(str(node))
            if license_id:
                dataset_dict["license_id"] = license_id
                break
        iri = terms.license_iri(dataset_dict.get("license_id"))
        return str(iri) if iri else None

    # --- distributions --------------------------------------------------------------------

    def _parse_distribution(self, resource: dict[str, Any], distribution, dataset_license: str | None) -> None:
        languages = self._form_languages or list(bilingual.LANGUAGES)
        for field_name in RESOURCE_BILINGUAL_FIELDS:
            if field_name in resource:
                resource[field_name] = {language: text for language, text in
                                        values.as_bilingual(resource[field_name]).items() if language in languages}
        file_format = resource.pop("format", None)
        code = terms.file_type_code(str(file_format)) if file_format else None
        if not code:
            node = self._object(distribution, DCT["format"])
            code = terms.file_type_code(str(node)) if node is not None and not isinstance(node, BNode) else None
        if code:
            resource["format"] = code
        if resource.get("mimetype"):
            resource["mimetype"] = terms.media_type_of(resource["mimetype"])
        license_node = self._object(distribution, DCT.license)
        resource.pop("license", None)
        if license_node is not None and str(license_node) != dataset_license:
            term = vocabularies.get("licenses").find(str(license_node))
            if term:
                resource["license"] = term.value
        attribution = self._first_object(distribution, terms.dcatde_terms("licenseAttributionByText"))
        if attribution is not None:
            resource["attribution_text"] = str(attribution)
        if resource.get("access_url") and resource["access_url"] == resource.get("url"):
            resource.pop("access_url")
        if not resource.get("availability"):
            legacy = self._first_object(distribution, terms.dcatde_terms("plannedAvailability"))
            if legacy is not None:
                resource["availability"] = terms.planned_availability(str(legacy))
        if "language" in resource:
            resource["language"] = sorted(str(item) for item in values.as_list(resource["language"]))
        if "applicable_legislation" in resource:
            resource["applicable_legislation"] = values.as_list(resource["applicable_legislation"])
