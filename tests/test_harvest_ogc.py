"""The feature service harvesters: WFS 2.0 capabilities and OGC API – Features collections.

The services are local servers with hand-made documents in the style of a GeoServer WFS and a
pygeoapi instance (tests/data/ogc/); the parking sites' GetFeature answer is Jena's real
GeoJSON. The WFS's first feature type names the ISO record of the CSW tests as its MetadataURL.
"""
from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

import ckan.plugins.toolkit as tk

from ckanext.jena.harvesters import ogc_features
from ckanext.jena.harvesters.http import SafeClient
from ckanext.jena.harvesters.parsing import parse_json

from tests.harvesting import (assert_reharvest_writes_nothing, create_source, harvest,
                              harvested_in_full, harvesting)

DATA = Path(__file__).resolve().parent / "data" / "ogc"
CSW_DATA = Path(__file__).resolve().parent / "data" / "csw"
PLUGINS = "jena scheming_datasets harvest jena_wfs_harvester jena_ogcapi_features_harvester"
ORGANIZATION = "geodaten-jena"
WFS_PATH = "/geoserver/jena/wfs"
API_PATH = "/ogcapi"
XML = "application/xml"
JSON = "application/json"


def capabilities(server) -> str:
    return (DATA / "wfs-capabilities.xml").read_text(encoding="utf-8").replace("{BASE}", server.url(""))


def iso_record_by_id() -> str:
    record = (CSW_DATA / "parkplaetze.xml").read_text(encoding="utf-8").split("?>", 1)[1]
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<csw:GetRecordByIdResponse '
            'xmlns:csw="http://www.opengis.net/cat/csw/2.0.2">' + record + "</csw:GetRecordByIdResponse>")


def publish_wfs(server) -> None:
    server.serve(WFS_PATH, capabilities(server), content_type="text/xml; charset=UTF-8")
    server.serve("/csw", iso_record_by_id(), content_type=XML)
    server.serve("/ortsteile.html", "<!DOCTYPE html><html><body>Ortsteile</body></html>",
                 content_type="text/html")


def base_url(server) -> str:
    return server.url(API_PATH)


def collections_page(server, number: int) -> str:
    return (DATA / f"collections-{number}.json").read_text(encoding="utf-8").replace("{API}", base_url(server))


def publish_api(server) -> None:
    server.serve(f"{API_PATH}/collections", collections_page(server, 1), content_type=JSON)
    server.serve(f"{API_PATH}/collections?f=json&offset=2", collections_page(server, 2), content_type=JSON)
    server.serve(f"{API_PATH}/conformance", (DATA / "conformance.json").read_bytes(), content_type=JSON)


DEFAULTS = {"contact": [{"name": "Open-Data-Team", "email": "opendata@example-jena.de"}],
            "tags_translated": {"de": ["Jena"]}}

make_wfs_source = partial(create_source, source_type="jena_wfs", name="jena-wfs",
                          title="Geodienst (jena_wfs)", path=WFS_PATH)
make_api_source = partial(create_source, source_type="jena_ogcapi_features",
                          name="jena-ogcapi-features", title="Geodienst (jena_ogcapi_features)",
                          path=API_PATH)


class TestAddresses:
    def test_the_wfs_endpoint_keeps_foreign_parameters_only(self):
        assert ogc_features.capabilities_url(
            "https://geo.example.org/wfs?service=WFS&request=GetCapabilities&map=jena.map") == \
            "https://geo.example.org/wfs?map=jena.map&SERVICE=WFS&REQUEST=GetCapabilities&ACCEPTVERSIONS=2.0.0"

    @pytest.mark.parametrize("url", ["https://api.example.org/ogc", "https://api.example.org/ogc/",
                                     "https://api.example.org/ogc/collections?f=json"])
    def test_the_api_base(self, url):
        assert ogc_features.api_base(url) == "https://api.example.org/ogc"

    def test_conformance_classes_are_named(self):
        classes = json.loads((DATA / "conformance.json").read_text())["conformsTo"]
        assert ogc_features.conformance_note(classes) == "Part 1: Core, GeoJSON, HTML, OpenAPI 3.0, Part 2: CRS"


@harvesting(PLUGINS)
class TestWfs:
    def test_one_dataset_per_feature_type(self, server, organization, test_request_context):
        publish_wfs(server)
        source = make_wfs_source(server, organization, {"defaults": DEFAULTS})

        job, report = harvest(source, test_request_context)

        assert report["gather_errors"] == [] and report["record_errors"] == [], report
        assert report["counts"] == {"added": 3}
        endpoint = server.url(WFS_PATH)
        datasets = harvested_in_full(source)
        assert sorted(datasets) == [f"{endpoint}#jena:haltestellen", f"{endpoint}#jena:ortsteile",
                                    f"{endpoint}#jena:parkplaetze"]
        # the ISO record of the MetadataURL is the richer master
        parken = datasets[f"{endpoint}#jena:parkplaetze"]
        assert parken["title"] == "Parkplätze und Parkhäuser der Stadt Jena"
        assert parken["contact"][0]["email"] == "mobilitaet@example-jena.de"
        assert parken["frequency"].endswith("/MONTHLY")
        assert [resource["format"] for resource in parken["resources"]] == [
            "WFS_SRVC", "GEOJSON", "CSV", "GEOJSON"]
        # capabilities only: the service's licence text, contact and the feature type's box
        ortsteile = datasets[f"{endpoint}#jena:ortsteile"]
        assert ortsteile["title"] == "Ortsteile"
        assert ortsteile["notes_translated"]["de"] == "Grenzen der 30 Ortsteile der Stadt Jena."
        assert ortsteile["license_id"] == "cc-by/4.0"
        assert ortsteile["contact"] == [{"name": "Stadt Jena, Team Geodaten",
                                         "email": "geodaten@example-jena.de",
                                         "url": "https://www.example-jena.de/geodaten"}]
        assert sorted(tag["name"] for tag in ortsteile["tags"]) == [
            "Geodaten", "Jena", "Ortsteil", "Stadtgliederung", "WFS"]
        assert json.loads(ortsteile["spatial"])["coordinates"][0][0] == [11.4914, 50.8485]
        haltestellen = datasets[f"{endpoint}#jena:haltestellen"]
        assert haltestellen["notes_translated"]["de"].startswith("Downloaddienst für Geodaten")
        capabilities_resource, geojson, csv = haltestellen["resources"]
        assert capabilities_resource["url"] == f"{endpoint}?SERVICE=WFS&REQUEST=GetCapabilities"
        assert parse_qs(urlsplit(geojson["download_url"]).query) == {
            "SERVICE": ["WFS"], "VERSION": ["2.0.0"], "REQUEST": ["GetFeature"],
            "TYPENAMES": ["jena:haltestellen"], "OUTPUTFORMAT": ["application/json"]}
        assert parse_qs(urlsplit(csv["download_url"]).query)["OUTPUTFORMAT"] == ["csv"]
        assert geojson["name_translated"]["en"] == "Haltestellen des Nahverkehrs as GeoJSON"
        assert geojson["name_translated"]["de"].startswith("Haltestellen des Nahverkehrs")
        assert server.requested("/ortsteile.html") == 1  # read, found not to be ISO

    def test_the_geojson_resource_is_the_feature_type_as_geojson(self, server, organization,
                                                                 test_request_context):
        publish_wfs(server)
        source = make_wfs_source(server, organization, {"defaults": DEFAULTS})
        harvest(source, test_request_context)
        parken = harvested_in_full(source)[f"{server.url(WFS_PATH)}#jena:parkplaetze"]
        geojson = next(resource for resource in parken["resources"] if "GetFeature" in resource["url"]
                       and resource["format"] == "GEOJSON")
        parts = urlsplit(geojson["url"])
        server.serve(f"{parts.path}?{parts.query}", (DATA / "parken.geojson").read_bytes(),
                     content_type="application/json;charset=UTF-8")

        document = SafeClient(allowed_hosts=[server.host_port], retries=0).get(geojson["url"])
        features = parse_json(document.body, document.charset)["features"]
        assert {feature["properties"]["name"] for feature in features} >= {"Eichplatz", "Rathausparkplatz"}

    def test_an_unchanged_service_writes_nothing(self, server, organization, test_request_context):
        publish_wfs(server)
        source = make_wfs_source(server, organization, {"defaults": DEFAULTS})
        harvest(source, test_request_context)

        assert_reharvest_writes_nothing(source, test_request_context, 3)

    def test_a_failing_metadata_record_fails_its_feature_type_alone(self, server, organization,
                                                                    test_request_context):
        publish_wfs(server)
        source = make_wfs_source(server, organization, {"defaults": DEFAULTS, "max_deletion_share": 1})
        harvest(source, test_request_context)
        server.serve("/csw", "Service Unavailable", status=503, content_type="text/plain")

        job, report = harvest(source, test_request_context)

        assert report["counts"] == {"errored": 1, "not modified": 2}, report
        [(guid, message)] = report["record_errors"]
        assert guid.endswith("#jena:parkplaetze") and "503" in message
        assert all(dataset["state"] == "active" for dataset in harvested_in_full(source).values())

    def test_an_exception_report(self, server, organization, test_request_context):
        server.serve(WFS_PATH, '<?xml version="1.0"?><ows:ExceptionReport xmlns:ows="http://www.opengis.net/ows/1.1" '
                     'version="2.0.0"><ows:Exception exceptionCode="VersionNegotiationFailed">'
                     '<ows:ExceptionText>2.0.0 nicht unterstützt</ows:ExceptionText></ows:Exception>'
                     '</ows:ExceptionReport>', content_type=XML)
        source = make_wfs_source(server, organization)

        job, report = harvest(source, test_request_context)

        [message] = report["gather_errors"]
        assert "VersionNegotiationFailed 2.0.0 nicht unterstützt" in message

    def test_a_wms_is_not_a_wfs(self, server, organization, test_request_context):
        server.serve(WFS_PATH, '<?xml version="1.0"?><WMS_Capabilities version="1.3.0" '
                     'xmlns="http://www.opengis.net/wms"/>', content_type=XML)
        source = make_wfs_source(server, organization)

        job, report = harvest(source, test_request_context)

        [message] = report["gather_errors"]
        assert "WMS_Capabilities" in message


@harvesting(PLUGINS)
class TestOgcApiFeatures:
    def test_one_dataset_per_feature_collection_over_two_pages(self, server, organization,
                                                                test_request_context):
        publish_api(server)
        source = make_api_source(server, organization, {"defaults": DEFAULTS})

        job, report = harvest(source, test_request_context)

        assert report["gather_errors"] == [] and report["record_errors"] == [], report
        assert report["counts"] == {"added": 3}  # the coverage is not a feature collection
        base = base_url(server)
        datasets = harvested_in_full(source)
        assert sorted(datasets) == [f"{base}/collections/{name}"
                                    for name in ("luftmessstationen", "ortsteile", "parkplaetze")]
        parken = datasets[f"{base}/collections/parkplaetze"]
        assert parken["title"] == "Parkplätze Jena"
        assert parken["license_id"] == "dl-zero-de/2.0"
        assert parken["url"] == "https://www.example-jena.de/parken"
        [period] = parken["temporal_coverage"]
        assert period["start"].startswith("2016-01-01") and "end" not in period  # open interval
        assert sorted(tag["name"] for tag in parken["tags"]) == ["Jena", "Parken", "Verkehr"]
        assert parken["notes_translated"]["de"].startswith("Öffentliche Parkplätze und Parkhäuser")
        assert "(Part 1: Core, GeoJSON, HTML, OpenAPI 3.0, Part 2: CRS)" in parken["notes_translated"]["de"]
        [items] = parken["resources"]
        assert items["url"] == f"{base}/collections/parkplaetze/items?f=json"
        assert items["format"] == "GEOJSON"
        ortsteile = datasets[f"{base}/collections/ortsteile"]
        assert sorted(tag["name"] for tag in ortsteile["tags"]) == ["Ortsteil", "Stadtgliederung"]
        # no licence link: the portal's default licence
        assert ortsteile["license_id"] == tk.config.get("ckanext.jena.default_license")
        luft = datasets[f"{base}/collections/luftmessstationen"]
        assert json.loads(luft["spatial"])["coordinates"][0][2] == [11.62, 50.95]  # 3D box cut to 2D
        assert luft["temporal_coverage"][0]["end"].startswith("2023-12-31")

    def test_an_unchanged_service_writes_nothing(self, server, organization, test_request_context):
        publish_api(server)
        source = make_api_source(server, organization, {"defaults": DEFAULTS})
        harvest(source, test_request_context)

        assert_reharvest_writes_nothing(source, test_request_context, 3)

    def test_paging_that_loops_withdraws_nothing(self, server, organization, test_request_context):
        publish_api(server)
        source = make_api_source(server, organization, {"defaults": DEFAULTS})
        harvest(source, test_request_context)
        looping = json.loads(collections_page(server, 2))
        looping["links"].append({"rel": "next", "href": f"{base_url(server)}/collections"})
        server.serve(f"{API_PATH}/collections?f=json&offset=2", json.dumps(looping), content_type=JSON)

        job, report = harvest(source, test_request_context)

        [message] = report["gather_errors"]
        assert "lead back to" in message and "Nothing was imported" in message
        assert all(dataset["state"] == "active" for dataset in harvested_in_full(source).values())

    def test_a_missing_conformance_is_no_error(self, server, organization, test_request_context):
        publish_api(server)
        server.serve(f"{API_PATH}/conformance", "Not Found", status=404, content_type="text/plain")
        source = make_api_source(server, organization, {"defaults": DEFAULTS})

        job, report = harvest(source, test_request_context)

        assert report["counts"] == {"added": 3}, report
        parken = harvested_in_full(source)[f"{base_url(server)}/collections/parkplaetze"]
        assert "OGC API" not in parken["notes_translated"]["de"]

    def test_not_a_collections_document(self, server, organization, test_request_context):
        server.serve(f"{API_PATH}/collections", json.dumps({"title": "pygeoapi"}), content_type=JSON)
        source = make_api_source(server, organization)

        job, report = harvest(source, test_request_context)

        [message] = report["gather_errors"]
        assert '"collections"' in message
