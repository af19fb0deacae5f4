"""Namespaces and IRIs of the DCAT-AP.de export, and conversions between stored values and IRIs.

The Jena namespace ``https://opendata.jena.de/def/jena#`` holds the properties DCAT-AP.de has no
term for (Smart City field of action and measure, sensor facts, personal data, the portal
organisation); the portal's own code lists get IRIs under ``https://opendata.jena.de/def/``.
"""
from __future__ import annotations

from rdflib import Namespace, URIRef

from ckanext.jena.logic import vocabularies

DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")
# Older DCAT-AP.de namespaces that harvested catalogues still use; read, never written.
DCATDE_LEGACY = (Namespace("http://dcat-ap.de/def/dcatde/1.0.1/"), Namespace("http://dcat-ap.de/def/dcatde/1_0/"))
GEODCATAP = Namespace("http://data.europa.eu/930/")
JENA = Namespace("https://opendata.jena.de/def/jena#")

JENA_DEFINITIONS = "https://opendata.jena.de/def/"
DISTRICT_SCHEME = URIRef(JENA_DEFINITIONS + "district")
SMART_CITY_SCHEME = URIRef(JENA_DEFINITIONS + "smart-city")
PERSONAL_DATA_SCHEME = URIRef(JENA_DEFINITIONS + "personal-data")

IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
HVD_CATEGORY_SCHEME = URIRef("http://data.europa.eu/bna/asd487ae75")
LICENSE_SCHEME = URIRef("http://dcat-ap.de/def/licenses")
MUSTERDATENKATALOG = "https://musterdatenkatalog.de/def/musterdatensatz/"
# DCAT-AP.de 2.0 planned availability (dcatde:plannedAvailability), superseded by the EU table
LEGACY_PLANNED_AVAILABILITY = "http://dcat-ap.de/def/plannedAvailability/"
PLANNED_AVAILABILITY = "http://publications.europa.eu/resource/authority/planned-availability/"

BINDINGS = {"dcatde": DCATDE, "geodcatap": GEODCATAP, "jena": JENA}


def dcatde_terms(name: str) -> list[URIRef]:
    """A DCAT-AP.de property in the current namespace first, then in the older ones."""
    return [DCATDE[name]] + [namespace[name] for namespace in DCATDE_LEGACY]


def code_iri(scheme: URIRef, code: str) -> URIRef:
    return URIRef(f"{scheme}/{code}")


def code_of(scheme: URIRef, iri: str) -> str | None:
    """The code of an IRI of one of the portal's code lists, None for other IRIs."""
    prefix = f"{scheme}/"
    return iri[len(prefix):] if iri.startswith(prefix) and len(iri) > len(prefix) else None


def media_type_iri(media_type: str) -> URIRef | None:
    """The IANA IRI of a media type (``text/csv; charset=utf-8`` → …/text/csv)."""
    if media_type.startswith(IANA_MEDIA_TYPES) or media_type.startswith(IANA_MEDIA_TYPES.replace("https", "http", 1)):
        return URIRef(media_type)
    essence = media_type.split(";", 1)[0].strip().lower()
    return URIRef(IANA_MEDIA_TYPES + essence) if "/" in essence else None


def media_type_of(iri_or_text: str) -> str:
    for prefix in (IANA_MEDIA_TYPES, IANA_MEDIA_TYPES.replace("https", "http", 1)):
        if iri_or_text.startswith(prefix):
            return iri_or_text[len(prefix):]
    return iri_or_text


def file_type_iri(code: str) -> URIRef | None:
    term = vocabularies.get("file-types").find(code)
    return URIRef(term.uri) if term and term.uri else None


def file_type_code(iri_or_code: str) -> str | None:
    file_types = vocabularies.get("file-types")
    term = file_types.find(iri_or_code) or file_types.find(iri_or_code.rstrip("/").rsplit("/", 1)[-1])
    return term.value if term else None


def license_iri(license_id_or_uri: str | None) -> URIRef | None:
    """The dcat-ap.de licence IRI of a licence id of the register (or of its IRI)."""
    if not license_id_or_uri:
        return None
    term = vocabularies.get("licenses").find(license_id_or_uri)
    if term:
        return URIRef(term.uri)
    return URIRef(license_id_or_uri) if license_id_or_uri.startswith("http") else None


def license_id(iri: str) -> str | None:
    term = vocabularies.get("licenses").find(iri)
    return term.code if term else None


def planned_availability(iri: str) -> str:
    """An EU planned-availability IRI, also for the DCAT-AP.de 2.0 codes (``…/plannedAvailability/stable``)."""
    if iri.startswith(LEGACY_PLANNED_AVAILABILITY):
        return PLANNED_AVAILABILITY + iri[len(LEGACY_PLANNED_AVAILABILITY):].upper()
    return iri
