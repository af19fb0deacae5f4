"""Harvester for DCAT-AP.de catalogues (RDF/XML, Turtle, JSON-LD, N-Triples; Hydra paging).

Records are read with the portal's own RDF profile (``jena_dcat_ap_de``, through ckanext-dcat's
parser), so a dataset harvested from another DCAT-AP.de portal lands in the same fields as one
entered here. Unlike ckanext-dcat's ``dcat_rdf`` harvester, every page is read with the safe
client and hardened parsers, an incomplete listing (a failed page, a loop, fewer datasets than
the catalogue announces) fails the job instead of deleting, and one broken dataset fails alone.
"""
from __future__ import annotations

import json
from typing import Any, Iterator
from urllib.parse import urljoin

import ckan.plugins as p
from rdflib import URIRef
from rdflib.namespace import Namespace

from ckanext.dcat.processors import RDFParser
from ckanext.harvest.interfaces import IHarvester

from ckanext.jena.harvesters.base import JenaHarvester, Record, SourceRun, canonical_json
from ckanext.jena.harvesters.messages import N_, HarvestMessage, RecordError, SourceError
from ckanext.jena.harvesters.parsing import InvalidBytes, decode_text_replacing, parse_rdf

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
RDF_FORMATS = {"turtle": "text/turtle", "xml": "application/rdf+xml",
               "json-ld": "application/ld+json", "nt": "application/n-triples"}
# The portal's own profile, whatever the portal's catalogue is configured to write.
DEFAULT_PROFILES = ["jena_dcat_ap_de"]
ACCEPT = ("text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.8, "
          "application/n-triples;q=0.7")


class JenaDcatHarvester(JenaHarvester, p.SingletonPlugin):
    p.implements(IHarvester)

    HARVESTER_NAME = "jena_dcat"
    TITLE = N_("DCAT-AP.de catalogue (Jena)")
    DESCRIPTION = N_("Datasets of a DCAT-AP.de catalogue in RDF/XML, Turtle or JSON-LD, "
                     "with Hydra paging.")

    def config_keys(self):
        return {"rdf_format", "profiles"}

    def check_config(self, config):
        problems = []
        if "rdf_format" in config and config["rdf_format"] not in RDF_FORMATS:
            problems.append(HarvestMessage(
                N_("rdf_format must be one of: {formats}."), formats=", ".join(RDF_FORMATS)))
        profiles = config.get("profiles")
        if profiles is not None and not (isinstance(profiles, list) and profiles
                                         and all(isinstance(item, str) for item in profiles)):
            problems.append(HarvestMessage(N_("profiles must be a list of RDF profile names.")))
        elif profiles:
            try:
                RDFParser(profiles=profiles)
            except Exception as error:
                problems.append(HarvestMessage(
                    N_("Unknown RDF profile: {problem}"), problem=str(error)))
        return problems

    def list_records(self, run: SourceRun) -> Iterator[Record]:
        url: str | None = run.url
        visited: list[str] = []
        announced: int | None = None
        datasets = 0
        max_pages = int(p.toolkit.config.get("ckanext.jena.harvest.max_pages"))
        while url:
            if url in visited:
                raise SourceError(N_(
                    "The catalogue's pages lead back to {url} (page {page}); the listing is "
                    "incomplete."), url=url, page=visited.index(url) + 1)
            if len(visited) >= max_pages:
                raise SourceError(N_(
                    "The catalogue has more than {count} pages; the listing was stopped."),
                    count=max_pages)
            visited.append(url)
            parser, damaged = self._read_page(run, url, len(visited))
            if announced is None:
                announced = _announced_total(parser)
            for record in self._records(parser, url, damaged):
                datasets += 1
                yield record
            next_page = parser.next_page()
            url = urljoin(url, next_page) if next_page else None
        if announced is not None and datasets < announced:
            raise SourceError(N_(
                "The catalogue announces {announced} datasets but its pages list only {found}; "
                "the listing is incomplete."), announced=announced, found=datasets)

    def _read_page(self, run: SourceRun, url: str, page: int) -> tuple[RDFParser, bool]:
        """The page's graph, and whether bytes of it had to be replaced (see ``_records``)."""
        document = run.client.get(url, accept=ACCEPT)
        media_type = RDF_FORMATS.get(run.config.get("rdf_format", ""), "") or document.media_type
        media_type = media_type or _format_from_url(url)
        damaged = False
        try:
            try:
                graph = parse_rdf(document.body, media_type, base=document.url,
                                  charset=document.charset)
            except InvalidBytes:
                # a wrong byte in one dataset's text should fail that dataset, not the catalogue
                text = decode_text_replacing(document.body, document.charset)
                graph = parse_rdf(text.encode("utf-8"), media_type, base=document.url,
                                  charset="utf-8")
                damaged = True
        except SourceError as error:
            raise SourceError(N_("Page {page} of the catalogue ({url}): {problem}"),
                              page=page, url=url, problem=error.message)
        parser = RDFParser(profiles=run.config.get("profiles") or DEFAULT_PROFILES)
        parser.g = graph
        return parser, damaged

    def _records(self, parser: RDFParser, page_url: str, damaged: bool) -> Iterator[Record]:
        """One record per dcat:Dataset; a dataset the profile cannot read fails alone, and so
        does one with text from bytes the page's encoding does not allow (``damaged``)."""
        for dataset_ref in parser._datasets():
            uri = str(dataset_ref) if isinstance(dataset_ref, URIRef) else None
            dataset: dict[str, Any] = {}
            try:
                for profile_class in parser._profiles:
                    profile_class(parser.g, dataset_type=parser.dataset_type,
                                  compatibility_mode=parser.compatibility_mode
                                  ).parse_dataset(dataset, dataset_ref)
            except Exception as error:
                yield Record(guid=uri, content=json.dumps({"uri": uri, "page": page_url}),
                             original_url=uri, error=HarvestMessage(
                                 N_("The dataset {uri} could not be read: {problem}"),
                                 uri=uri or "?", problem=f"{type(error).__name__}: {error}"))
                continue
            guid = dataset.get("identifier") or uri
            content = canonical_json(dataset)
            problem = None
            if damaged and "\ufffd" in content:
                problem = HarvestMessage(N_(
                    "The dataset {uri} contains bytes that are not valid in the encoding of its "
                    "page; it was not imported."), uri=uri or guid or "?")
            yield Record(guid=guid, content=content, original_url=dataset.get("url") or uri,
                         error=problem)

    def to_dataset(self, content: str, run: SourceRun) -> dict[str, Any]:
        dataset = json.loads(content)
        if not isinstance(dataset, dict):
            raise RecordError(N_("The stored record is not a dataset."))
        # the portal names its datasets itself; the source's name and id stay the source's
        dataset.pop("name", None)
        dataset.pop("id", None)
        return dataset


def _announced_total(parser: RDFParser) -> int | None:
    for subject in parser.g.subjects(HYDRA.totalItems, None):
        value = parser.g.value(subject, HYDRA.totalItems)
        try:
            return int(value)
        except (TypeError, ValueError):
            return None
    return None


def _format_from_url(url: str) -> str:
    path = url.split("?", 1)[0].lower()
    for ending, media_type in ((".ttl", "text/turtle"), (".rdf", "application/rdf+xml"),
                               (".xml", "application/rdf+xml"), (".jsonld", "application/ld+json"),
                               (".nt", "application/n-triples")):
        if path.endswith(ending):
            return media_type
    return "application/rdf+xml"
