"""The CSW harvester: GetRecords paging with full ISO 19139 records, and their mapping.

The catalogue is a local server answering GetRecords with hand-made records in the style of the
GDI-DE / GDI-Th catalogues (tests/data/csw/): German text, the licence as JSON or text in
otherConstraints, a service record that operates on a dataset, and an older copy of a record.
"""
from __future__ import annotations

import json
import time
from functools import partial
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from lxml import etree

from ckan.tests import helpers

from ckanext.jena.harvesters import csw, iso
from ckanext.jena.harvesters.base import SourceRun
from ckanext.jena.harvesters.messages import RecordError
from ckanext.jena.harvesters.parsing import parse_xml

from tests.harvest_sources import Answer
from tests.harvesting import (assert_reharvest_writes_nothing, create_source, harvest, harvested,
                              harvesting, state_of)

DATA = Path(__file__).resolve().parent / "data" / "csw"
PLUGINS = "jena scheming_datasets harvest jena_csw_harvester"
ORGANIZATION = "geodaten-jena"
CSW_PATH = "/geonetwork/srv/ger/csw"
PARKPLAETZE = "7d3c1a52-4e0b-4b7e-9f55-0a6c2b9e1f01"
BPLAN = "c0ffee00-1b2b-4c3d-8e9f-bebauungsplan"
BAEUME = "5b1e7e0c-9a1d-4f4e-b3a2-baumkataster2"
BAEUME_OLD = "5b1e7e0c-9a1d-4f4e-b3a2-baumkataster1"
SERVICE = "a1b2c3d4-0000-4000-8000-dienstparken"
CITY_MAP = "e5f6a7b8-1111-4000-8000-stadtplanwms"
# the catalogue's order: five records, so pages of two make three pages
CATALOGUE = ["parkplaetze", "dienst-parken", "bebauungsplaene", "baumkataster-alt", "baumkataster"]
XML = "application/xml"


def record_xml(name: str) -> str:
    text = (DATA / f"{name}.xml").read_text(encoding="utf-8")
    return text.split("?>", 1)[1].strip() if text.startswith("<?xml") else text


def get_records_response(records: list[str], matched: int, start: int = 1,
                         next_record: int | None = None, encoding: str = "UTF-8") -> str:
    """A CSW 2.0.2 GetRecords answer as GeoNetwork writes it."""
    if next_record is None:
        next_record = start + len(records) if start + len(records) <= matched else 0
    return (f'<?xml version="1.0" encoding="{encoding}"?>\n'
            '<csw:GetRecordsResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" version="2.0.2">'
            '<csw:SearchStatus timestamp="2024-03-12T10:00:00"/>'
            f'<csw:SearchResults numberOfRecordsMatched="{matched}" '
            f'numberOfRecordsReturned="{len(records)}" elementSet="full" nextRecord="{next_record}" '
            'recordSchema="http://www.isotc211.org/2005/gmd">'
            + "".join(records) + "</csw:SearchResults></csw:GetRecordsResponse>")


def page_path(server, config: dict, start: int) -> str:
    url = csw.get_records_url(server.url(CSW_PATH), config, start)
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def publish(server, names: list[str], page_size: int = 2, config: dict | None = None,
            matched: int | None = None) -> None:
    """The catalogue answers GetRecords for each start position the harvester should ask for."""
    config = {"page_size": page_size} if config is None else config
    count = len(names) if matched is None else matched
    for start in range(1, max(len(names), 1) + 1, page_size):
        records = [record_xml(name) for name in names[start - 1:start - 1 + page_size]]
        server.serve(page_path(server, config, start), get_records_response(records, count, start),
                     content_type=XML)


def requested_starts(server) -> list[int]:
    return [int(parse_qs(urlsplit(path).query)["STARTPOSITION"][0]) for path in server.paths()
            if path.startswith(CSW_PATH)]


def read(name: str) -> dict:
    return iso.read_record(parse_xml((DATA / f"{name}.xml").read_bytes()))


# -- configuration and requests (no database) ------------------------------------------------------

class TestConfiguration:
    def test_a_complete_configuration_is_accepted(self):
        assert csw.check_config({"page_size": 50, "cql": "type = 'dataset'",
                                 "include_services": True}) == []

    @pytest.mark.parametrize("config, key", [
        ({"page_size": 0}, "page_size"), ({"page_size": 1001}, "page_size"),
        ({"page_size": "10"}, "page_size"), ({"cql": ["type = 'dataset'"]}, "cql"),
        ({"cql": "x" * 2001}, "cql"), ({"include_services": "ja"}, "include_services"),
    ])
    def test_a_wrong_setting_is_named(self, config, key):
        [problem] = csw.check_config(config)
        assert problem.text("en").startswith(key)
        assert problem.text("de") != problem.text("en") or key in problem.text("de")


class TestRequests:
    def test_get_records_asks_for_full_iso_records_from_a_start_position(self):
        url = csw.get_records_url("https://geoportal.example-th.de/csw?SERVICE=CSW&request=GetCapabilities"
                                  "&portal=jena", {"page_size": 25, "cql": "type = 'dataset'"}, 26)
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        assert parts.netloc == "geoportal.example-th.de" and parts.path == "/csw"
        assert query["REQUEST"] == ["GetRecords"] and query["VERSION"] == ["2.0.2"]
        assert query["OUTPUTSCHEMA"] == ["http://www.isotc211.org/2005/gmd"]
        assert query["ELEMENTSETNAME"] == ["full"] and query["RESULTTYPE"] == ["results"]
        assert query["STARTPOSITION"] == ["26"] and query["MAXRECORDS"] == ["25"]
        assert query["CONSTRAINTLANGUAGE"] == ["CQL_TEXT"] and query["CONSTRAINT"] == ["type = 'dataset'"]
        assert query["portal"] == ["jena"]  # the catalogue's own parameter stays
        assert "request" not in query and "SERVICE" in query and len(query["SERVICE"]) == 1

    def test_without_cql_there_is_no_constraint(self):
        query = parse_qs(urlsplit(csw.get_records_url("https://example.org/csw", {}, 1)).query)
        assert "CONSTRAINT" not in query and query["MAXRECORDS"] == ["100"]

    def test_the_original_is_the_record_by_id(self):
        query = parse_qs(urlsplit(csw.record_url("https://example.org/csw", PARKPLAETZE)).query)
        assert query["REQUEST"] == ["GetRecordById"] and query["ID"] == [PARKPLAETZE]


class TestReadingIso:
    def test_a_gdi_th_record(self):
        record = read("parkplaetze")
        assert record["file_identifier"] == PARKPLAETZE
        assert record["hierarchy_level"] == "dataset" and record["language"] == "ger"
        assert record["title"] == {"de": "Parkplätze und Parkhäuser der Stadt Jena"}
        assert record["dates"] == {"creation": "2016-05-02", "publication": "2016-06-15",
                                   "revision": "2024-03-01"}
        assert record["bounding_boxes"] == [[11.527, 50.874, 11.655, 50.985]]
        assert record["temporal"] == {"start": "2016-01-01"}
        assert [party["role"] for party in record["parties"]] == ["pointOfContact", "publisher", "custodian"]
        assert record["keywords"][1] == {"thesaurus": "GEMET - INSPIRE themes, version 1.0",
                                         "keywords": ["Verkehrsnetze"]}
        # the access constraint names no licence and is kept apart
        assert not any("Zugriffsbeschränkungen" in text for text in record["constraints"]["texts"])

    def test_english_from_pt_free_text(self):
        assert read("bebauungsplaene")["title"] == {
            "de": "Rechtskräftige Bebauungspläne Jena", "en": "Legally binding development plans of Jena"}

    def test_a_service_record(self):
        record = read("dienst-parken")
        assert iso.is_service(record) and not iso.is_data(record)
        assert record["operates_on"][0].endswith("3f8a9c12-6b2d-4d0e-a1c4-parkplaetze")
        assert iso.referenced_keys(record["operates_on"][1]) & iso.reference_keys(read("parkplaetze"))


class TestLicences:
    @pytest.mark.parametrize("texts, links, expected", [
        (['{"id":"dl-by-de/2.0","name":"Datenlizenz Deutschland – Namensnennung – Version 2.0",'
          '"url":"https://www.govdata.de/dl-de/by-2-0","quelle":"Stadt Jena"}'], [],
         ("dl-by-de/2.0", None, "Stadt Jena")),
        (['{"id":"dl-de-zero-2.0","url":"https://www.govdata.de/dl-de/zero-2-0"}'], [],
         ("dl-zero-de/2.0", None, None)),
        (["Datenlizenz Deutschland – Namensnennung – Version 2.0"], [], ("dl-by-de/2.0", None, None)),
        (["Datenlizenz Deutschland Namensnennung nicht-kommerziell 1.0"], [],
         ("dl-by-nc-de/1.0", None, None)),
        (["Es gilt die dl-de/by-2-0: https://www.govdata.de/dl-de/by-2-0"], [], ("dl-by-de/2.0", None, None)),
        (["Nutzung ohne Einschränkungen"], ["https://www.govdata.de/dl-de/zero-2-0"],
         ("dl-zero-de/2.0", None, None)),
        (["Creative Commons Namensnennung 4.0 International (CC BY 4.0)"], [], ("cc-by/4.0", None, None)),
        (["Nutzungsbedingungen des Landesamts, siehe Gebührenordnung"], [],
         (None, "Nutzungsbedingungen des Landesamts, siehe Gebührenordnung", None)),
        (["keine"], [], (None, None, None)),
        ([], [], (None, None, None)),
    ])
    def test_licence_texts(self, texts, links, expected):
        assert iso.map_license(texts, links) == expected


@pytest.fixture
def run():
    return SourceRun(source_id="quelle", url="https://geoportal.example-th.de/csw", config={},
                     client=None)


def parsed(names):
    return [parse_xml((DATA / f"{name}.xml").read_bytes()) for name in names]


@pytest.mark.usefixtures("with_plugins")
@pytest.mark.ckan_config("ckan.plugins", "jena scheming_datasets")
class TestMapping:
    def test_a_dataset_with_everything(self, run):
        [record] = [item for item in csw.records_of(parsed(CATALOGUE), run) if item.guid == PARKPLAETZE]
        dataset = csw.to_dataset(record.content)
        assert dataset["title_translated"] == {"de": "Parkplätze und Parkhäuser der Stadt Jena"}
        assert dataset["notes_translated"]["de"].startswith("Lage, Art und Name der öffentlichen")
        assert dataset["tags_translated"] == {"de": ["Parken", "Parkhaus", "opendata", "Verkehrsnetze"]}
        assert dataset["license_id"] == "dl-by-de/2.0"
        assert dataset["contact"] == [{"name": "Stadt Jena, Fachdienst Mobilität",
                                       "email": "mobilitaet@example-jena.de",
                                       "url": "https://www.example-jena.de/mobilitaet"}]
        assert dataset["publisher"] == [{"name": "Stadt Jena", "email": "opendata@example-jena.de",
                                         "url": "https://www.example-jena.de"}]
        assert dataset["maintainer_agent"] == [{"name": "KSJ – Kommunalservice Jena",
                                                "email": "ksj@example-jena.de"}]
        assert dataset["issued"] == "2016-06-15" and dataset["modified"] == "2024-03-01"
        assert dataset["temporal_coverage"] == [{"start": "2016-01-01"}]
        assert dataset["frequency"] == "http://publications.europa.eu/resource/authority/frequency/MONTHLY"
        assert dataset["language"] == ["http://publications.europa.eu/resource/authority/language/DEU"]
        assert dataset["theme"] == ["http://publications.europa.eu/resource/authority/data-theme/TRAN"]
        assert dataset["url"] == "https://www.example-jena.de/parken"
        assert json.loads(dataset["spatial"]) == {"type": "Polygon", "coordinates": [[
            [11.527, 50.874], [11.655, 50.874], [11.655, 50.985], [11.527, 50.985], [11.527, 50.874]]]}
        download, wfs, wms = dataset["resources"]
        assert download == {
            "url": "https://opendata.example-jena.de/data/parken.geojson",
            "access_url": "https://opendata.example-jena.de/data/parken.geojson",
            "download_url": "https://opendata.example-jena.de/data/parken.geojson",
            "format": "GEOJSON", "name_translated": {"de": "Parkplätze (GeoJSON)"},
            "description_translated": {"de": "Alle Parkplätze als GeoJSON in WGS84"},
            "attribution_text": "Stadt Jena, Fachdienst Mobilität"}
        # the service record operating on this dataset gives its access points, not a dataset
        assert wms["format"] == "WMS_SRVC" and "download_url" not in wms
        assert wms["url"] == ("https://geodienste.example-jena.de/geoserver/jena/wms?"
                              "SERVICE=WMS&REQUEST=GetCapabilities")
        assert wfs["format"] == "WFS_SRVC"
        assert wfs["url"] == ("https://geodienste.example-jena.de/geoserver/jena/wfs?"
                              "SERVICE=WFS&REQUEST=GetCapabilities")

    def test_a_series_with_a_licence_text_and_an_owner(self, run):
        [record] = [item for item in csw.records_of(parsed(["bebauungsplaene"]), run)]
        dataset = csw.to_dataset(record.content)
        assert dataset["title_translated"]["en"] == "Legally binding development plans of Jena"
        assert dataset["license_id"] == "dl-by-de/2.0"
        assert dataset["publisher"] == [{"name": "Stadt Jena, Fachdienst Stadtplanung",
                                         "email": "stadtplanung@example-jena.de"}]
        assert dataset["contact"] == dataset["publisher"]  # the only reachable party
        assert dataset["frequency"].endswith("/IRREG") and "temporal_coverage" not in dataset
        assert dataset["modified"] == "2023-11-17T10:00:00" and dataset["issued"] == "2009-03-01"
        [wms] = dataset["resources"]
        assert wms["format"] == "WMS_SRVC" and wms["name_translated"] == {"de": "WMS Bebauungspläne"}

    def test_the_newest_record_of_a_resource_is_used(self, run):
        records = csw.records_of(parsed(CATALOGUE), run)
        assert sorted(record.guid for record in records) == sorted([PARKPLAETZE, BPLAN, BAEUME])
        baeume = csw.to_dataset(next(record for record in records if record.guid == BAEUME).content)
        assert baeume["title_translated"] == {"de": "Baumkataster Jena"}
        assert baeume["license_id"] == "dl-zero-de/2.0"  # from the Anchor's address
        assert baeume["contact"] == [{"name": "KSJ – Kommunalservice Jena",
                                      "email": "baumkataster@example-jena.de"}]  # metadata contact
        assert baeume["language"] == ["http://publications.europa.eu/resource/authority/language/DEU"]
        [csv] = baeume["resources"]
        assert csv["format"] == "CSV" and csv["download_url"] == csv["url"]  # the only format named

    def test_services_of_their_own_only_when_asked(self, run):
        names = CATALOGUE + ["dienst-stadtplan"]
        assert CITY_MAP not in {record.guid for record in csw.records_of(parsed(names), run)}
        run.config = {"include_services": True}
        records = {record.guid: record for record in csw.records_of(parsed(names), run)}
        assert SERVICE not in records  # it serves a harvested dataset: no duplicate
        city_map = csw.to_dataset(records[CITY_MAP].content)
        assert city_map["license_id"] == "cc-by/4.0"
        [wms] = city_map["resources"]
        assert wms["url"] == "https://geodienste.example-jena.de/wms/stadtplan?SERVICE=WMS&REQUEST=GetCapabilities"

    def test_a_record_of_another_schema_or_without_identifier_fails_alone(self, run):
        dublin_core = etree.fromstring(
            b'<csw:Record xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" '
            b'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier>x</dc:identifier></csw:Record>')
        anonymous = parsed(["parkplaetze"])[0]
        identifier = anonymous.find(f"{{{iso.GMD}}}fileIdentifier")
        anonymous.remove(identifier)
        records = csw.records_of([dublin_core, anonymous, *parsed(["baumkataster"])], run)
        assert [record.guid for record in records] == [None, None, BAEUME]
        assert "gmd:MD_Metadata" in records[0].error.text("en")
        assert "fileIdentifier" in records[1].error.text("en")
        assert "Parkplätze" in records[1].error.text("de")

    @pytest.mark.parametrize("boxes, expected", [
        ([[11.5, 50.8, 11.7, 51.0]], "Polygon"),
        ([[11.6, 50.9, 11.6, 50.9]], "Point"),
        ([[11.7, 50.8, 11.5, 51.0]], None),        # west and east swapped
        ([[5.8, 47.2, 15.1, 55.1]], "Polygon"),     # Germany: contains the region
        ([[-74.1, 40.6, -73.8, 40.9]], None),       # New York: implausible for Jena
        ([[50.9, 11.5, 51.0, 11.7]], None),         # latitude and longitude swapped
        ([], None),
    ])
    def test_bounding_boxes_are_checked(self, boxes, expected):
        spatial = iso.spatial_of(boxes)
        assert (json.loads(spatial)["type"] if spatial else None) == expected

    def test_a_record_without_title_is_refused(self):
        with pytest.raises(RecordError) as raised:
            iso.to_dataset({"file_identifier": "ohne-titel"})
        assert "ohne-titel" in raised.value.message.text("en")


# -- harvesting in CKAN ---------------------------------------------------------------------------

make_source = partial(create_source, source_type="jena_csw", name="geoportal-thueringen",
                      title="Geoportal Thüringen (CSW)", path=CSW_PATH)


@harvesting(PLUGINS)
class TestHarvest:
    def test_first_harvest_over_three_pages(self, server, organization, test_request_context):
        publish(server, CATALOGUE, page_size=2)
        source = make_source(server, organization, {"page_size": 2})

        job, report = harvest(source, test_request_context)

        assert report["gather_errors"] == [] and report["record_errors"] == [], report
        assert report["counts"] == {"added": 3}
        assert requested_starts(server) == [1, 3, 5]
        datasets = harvested(source)
        assert sorted(datasets) == sorted([PARKPLAETZE, BPLAN, BAEUME])
        parken = helpers.call_action("package_show", id=datasets[PARKPLAETZE]["id"])
        assert parken["title"] == "Parkplätze und Parkhäuser der Stadt Jena"
        assert parken["license_id"] == "dl-by-de/2.0"
        assert [resource["format"] for resource in parken["resources"]] == ["GEOJSON", "WFS_SRVC", "WMS_SRVC"]
        assert parken["contact"][0]["email"] == "mobilitaet@example-jena.de"
        assert json.loads(parken["spatial"])["type"] == "Polygon"
        bplan = helpers.call_action("package_show", id=datasets[BPLAN]["id"])
        assert bplan["title_translated"]["en"] == "Legally binding development plans of Jena"
        origin = helpers.call_action("package_show",
                                     id=datasets[BAEUME]["id"])
        assert origin["temporal_coverage"] == [{"start": "2014-01-01", "end": "2023-12-31"}]

    def test_an_unchanged_catalogue_writes_nothing(self, server, organization, test_request_context):
        publish(server, CATALOGUE, page_size=2)
        source = make_source(server, organization, {"page_size": 2})
        harvest(source, test_request_context)

        assert_reharvest_writes_nothing(source, test_request_context, 3)

    def test_a_changed_service_updates_the_dataset_it_serves(self, server, organization,
                                                             test_request_context):
        publish(server, CATALOGUE, page_size=5, config={"page_size": 5})
        source = make_source(server, organization, {"page_size": 5})
        harvest(source, test_request_context)
        server.serve(page_path(server, {"page_size": 5}, 1), get_records_response(
            [record_xml(name) for name in CATALOGUE if name != "dienst-parken"], 4),
            content_type=XML)

        job, report = harvest(source, test_request_context)

        assert report["counts"] == {"updated": 1, "not modified": 2}, report
        parken = helpers.call_action("package_show", id=harvested(source)[PARKPLAETZE]["id"])
        assert [resource["format"] for resource in parken["resources"]] == ["GEOJSON"]

    def test_a_record_removed_is_withdrawn(self, server, organization, test_request_context):
        publish(server, CATALOGUE, page_size=2)
        source = make_source(server, organization, {"page_size": 2, "max_deletion_share": 0.5})
        harvest(source, test_request_context)
        datasets = harvested(source)
        server.clear_log()

        publish(server, [name for name in CATALOGUE if name != "bebauungsplaene"], page_size=2)
        job, report = harvest(source, test_request_context)

        assert report["counts"] == {"deleted": 1, "not modified": 2}, report
        assert state_of(datasets[BPLAN]["id"]) == "deleted"
        assert state_of(datasets[PARKPLAETZE]["id"]) == "active"

    def test_a_catalogue_in_iso_8859_1(self, server, organization, test_request_context):
        body = get_records_response([record_xml("parkplaetze")], 1, encoding="ISO-8859-1")
        latin1 = body.replace("–", "-").encode("iso-8859-1")  # Latin-1 has no en dash
        assert "ä".encode("utf-8") not in latin1
        server.serve(page_path(server, {}, 1), latin1, content_type="text/xml")
        source = make_source(server, organization)

        job, report = harvest(source, test_request_context)

        assert report["counts"] == {"added": 1}, report
        parken = helpers.call_action("package_show", id=harvested(source)[PARKPLAETZE]["id"])
        assert parken["title"] == "Parkplätze und Parkhäuser der Stadt Jena"
        assert parken["maintainer_agent"][0]["name"] == "KSJ - Kommunalservice Jena"
        assert "Mobilität" in parken["contact"][0]["name"]

    def test_a_retried_server_error(self, server, organization, test_request_context):
        path = page_path(server, {}, 1)
        server.sequence(path, [Answer(b"Internal Server Error", status=500, content_type="text/plain"),
                               Answer(get_records_response([record_xml("baumkataster")], 1).encode(),
                                      content_type=XML)])
        source = make_source(server, organization)

        job, report = harvest(source, test_request_context)

        assert report["counts"] == {"added": 1}, report
        assert server.requested(path) == 2

    def test_settings_are_checked_on_save(self, server, organization):
        with pytest.raises(Exception) as raised:
            make_source(server, organization, {"page_size": 0, "constraint": "x"})
        text = str(getattr(raised.value, "error_dict", raised.value))
        assert "page_size" in text and "constraint" in text


@pytest.fixture
def harvested_once(server, organization, test_request_context):
    """A source whose three datasets were harvested over three pages; the tests then break it."""
    publish(server, CATALOGUE, page_size=2)
    source = make_source(server, organization, {"page_size": 2})
    job, report = harvest(source, test_request_context)
    assert report["counts"] == {"added": 3}, report
    server.clear_log()
    return source


def assert_nothing_withdrawn(source):
    datasets = harvested(source)
    assert sorted(datasets) == sorted([PARKPLAETZE, BPLAN, BAEUME])
    assert all(state_of(dataset["id"]) == "active" for dataset in datasets.values())


def only_gather_error(report) -> str:
    [message] = report["gather_errors"]
    assert "Nothing was imported, changed or withdrawn." in message
    assert "Es wurde nichts importiert, geändert oder zurückgezogen." in message
    return message


def break_first_page(server, **answer):
    server.sequence(page_path(server, {"page_size": 2}, 1), [Answer(**answer)])


ENTITY_BOMB = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
               + "".join(f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10 if n > 1 else "&lol;" * 10}">'
                         for n in range(1, 10))
               + ']>\n<csw:GetRecordsResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2">'
               '&lol9;</csw:GetRecordsResponse>')
XXE = ('<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
       + get_records_response([record_xml("baumkataster").replace("Baumkataster Jena", "&xxe;")], 1)
       .split("?>", 1)[1])
EXCEPTION_REPORT = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<ows:ExceptionReport xmlns:ows="http://www.opengis.net/ows" '
    'version="1.2.0"><ows:Exception exceptionCode="InvalidParameterValue" locator="outputSchema">'
    '<ows:ExceptionText>Unbekanntes Ausgabeschema</ows:ExceptionText></ows:Exception></ows:ExceptionReport>')


@harvesting(PLUGINS)
class TestFaults:
    def test_not_found(self, server, harvested_once, test_request_context):
        break_first_page(server, body=b"Not Found", status=404, content_type="text/plain")
        job, report = harvest(harvested_once, test_request_context)
        assert "404" in only_gather_error(report)
        assert_nothing_withdrawn(harvested_once)

    def test_a_timeout(self, server, harvested_once, test_request_context):
        server.hang(page_path(server, {"page_size": 2}, 1), seconds=20)
        started = time.monotonic()
        job, report = harvest(harvested_once, test_request_context)
        assert time.monotonic() - started < 15
        only_gather_error(report)
        assert_nothing_withdrawn(harvested_once)

    def test_a_truncated_answer(self, server, harvested_once, test_request_context):
        body = get_records_response([record_xml("parkplaetze")], 5).encode()
        server.sequence(page_path(server, {"page_size": 2}, 1),
                        [Answer(body, content_type=XML, keep=len(body) // 2)])
        job, report = harvest(harvested_once, test_request_context)
        only_gather_error(report)
        assert_nothing_withdrawn(harvested_once)

    def test_invalid_xml(self, server, harvested_once, test_request_context):
        body = get_records_response([record_xml("parkplaetze")], 5).replace("</gmd:abstract>", "", 1)
        break_first_page(server, body=body.encode(), content_type=XML)
        job, report = harvest(harvested_once, test_request_context)
        message = only_gather_error(report)
        assert "Page 1 of the catalogue" in message and "XML" in message
        assert_nothing_withdrawn(harvested_once)

    @pytest.mark.parametrize("body", [ENTITY_BOMB, XXE], ids=["entity-bomb", "xxe"])
    def test_entities_are_refused_at_once(self, body, server, harvested_once, test_request_context):
        break_first_page(server, body=body.encode(), content_type=XML)
        started = time.monotonic()
        job, report = harvest(harvested_once, test_request_context)
        assert time.monotonic() - started < 10
        message = only_gather_error(report)
        assert "declares entities" in message and "root:" not in message
        assert_nothing_withdrawn(harvested_once)

    def test_an_exception_report(self, server, harvested_once, test_request_context):
        break_first_page(server, body=EXCEPTION_REPORT.encode(), content_type=XML)
        job, report = harvest(harvested_once, test_request_context)
        message = only_gather_error(report)
        assert "The catalogue refused the request" in message
        assert "InvalidParameterValue (outputSchema) Unbekanntes Ausgabeschema" in message
        assert_nothing_withdrawn(harvested_once)

    def test_not_a_get_records_answer(self, server, harvested_once, test_request_context):
        break_first_page(server, body=b"<html><body>Wartungsarbeiten</body></html>", content_type="text/html")
        job, report = harvest(harvested_once, test_request_context)
        assert "not a CSW GetRecords answer" in only_gather_error(report)
        assert_nothing_withdrawn(harvested_once)

    def test_an_empty_result(self, server, harvested_once, test_request_context):
        break_first_page(server, body=get_records_response([], 0).encode(), content_type=XML)
        job, report = harvest(harvested_once, test_request_context)
        [message] = report["gather_errors"]
        assert "lists no datasets" in message
        assert report["counts"].get("deleted") is None
        assert_nothing_withdrawn(harvested_once)

    def test_the_second_of_three_pages_failing(self, server, harvested_once, test_request_context):
        server.sequence(page_path(server, {"page_size": 2}, 3),
                        [Answer(b"Bad Gateway", status=502, content_type="text/plain")])
        job, report = harvest(harvested_once, test_request_context)
        message = only_gather_error(report)
        assert "502" in message
        german, english = message.split("\n")[0], message.split("\n")[-1]
        assert german != english and "Nothing was imported" in english
        assert requested_starts(server)[0] == 1 and 3 in requested_starts(server)
        assert 5 not in requested_starts(server)
        assert_nothing_withdrawn(harvested_once)

    def test_the_number_of_records_changing(self, server, harvested_once, test_request_context):
        server.serve(page_path(server, {"page_size": 2}, 3), get_records_response(
            [record_xml("bebauungsplaene"), record_xml("baumkataster-alt")], 4, start=3),
            content_type=XML)
        job, report = harvest(harvested_once, test_request_context)
        assert "changed from 5 to 4" in only_gather_error(report)
        assert_nothing_withdrawn(harvested_once)

    def test_fewer_records_than_matched(self, server, harvested_once, test_request_context):
        server.serve(page_path(server, {"page_size": 2}, 3), get_records_response(
            [record_xml("bebauungsplaene")], 5, start=3, next_record=0), content_type=XML)
        job, report = harvest(harvested_once, test_request_context)
        assert "reports 5 records, but its pages list 3" in only_gather_error(report)
        assert_nothing_withdrawn(harvested_once)

    def test_a_next_record_that_does_not_lead_on(self, server, harvested_once, test_request_context):
        server.serve(page_path(server, {"page_size": 2}, 3), get_records_response(
            [record_xml("bebauungsplaene"), record_xml("baumkataster-alt")], 5, start=3,
            next_record=1), content_type=XML)
        job, report = harvest(harvested_once, test_request_context)
        assert "does not lead on" in only_gather_error(report)
        assert_nothing_withdrawn(harvested_once)

    def test_more_pages_than_allowed(self, server, harvested_once, test_request_context, ckan_config,
                                     monkeypatch):
        monkeypatch.setitem(ckan_config, "ckanext.jena.harvest.max_pages", 2)
        job, report = harvest(harvested_once, test_request_context)
        assert "more than 2 pages" in only_gather_error(report)
        assert requested_starts(server) == [1, 3]
        assert_nothing_withdrawn(harvested_once)


@harvesting(PLUGINS)
class TestMetadataDate:
    def test_a_new_date_stamp_alone_writes_nothing(self, server, organization, test_request_context):
        publish(server, ["parkplaetze"], page_size=2)
        source = make_source(server, organization, {"page_size": 2})
        harvest(source, test_request_context)
        restamped = record_xml("parkplaetze").replace("2024-03-11T08:15:00", "2024-04-01T00:00:00")
        assert restamped != record_xml("parkplaetze")
        server.serve(page_path(server, {"page_size": 2}, 1), get_records_response([restamped], 1),
                     content_type=XML)

        job, report = harvest(source, test_request_context)

        assert report["counts"] == {"not modified": 1}, report
