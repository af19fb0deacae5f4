"""Harvester for OGC SensorThings API 1.0 / 1.1 services (such as FROST-Server).

One dataset per Thing, or per value of a ``properties`` key (``group_by``) of the Datastreams or
Things, such as a service name. Each Datastream becomes a resource whose address is its live
Observations; observations are never copied. The Things' Locations give the spatial coverage,
the Datastreams' ``phenomenonTime`` the temporal coverage (by day, so that a new observation does
not change the dataset every time), observed properties and units the sensor fields.

STA has no modification time: a record is the Thing's metadata without volatile values, and the
core's content hash decides whether it changed. Paging follows ``@iot.nextLink``; a next link to
another host than the source's is refused unless listed in ``next_link_hosts`` (the safe client
checks every address anyway, but a service should not be able to send the harvester elsewhere).
"""
from __future__ import annotations

import json
import re
from typing import Any, Iterator
from urllib.parse import quote, urlsplit

import ckan.plugins as p
import ckan.plugins.toolkit as tk

from ckanext.harvest.interfaces import IHarvester

from ckanext.jena.harvesters.base import JenaHarvester, Record, SourceRun, canonical_json
from ckanext.jena.harvesters.messages import N_, HarvestMessage, RecordError, SourceError
from ckanext.jena.harvesters.oparl import plausible_box
from ckanext.jena.harvesters.parsing import parse_json
from ckanext.jena.logic import geometry

ACCEPT = "application/json"
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 10000
EXPAND = "Locations,Datastreams($expand=ObservedProperty,Sensor)"
DATASTREAM_EXPAND = "ObservedProperty,Sensor"
# ``properties`` keys that sensor operators use for the measurement interval (ISO 8601 duration).
RESOLUTION_KEYS = ("temporalResolution", "temporal_resolution", "resultInterval",
                   "measurementInterval", "samplingInterval")
DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")
DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})")
GEOJSON_TYPES = {"application/geo+json", "application/vnd.geo+json", "application/json"}
SENSOR_TAGS = {"de": ["Sensordaten", "Messwerte"], "en": ["sensor data", "measurements"]}
MAX_UNIT_LENGTH = 100


class JenaSensorThingsHarvester(JenaHarvester, p.SingletonPlugin):
    p.implements(IHarvester)

    HARVESTER_NAME = "jena_sensorthings"
    TITLE = N_("SensorThings API (Jena)")
    DESCRIPTION = N_("Sensors of an OGC SensorThings API service (such as FROST-Server): one "
                     "dataset per Thing or per group, one resource per Datastream with its live "
                     "observations.")

    def config_keys(self):
        return {"group_by", "page_size", "next_link_hosts", "temporal_resolution"}

    def check_config(self, config):
        return check_config(config)

    def list_records(self, run: SourceRun) -> Iterator[Record]:
        return iter(list_records(run))

    def to_dataset(self, content: str, run: SourceRun) -> dict[str, Any]:
        return to_dataset(content, run)


def check_config(config: dict[str, Any]) -> list[HarvestMessage]:
    problems = []
    group_by = config.get("group_by")
    if group_by is not None and not (isinstance(group_by, str) and group_by.strip()):
        problems.append(HarvestMessage(N_(
            "group_by must be the name of a key of the Datastreams' or Things' properties, such "
            "as {example}."), example='"serviceName"'))
    size = config.get("page_size", DEFAULT_PAGE_SIZE)
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_PAGE_SIZE:
        problems.append(HarvestMessage(
            N_("page_size must be a whole number from 1 to {max}."), max=MAX_PAGE_SIZE))
    hosts = config.get("next_link_hosts", [])
    if not (isinstance(hosts, list) and all(isinstance(host, str) and host for host in hosts)):
        problems.append(HarvestMessage(N_(
            "next_link_hosts must be a list of host names (or host:port) the service's next "
            "links may point to, such as {example}."), example='["sta.example.org"]'))
    resolution = config.get("temporal_resolution")
    if resolution is not None and not (isinstance(resolution, str) and DURATION.match(resolution)):
        problems.append(HarvestMessage(N_(
            "temporal_resolution must be an ISO 8601 duration such as PT15M, PT1H or P1D.")))
    return problems


# -- listing -------------------------------------------------------------------------------------

def service_root(url: str) -> str:
    """The service's root (…/v1.1) from a source address that may name ``Things`` as well."""
    base = url.strip().split("?", 1)[0].rstrip("/")
    if base.rsplit("/", 1)[-1].startswith("Things"):
        base = base.rsplit("/", 1)[0]
    return base


def things_url(root: str, page_size: int) -> str:
    """The first page of Things; ``$`` and the brackets stay as STA writes them."""
    return (f"{root}/Things?$top={page_size}&$expand={quote(EXPAND, safe='$(),=;')}")


def _host(url: str) -> str:
    parts = urlsplit(url)
    return (parts.netloc or "").lower()


class Pager:
    """Pages of a STA collection along ``@iot.nextLink``, host-checked and capped."""

    def __init__(self, run: SourceRun):
        self.run = run
        self.max_pages = int(tk.config.get("ckanext.jena.harvest.max_pages"))
        self.hosts = {_host(run.url)} | {host.lower() for host in
                                         run.config.get("next_link_hosts", [])}
        self.pages = 0

    def collection(self, url: str, what: HarvestMessage) -> Iterator[dict[str, Any]]:
        visited: list[str] = []
        next_url: str | None = url
        while next_url:
            if next_url in visited:
                raise SourceError(N_("The pages of {what} lead back to {url}; the listing is "
                                     "incomplete."), what=what, url=next_url)
            self.pages += 1
            if self.pages > self.max_pages:
                raise SourceError(N_(
                    "The service has more than {count} pages (ckanext.jena.harvest.max_pages); "
                    "the listing was stopped."), count=self.max_pages)
            visited.append(next_url)
            answer = self.page(next_url, len(visited), what)
            for item in answer["value"]:
                if isinstance(item, dict):
                    yield item
            next_url = self.next_link(answer, "@iot.nextLink", what)

    def page(self, url: str, number: int, what: HarvestMessage) -> dict[str, Any]:
        try:
            document = self.run.client.get(url, accept=ACCEPT)
            answer = parse_json(document.body, document.charset)
        except SourceError as error:
            raise SourceError(N_("Page {page} of {what} could not be read: {problem}"),
                              page=number, what=what, problem=error.message)
        if not isinstance(answer, dict) or not isinstance(answer.get("value"), list):
            raise SourceError(N_(
                "Page {page} of {what} ({url}) is not a SensorThings collection: it has no "
                "\"value\" list."), page=number, what=what, url=url)
        return answer

    def next_link(self, answer: dict[str, Any], key: str, what: HarvestMessage) -> str | None:
        link = answer.get(key)
        if not isinstance(link, str) or not link.strip():
            return None
        link = link.strip()
        if _host(link) not in self.hosts:
            raise SourceError(N_(
                "The next page of {what} is on another host ({url}); the listing was stopped. "
                "If that host belongs to the service, add it to next_link_hosts."),
                what=what, url=link)
        return link


def list_records(run: SourceRun) -> list[Record]:
    """One record per Thing, or per group; a SourceError when any page cannot be read."""
    root = service_root(run.url)
    pager = Pager(run)
    page_size = int(run.config.get("page_size", DEFAULT_PAGE_SIZE))
    what = HarvestMessage(N_("the Things of the service"))
    things = []
    for thing in pager.collection(things_url(root, page_size), what):
        thing = dict(thing)
        streams = thing.get("Datastreams")
        streams = list(streams) if isinstance(streams, list) else []
        # FROST pages expanded collections too: read the Thing's further Datastreams
        more = pager.next_link(thing, "Datastreams@iot.nextLink", what)
        if more:
            streams.extend(pager.collection(more, HarvestMessage(
                N_("the Datastreams of {thing}"), thing=_name(thing))))
        thing["Datastreams"] = streams
        things.append(thing)
    group_by = (run.config.get("group_by") or "").strip()
    return grouped_records(things, root, group_by) if group_by else [
        thing_record(thing, root) for thing in things]


def thing_record(thing: dict[str, Any], root: str) -> Record:
    guid = _self_link(thing, root, "Things")
    if not guid:
        return Record(guid=None, content=canonical_json(stable_thing(thing, root)),
                      error=HarvestMessage(N_("A Thing has neither @iot.selfLink nor @iot.id, so "
                                              "it cannot be matched to a dataset.")))
    content = {"key": guid, "title": _name(thing), "things": [stable_thing(thing, root)],
               "datastreams": [stable_datastream(stream, root) for stream in thing["Datastreams"]
                               if isinstance(stream, dict)]}
    return Record(guid=guid, content=canonical_json(content), original_url=guid)


def grouped_records(things: list[dict[str, Any]], root: str, group_by: str) -> list[Record]:
    """One record per value of ``group_by``; Datastreams without it stay with their Thing."""
    groups: dict[str, dict[str, Any]] = {}
    records = []
    for thing in things:
        rest = []
        for stream in thing["Datastreams"]:
            if not isinstance(stream, dict):
                continue
            value = _property(stream, group_by) or _property(thing, group_by)
            if not value:
                rest.append(stream)
                continue
            group = groups.setdefault(value, {
                "key": f"{root}#{group_by}={value}", "title": value, "group_by": group_by,
                "things": [], "datastreams": []})
            stable = stable_thing(thing, root)
            if stable not in group["things"]:
                group["things"].append(stable)
            group["datastreams"].append(stable_datastream(stream, root))
        if rest or not thing["Datastreams"]:
            records.append(thing_record(dict(thing, Datastreams=rest), root))
    for value in sorted(groups):
        group = groups[value]
        group["things"].sort(key=lambda item: item.get("id") or "")
        group["datastreams"].sort(key=lambda item: item.get("id") or "")
        records.append(Record(guid=group["key"], content=canonical_json(group),
                              original_url=root))
    return records


def _property(item: dict[str, Any], key: str) -> str:
    properties = item.get("properties")
    value = properties.get(key) if isinstance(properties, dict) else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    return value.strip() if isinstance(value, str) else ""


def _self_link(item: dict[str, Any], root: str, collection: str) -> str:
    link = item.get("@iot.selfLink")
    if isinstance(link, str) and link.strip():
        return link.strip()
    identifier = item.get("@iot.id")
    if isinstance(identifier, bool) or identifier in (None, ""):
        return ""
    key = f"'{identifier}'" if isinstance(identifier, str) else str(identifier)
    return f"{root}/{collection}({key})"


def _name(item: dict[str, Any]) -> str:
    for key in ("name", "description"):
        if isinstance(item.get(key), str) and item[key].strip():
            return item[key].strip()
    return str(item.get("@iot.id", "?"))


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def stable_thing(thing: dict[str, Any], root: str) -> dict[str, Any]:
    """What the mapping reads of a Thing: name, description, properties, location boxes."""
    boxes = []
    for location in thing.get("Locations") or []:
        if isinstance(location, dict):
            box = location_box(location)
            if box:
                boxes.append(box)
    return {"id": _self_link(thing, root, "Things"), "name": _text(thing.get("name")),
            "description": _text(thing.get("description")),
            "properties": thing.get("properties") if isinstance(thing.get("properties"), dict)
            else {}, "boxes": sorted(boxes)}


def location_box(location: dict[str, Any]) -> list[float] | None:
    """The box of a Location's GeoJSON, lon/lat order checked against the plausible extent."""
    encoding = _text(location.get("encodingType")).lower()
    shape = location.get("location")
    if encoding and encoding not in GEOJSON_TYPES or not isinstance(shape, dict):
        return None
    if shape.get("type") == "Feature":
        shape = shape.get("geometry")
    return plausible_box(shape) if isinstance(shape, dict) else None


def stable_datastream(stream: dict[str, Any], root: str) -> dict[str, Any]:
    """A Datastream without its volatile values: the observation times only by day."""
    link = _self_link(stream, root, "Datastreams")
    unit = stream.get("unitOfMeasurement") if isinstance(stream.get("unitOfMeasurement"), dict) \
        else {}
    observed = stream.get("ObservedProperty") if isinstance(stream.get("ObservedProperty"), dict) \
        else {}
    sensor = stream.get("Sensor") if isinstance(stream.get("Sensor"), dict) else {}
    start, end = _days(stream.get("phenomenonTime"))
    return {
        "id": link, "name": _text(stream.get("name")),
        "description": _text(stream.get("description")),
        "observations": f"{link}/Observations" if link else "",
        "unit": {key: _text(unit.get(key)) for key in ("name", "symbol", "definition")
                 if _text(unit.get(key))},
        "observed_property": {key: _text(observed.get(key))
                              for key in ("name", "definition", "description")
                              if _text(observed.get(key))},
        "sensor": {key: _text(sensor.get(key)) for key in ("name", "description", "metadata")
                   if _text(sensor.get(key))},
        "properties": stream.get("properties") if isinstance(stream.get("properties"), dict)
        else {},
        "start": start, "end": end,
    }


def _days(interval: Any) -> tuple[str, str]:
    """Start and end day of an ISO 8601 interval ("start/end") or instant."""
    if not isinstance(interval, str) or not interval.strip():
        return "", ""
    parts = interval.strip().split("/")
    days = [match.group(1) if (match := DAY.match(part.strip())) else "" for part in parts[:2]]
    return days[0], days[-1]


# -- mapping -------------------------------------------------------------------------------------

def to_dataset(content: str, run: SourceRun) -> dict[str, Any]:
    try:
        record = json.loads(content)
    except ValueError:
        record = None
    if not isinstance(record, dict) or not isinstance(record.get("datastreams"), list):
        raise RecordError(N_("The stored record is not a SensorThings Thing or group."))
    things, streams = record.get("things") or [], record["datastreams"]
    title = record.get("title") or "?"
    observed = _unique(stream["observed_property"].get("name") for stream in streams)
    units = _unique(stream["unit"].get("symbol") or stream["unit"].get("name")
                    for stream in streams)
    dataset: dict[str, Any] = {
        "title_translated": {"de": title},
        "notes_translated": _notes(record, observed),
        "tags_translated": {language: _tags(SENSOR_TAGS[language], observed)
                            for language in ("de", "en")},
        "identifier": record.get("key"),
    }
    if observed:
        dataset["sensor_observed_property"] = {"de": ", ".join(observed)[:300]}
    unit_text = ", ".join(units)
    if unit_text and len(unit_text) <= MAX_UNIT_LENGTH:
        dataset["sensor_unit"] = unit_text
    resolution = _resolution(things, streams) or run.config.get("temporal_resolution")
    if resolution:
        dataset["temporal_resolution"] = resolution
    starts = sorted(stream["start"] for stream in streams if stream.get("start"))
    ends = sorted(stream["end"] for stream in streams if stream.get("end"))
    if starts or ends:
        dataset["temporal_coverage"] = [{key: value for key, value in (
            ("start", starts[0] if starts else None), ("end", ends[-1] if ends else None))
            if value}]
    boxes = [box for thing in things for box in thing.get("boxes") or []]
    if boxes:
        dataset["spatial"] = json.dumps(_geometry(boxes))
    dataset["resources"] = [_resource(stream) for stream in streams if stream.get("observations")]
    return dataset


def _unique(values) -> list[str]:
    result: list[str] = []
    for value in values:
        if value and value not in result:
            result.append(value)
    return result


def _tags(base: list[str], observed: list[str]) -> list[str]:
    tags = list(base)
    for name in observed:
        # keywords are short: a property name such as "soil moisture" qualifies, a URI does not
        if len(name) <= 100 and name not in tags:
            tags.append(name)
    return tags


def _notes(record: dict[str, Any], observed: list[str]) -> dict[str, str]:
    descriptions = _unique(thing.get("description") for thing in record.get("things") or [])
    lines = [text for text in descriptions if text and text != record.get("title")]
    summary = HarvestMessage(N_(
        "Sensor data of a SensorThings API service: {count} data streams ({properties}). Each "
        "resource links to the live observations of one data stream (JSON); the portal does not "
        "copy them."), count=len(record["datastreams"]), properties=", ".join(observed) or "-")
    return {language: "\n\n".join([*lines, summary.text(language)]) for language in ("de", "en")}


def _resolution(things: list[dict[str, Any]], streams: list[dict[str, Any]]) -> str | None:
    """A measurement interval the operator wrote into the properties, if all streams agree."""
    found = _unique(_text(item.get("properties", {}).get(key))
                    for item in [*streams, *things] for key in RESOLUTION_KEYS)
    valid = [value for value in found if DURATION.match(value)]
    return valid[0] if len(valid) == 1 else None


def _geometry(boxes: list[list[float]]) -> dict[str, Any]:
    bbox = geometry.union_bbox(boxes)
    if bbox[0] == bbox[2] and bbox[1] == bbox[3]:
        return {"type": "Point", "coordinates": [bbox[0], bbox[1]]}
    if bbox[0] == bbox[2] or bbox[1] == bbox[3]:
        return {"type": "LineString", "coordinates": [[bbox[0], bbox[1]], [bbox[2], bbox[3]]]}
    return geometry.bbox_polygon(bbox)


def _resource(stream: dict[str, Any]) -> dict[str, Any]:
    parts = []
    if stream.get("description"):
        parts.append(stream["description"])
    observed, unit, sensor = stream["observed_property"], stream["unit"], stream["sensor"]
    details = {language: list(parts) for language in ("de", "en")}
    for message, value in (
            (N_("Observed property: {value}"),
             " – ".join(_unique([observed.get("name"), observed.get("definition")]))),
            (N_("Unit: {value}"), " – ".join(_unique([unit.get("symbol"), unit.get("name"),
                                                      unit.get("definition")]))),
            (N_("Sensor: {value}"), " – ".join(_unique([sensor.get("name"),
                                                        sensor.get("description"),
                                                        sensor.get("metadata")])))):
        if value:
            for language in details:
                details[language].append(HarvestMessage(message, value=value).text(language))
    return {
        "url": stream["observations"], "access_url": stream["observations"],
        "format": "JSON", "mimetype": "application/json",
        "name_translated": {"de": stream.get("name") or stream["id"]},
        "description_translated": {language: "\n\n".join(lines)
                                   for language, lines in details.items() if lines},
    }
