"""ISO 19139 metadata (``gmd:MD_Metadata``) read with XPath and mapped onto the Jena schema.

Shared by the CSW harvester (records of a catalogue) and the WFS harvester (the ISO record a
feature type names in its MetadataURL). Reading and mapping are two steps: ``read_record`` turns
an already parsed, hardened element into plain JSON-able values (what the harvest object stores,
so that its hash says "unchanged"), and ``to_dataset`` maps those values onto the schema. German
records often break strict validation profiles; nothing here validates a profile, every field
is read on its own and a value that cannot be read is left out.
"""
from __future__ import annotations

import json
import re
from typing import Any, Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from lxml import etree

from ckanext.jena.harvesters import ckan_api
from ckanext.jena.harvesters.messages import N_, HarvestMessage, RecordError
from ckanext.jena.logic import vocabularies

GMD = "http://www.isotc211.org/2005/gmd"
NS = {
    "gmd": GMD,
    "gco": "http://www.isotc211.org/2005/gco",
    "gmx": "http://www.isotc211.org/2005/gmx",
    "srv": "http://www.isotc211.org/2005/srv",
    "xlink": "http://www.w3.org/1999/xlink",
    "gml": "http://www.opengis.net/gml",
    "gml32": "http://www.opengis.net/gml/3.2",
}
MD_METADATA = f"{{{GMD}}}MD_Metadata"

# hierarchyLevel (MD_ScopeCode) values that describe data; ISO's default is "dataset".
DATA_LEVELS = {"dataset", "series", "nonGeographicDataset"}
SERVICE_LEVEL = "service"

# MD_MaintenanceFrequencyCode → EU frequency codes.
FREQUENCIES = {
    "continual": "UPDATE_CONT", "daily": "DAILY", "weekly": "WEEKLY", "fortnightly": "BIWEEKLY",
    "monthly": "MONTHLY", "quarterly": "QUARTERLY", "biannually": "ANNUAL_2",
    "annually": "ANNUAL", "asNeeded": "IRREG", "irregular": "IRREG", "notPlanned": "NEVER",
    "unknown": "UNKNOWN",
}
# ISO 639-2/B codes that differ from the terminology codes of the EU language table.
BIBLIOGRAPHIC_LANGUAGES = {"ger": "DEU", "fre": "FRA", "cze": "CES", "dut": "NLD", "gre": "ELL",
                           "chi": "ZHO", "per": "FAS", "rum": "RON", "slo": "SLK"}
# MD_TopicCategoryCode → EU data themes, only where the topic names the theme unambiguously.
TOPIC_THEMES = {
    "farming": "AGRI", "economy": "ECON", "environment": "ENVI", "biota": "ENVI",
    "climatologyMeteorologyAtmosphere": "ENVI", "inlandWaters": "ENVI", "health": "HEAL",
    "society": "SOCI", "transportation": "TRAN", "planningCadastre": "REGI", "boundaries": "REGI",
}
# Roles of CI_ResponsibleParty and the Jena field they feed (contact is decided separately).
PUBLISHER_ROLES = ("publisher", "owner")
MAINTAINER_ROLES = ("custodian",)
ORIGINATOR_ROLES = ("originator", "author", "principalInvestigator")
# An online resource with one of these functions (or a plain link protocol) is a web page about
# the data, not the data: it becomes the dataset's landing page.
PAGE_FUNCTIONS = {"information", "search", "browseGraphic"}

_URL_IN_TEXT = re.compile(r"https?://[^\s\"'<>)\];,]+")


# -- reading -------------------------------------------------------------------------------------

def _texts(node: etree._Element, path: str) -> list[str]:
    """The texts of CharacterString / Anchor values (or plain text nodes) found at ``path``."""
    values = []
    for found in node.xpath(path, namespaces=NS):
        if isinstance(found, str):
            text = found
        else:
            inner = found.xpath("gco:CharacterString|gmx:Anchor|gco:Date|gco:DateTime|gco:Decimal"
                                "|gco:LocalName|gmd:URL", namespaces=NS)
            text = "".join((inner[0] if inner else found).itertext())
        # a one-line value is normalised; an abstract keeps its line breaks (Markdown paragraphs)
        text = text.strip() if "\n" in text.strip() else " ".join(text.split())
        if text:
            values.append(text)
    return values


def _text(node: etree._Element, path: str) -> str:
    values = _texts(node, path)
    return values[0] if values else ""


def _translated(node: etree._Element, path: str) -> dict[str, str]:
    """German from the main value, English from a PT_FreeText translation (locale EN/ENG)."""
    result: dict[str, str] = {}
    for element in node.xpath(path, namespaces=NS)[:1]:
        main = _text(element, ".")
        if main:
            result["de"] = main
        for text in element.xpath("gmd:PT_FreeText/gmd:textGroup/gmd:LocalisedCharacterString",
                                  namespaces=NS):
            locale = (text.get("locale") or "").lstrip("#").lower()
            if locale in ("en", "eng", "locale-en", "locale-eng") and (text.text or "").strip():
                result["en"] = text.text.strip()
    return result


def _code(node: etree._Element, path: str) -> str:
    """A code list value: its codeListValue, else its text."""
    for element in node.xpath(path, namespaces=NS):
        value = (element.get("codeListValue") or "".join(element.itertext())).strip()
        if value:
            return value
    return ""


def _party(element: etree._Element) -> dict[str, str]:
    party = {
        "role": _code(element, "gmd:role/gmd:CI_RoleCode"),
        "organisation": _text(element, "gmd:organisationName"),
        "individual": _text(element, "gmd:individualName"),
        "email": _text(element, "gmd:contactInfo/gmd:CI_Contact/gmd:address/gmd:CI_Address"
                                "/gmd:electronicMailAddress"),
        "url": _text(element, "gmd:contactInfo/gmd:CI_Contact/gmd:onlineResource"
                              "/gmd:CI_OnlineResource/gmd:linkage"),
    }
    return {key: value for key, value in party.items() if value}


def _online_resource(element: etree._Element) -> dict[str, str]:
    protocol = _text(element, "gmd:protocol")
    if not protocol:
        anchors = element.xpath("gmd:protocol/gmx:Anchor/@xlink:href", namespaces=NS)
        protocol = str(anchors[0]) if anchors else ""
    resource = {
        "url": _text(element, "gmd:linkage"),
        "protocol": protocol,
        "name": _text(element, "gmd:name"),
        "description": _text(element, "gmd:description"),
        "function": _code(element, "gmd:function/gmd:CI_OnLineFunctionCode"),
    }
    return {key: value for key, value in resource.items() if value}


def _number(value: str) -> float | None:
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def _bounding_boxes(identification: etree._Element) -> list[list[float]]:
    boxes = []
    for box in identification.xpath(".//gmd:EX_GeographicBoundingBox", namespaces=NS):
        numbers = [_number(_text(box, f"gmd:{name}")) for name in (
            "westBoundLongitude", "southBoundLatitude", "eastBoundLongitude", "northBoundLatitude")]
        if all(number is not None for number in numbers):
            boxes.append(numbers)
    return boxes


def _temporal_extent(identification: etree._Element) -> dict[str, str]:
    for period in identification.xpath(".//gmd:EX_TemporalExtent/gmd:extent/*", namespaces=NS):
        extent = {}
        for key, names in (("start", ("beginPosition", "begin")), ("end", ("endPosition", "end"))):
            for name in names:
                found = period.xpath(f"gml:{name}|gml32:{name}|gml:{name}//gml:timePosition"
                                     f"|gml32:{name}//gml32:timePosition", namespaces=NS)
                if found and (found[0].text or "").strip():
                    extent[key] = found[0].text.strip()
                    break
        if extent:
            return extent
    return {}


def _constraint_texts(identification: etree._Element) -> dict[str, list[str]]:
    """Texts and links of the use constraints (the licence lives there); access constraints
    ("Es gelten keine Zugriffsbeschränkungen") are kept apart, as they name no licence."""
    use: list[str] = []
    links: list[str] = []
    for block in identification.xpath("gmd:resourceConstraints/*", namespaces=NS):
        is_access_only = bool(block.xpath("gmd:accessConstraints", namespaces=NS)) and not \
            block.xpath("gmd:useConstraints", namespaces=NS)
        if is_access_only:
            continue
        use.extend(_texts(block, "gmd:otherConstraints"))
        use.extend(_texts(block, "gmd:useLimitation"))
        links.extend(str(href) for href in block.xpath(
            "gmd:otherConstraints/gmx:Anchor/@xlink:href", namespaces=NS))
    return {"texts": use, "links": links}


def read_record(element: etree._Element) -> dict[str, Any]:
    """The values of one ``gmd:MD_Metadata`` element, as plain JSON-able data."""
    identification = (element.xpath("gmd:identificationInfo/*", namespaces=NS) or [None])[0]
    if identification is None:
        identification = etree.Element("empty")
    citation = (identification.xpath("gmd:citation/gmd:CI_Citation", namespaces=NS) or [None])[0]
    if citation is None:
        citation = etree.Element("empty")
    dates: dict[str, str] = {}
    for date in citation.xpath("gmd:date/gmd:CI_Date", namespaces=NS):
        kind = _code(date, "gmd:dateType/gmd:CI_DateTypeCode")
        value = _text(date, "gmd:date")
        if kind and value and kind not in dates:
            dates[kind] = value
    keywords: list[dict[str, Any]] = []
    for block in identification.xpath("gmd:descriptiveKeywords/gmd:MD_Keywords", namespaces=NS):
        keywords.append({"thesaurus": _text(block, "gmd:thesaurusName/gmd:CI_Citation/gmd:title"),
                         "keywords": _texts(block, "gmd:keyword")})
    operates_on = []
    for reference in identification.xpath("srv:operatesOn", namespaces=NS):
        for value in (reference.get("uuidref"), reference.get(f"{{{NS['xlink']}}}href")):
            if value and value.strip():
                operates_on.append(value.strip())
    online = [_online_resource(item) for item in element.xpath(
        "gmd:distributionInfo//gmd:transferOptions//gmd:CI_OnlineResource", namespaces=NS)]
    online += [_online_resource(item) for item in identification.xpath(
        "srv:containsOperations/srv:SV_OperationMetadata/srv:connectPoint/gmd:CI_OnlineResource",
        namespaces=NS)]
    record = {
        "file_identifier": _text(element, "gmd:fileIdentifier"),
        "hierarchy_level": _code(element, "gmd:hierarchyLevel/gmd:MD_ScopeCode") or "dataset",
        "date_stamp": _text(element, "gmd:dateStamp"),
        "language": _code(element, "gmd:language/gmd:LanguageCode") or _text(element, "gmd:language"),
        "title": _translated(citation, "gmd:title"),
        "abstract": _translated(identification, "gmd:abstract"),
        "resource_identifiers": _texts(citation, "gmd:identifier/*/gmd:code"),
        "dates": dates,
        "parties": [_party(item) for item in identification.xpath(
            "gmd:pointOfContact/gmd:CI_ResponsibleParty", namespaces=NS)],
        "metadata_contacts": [_party(item) for item in element.xpath(
            "gmd:contact/gmd:CI_ResponsibleParty", namespaces=NS)],
        "keywords": keywords,
        "topic_categories": _texts(identification, "gmd:topicCategory/gmd:MD_TopicCategoryCode"),
        "frequency": _code(identification, "gmd:resourceMaintenance/gmd:MD_MaintenanceInformation"
                                           "/gmd:maintenanceAndUpdateFrequency"
                                           "/gmd:MD_MaintenanceFrequencyCode"),
        "constraints": _constraint_texts(identification),
        "bounding_boxes": _bounding_boxes(identification),
        "temporal": _temporal_extent(identification),
        "online_resources": [item for item in online if item.get("url")],
        "formats": _texts(element, "gmd:distributionInfo/gmd:MD_Distribution/gmd:distributionFormat"
                                   "/gmd:MD_Format/gmd:name"),
        "service_type": _text(identification, "srv:serviceType"),
        "operates_on": operates_on,
    }
    return {key: value for key, value in record.items() if value not in ("", [], {})}


def is_service(record: dict[str, Any]) -> bool:
    return record.get("hierarchy_level") == SERVICE_LEVEL or bool(record.get("service_type"))


def is_data(record: dict[str, Any]) -> bool:
    return not is_service(record) and record.get("hierarchy_level", "dataset") in DATA_LEVELS


def reference_keys(record: dict[str, Any]) -> set[str]:
    """The names by which other records refer to this one: file and resource identifiers, and
    the last part of an identifier URI (services often give only the UUID at its end)."""
    keys = set()
    for value in [record.get("file_identifier", ""), *record.get("resource_identifiers", [])]:
        value = value.strip()
        if value:
            keys.add(value.casefold())
            tail = value.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
            if len(tail) >= 8:
                keys.add(tail.casefold())
    return keys


def referenced_keys(reference: str) -> set[str]:
    """The identifiers a ``srv:operatesOn`` value may carry: itself, the ``id`` of a
    GetRecordById address, its fragment or last path part."""
    keys = {reference.casefold()}
    parts = urlsplit(reference)
    for name, value in parse_qsl(parts.query):
        if name.lower() == "id" and value:
            keys.add(value.casefold())
    for tail in (parts.fragment, parts.path.rstrip("/").rsplit("/", 1)[-1]):
        if len(tail) >= 8:
            keys.add(tail.casefold())
    return keys


# -- mapping ---------------------------------------------------------------------------------------

def to_dataset(record: dict[str, Any], services: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
    """The Jena dataset of an ISO record (without name, id and owner_org).

    ``services`` are service records that operate on this one: their access points become
    service resources of the dataset instead of datasets of their own.
    """
    title = _limited(record.get("title") or {}, 1000)
    if not title.get("de"):
        raise RecordError(N_("The ISO record {identifier} has no title."),
                          identifier=record.get("file_identifier") or "?")
    notes = dict(record.get("abstract") or {}) or dict(title)
    dataset: dict[str, Any] = {"title_translated": title, "notes_translated": notes}
    tags = ckan_api.clean_tags([keyword for block in record.get("keywords", [])
                                for keyword in block.get("keywords", [])])
    if tags:
        dataset["tags_translated"] = {"de": tags}
    license_id, stated, attribution = map_license(record.get("constraints", {}).get("texts", []),
                                                  record.get("constraints", {}).get("links", []))
    if license_id:
        dataset["license_id"] = license_id
    if stated:
        dataset["notes_translated"] = ckan_api._with_license_note(dataset["notes_translated"], stated)
    dataset.update(map_parties(record))
    dataset.update(_dates(record))
    themes = [ckan_api.map_term("data-themes", TOPIC_THEMES.get(topic))
              for topic in record.get("topic_categories", [])]
    themes = list(dict.fromkeys(theme for theme in themes if theme))
    if themes:
        dataset["theme"] = themes
    frequency = ckan_api.map_term("frequencies", FREQUENCIES.get(record.get("frequency", "")))
    if frequency:
        dataset["frequency"] = frequency
    language = map_language(record.get("language", ""))
    if language:
        dataset["language"] = [language]
    spatial = spatial_of(record.get("bounding_boxes", []))
    if spatial:
        dataset["spatial"] = spatial
    landing_page, resources = map_online_resources(record)
    for service in services:
        resources.extend(service_resources(service))
    if landing_page:
        dataset["url"] = landing_page
    if attribution:
        for resource in resources:
            resource["attribution_text"] = attribution[:1000]
    dataset["resources"] = unique_resources(resources)
    return dataset


def _limited(texts: dict[str, str], length: int) -> dict[str, str]:
    return {language: text[:length] for language, text in texts.items() if text}


def _dates(record: dict[str, Any]) -> dict[str, Any]:
    dates = record.get("dates", {})
    fields: dict[str, Any] = {}
    issued = ckan_api._date(dates.get("publication")) or ckan_api._date(dates.get("creation"))
    modified = ckan_api._date(dates.get("revision"))
    if issued:
        fields["issued"] = issued
    if modified:
        fields["modified"] = modified
    temporal = record.get("temporal", {})
    start, end = ckan_api._date(temporal.get("start")), ckan_api._date(temporal.get("end"))
    if start and end and end[:10] < start[:10]:
        start = end = None
    if start or end:
        fields["temporal_coverage"] = [{key: value for key, value in (("start", start), ("end", end))
                                        if value}]
    return fields


def map_language(code: str) -> str | None:
    code = code.strip()
    if not code:
        return None
    if len(code) == 3:
        code = BIBLIOGRAPHIC_LANGUAGES.get(code.lower(), code.upper())
    elif len(code) == 2 or code[2:3] in ("-", "_"):
        code = ckan_api.LANGUAGE_CODES.get(code[:2].lower(), code)
    return ckan_api.map_term("languages", code)


def spatial_of(boxes: list[list[float]]) -> str | None:
    """A polygon of the boxes' union, if every box is a sane WGS84 box and the union lies in the
    Jena region; a box with east < west or north < south is a writing error and left out."""
    sane = [box for box in boxes if len(box) == 4 and -180 <= box[0] <= box[2] <= 180
            and -90 <= box[1] <= box[3] <= 90]
    if not sane:
        return None
    west, south, east, north = (min(box[0] for box in sane), min(box[1] for box in sane),
                                max(box[2] for box in sane), max(box[3] for box in sane))
    if west == east and south == north:
        geometry = {"type": "Point", "coordinates": [west, south]}
    elif west == east or south == north:
        return None
    else:
        ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
        geometry = {"type": "Polygon", "coordinates": [ring]}
    return ckan_api._spatial(json.dumps(geometry))


# -- agents ----------------------------------------------------------------------------------------

def _agent(party: dict[str, str]) -> dict[str, str] | None:
    return ckan_api._agent(party.get("organisation") or party.get("individual"),
                           party.get("email"), party.get("url"))


def map_parties(record: dict[str, Any]) -> dict[str, Any]:
    """Contact, publisher, maintainer and originator from the responsible parties.

    Contact: the party with role pointOfContact that can be reached (e-mail or web), else any
    reachable party, else the metadata contact. Publisher: role publisher, else owner.
    Maintainer: custodian. Originator: originator, author, principal investigator.
    """
    parties = record.get("parties", [])
    reachable = [party for party in parties if party.get("email") or party.get("url")]
    candidates = ([party for party in reachable if party.get("role") == "pointOfContact"]
                  or reachable
                  or [party for party in record.get("metadata_contacts", [])
                      if party.get("email") or party.get("url")])
    fields: dict[str, Any] = {}
    contact = _agent(candidates[0]) if candidates else None
    if contact:
        fields["contact"] = [contact]
    for field_name, roles in (("publisher", PUBLISHER_ROLES), ("maintainer_agent", MAINTAINER_ROLES),
                              ("originator", ORIGINATOR_ROLES)):
        for role in roles:
            agents = [agent for agent in (_agent(party) for party in parties
                                          if party.get("role") == role) if agent]
            if agents:
                fields[field_name] = agents[:1] if field_name == "publisher" else agents
                break
    return fields


# -- licence ---------------------------------------------------------------------------------------

def _normalised(text: str) -> str:
    return re.sub(r"[^0-9a-zäöüß]+", "", text.casefold().replace("version", ""))


def map_license(texts: Iterable[str], links: Iterable[str] = ()) -> tuple[str | None, str | None,
                                                                          str | None]:
    """(dcat-ap.de licence id, the source's licence text to state if unmapped, attribution).

    In order: GDI-DE's JSON in otherConstraints (``{"id": "dl-by-de/2.0", "url": …,
    "quelle": …}``), a licence title in the text ("Datenlizenz Deutschland – Namensnennung –
    Version 2.0"), a licence address in the text or an Anchor (``…/dl-de/by-2-0``).
    """
    texts = [text for text in texts if text.strip()]
    attribution = None
    stated = None
    for text in texts:
        decoded = _json_object(text)
        if decoded is None:
            continue
        attribution = attribution or _string(decoded.get("quelle")) or None
        license_id, note = ckan_api.map_license({"license_id": _string(decoded.get("id")),
                                                 "license_title": _string(decoded.get("name")),
                                                 "license_url": _string(decoded.get("url"))})
        if license_id and not note:
            return license_id, None, attribution
        stated = stated or note
    plain = [text for text in texts if _json_object(text) is None]
    by_title = _license_by_title(plain)
    if by_title:
        return by_title, None, attribution
    for address in [*links, *(match for text in plain for match in _URL_IN_TEXT.findall(text))]:
        license_id, note = ckan_api.map_license({"license_id": address, "license_url": address})
        if license_id and not note:
            return license_id, None, attribution
    if not stated:
        stated = next((text for text in plain if re.search(
            r"lizen|licen|nutzungsbedingung|terms of use", text, re.IGNORECASE)), None)
    return None, stated[:1000] if stated else None, attribution


def _license_by_title(texts: list[str]) -> str | None:
    best: tuple[int, str] | None = None
    for entry in vocabularies.read_license_list():
        for title in (entry.get("title", ""), entry.get("title_en", "")):
            key = _normalised(title)
            if len(key) < 8:
                continue
            if any(key in _normalised(text) for text in texts):
                if best is None or len(key) > best[0]:
                    best = (len(key), entry["id"])
    return best[1] if best else None


def _json_object(text: str) -> dict[str, Any] | None:
    text = text.strip()
    if not text.startswith("{"):
        return None
    try:
        decoded = json.loads(text)
    except ValueError:
        return None
    return decoded if isinstance(decoded, dict) else None


def _string(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


# -- resources -------------------------------------------------------------------------------------

def service_kind(protocol: str, url: str = "", service_type: str = "") -> str | None:
    """"WMS" or "WFS" (or another OGC service) named by a protocol, the address or the type."""
    for text in (protocol, service_type):
        match = re.search(r"\b(WMS|WFS|WMTS|WCS)\b", text.replace(":", " ").replace("-", " "),
                          re.IGNORECASE)
        if match:
            return match.group(1).upper()
    for name, value in parse_qsl(urlsplit(url).query):
        if name.lower() == "service" and value.upper() in ("WMS", "WFS", "WMTS", "WCS"):
            return value.upper()
    return None


def capabilities_url(url: str, kind: str) -> str:
    """The service's GetCapabilities address (a bare endpoint gets the request added)."""
    parts = urlsplit(url)
    names = {name.lower() for name, _ in parse_qsl(parts.query)}
    if "request" in names:
        return url
    query = parse_qsl(parts.query) + [("SERVICE", kind), ("REQUEST", "GetCapabilities")]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _resource_name(online: dict[str, str], fallback: str) -> dict[str, str]:
    name = online.get("name") or online.get("description") or fallback
    return {"de": name[:500]}


def _service_resource(online: dict[str, str], kind: str, service_title: str = "") -> dict[str, Any]:
    url = ckan_api._uri(capabilities_url(online["url"], kind))
    name = online.get("name") or service_title or HarvestMessage(
        N_("{service} service"), service=kind).text("de")
    resource = {"url": url or "", "access_url": url, "format": ckan_api.map_term("file-types", kind),
                "name_translated": {"de": name[:500]}}
    if online.get("description"):
        resource["description_translated"] = {"de": online["description"]}
    return {key: value for key, value in resource.items() if value}


def map_online_resources(record: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]]]:
    """(landing page, resources) of a record's online resources.

    OGC:WMS / OGC:WFS → a service resource (GetCapabilities address, format WMS/WFS);
    WWW:DOWNLOAD or function download → a download; function information / search or a
    WWW:LINK → the landing page (the first one; further ones become resources).
    """
    landing_page = None
    resources = []
    formats = record.get("formats", [])
    service_title = (record.get("title") or {}).get("de", "") if is_service(record) else ""
    for online in record.get("online_resources", []):
        url = ckan_api._uri(online.get("url"))
        if not url:
            continue
        protocol = online.get("protocol", "")
        kind = service_kind(protocol, url, record.get("service_type", "") if is_service(record) else "")
        if kind:
            resources.append(_service_resource(online, kind, service_title))
            continue
        function = online.get("function", "")
        is_download = "DOWNLOAD" in protocol.upper() or function == "download"
        is_page = not is_download and (function in PAGE_FUNCTIONS or "WWW:LINK" in protocol.upper())
        if is_page and landing_page is None:
            landing_page = url
            continue
        format_code = ckan_api.map_format({"format": "", "url": url}) or (
            ckan_api.map_format({"format": formats[0]}) if len(formats) == 1 and is_download else None)
        resource = {"url": url, "access_url": url,
                    "name_translated": _resource_name(online, format_code or "Daten"),
                    "format": format_code}
        if is_download:
            resource["download_url"] = url
        if online.get("description") and online.get("name"):
            resource["description_translated"] = {"de": online["description"]}
        resources.append({key: value for key, value in resource.items() if value})
    return landing_page, resources


def service_resources(service: dict[str, Any]) -> list[dict[str, Any]]:
    """The service resources a service record gives the datasets it operates on."""
    return [resource for resource in map_online_resources(service)[1]
            if resource.get("format") in {ckan_api.map_term("file-types", kind)
                                          for kind in ("WMS", "WFS", "WMTS", "WCS")}]


def unique_resources(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One resource per address (a record may list the same link in two places)."""
    seen: set[str] = set()
    unique = []
    for resource in resources:
        key = resource.get("download_url") or resource.get("url") or ""
        if key and key not in seen:
            seen.add(key)
            unique.append(resource)
    return unique
