"""Harvester for OGC catalogues (CSW 2.0.2) with ISO 19139 records, such as GDI-DE and GDI-Th.

Unlike ckanext-spatial's ``csw`` harvester, which lists ten brief records per page and then asks
for every record on its own, each GetRecords page here brings the full ISO records
(``outputSchema`` gmd, ``ElementSetName`` full): one request per page, none per record. The
listing must be complete: every page must report the same ``numberOfRecordsMatched``,
``nextRecord`` must move on, and the number of records read must reach the announced number;
otherwise the job imports and withdraws nothing. See docs/harvest-csw.md.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from lxml import etree

from ckanext.harvest.interfaces import IHarvester

from ckanext.jena.harvesters import iso
from ckanext.jena.harvesters.base import JenaHarvester, Record, SourceRun, canonical_json
from ckanext.jena.harvesters.messages import N_, HarvestMessage, RecordError, SourceError
from ckanext.jena.harvesters.parsing import parse_xml

log = logging.getLogger(__name__)

CSW = "http://www.opengis.net/cat/csw/2.0.2"
OWS = "http://www.opengis.net/ows"
NS = {"csw": CSW, "ows": OWS, "ows11": "http://www.opengis.net/ows/1.1", **iso.NS}
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
MAX_CQL_LENGTH = 2000
ACCEPT = "application/xml, text/xml;q=0.9"
# Parameters the harvester sets; the same names in the source address (any case) are replaced.
OWN_PARAMETERS = {"service", "version", "request", "typenames", "namespace", "outputschema",
                  "elementsetname", "resulttype", "startposition", "maxrecords",
                  "constraintlanguage", "constraint_language_version", "constraint"}


class JenaCswHarvester(JenaHarvester, p.SingletonPlugin):
    p.implements(IHarvester)

    HARVESTER_NAME = "jena_csw"
    TITLE = N_("CSW catalogue with ISO metadata (Jena)")
    DESCRIPTION = N_("ISO 19139 records of an OGC catalogue service (CSW 2.0.2), such as GDI-DE "
                     "or the Thuringian geoportal, mapped onto the Jena schema.")

    def config_keys(self):
        return {"page_size", "cql", "include_services"}

    def check_config(self, config):
        return check_config(config)

    def list_records(self, run: SourceRun) -> Iterator[Record]:
        return iter(records_of(read_listing(run), run))

    def to_dataset(self, content: str, run: SourceRun) -> dict[str, Any]:
        return to_dataset(content)


# -- configuration -------------------------------------------------------------------------------

def check_config(config: dict[str, Any]) -> list[HarvestMessage]:
    problems = []
    size = config.get("page_size", DEFAULT_PAGE_SIZE)
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_PAGE_SIZE:
        problems.append(HarvestMessage(
            N_("page_size must be a whole number from 1 to {max}."), max=MAX_PAGE_SIZE))
    cql = config.get("cql", "")
    if not isinstance(cql, str) or len(cql) > MAX_CQL_LENGTH:
        problems.append(HarvestMessage(N_(
            "cql must be a CQL filter of at most {max} characters, such as {example}."),
            max=MAX_CQL_LENGTH, example="type = 'dataset'"))
    if not isinstance(config.get("include_services", False), bool):
        problems.append(HarvestMessage(N_("include_services must be true or false.")))
    return problems


# -- listing -------------------------------------------------------------------------------------

def endpoint(url: str, own: set[str] = OWN_PARAMETERS) -> tuple[str, list[tuple[str, str]]]:
    """The service's address and the query parameters of the source URL it keeps (such as a
    GeoNetwork portal's own), without the OGC parameters (``own``) the harvester sets itself."""
    parts = urlsplit(url.strip())
    kept = [(name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True)
            if name.lower() not in own]
    return urlunsplit(parts._replace(query="", fragment="")), kept


def get_records_url(url: str, config: dict[str, Any], start: int) -> str:
    """A GetRecords request as KVP (HTTP GET): full ISO records from ``start`` on."""
    base, kept = endpoint(url)
    parameters = kept + [
        ("SERVICE", "CSW"), ("VERSION", "2.0.2"), ("REQUEST", "GetRecords"),
        ("TYPENAMES", "csw:Record"),
        ("NAMESPACE", f"xmlns(csw={CSW})"),
        ("OUTPUTSCHEMA", iso.GMD), ("ELEMENTSETNAME", "full"), ("RESULTTYPE", "results"),
        ("STARTPOSITION", str(start)),
        ("MAXRECORDS", str(int(config.get("page_size", DEFAULT_PAGE_SIZE))))]
    cql = (config.get("cql") or "").strip()
    if cql:
        parameters += [("CONSTRAINTLANGUAGE", "CQL_TEXT"), ("CONSTRAINT_LANGUAGE_VERSION", "1.1.0"),
                       ("CONSTRAINT", cql)]
    return f"{base}?{urlencode(parameters)}"


def record_url(url: str, identifier: str) -> str:
    """The GetRecordById address of one record: where an operator reads the original."""
    base, kept = endpoint(url)
    return f"{base}?" + urlencode(kept + [
        ("SERVICE", "CSW"), ("VERSION", "2.0.2"), ("REQUEST", "GetRecordById"), ("ID", identifier),
        ("OUTPUTSCHEMA", iso.GMD), ("ELEMENTSETNAME", "full")])


def read_listing(run: SourceRun) -> list[etree._Element]:
    """Every record element of the catalogue's result set, or a SourceError."""
    max_pages = int(tk.config.get("ckanext.jena.harvest.max_pages"))
    elements: list[etree._Element] = []
    matched: int | None = None
    start = 1
    page = 0
    while True:
        if page >= max_pages:
            raise SourceError(N_(
                "The catalogue has more than {pages} pages of records "
                "(ckanext.jena.harvest.max_pages); the listing was stopped."), pages=max_pages)
        page += 1
        url = get_records_url(run.url, run.config, start)
        results = read_page(run, url, page)
        page_matched = _count(results, "numberOfRecordsMatched", page, url)
        returned = list(results)
        if matched is None:
            matched = page_matched
        elif page_matched != matched:
            raise SourceError(N_(
                "The number of records of the catalogue changed from {before} to {after} while "
                "its pages were read; the listing is incomplete. The next harvest tries again."),
                before=matched, after=page_matched)
        elements.extend(returned)
        next_record = results.get("nextRecord")
        next_start = _integer(next_record) if next_record not in (None, "") else start + len(returned)
        if next_start is None:
            raise _not_csw(page, url, HarvestMessage(N_("nextRecord is not a number.")))
        finished = next_start == 0 or next_start > matched or (not returned and len(elements) >= matched)
        if finished:
            break
        if not returned or next_start <= start:
            raise SourceError(N_(
                "Page {page} of the catalogue ({url}) does not lead on (nextRecord {next}); "
                "{found} of {count} records were read, the listing is incomplete."),
                page=page, url=url, next=next_start, found=len(elements), count=matched)
        start = next_start
    if len(elements) != matched:
        raise SourceError(N_(
            "The catalogue reports {count} records, but its pages list {found}; the listing is "
            "incomplete."), count=matched, found=len(elements))
    return elements


def read_page(run: SourceRun, url: str, page: int) -> etree._Element:
    """The ``csw:SearchResults`` element of one GetRecords answer."""
    document = run.client.get(url, accept=ACCEPT)
    try:
        root = parse_xml(document.body, document.charset)
    except SourceError as error:
        raise SourceError(N_("Page {page} of the catalogue ({url}): {problem}"),
                          page=page, url=url, problem=error.message)
    exception = ows_exception(root)
    if exception is not None:
        raise SourceError(N_("The catalogue refused the request ({url}): {error}"),
                          url=url, error=exception)
    if etree.QName(root).localname != "GetRecordsResponse":
        raise _not_csw(page, url, HarvestMessage(
            N_("the answer is a {element} document, not a GetRecordsResponse."),
            element=etree.QName(root).localname))
    results = root.find(f"{{{CSW}}}SearchResults")
    if results is None:
        raise _not_csw(page, url, HarvestMessage(N_("the answer has no SearchResults.")))
    return results


def ows_exception(root: etree._Element) -> str | None:
    """The code and text of an OWS ExceptionReport (versions 1.0 and 1.1), if it is one."""
    if etree.QName(root).localname != "ExceptionReport":
        return None
    parts = []
    for exception in root.iter("{*}Exception"):
        code = exception.get("exceptionCode") or ""
        locator = exception.get("locator") or ""
        texts = [" ".join("".join(text.itertext()).split()) for text in exception.iter("{*}ExceptionText")]
        parts.append(" ".join(filter(None, [code, f"({locator})" if locator else "", *texts])))
    return ("; ".join(filter(None, parts)) or "ExceptionReport")[:1000]


def _count(results: etree._Element, attribute: str, page: int, url: str) -> int:
    value = _integer(results.get(attribute))
    if value is None or value < 0:
        raise _not_csw(page, url, HarvestMessage(
            N_("its SearchResults have no valid {attribute}."), attribute=attribute))
    return value


def _integer(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _not_csw(page: int, url: str, problem: HarvestMessage) -> SourceError:
    return SourceError(N_("Page {page} of the catalogue ({url}) is not a CSW GetRecords answer: "
                          "{problem}"), page=page, url=url, problem=problem)


# -- records -------------------------------------------------------------------------------------

def records_of(elements: list[etree._Element], run: SourceRun) -> list[Record]:
    """Records for the data records of the listing; services are attached to what they serve.

    * A record that is not ``gmd:MD_Metadata`` (a catalogue ignoring the output schema) or has
      no fileIdentifier fails alone and blocks withdrawals.
    * Dataset and series records are datasets. Of several records with the same resource
      identifier only the newest (``dateStamp``, then the smallest fileIdentifier) is used.
    * A service record that operates on (``srv:operatesOn``) a listed data record adds its
      WMS/WFS access points to that dataset. With ``include_services`` a service that operates
      on none of the listed records becomes a dataset of its own; otherwise it is left out.
    """
    data: list[dict[str, Any]] = []
    services: list[dict[str, Any]] = []
    failed: list[Record] = []
    for number, element in enumerate(elements, start=1):
        if element.tag != iso.MD_METADATA:
            failed.append(Record(guid=None, content=_short_xml(element), error=HarvestMessage(N_(
                "Record {number} of the catalogue is a {element}, not an ISO 19139 record "
                "(gmd:MD_Metadata); the catalogue may not support the output schema."),
                number=number, element=etree.QName(element).localname)))
            continue
        try:
            record = iso.read_record(element)
        except Exception as error:  # one unreadable record must not stop the others
            identifier = (element.xpath("gmd:fileIdentifier/gco:CharacterString/text()",
                                        namespaces=iso.NS) or [None])[0]
            failed.append(Record(guid=identifier, content=_short_xml(element), error=HarvestMessage(
                N_("Record {number} of the catalogue could not be read: {problem}"),
                number=number, problem=f"{type(error).__name__}: {error}")))
            continue
        if not record.get("file_identifier"):
            failed.append(Record(guid=None, content=canonical_json(record), error=HarvestMessage(N_(
                "Record {number} of the catalogue (\"{title}\") has no fileIdentifier, so it "
                "cannot be matched to a dataset."), number=number,
                title=(record.get("title") or {}).get("de", "?"))))
        elif iso.is_data(record):
            data.append(record)
        elif iso.is_service(record):
            services.append(record)
    data = newest_per_resource(data)
    by_key: dict[str, dict[str, Any]] = {}
    for record in data:
        for key in iso.reference_keys(record):
            by_key.setdefault(key, record)
    served: dict[str, list[dict[str, Any]]] = {}
    own: list[dict[str, Any]] = []
    for service in sorted(services, key=lambda item: item["file_identifier"]):
        targets = {id(by_key[key]): by_key[key] for reference in service.get("operates_on", [])
                   for key in iso.referenced_keys(reference) if key in by_key}
        for target in targets.values():
            served.setdefault(target["file_identifier"], []).append(service)
        if not targets and run.config.get("include_services"):
            own.append(service)
    records = [_record(record, served.get(record["file_identifier"], []), run) for record in data]
    records += [_record(service, [], run) for service in own]
    return failed + records


def newest_per_resource(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per resource identifier: the newest, so a resource described twice (a copy of
    a record in a second catalogue branch) becomes one dataset."""
    ordered = sorted(records, key=lambda item: (item.get("date_stamp", ""),
                                                _negated(item["file_identifier"])), reverse=True)
    taken: set[str] = set()
    kept = []
    for record in ordered:
        identifiers = {value.strip().casefold() for value in record.get("resource_identifiers", [])}
        if identifiers & taken:
            log.info("ISO record %s describes the same resource as a newer record; left out",
                     record["file_identifier"])
            continue
        taken |= identifiers
        kept.append(record)
    order = {id(record): position for position, record in enumerate(records)}
    return sorted(kept, key=lambda item: order[id(item)])


def _negated(text: str) -> tuple[int, ...]:
    """Sorts texts in reverse, so that the smallest wins among equal dates when sorted descending."""
    return tuple(-ord(character) for character in text)


def _record(record: dict[str, Any], services: list[dict[str, Any]], run: SourceRun) -> Record:
    """The stored content leaves out the metadata date: catalogues that rewrite it on every
    rebuild would otherwise make every record "changed"."""
    stored = [{key: value for key, value in item.items() if key != "date_stamp"}
              for item in (record, *services)]
    return Record(guid=record["file_identifier"],
                  content=canonical_json({"record": stored[0], "services": stored[1:]}),
                  original_url=record_url(run.url, record["file_identifier"]))


def _short_xml(element: etree._Element) -> str:
    return etree.tostring(element, encoding="unicode")[:10000]


# -- mapping -------------------------------------------------------------------------------------

def to_dataset(content: str) -> dict[str, Any]:
    try:
        stored = json.loads(content)
    except ValueError:
        stored = None
    if not isinstance(stored, dict) or not isinstance(stored.get("record"), dict):
        raise RecordError(N_("The stored record is not an ISO record."))
    return iso.to_dataset(stored["record"], stored.get("services") or [])
