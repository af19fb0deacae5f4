"""Harvester for council information systems with an OParl 1.0 / 1.1 interface (catalogue mode).

The source address is the OParl ``System`` object. For each of its bodies (``Body``) the harvester
publishes one dataset per object list — organisations, meetings, papers, files and, only when an
operator asks for it, persons — whose resources are the list's API endpoint and, where the
operator names one, a bulk download. The objects themselves are not copied: the lists are walked
(``links.next``) to keep the number of objects, the span of their dates and the area of their
locations current in the dataset's description, temporal and spatial coverage.

Incremental runs ask only for the objects modified since the last error-free job (minus an
overlap); objects marked ``deleted: true`` leave the count. The ids seen so far are kept in the
record, so that a changed object is not counted twice. Vendor quirks handled: sporadic 500s
(the safe client retries), "N/A" and blank strings, empty dates, [lat, lon] GeoJSON, query values
that must not be URL-encoded (Somacos SessionNet), 404 with error 802 for an empty list and
``[]`` for an object (Sternberg), a single Body where a list is expected.
"""
from __future__ import annotations

import datetime
import json
import re
from typing import Any, Iterator

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan import model

from ckanext.harvest.interfaces import IHarvester
from ckanext.harvest.model import HarvestJob, HarvestObject

from ckanext.jena.harvesters import ckan_api
from ckanext.jena.harvesters.base import JenaHarvester, Record, SourceRun, canonical_json
from ckanext.jena.harvesters.http import HttpStatusError
from ckanext.jena.harvesters.messages import N_, HarvestMessage, RecordError, SourceError
from ckanext.jena.harvesters.parsing import parse_json
from ckanext.jena.logic import geometry

ACCEPT = "application/json"
GOVERNMENT_THEME = "http://publications.europa.eu/resource/authority/data-theme/GOVE"
GEOCODING = "http://dcat-ap.de/def/politicalGeocoding/"
# Which key of an AGS length names, and its administrative level (dcat-ap.de vocabularies).
AGS_KINDS = {8: ("municipalityKey", "municipality"), 5: ("districtKey", "administrativeDistrict"),
             2: ("stateKey", "state")}
# Sternberg SD.NET answers an empty list with 404 and this error number.
EMPTY_LIST_ERROR = 802
MISSING_TEXTS = {"", "n/a", "n.a.", "-"}
DEFAULT_OVERLAP_HOURS = 24


class ListKind:
    """One kind of OParl object list: its Body key, its date field and its names."""

    def __init__(self, key: str, date_field: str | None, title_de: str, title_en: str,
                 tags_de: list[str], tags_en: list[str]):
        self.key = key
        self.date_field = date_field
        self.title = {"de": title_de, "en": title_en}
        self.tags = {"de": tags_de, "en": tags_en}


LIST_KINDS = {kind.key: kind for kind in (
    ListKind("organization", "startDate", "Gremien und Fraktionen", "Committees and groups",
             ["Gremien", "Ratsinformationssystem"], ["committees", "council information system"]),
    ListKind("meeting", "start", "Sitzungen", "Meetings",
             ["Sitzungen", "Ratsinformationssystem"], ["meetings", "council information system"]),
    ListKind("paper", "date", "Drucksachen und Vorlagen", "Papers",
             ["Drucksachen", "Ratsinformationssystem"], ["papers", "council information system"]),
    ListKind("file", "date", "Dokumente", "Files",
             ["Dokumente", "Ratsinformationssystem"], ["files", "council information system"]),
    ListKind("person", None, "Personen", "Persons",
             ["Mandatsträger", "Ratsinformationssystem"], ["council members",
                                                           "council information system"]),
)}
# Persons are personal data (names, addresses, memberships): only on request, see the docs.
DEFAULT_LISTS = ["organization", "meeting", "paper", "file"]


class JenaOparlHarvester(JenaHarvester, p.SingletonPlugin):
    p.implements(IHarvester)

    HARVESTER_NAME = "jena_oparl"
    TITLE = N_("Council information system, OParl (Jena)")
    DESCRIPTION = N_("One dataset per body and object list (meetings, papers, committees, files) "
                     "of an OParl 1.0 or 1.1 interface, with counts and date ranges kept "
                     "current.")
    MAPPING_VERSION = "1"

    def config_keys(self):
        return {"bodies", "lists", "incremental", "overlap_hours", "downloads"}

    def check_config(self, config):
        return check_config(config)

    def list_records(self, run: SourceRun) -> Iterator[Record]:
        return iter(list_records(run))

    def to_dataset(self, content: str, run: SourceRun) -> dict[str, Any]:
        return to_dataset(content, run)


# -- configuration -------------------------------------------------------------------------------

def check_config(config: dict[str, Any]) -> list[HarvestMessage]:
    problems = []
    bodies = config.get("bodies", [])
    if not (isinstance(bodies, list) and all(isinstance(item, str) and item for item in bodies)):
        problems.append(HarvestMessage(N_(
            "bodies must be a list of the ids (addresses) of the bodies to harvest, such as "
            "{example}."), example='["https://ris.example.org/oparl/body/1"]'))
    lists = config.get("lists", DEFAULT_LISTS)
    if not (isinstance(lists, list) and lists and all(item in LIST_KINDS for item in lists)):
        problems.append(HarvestMessage(
            N_("lists must be a list of OParl object lists out of: {names}."),
            names=", ".join(LIST_KINDS)))
    if not isinstance(config.get("incremental", True), bool):
        problems.append(HarvestMessage(N_("incremental must be true or false.")))
    overlap = config.get("overlap_hours", DEFAULT_OVERLAP_HOURS)
    if isinstance(overlap, bool) or not isinstance(overlap, int) or not 0 <= overlap <= 24 * 30:
        problems.append(HarvestMessage(
            N_("overlap_hours must be a whole number of hours from 0 to {max}."), max=24 * 30))
    downloads = config.get("downloads", {})
    if not (isinstance(downloads, dict) and all(
            isinstance(url, str) and url.startswith(("http://", "https://"))
            for url in downloads.values())):
        problems.append(HarvestMessage(N_(
            "downloads must be an object of list names (or body id#list name) and the web "
            "addresses of their bulk downloads, such as {example}."),
            example='{"paper": "https://ris.example.org/export/vorlagen.zip"}'))
    return problems


# -- reading the interface ---------------------------------------------------------------------

def missing(value: Any) -> bool:
    """OParl servers write "N/A", blanks or ``[]`` where they mean "no value"."""
    if value is None or value == [] or value == {}:
        return True
    return isinstance(value, str) and value.strip().lower() in MISSING_TEXTS


def text(value: Any) -> str:
    return "" if missing(value) or not isinstance(value, str) else value.strip()


def an_object(value: Any) -> dict[str, Any] | None:
    """An embedded object, or None (Sternberg writes ``[]`` for an absent one)."""
    return value if isinstance(value, dict) and value else None


class Reader:
    """Reads OParl objects and lists for one run, counting pages against the cap."""

    def __init__(self, run: SourceRun):
        self.run = run
        self.max_pages = int(tk.config.get("ckanext.jena.harvest.max_pages"))

    def get(self, url: str, what: HarvestMessage) -> Any:
        document = self.run.client.get(url, accept=ACCEPT)
        try:
            return parse_json(document.body, document.charset)
        except SourceError as error:
            raise SourceError(N_("{what} ({url}) cannot be read: {problem}"),
                              what=what, url=url, problem=error.message)

    def walk(self, url: str, what: HarvestMessage) -> Iterator[dict[str, Any]]:
        """Every object of a list, page after page along ``links.next``."""
        visited: list[str] = []
        next_url: str | None = url
        while next_url:
            if next_url in visited:
                raise SourceError(N_(
                    "The pages of {what} lead back to page {page} ({url}); the list is "
                    "incomplete."), what=what, page=visited.index(next_url) + 1, url=next_url)
            if len(visited) >= self.max_pages:
                raise SourceError(N_(
                    "{what} has more than {count} pages (ckanext.jena.harvest.max_pages); "
                    "the list was stopped."), what=what, count=self.max_pages)
            visited.append(next_url)
            page = len(visited)
            try:
                answer = self.get(next_url, what)
            except HttpStatusError as error:
                if error.status == 404 and _is_empty_list_error(error.body):
                    return
                raise SourceError(N_("Page {page} of {what} could not be read: {problem}"),
                                  page=page, what=what, problem=error.message)
            except SourceError as error:
                raise SourceError(N_("Page {page} of {what} could not be read: {problem}"),
                                  page=page, what=what, problem=error.message)
            if isinstance(answer, dict) and isinstance(answer.get("type"), str) \
                    and not isinstance(answer.get("data"), list):
                yield answer  # a single object where a list was expected (Sternberg's /body)
                return
            if isinstance(answer, list):
                items, links = answer, {}
            elif isinstance(answer, dict) and isinstance(answer.get("data"), list):
                items, links = answer["data"], an_object(answer.get("links")) or {}
            else:
                raise SourceError(N_(
                    "Page {page} of {what} ({url}) is not an OParl list: it has no \"data\"."),
                    page=page, what=what, url=next_url)
            for item in items:
                if isinstance(item, dict):
                    yield item
            following = links.get("next")
            next_url = following.strip() if isinstance(following, str) and following.strip() \
                else None


def _is_empty_list_error(body: bytes) -> bool:
    try:
        answer = json.loads(body.decode("utf-8", "replace"))
    except ValueError:
        return False
    if not isinstance(answer, dict):
        return False
    for key in ("error", "code", "errorCode"):
        value = answer.get(key)
        if isinstance(value, dict):
            value = value.get("code")
        if str(value).strip() == str(EMPTY_LIST_ERROR):
            return True
    return False


def modified_since_url(url: str, moment: datetime.datetime) -> str:
    """The list address with ``modified_since`` appended as it is, not URL-encoded.

    SessionNet refuses ``%3A``; the safe client sends the address unchanged (``:`` and ``-`` are
    allowed in a query). UTC with ``Z`` avoids a ``+``, which servers read as a space.
    """
    value = moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{url}{'&' if '?' in url else '?'}modified_since={value}"


# -- listing -------------------------------------------------------------------------------------

def list_records(run: SourceRun) -> list[Record]:
    """One record per body and list; a SourceError when any list cannot be read completely."""
    reader = Reader(run)
    system_what = HarvestMessage(N_("the OParl system"))
    system = reader.get(run.url, system_what)
    if not isinstance(system, dict) or not text(system.get("body")):
        raise SourceError(N_(
            "{url} is not an OParl System object: it names no list of bodies (\"body\")."),
            url=run.url)
    wanted = run.config.get("bodies") or []
    bodies = [body for body in reader.walk(text(system["body"]), HarvestMessage(N_("the bodies")))
              if not body.get("deleted") and text(body.get("id"))
              and (not wanted or body["id"] in wanted)]
    found = {body["id"] for body in bodies}
    absent = [body_id for body_id in wanted if body_id not in found]
    if absent:
        raise SourceError(N_("The system does not list the configured bodies {bodies}."),
                          bodies=", ".join(absent))
    since = _modified_since(run)
    records = []
    for body in bodies:
        for name in run.config.get("lists") or DEFAULT_LISTS:
            list_url = text(body.get(name))
            if not list_url:
                continue
            guid = f"{body['id']}#{name}"
            previous = _previous_state(run, guid, list_url) if since else None
            state = _walk_list(reader, body, name, list_url, previous, since)
            content = {"system": _summary(system, SYSTEM_FIELDS),
                       "body": _summary(body, BODY_FIELDS), "list": name, "list_url": list_url,
                       "download": _download(run.config, body["id"], name), **state}
            records.append(Record(guid=guid, content=canonical_json(content),
                                  original_url=list_url))
    return records


SYSTEM_FIELDS = ("id", "name", "oparlVersion", "license", "contactEmail", "contactName",
                 "website", "vendor", "product")
BODY_FIELDS = ("id", "name", "shortName", "ags", "rgs", "license", "contactEmail", "contactName",
               "website", "classification")


def _summary(item: dict[str, Any], fields: tuple[str, ...]) -> dict[str, str]:
    return {key: text(item.get(key)) for key in fields if text(item.get(key))}


def _download(config: dict[str, Any], body_id: str, name: str) -> str | None:
    downloads = config.get("downloads") or {}
    return downloads.get(f"{body_id}#{name}") or downloads.get(name)


def _modified_since(run: SourceRun) -> datetime.datetime | None:
    """The start of the last error-free job minus the overlap, if the run may be incremental."""
    if not run.config.get("incremental", True) or not run.job_id:
        return None
    job = HarvestJob.get(run.job_id)
    previous = JenaHarvester.last_error_free_job(job) if job else None
    started = getattr(previous, "gather_started", None)
    if started is None:
        return None
    overlap = datetime.timedelta(hours=run.config.get("overlap_hours", DEFAULT_OVERLAP_HOURS))
    return (started - overlap).replace(tzinfo=datetime.timezone.utc)


def _previous_state(run: SourceRun, guid: str, list_url: str) -> dict[str, Any] | None:
    """The ids, dates and area of a list as the last import stored them, if comparable."""
    row = (model.Session.query(HarvestObject.content)
           .filter(HarvestObject.harvest_source_id == run.source_id,
                   HarvestObject.guid == guid, HarvestObject.current.is_(True)).first())
    if not row or not row[0]:
        return None
    try:
        stored = json.loads(row[0])
    except ValueError:
        return None
    if not isinstance(stored, dict) or stored.get("list_url") != list_url \
            or not isinstance(stored.get("objects"), dict):
        return None
    return {"objects": stored["objects"], "bbox": stored.get("bbox")}


def _walk_list(reader: Reader, body: dict[str, Any], name: str, list_url: str,
               previous: dict[str, Any] | None, since: datetime.datetime | None) -> dict[str, Any]:
    """``objects`` (id → date or "") and ``bbox`` of a list: walked whole, or updated."""
    kind = LIST_KINDS[name]
    what = HarvestMessage(N_("the list \"{list}\" of {body}"), list=name,
                          body=text(body.get("name")) or body["id"])
    incremental = previous is not None and since is not None
    objects: dict[str, str] = dict(previous["objects"]) if incremental else {}
    boxes = [previous["bbox"]] if incremental and previous.get("bbox") else []
    url = modified_since_url(list_url, since) if incremental else list_url
    for item in reader.walk(url, what):
        object_id = text(item.get("id"))
        if not object_id:
            continue
        if item.get("deleted") is True:
            objects.pop(object_id, None)
            continue
        objects[object_id] = object_date(item, kind.date_field)
        boxes.extend(location_boxes(item))
    return {"objects": objects, "bbox": geometry.union_bbox(boxes) if boxes else None}


DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")


def object_date(item: dict[str, Any], field: str | None) -> str:
    """The day of an object's date field, or "" (empty, "N/A" or not a date)."""
    value = text(item.get(field)) if field else ""
    match = DATE.match(value)
    if not match:
        return ""
    try:
        datetime.date.fromisoformat(match.group(1))
    except ValueError:
        return ""
    return match.group(1)


def location_boxes(item: dict[str, Any]) -> list[list[float]]:
    """Bounding boxes of an object's locations (``location``, one or a list), axes corrected."""
    locations = item.get("location")
    if not isinstance(locations, list):
        locations = [locations]
    boxes = []
    for location in locations:
        location = an_object(location)
        geojson = an_object(location.get("geojson")) if location else None
        if geojson and geojson.get("type") == "Feature":
            geojson = an_object(geojson.get("geometry"))
        box = plausible_box(geojson) if geojson else None
        if box:
            boxes.append(box)
    return boxes


def plausible_box(geojson: dict[str, Any]) -> list[float] | None:
    """The geometry's box in lon/lat order, or None when it lies outside the plausible extent
    (``ckanext.jena.spatial_bounds``) in both axis orders: then it is broken or about elsewhere.

    Some servers write [lat, lon]; around Jena both numbers are valid degrees, so only the
    extent tells the orders apart.
    """
    positions = _positions(geojson.get("coordinates"))
    if not positions:
        return None
    bounds = geometry.plausible_bounds()
    for lon_index, lat_index in ((0, 1), (1, 0)):
        lons = [position[lon_index] for position in positions]
        lats = [position[lat_index] for position in positions]
        if (bounds.min_lon <= min(lons) and max(lons) <= bounds.max_lon
                and bounds.min_lat <= min(lats) and max(lats) <= bounds.max_lat):
            return [min(lons), min(lats), max(lons), max(lats)]
    return None


def _positions(coordinates: Any, depth: int = 0) -> list[list[float]]:
    """Every position of a GeoJSON coordinates array; [] when it is malformed."""
    if depth > 4 or not isinstance(coordinates, list) or not coordinates:
        return []
    if all(isinstance(number, (int, float)) and not isinstance(number, bool)
           for number in coordinates):
        return [coordinates] if len(coordinates) in (2, 3) else []
    positions = []
    for part in coordinates:
        found = _positions(part, depth + 1)
        if not found:
            return []
        positions.extend(found)
    return positions


# -- mapping -------------------------------------------------------------------------------------

def to_dataset(content: str, run: SourceRun) -> dict[str, Any]:
    try:
        record = json.loads(content)
    except ValueError:
        record = None
    if not isinstance(record, dict) or record.get("list") not in LIST_KINDS:
        raise RecordError(N_("The stored record is not an OParl list."))
    kind = LIST_KINDS[record["list"]]
    system, body = record.get("system") or {}, record.get("body") or {}
    body_name = body.get("name") or body.get("shortName") or body.get("id")
    objects: dict[str, str] = record.get("objects") or {}
    dates = sorted(date for date in objects.values() if date)
    version = "1.0" if "/1.0" in system.get("oparlVersion", "") else "1.1"
    dataset: dict[str, Any] = {
        "title_translated": {language: f"{kind.title[language]} – {body_name}"
                             for language in ("de", "en")},
        "notes_translated": _notes(kind, body_name, version, len(objects), dates),
        "tags_translated": {language: [*kind.tags[language], "OParl"] for language in ("de", "en")},
        "theme": [GOVERNMENT_THEME],
        "identifier": f"{body.get('id')}#{record['list']}",
    }
    if dates:
        dataset["temporal_coverage"] = [{"start": dates[0], "end": dates[-1]}]
    license_id = _license(body) or _license(system)
    if license_id:
        dataset["license_id"] = license_id
    contact = _contact(body) or _contact(system)
    if contact:
        dataset["contact"] = [contact]
    if ckan_api._uri(body.get("website")):
        dataset["url"] = body["website"]
    dataset.update(political_geocoding(body.get("ags")))
    if record.get("bbox"):
        dataset["spatial"] = json.dumps(_box_geometry(record["bbox"]))
    if record["list"] == "person":
        dataset["personal_data"] = "yes"
    dataset["resources"] = _resources(kind, record, version)
    return dataset


def _notes(kind: ListKind, body_name: str, version: str, count: int,
           dates: list[str]) -> dict[str, str]:
    intro = _in_both(kind, N_(
        "{list} of {body} from the council information system, read through its OParl {version} "
        "interface. The resource is the list's API endpoint (JSON, paged); the portal does not "
        "copy the objects."), body=body_name, version=version)
    if dates:
        figures = HarvestMessage(N_("{count} entries, dated from {earliest} to {latest}."),
                                 count=count, earliest=dates[0], latest=dates[-1])
    else:
        figures = HarvestMessage(N_("{count} entries."), count=count)
    return {language: f"{intro[language]}\n\n{figures.text(language)}"
            for language in ("de", "en")}


def _in_both(kind: ListKind, message: str, **values: Any) -> dict[str, str]:
    """A message in German and English, with the list's name in the same language."""
    return {language: HarvestMessage(message, list=kind.title[language], **values).text(language)
            for language in ("de", "en")}


def _license(item: dict[str, Any]) -> str | None:
    url = text(item.get("license"))
    if not url:
        return None
    license_id, stated = ckan_api.map_license({"license_url": url, "license_id": ""})
    return license_id if license_id and not stated else None


def _contact(item: dict[str, Any]) -> dict[str, str] | None:
    email = text(item.get("contactEmail"))
    email = email if ckan_api._email(email) else ""
    if not email:
        return None
    return {"name": text(item.get("contactName")) or email, "email": email}


def political_geocoding(ags: Any) -> dict[str, str]:
    """The dcat-ap.de geocoding of an AGS (Sternberg drops the leading zero: 7 digits)."""
    value = text(ags) if isinstance(ags, str) else (str(ags) if isinstance(ags, int) else "")
    value = value.replace(" ", "")
    if not value.isdigit():
        return {}
    if len(value) in (1, 4, 7):
        value = value.zfill(len(value) + 1)
    kind = AGS_KINDS.get(len(value))
    if kind is None:
        return {}
    key, level = kind
    return {"political_geocoding_uri": f"{GEOCODING}{key}/{value}",
            "political_geocoding_level_uri": f"{GEOCODING}Level/{level}"}


def _box_geometry(bbox: list[float]) -> dict[str, Any]:
    if bbox[0] == bbox[2] and bbox[1] == bbox[3]:
        return {"type": "Point", "coordinates": [bbox[0], bbox[1]]}
    if bbox[0] == bbox[2] or bbox[1] == bbox[3]:
        return {"type": "LineString", "coordinates": [[bbox[0], bbox[1]], [bbox[2], bbox[3]]]}
    return geometry.bbox_polygon(bbox)


def _resources(kind: ListKind, record: dict[str, Any], version: str) -> list[dict[str, Any]]:
    description = HarvestMessage(N_(
        "Paged JSON list of OParl {version} objects; follow links.next for further pages. "
        "Filters: created_since, created_until, modified_since, modified_until."),
        version=version)
    resources = [{
        "url": record["list_url"], "access_url": record["list_url"], "format": "JSON",
        "mimetype": "application/json",
        "name_translated": _in_both(kind, N_("OParl API: {list}")),
        "description_translated": {language: description.text(language)
                                   for language in ("de", "en")},
    }]
    if record.get("download"):
        resources.append({
            "url": record["download"], "download_url": record["download"],
            "name_translated": _in_both(kind, N_("Bulk download: {list}")),
        })
    return resources
