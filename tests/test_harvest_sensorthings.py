"""The SensorThings API harvester against a local server playing a FROST-Server.

The service holds hand-made soil moisture sensors at urban trees in Jena (the Smart City measure
"sensor-based care of urban green"), tests/data/sensorthings/tree-sensors.json.
"""
from __future__ import annotations

import copy
import json
from functools import partial
from pathlib import Path

import pytest

from ckanext.jena.harvesters import sensorthings

from tests.harvest_sources import Answer
from tests.harvesting import (create_source, harvest, harvested_in_full, harvesting,
                              modification_times, state_of)

DATA = json.loads((Path(__file__).resolve().parent / "data" / "sensorthings" / "tree-sensors.json")
                  .read_text(encoding="utf-8"))
PLUGINS = "jena scheming_datasets harvest jena_sensorthings_harvester"
ORGANIZATION = "kommunalservice"
ROOT_PATH = "/sta/v1.1"
THINGS_PATH = f"{ROOT_PATH}/Things"
DEFAULTS = {"contact": [{"name": "Smart City Jena", "email": "smartcity@example-jena.de"}],
            "license_id": "dl-by-de/2.0", "smart_city_measure": "m4",
            "smart_city_field_of_action": "hf2"}


def things(server):
    """The service's Things, with its addresses moved onto the local server."""
    text = json.dumps(DATA["things"]).replace(DATA["root"], server.url(ROOT_PATH))
    return json.loads(text)


def page(items, next_link=None, charset="utf-8"):
    body = {"value": items}
    if next_link:
        body["@iot.nextLink"] = next_link
    return Answer(json.dumps(body, ensure_ascii=False).encode(charset),
                  content_type=f"application/json;charset={charset}")


def publish(server, items, per_page=None):
    """The Things collection, in pages of ``per_page`` linked by @iot.nextLink."""
    per_page = per_page or max(len(items), 1)
    chunks = [items[start:start + per_page] for start in range(0, len(items), per_page)] or [[]]
    for number, chunk in enumerate(chunks):
        path = THINGS_PATH if number == 0 else f"{THINGS_PATH}?$skip={number * per_page}"
        following = (server.url(f"{THINGS_PATH}?$skip={(number + 1) * per_page}")
                     if number + 1 < len(chunks) else None)
        server.sequence(path, [page(chunk, following)])


make_source = partial(create_source, source_type="jena_sensorthings", name="baumsensoren",
                      title="Baumsensoren", path=ROOT_PATH, default_config={"defaults": DEFAULTS})


# -- without a database ----------------------------------------------------------------------

class TestConfiguration:
    def test_a_complete_configuration_is_accepted(self):
        assert sensorthings.check_config({
            "group_by": "serviceName", "page_size": 500, "next_link_hosts": ["sta2.example.org"],
            "temporal_resolution": "PT15M"}) == []

    @pytest.mark.parametrize("config, key", [
        ({"group_by": ""}, "group_by"), ({"group_by": ["a"]}, "group_by"),
        ({"page_size": 0}, "page_size"), ({"page_size": "100"}, "page_size"),
        ({"next_link_hosts": "a.example.org"}, "next_link_hosts"),
        ({"temporal_resolution": "15 Minuten"}, "temporal_resolution"),
    ])
    def test_a_wrong_setting_is_named(self, config, key):
        [problem] = sensorthings.check_config(config)
        assert problem.text("en").startswith(key)


class TestAddresses:
    @pytest.mark.parametrize("url", [
        "https://sta.example.org/FROST-Server/v1.1", "https://sta.example.org/FROST-Server/v1.1/",
        "https://sta.example.org/FROST-Server/v1.1/Things",
        "https://sta.example.org/FROST-Server/v1.1/Things?$top=5"])
    def test_the_service_root_is_found(self, url):
        assert sensorthings.service_root(url) == "https://sta.example.org/FROST-Server/v1.1"

    def test_the_first_page_expands_locations_and_datastreams(self):
        assert sensorthings.things_url("https://sta.example.org/v1.1", 50) == (
            "https://sta.example.org/v1.1/Things?$top=50"
            "&$expand=Locations,Datastreams($expand=ObservedProperty,Sensor)")


class TestStableContent:
    def test_a_new_observation_the_same_day_changes_nothing(self):
        stream = copy.deepcopy(DATA["things"][0]["Datastreams"][0])
        before = sensorthings.stable_datastream(stream, DATA["root"])
        stream["phenomenonTime"] = "2023-04-01T00:00:00Z/2024-06-30T23:45:00Z"
        stream["resultTime"] = "2024-06-30T23:45:00Z"
        assert sensorthings.stable_datastream(stream, DATA["root"]) == before

    def test_locations_in_either_axis_order_give_the_same_box(self):
        location = copy.deepcopy(DATA["things"][0]["Locations"][0])
        right = sensorthings.location_box(location)
        location["location"]["coordinates"].reverse()
        assert sensorthings.location_box(location) == right == [11.5862, 50.929, 11.5862, 50.929]

    def test_a_location_far_away_is_left_out(self):
        location = {"encodingType": "application/geo+json",
                    "location": {"type": "Point", "coordinates": [13.3762, 52.5188]}}
        assert sensorthings.location_box(location) is None


# -- harvests --------------------------------------------------------------------------------

@harvesting(PLUGINS)
class TestHarvest:
    def test_first_harvest_one_dataset_per_thing(self, server, organization, test_request_context):
        items = things(server)
        publish(server, items)
        source = make_source(server, organization)

        job, report = harvest(source, test_request_context)

        assert report["gather_errors"] == [] and report["record_errors"] == [], report
        assert report["counts"] == {"added": 3}
        datasets = harvested_in_full(source)
        assert sorted(datasets) == sorted(item["@iot.selfLink"] for item in items)
        linde = datasets[items[0]["@iot.selfLink"]]
        assert linde["title_translated"]["de"] == "Baum 4711 – Linde am Johannisplatz"
        assert linde["sensor_observed_property"] == {"de": "Bodenfeuchte, Bodentemperatur"}
        assert linde["sensor_unit"] == "%, °C"
        assert linde["temporal_resolution"] == "PT1H"
        assert linde["temporal_coverage"] == [{"start": "2023-04-01", "end": "2024-06-30"}]
        assert json.loads(linde["spatial"]) == {"type": "Point", "coordinates": [11.5862, 50.929]}
        assert linde["smart_city_measure"] == "m4"
        urls = [resource["url"] for resource in linde["resources"]]
        assert urls == [f"{stream['@iot.selfLink']}/Observations"
                        for stream in items[0]["Datastreams"]]
        first = linde["resources"][0]
        assert first["format"] == "JSON"
        assert "Prozent" in first["description_translated"]["de"]
        assert "SMT100" in first["description_translated"]["de"]
        ahorn = datasets[items[1]["@iot.selfLink"]]  # its logger writes [lat, lon]
        assert json.loads(ahorn["spatial"])["coordinates"] == [11.5905, 50.9237]
        [request] = server.paths()
        assert request.startswith(f"{THINGS_PATH}?$top=100&$expand=Locations,Datastreams(")
        assert not any("/Observations" in path for path in server.paths())

    def test_an_unchanged_service_writes_nothing(self, server, organization, test_request_context):
        items = things(server)
        publish(server, items)
        source = make_source(server, organization)
        harvest(source, test_request_context)
        before = modification_times(source)

        for thing in items:  # new observations the same day, listed in another order
            for stream in thing["Datastreams"]:
                stream["phenomenonTime"] = "2023-04-01T00:00:00Z/2024-06-30T23:50:00Z"
                stream["resultTime"] = "2024-06-30T23:50:00Z"
            thing["Datastreams"].reverse()
            thing["Datastreams"].reverse()
        publish(server, list(reversed(items)))
        job, report = harvest(source, test_request_context)

        assert report["counts"] == {"not modified": 3}, report
        after = modification_times(source)
        assert after == before

    def test_a_removed_thing_is_withdrawn(self, server, organization, test_request_context):
        items = things(server)
        publish(server, items)
        source = make_source(server, organization, {"defaults": DEFAULTS,
                                                    "max_deletion_share": 0.5})
        harvest(source, test_request_context)
        gone = harvested_in_full(source)[items[2]["@iot.selfLink"]]

        publish(server, items[:2])
        job, report = harvest(source, test_request_context)

        assert report["counts"] == {"deleted": 1, "not modified": 2}, report
        assert state_of(gone["id"]) == "deleted"

    def test_three_pages(self, server, organization, test_request_context):
        publish(server, things(server), per_page=1)
        source = make_source(server, organization)

        job, report = harvest(source, test_request_context)

        assert report["counts"] == {"added": 3}, report
        assert [path.split("?")[1].split("&")[0] for path in server.paths()] == [
            "$top=100", "$skip=1", "$skip=2"]

    def test_grouped_by_a_datastream_property(self, server, organization, test_request_context):
        items = things(server)
        for stream in items[2]["Datastreams"]:
            stream["properties"]["serviceName"] = "Stadtgrün Lobeda"
        publish(server, items)
        source = make_source(server, organization, {"defaults": DEFAULTS,
                                                    "group_by": "serviceName"})

        job, report = harvest(source, test_request_context)

        assert report["counts"] == {"added": 2}, report
        datasets = harvested_in_full(source)
        key = f"{server.url(ROOT_PATH)}#serviceName=Stadtgrün Bodenfeuchte"
        assert sorted(datasets) == sorted([key, f"{server.url(ROOT_PATH)}#serviceName=Stadtgrün Lobeda"])
        grouped = datasets[key]
        assert grouped["title_translated"]["de"] == "Stadtgrün Bodenfeuchte"
        assert len(grouped["resources"]) == 4
        shape = json.loads(grouped["spatial"])  # the box around both trees
        assert shape["type"] == "Polygon"
        assert shape["coordinates"][0][0] == [11.5862, 50.9237]
        assert shape["coordinates"][0][2] == [11.5905, 50.929]

    def test_a_thing_with_more_datastreams_than_one_page(self, server, organization,
                                                         test_request_context):
        items = things(server)
        rest = items[0]["Datastreams"][1:]
        items[0]["Datastreams"] = items[0]["Datastreams"][:1]
        more_path = f"{ROOT_PATH}/Things(1)/Datastreams?$skip=1"
        items[0]["Datastreams@iot.nextLink"] = server.url(more_path)
        server.sequence(more_path, [page(rest)])
        publish(server, items)
        source = make_source(server, organization)

        job, report = harvest(source, test_request_context)

        assert report["counts"] == {"added": 3}, report
        linde = harvested_in_full(source)[items[0]["@iot.selfLink"]]
        assert len(linde["resources"]) == 2

    def test_latin1_answers_are_read(self, server, organization, test_request_context):
        items = json.loads(json.dumps(things(server)).replace("\\u2013", "-"))
        server.sequence(THINGS_PATH, [page(items, charset="iso-8859-1")])
        source = make_source(server, organization)

        job, report = harvest(source, test_request_context)

        assert report["counts"] == {"added": 3}, report
        names = sorted(item["title_translated"]["de"] for item in harvested_in_full(source).values())
        assert names[0] == "Baum 0815 - Ahorn im Paradiespark"
        assert "Maßnahme" in next(iter(harvested_in_full(source).values()))["notes_translated"]["de"]


@pytest.fixture
def harvested_once(server, organization, test_request_context):
    items = things(server)
    publish(server, items, per_page=1)
    source = make_source(server, organization, {"defaults": DEFAULTS, "max_deletion_share": 1})
    job, report = harvest(source, test_request_context)
    assert report["counts"] == {"added": 3}, report
    server.clear_log()
    return source, items


def assert_nothing_changed(source, items):
    datasets = harvested_in_full(source)
    assert len(datasets) == len(items)
    assert all(dataset["state"] == "active" for dataset in datasets.values())


@harvesting(PLUGINS)
class TestFaults:
    def test_a_500_then_success_is_retried(self, server, harvested_once, test_request_context):
        source, items = harvested_once
        server.sequence(THINGS_PATH, [Answer(b"Internal Server Error", status=500,
                                             content_type="text/plain"), page(items)])

        job, report = harvest(source, test_request_context)

        assert report["gather_errors"] == [] and report["counts"] == {"not modified": 3}, report
        assert len(server.paths()) == 2

    @pytest.mark.parametrize("answer, expected", [
        (Answer(b"Not Found", status=404, content_type="text/plain"), "404"),
        (Answer(b"{\"value\": [", content_type="application/json"), "cannot be read"),
        (Answer(b"", content_type="application/json"), "cannot be read"),
        (Answer(json.dumps({"values": []}).encode(), content_type="application/json"), '"value"'),
        (Answer(json.dumps({"value": []}).encode(), content_type="application/json"),
         "lists no datasets"),
        (Answer(b"{\"value\": []}" * 10, content_type="application/json", keep=12), "broke off"),
        (Answer(b"", delay=4), "seconds"),
    ])
    def test_a_broken_first_page_changes_nothing(self, answer, expected, server, harvested_once,
                                                 test_request_context, ckan_config, monkeypatch):
        monkeypatch.setitem(ckan_config, "ckanext.jena.harvest.read_timeout", 1)
        monkeypatch.setitem(ckan_config, "ckanext.jena.harvest.retries", 0)
        source, items = harvested_once
        server.sequence(THINGS_PATH, [answer])

        job, report = harvest(source, test_request_context)

        messages = "\n".join(report["gather_errors"])
        assert expected in messages, messages
        assert_nothing_changed(source, items)

    def test_page_two_of_three_failing(self, server, harvested_once, test_request_context,
                                       ckan_config, monkeypatch):
        monkeypatch.setitem(ckan_config, "ckanext.jena.harvest.retries", 1)
        source, items = harvested_once
        server.sequence(f"{THINGS_PATH}?$skip=1", [Answer(b"Bad Gateway", status=502,
                                                          content_type="text/plain")])

        job, report = harvest(source, test_request_context)

        [message] = report["gather_errors"]
        german, english = message.split("\n")[:2] if "\n" in message else (message, message)
        assert "Page 2 of the Things of the service could not be read" in message
        assert "502" in message and "Nothing was imported, changed or withdrawn." in message
        assert german and english
        assert report["counts"] == {}, report
        assert_nothing_changed(source, items)

    def test_a_next_link_to_another_host_is_refused(self, server, harvested_once,
                                                    test_request_context):
        source, items = harvested_once
        server.sequence(THINGS_PATH, [page(items[:1], "http://elsewhere.example.org/v1.1/"
                                                      "Things?$skip=1")])

        job, report = harvest(source, test_request_context)

        [message] = report["gather_errors"]
        assert "another host (http://elsewhere.example.org/v1.1/Things?$skip=1)" in message
        assert "next_link_hosts" in message
        assert_nothing_changed(source, items)
