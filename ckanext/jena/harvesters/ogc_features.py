"""Harvesters for feature services: WFS 2.0 (``jena_wfs``) and OGC API – Features
(``jena_ogcapi_features``), one dataset per feature type or collection.

Two source types rather than one with a switch: the two protocols share nothing on the wire
(capabilities XML against JSON collections with link paging), and an operator picks the type
that the address speaks. What they share is the mapping of a feature collection onto the
schema (keywords, bounding box, licence, GeoJSON and CSV resources), which lives here once. A
feature type whose MetadataURL names an ISO 19139 record is mapped from that record, with the
CSW harvester's ISO mapping, and gets the service's resources. See docs/harvest-ogc.md.
"""
from __future__ import annotations

import json
from typing import Any, Iterator
from urllib.parse import urlencode, urljoin

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from lxml import etree

from ckanext.harvest.interfaces import IHarvester

from ckanext.jena.harvesters import ckan_api, csw, iso
from ckanext.jena.harvesters.base import JenaHarvester, Record, SourceRun, canonical_json
from ckanext.jena.harvesters.http import HttpStatusError
from ckanext.jena.harvesters.messages import N_, HarvestMessage, RecordError, SourceError
from ckanext.jena.harvesters.parsing import parse_json, parse_xml
from ckanext.jena.logic import bilingual

XML_ACCEPT = "application/xml, text/xml;q=0.9"
JSON_ACCEPT = "application/json"
WFS_PARAMETERS = {"service", "version", "request", "acceptversions", "typenames", "typename",
                  "outputformat"}
GEOJSON_FORMATS = ("application/geo+json", "application/json", "json", "geojson",
                   "application/vnd.geo+json")
CSV_FORMATS = ("csv", "text/csv")
CRS84 = ("http://www.opengis.net/def/crs/OGC/1.3/CRS84", "http://www.opengis.net/def/crs/OGC/0/CRS84h")
# Conformance classes of OGC API – Features worth naming in a description.
CONFORMANCE_LABELS = {
    "ogcapi-features-1/1.0/conf/core": "Part 1: Core",
    "ogcapi-features-1/1.0/conf/geojson": "GeoJSON",
    "ogcapi-features-1/1.0/conf/html": "HTML",
    "ogcapi-features-1/1.0/conf/oas30": "OpenAPI 3.0",
    "ogcapi-features-2/1.0/conf/crs": "Part 2: CRS",
    "ogcapi-features-3/1.0/conf/filter": "Part 3: Filtering",
}


def _both(message: str, **values: Any) -> dict[str, str]:
    """A message as a translated field value in German and English."""
    text = HarvestMessage(message, **values)
    return {language: text.text(language) for language in bilingual.LANGUAGES}


# -- the feature collection both protocols describe ----------------------------------------------

def collection_dataset(collection: dict[str, Any]) -> dict[str, Any]:
    """A dataset from the protocol-neutral view of a feature collection.

    ``collection`` holds ``title``, ``abstract``, ``keywords``, ``bbox`` ([w, s, e, n] in WGS84),
    ``license_texts`` / ``license_links``, ``contact`` / ``publisher`` agents and ``temporal``.
    """
    title = (collection.get("title") or collection.get("name") or "").strip()
    if not title:
        raise RecordError(N_("The feature collection {name} has no title or name."),
                          name=collection.get("name") or "?")
    dataset: dict[str, Any] = {"title_translated": {"de": title[:1000]},
                               "notes_translated": {"de": (collection.get("abstract") or title).strip()}}
    tags = ckan_api.clean_tags(collection.get("keywords") or [])
    if tags:
        dataset["tags_translated"] = {"de": tags}
    spatial = iso.spatial_of([collection["bbox"]]) if collection.get("bbox") else None
    if spatial:
        dataset["spatial"] = spatial
    license_id, stated, _ = iso.map_license(collection.get("license_texts") or [],
                                            collection.get("license_links") or [])
    if license_id:
        dataset["license_id"] = license_id
    if stated:
        dataset["notes_translated"] = ckan_api._with_license_note(dataset["notes_translated"], stated)
    for field_name in ("contact", "publisher"):
        agent = collection.get(field_name)
        agent = ckan_api._agent(agent.get("name"), agent.get("email"), agent.get("url")) if agent else None
        if agent:
            dataset[field_name] = [agent]
    temporal = collection.get("temporal") or {}
    start, end = ckan_api._date(temporal.get("start")), ckan_api._date(temporal.get("end"))
    if start and end and end[:10] < start[:10]:
        start = end = None
    if start or end:
        dataset["temporal_coverage"] = [{key: value for key, value in (("start", start), ("end", end))
                                         if value}]
    if ckan_api._uri(collection.get("page")):
        dataset["url"] = collection["page"]
    return dataset


def _with_iso(dataset: dict[str, Any], iso_record: dict[str, Any] | None) -> dict[str, Any]:
    """The ISO record's dataset where there is one; the service fills only what it lacks."""
    if not iso_record:
        return dataset
    try:
        richer = iso.to_dataset(iso_record)
    except RecordError:
        return dataset
    for key, value in dataset.items():
        if richer.get(key) in (None, "", [], {}):
            richer[key] = value
    return richer


# -- WFS 2.0 ---------------------------------------------------------------------------------------

def wfs_endpoint(url: str) -> str:
    base, kept = csw.endpoint(url, WFS_PARAMETERS)
    return f"{base}?{urlencode(kept)}" if kept else base


def wfs_url(endpoint: str, **parameters: str) -> str:
    separator = "&" if "?" in endpoint else "?"
    return endpoint + separator + urlencode(parameters)


def capabilities_url(url: str) -> str:
    return wfs_url(wfs_endpoint(url), SERVICE="WFS", REQUEST="GetCapabilities", ACCEPTVERSIONS="2.0.0")


def _local(element: etree._Element, *path: str) -> list[etree._Element]:
    """Children by local names, whatever the namespace (WFS 2.0 with OWS 1.1, or WFS 1.1)."""
    found = [element]
    for name in path:
        found = [child for parent in found for child in parent if isinstance(child.tag, str)
                 and etree.QName(child).localname == name]
    return found


def _local_text(element: etree._Element, *path: str) -> str:
    for found in _local(element, *path):
        text = " ".join("".join(found.itertext()).split())
        if text:
            return text
    return ""


def _keywords(element: etree._Element) -> list[str]:
    return [" ".join("".join(keyword.itertext()).split()) for keyword in _local(element, "Keywords", "Keyword")]


def _wgs84_box(element: etree._Element) -> list[float] | None:
    for box in _local(element, "WGS84BoundingBox"):
        try:
            west, south = (float(value) for value in _local_text(box, "LowerCorner").split())
            east, north = (float(value) for value in _local_text(box, "UpperCorner").split())
        except ValueError:
            return None
        return [west, south, east, north]
    return None


def read_capabilities(root: etree._Element, source_url: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the service, its feature types) as plain values."""
    identification = (_local(root, "ServiceIdentification") or [etree.Element("none")])[0]
    provider = (_local(root, "ServiceProvider") or [etree.Element("none")])[0]
    get_feature = [operation for operation in _local(root, "OperationsMetadata", "Operation")
                   if operation.get("name") == "GetFeature"]
    endpoint = wfs_endpoint(source_url)
    formats: list[str] = []
    for operation in get_feature:
        for href in operation.xpath(".//*[local-name()='Get']/@*[local-name()='href']"):
            endpoint = wfs_endpoint(str(href).strip()) or endpoint
            break
        for parameter in _local(operation, "Parameter"):
            if (parameter.get("name") or "").lower() == "outputformat":
                formats += [value.text.strip() for value in parameter.iter("{*}Value") if value.text]
    contact = {
        "name": _local_text(provider, "ProviderName") or _local_text(provider, "ServiceContact", "IndividualName"),
        "email": _local_text(provider, "ServiceContact", "ContactInfo", "Address", "ElectronicMailAddress"),
        "url": next((str(href) for site in _local(provider, "ProviderSite")
                     for href in site.xpath("@*[local-name()='href']")), ""),
    }
    service = {
        "endpoint": endpoint,
        "title": _local_text(identification, "Title"),
        "abstract": _local_text(identification, "Abstract"),
        "keywords": _keywords(identification),
        "license_texts": [text for text in (_local_text(identification, "AccessConstraints"),
                                            _local_text(identification, "Fees"))
                          if text and text.lower() not in ("none", "keine")],
        "contact": {key: value for key, value in contact.items() if value},
        "output_formats": formats,
    }
    feature_types = []
    for feature_type in _local(root, "FeatureTypeList", "FeatureType"):
        own_formats = [value.text.strip() for value in _local(feature_type, "OutputFormats", "Format")
                       if value.text]
        feature_types.append({
            "name": _local_text(feature_type, "Name"),
            "title": _local_text(feature_type, "Title"),
            "abstract": _local_text(feature_type, "Abstract"),
            "keywords": _keywords(feature_type),
            "bbox": _wgs84_box(feature_type),
            "output_formats": own_formats,
            "metadata_urls": [str(href) for url in _local(feature_type, "MetadataURL")
                              for href in url.xpath("@*[local-name()='href']")]
            + [text for text in (_local_text(url) for url in _local(feature_type, "MetadataURL")) if text],
        })
    return service, feature_types


def _listed_format(formats: list[str], wanted: tuple[str, ...]) -> str | None:
    """The first output format the service lists that names one of ``wanted`` (as listed)."""
    for value in formats:
        base = value.split(";", 1)[0].strip().lower()
        if base in wanted or value.strip().lower() in wanted:
            return value.strip()
    return None


def wfs_resources(service: dict[str, Any], feature_type: dict[str, Any]) -> list[dict[str, Any]]:
    """GetCapabilities (access), GetFeature as GeoJSON and CSV where the service offers them."""
    endpoint = service["endpoint"]
    name = feature_type["name"]
    title = feature_type.get("title") or name
    capabilities = wfs_url(endpoint, SERVICE="WFS", REQUEST="GetCapabilities")
    resources = [{"url": capabilities, "access_url": capabilities, "format": "WFS_SRVC",
                  "name_translated": _both(N_("{title}: WFS service (GetCapabilities)"), title=title)}]
    formats = feature_type.get("output_formats") or service.get("output_formats") or []
    for wanted, code, message in ((GEOJSON_FORMATS, "GEOJSON", N_("{title} as GeoJSON")),
                                  (CSV_FORMATS, "CSV", N_("{title} as CSV"))):
        listed = _listed_format(formats, wanted)
        if listed:
            url = wfs_url(endpoint, SERVICE="WFS", VERSION="2.0.0", REQUEST="GetFeature",
                          TYPENAMES=name, OUTPUTFORMAT=listed)
            resources.append({"url": url, "access_url": url, "download_url": url, "format": code,
                              "name_translated": _both(message, title=title)})
    return resources


class JenaWfsHarvester(JenaHarvester, p.SingletonPlugin):
    p.implements(IHarvester)

    HARVESTER_NAME = "jena_wfs"
    TITLE = N_("WFS 2.0 feature service (Jena)")
    DESCRIPTION = N_("One dataset per feature type of a Web Feature Service (WFS 2.0), with "
                     "GeoJSON and CSV downloads where offered; a linked ISO record supplies "
                     "richer metadata.")

    def list_records(self, run: SourceRun) -> Iterator[Record]:
        url = capabilities_url(run.url)
        document = run.client.get(url, accept=XML_ACCEPT)
        try:
            root = parse_xml(document.body, document.charset)
        except SourceError as error:
            raise SourceError(N_("The capabilities of the service ({url}): {problem}"),
                              url=url, problem=error.message)
        exception = csw.ows_exception(root)
        if exception is not None:
            raise SourceError(N_("The service refused the request ({url}): {error}"),
                              url=url, error=exception)
        if etree.QName(root).localname != "WFS_Capabilities":
            raise SourceError(N_("{url} is not the capabilities document of a WFS (its root "
                                 "element is {element})."), url=url,
                              element=etree.QName(root).localname)
        service, feature_types = read_capabilities(root, run.url)
        metadata_cache: dict[str, dict[str, Any] | None] = {}
        records = []
        for feature_type in feature_types:
            if not feature_type["name"]:
                records.append(Record(guid=None, content=canonical_json(feature_type),
                                      error=HarvestMessage(N_(
                                          "A feature type of the service has no name, so it "
                                          "cannot be matched to a dataset."))))
                continue
            guid = f"{wfs_endpoint(run.url)}#{feature_type['name']}"
            try:
                iso_record = self._iso_record(run, feature_type, metadata_cache)
            except SourceError as error:
                records.append(Record(guid=guid, content=canonical_json(feature_type),
                                      error=HarvestMessage(N_(
                                          "The ISO record of feature type {name} could not be "
                                          "read: {problem}"), name=feature_type["name"],
                                          problem=error.message)))
                continue
            records.append(Record(guid=guid, content=canonical_json(
                {"service": service, "feature_type": feature_type, "iso": iso_record}),
                original_url=url))
        return iter(records)

    def _iso_record(self, run: SourceRun, feature_type: dict[str, Any],
                    cache: dict[str, dict[str, Any] | None]) -> dict[str, Any] | None:
        """The ISO record a MetadataURL names, read with the safe client (once per address).

        A MetadataURL that answers with something else than ISO 19139 (a web page) is no error:
        the capabilities alone describe the feature type then.
        """
        for url in feature_type.get("metadata_urls", []):
            if not url.lower().startswith(("http://", "https://")):
                continue
            if url not in cache:
                document = run.client.get(url, accept=XML_ACCEPT)
                cache[url] = None
                if "html" not in document.media_type:
                    root = parse_xml(document.body, document.charset)
                    element = root if root.tag == iso.MD_METADATA else root.find(f".//{iso.MD_METADATA}")
                    if element is not None:
                        cache[url] = iso.read_record(element)
            if cache[url]:
                return cache[url]
        return None

    def to_dataset(self, content: str, run: SourceRun) -> dict[str, Any]:
        stored = _stored(content, ("service", "feature_type"))
        service, feature_type = stored["service"], stored["feature_type"]
        collection = {
            "name": feature_type["name"],
            "title": feature_type.get("title") or feature_type["name"],
            "abstract": feature_type.get("abstract") or service.get("abstract"),
            "keywords": list(dict.fromkeys((feature_type.get("keywords") or [])
                                           + (service.get("keywords") or []))),
            "bbox": feature_type.get("bbox"),
            "license_texts": service.get("license_texts"),
            "contact": service.get("contact"),
            "publisher": {"name": (service.get("contact") or {}).get("name"),
                          "url": (service.get("contact") or {}).get("url")},
        }
        dataset = _with_iso(collection_dataset(collection), stored.get("iso"))
        dataset["resources"] = iso.unique_resources(
            wfs_resources(service, feature_type) + list(dataset.get("resources") or []))
        return dataset


# -- OGC API – Features ----------------------------------------------------------------------------

def api_base(url: str) -> str:
    base = url.strip().split("?", 1)[0].split("#", 1)[0].rstrip("/")
    return base[: -len("/collections")] if base.endswith("/collections") else base


def _links(document: dict[str, Any], base_url: str) -> list[dict[str, str]]:
    links = []
    for link in document.get("links") or []:
        if isinstance(link, dict) and isinstance(link.get("href"), str):
            links.append({key: str(value) for key, value in link.items()
                          if key in ("rel", "type", "title", "hreflang")} | {
                "href": urljoin(base_url, link["href"].strip())})
    return links


def _link(links: list[dict[str, str]], rel: str, types: tuple[str, ...] = ()) -> dict[str, str] | None:
    candidates = [link for link in links if link.get("rel") == rel]
    for wanted in types:
        for link in candidates:
            if link.get("type", "").split(";", 1)[0].strip().lower() == wanted:
                return link
    return candidates[0] if candidates and not types else None


def _bbox(extent: Any) -> list[float] | None:
    spatial = extent.get("spatial") if isinstance(extent, dict) else None
    if not isinstance(spatial, dict) or spatial.get("crs", CRS84[0]) not in CRS84:
        return None
    boxes = spatial.get("bbox")
    box = boxes[0] if isinstance(boxes, list) and boxes and isinstance(boxes[0], list) else None
    numeric = box and all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in box)
    if not numeric or len(box) not in (4, 6):
        return None
    return [box[0], box[1], box[3], box[4]] if len(box) == 6 else list(box)


def _interval(extent: Any) -> dict[str, str]:
    temporal = extent.get("temporal") if isinstance(extent, dict) else None
    intervals = temporal.get("interval") if isinstance(temporal, dict) else None
    if not isinstance(intervals, list) or not intervals or not isinstance(intervals[0], list):
        return {}
    first = intervals[0] + [None, None]
    return {key: value for key, value in (("start", first[0]), ("end", first[1]))
            if isinstance(value, str) and value.strip() and value != ".."}


def _keyword_texts(keywords: Any) -> list[str]:
    if not isinstance(keywords, list):
        return []
    return [item if isinstance(item, str) else item.get("keyword", "") for item in keywords
            if isinstance(item, str) or isinstance(item, dict) and isinstance(item.get("keyword"), str)]


def conformance_note(classes: list[str]) -> str:
    labels = [label for suffix, label in CONFORMANCE_LABELS.items()
              if any(item.rstrip("/").endswith(suffix) for item in classes)]
    return ", ".join(labels)


class JenaOgcApiFeaturesHarvester(JenaHarvester, p.SingletonPlugin):
    p.implements(IHarvester)

    HARVESTER_NAME = "jena_ogcapi_features"
    TITLE = N_("OGC API – Features (Jena)")
    DESCRIPTION = N_("One dataset per feature collection of an OGC API – Features service, with "
                     "its items as GeoJSON.")

    def list_records(self, run: SourceRun) -> Iterator[Record]:
        base = api_base(run.url)
        collections, shared_links = self._read_collections(run, f"{base}/collections")
        conformance = self._read_conformance(run, f"{base}/conformance")
        records = []
        for number, collection in enumerate(collections, start=1):
            identifier = collection.get("id") if isinstance(collection, dict) else None
            if not isinstance(identifier, str) or not identifier.strip():
                records.append(Record(guid=None, content=canonical_json(collection), error=HarvestMessage(
                    N_("Collection {number} of the service has no id, so it cannot be matched "
                       "to a dataset."), number=number)))
                continue
            if collection.get("itemType", "feature") != "feature":
                continue  # records or coverages: not a feature collection
            collection_url = f"{base}/collections/{identifier.strip()}"
            records.append(Record(guid=collection_url, original_url=collection_url, content=canonical_json({
                "collection": collection, "conformance": conformance, "links": shared_links})))
        return iter(records)

    def _read_collections(self, run: SourceRun, url: str) -> tuple[list[Any], list[dict[str, str]]]:
        """Every collection, following ``rel=next``; the first page's links (licence) too."""
        max_pages = int(tk.config.get("ckanext.jena.harvest.max_pages"))
        visited: list[str] = []
        collections: list[Any] = []
        shared_links: list[dict[str, str]] | None = None
        announced = None
        next_url: str | None = url
        while next_url:
            if next_url in visited:
                raise SourceError(N_("The collections' pages lead back to {url} (page {page}); "
                                     "the listing is incomplete."), url=next_url,
                                  page=visited.index(next_url) + 1)
            if len(visited) >= max_pages:
                raise SourceError(N_("The service has more than {count} pages of collections; "
                                     "the listing was stopped."), count=max_pages)
            visited.append(next_url)
            document = self._json(run, next_url, len(visited))
            page = document.get("collections") if isinstance(document, dict) else None
            if not isinstance(page, list):
                raise SourceError(N_("Page {page} of the service ({url}) is not a collections "
                                     "document of OGC API – Features: it has no \"collections\" list."),
                                  page=len(visited), url=next_url)
            # links may be relative to the page they are on
            collections.extend(dict(item, links=_links(item, next_url)) if isinstance(item, dict)
                               else item for item in page)
            links = _links(document, next_url)
            if shared_links is None:
                shared_links = [link for link in links if link.get("rel") == "license"]
                announced = document.get("numberMatched")
            following = _link(links, "next")
            next_url = following["href"] if following else None
        if isinstance(announced, int) and not isinstance(announced, bool) and len(collections) != announced:
            raise SourceError(N_("The service announces {announced} collections but its pages list "
                                 "{found}; the listing is incomplete."),
                              announced=announced, found=len(collections))
        return collections, shared_links or []

    def _read_conformance(self, run: SourceRun, url: str) -> list[str]:
        """The conformance classes; a service without /conformance (404) declares none."""
        try:
            document = self._json(run, url, 1)
        except HttpStatusError as error:
            if error.status == 404:
                return []
            raise
        classes = document.get("conformsTo") if isinstance(document, dict) else None
        return sorted(item for item in classes if isinstance(item, str)) if isinstance(classes, list) else []

    def _json(self, run: SourceRun, url: str, page: int) -> Any:
        document = run.client.get(url, accept=JSON_ACCEPT)
        try:
            return parse_json(document.body, document.charset)
        except SourceError as error:
            raise SourceError(N_("Page {page} of the service ({url}): {problem}"),
                              page=page, url=url, problem=error.message)

    def to_dataset(self, content: str, run: SourceRun) -> dict[str, Any]:
        stored = _stored(content, ("collection",))
        collection = stored["collection"]
        links = collection.get("links") or []
        license_links = [link for link in links if link.get("rel") == "license"] or \
            [link for link in stored.get("links") or [] if link.get("rel") == "license"]
        described = _link(links, "describedby", ("text/html",)) or _link(links, "alternate", ("text/html",))
        dataset = collection_dataset({
            "name": collection["id"],
            "title": collection.get("title") if isinstance(collection.get("title"), str) else collection["id"],
            "abstract": collection.get("description") if isinstance(collection.get("description"), str) else "",
            "keywords": _keyword_texts(collection.get("keywords")),
            "bbox": _bbox(collection.get("extent")),
            "temporal": _interval(collection.get("extent")),
            "license_texts": [link.get("title", "") for link in license_links],
            "license_links": [link["href"] for link in license_links],
            "page": described["href"] if described else None,
        })
        note = conformance_note(stored.get("conformance") or [])
        if note:
            dataset["notes_translated"] = {
                language: f"{text}\n\n" + HarvestMessage(
                    N_("Served through OGC API – Features ({classes})."), classes=note).text(language)
                for language, text in dataset["notes_translated"].items()}
        resources = []
        items = _link(links, "items", ("application/geo+json", "application/json"))
        if items:
            resources.append({"url": items["href"], "access_url": items["href"], "format": "GEOJSON",
                              "name_translated": _both(N_("{title}: features (GeoJSON)"),
                                                       title=dataset["title_translated"]["de"])})
        for link in links:
            if link.get("rel") == "describedby" and link is not described:
                resources.append({"url": link["href"], "access_url": link["href"],
                                  "format": ckan_api.map_format({"format": "", "mimetype": link.get("type", ""),
                                                                 "url": link["href"]}),
                                  "name_translated": ({"de": link["title"]} if link.get("title")
                                                      else _both(N_("Description")))})
        dataset["resources"] = iso.unique_resources(
            [{key: value for key, value in resource.items() if value} for resource in resources])
        return dataset


def _stored(content: str, keys: tuple[str, ...]) -> dict[str, Any]:
    try:
        stored = json.loads(content)
    except ValueError:
        stored = None
    if not isinstance(stored, dict) or not all(isinstance(stored.get(key), dict) for key in keys):
        raise RecordError(N_("The stored record is not a feature collection."))
    return stored
