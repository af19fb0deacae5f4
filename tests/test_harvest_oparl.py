"""The OParl harvester against a local server playing a council information system.

The objects are the OParl 1.1 specification's examples (tests/data/oparl/, CC BY-SA 4.0) with the
example host moved onto the local server, plus hand-made ones in the manner of SessionNet and
SD.NET answers: "N/A" and empty dates, [lat, lon] locations in Jena, deleted objects.
"""
from __future__ import annotations

import copy
import datetime
import json
from functools import partial
from pathlib import Path

import pytest

from ckanext.jena.harvesters import oparl

from tests.harvest_sources import Answer
from tests.harvesting import (assert_reharvest_writes_nothing, create_source, harvest,
                              harvested_in_full, harvesting)

DATA = Path(__file__).resolve().parent / "data" / "oparl"
EXAMPLE_HOST = "https://oparl.example.org/"
PLUGINS = "jena scheming_datasets harvest jena_oparl_harvester"
ORGANIZATION = "stadtrat"
DEFAULTS = {"contact": [{"name": "Büro Stadtrat", "email": "stadtrat@example-jena.de"}]}


def example(name, server):
    text = (DATA / f"{name}-01.json").read_text(encoding="utf-8")
    return json.loads(text.replace(EXAMPLE_HOST, server.url("/oparl/")))


def json_answer(value, status=200):
    return Answer(json.dumps(value, ensure_ascii=False).encode("utf-8"), status=status,
                  content_type="application/json; charset=utf-8")


def oparl_list(items, next_url=None):
    links = {"next": next_url} if next_url else {}
    return {"data": items, "pagination": {"elementsPerPage": 2}, "links": links}


def jena_meeting(server, number, start, coordinates=(50.9281, 11.5869), **changes):
    """A meeting as SessionNet writes it: location with [lat, lon], "N/A" where nothing is."""
    meeting = {"id": server.url(f"/oparl/meeting/{number}"),
               "type": "https://schema.oparl.org/1.1/Meeting",
               "name": f"{number}. Sitzung des Stadtrates", "start": start, "end": "N/A",
               "location": {"id": server.url("/oparl/location/rathaus"),
                            "type": "https://schema.oparl.org/1.1/Location",
                            "description": "Rathaus Jena, Markt 1",
                            "geojson": {"type": "Feature", "properties": {},
                                        "geometry": {"type": "Point",
                                                     "coordinates": list(coordinates)}}},
               "created": "2024-01-02T10:00:00+01:00", "modified": "2024-01-02T10:00:00+01:00"}
    meeting.update(changes)
    return meeting


def publish(server, meetings=None, papers=None, per_page=None):
    """System, one body (the spec's example) and its lists; meetings and papers paged."""
    system = example("System", server)
    body = example("Body", server)
    server.sequence("/oparl/", [json_answer(system)])
    server.sequence("/oparl/bodies", [json_answer(oparl_list([body]))])
    meetings = [example("Meeting", server), jena_meeting(server, 12, "2024-03-05T17:00:00+01:00"),
                jena_meeting(server, 13, "")] if meetings is None else meetings
    papers = [example("Paper", server)] if papers is None else papers
    for path, items in (("/oparl/body/0/meetings/", meetings), ("/oparl/body/0/papers/", papers)):
        size = per_page or max(len(items), 1)
        chunks = [items[start:start + size] for start in range(0, len(items), size)] or [[]]
        for number, chunk in enumerate(chunks):
            page_path = path if number == 0 else f"{path}?page={number + 1}"
            following = server.url(f"{path}?page={number + 2}") if number + 1 < len(chunks) else None
            server.sequence(page_path, [json_answer(oparl_list(chunk, following))])
    server.sequence("/oparl/body/0/organizations/",
                    [json_answer(oparl_list([example("Organization", server)]))])
    server.sequence("/oparl/body/0/files/", [json_answer(oparl_list([example("File", server)]))])
    server.sequence("/oparl/body/0/persons/", [json_answer(oparl_list([example("Person", server)]))])
    return body


make_source = partial(create_source, source_type="jena_oparl", name="ratsinformationssystem",
                      title="Ratsinformationssystem", path="/oparl/",
                      default_config={"defaults": DEFAULTS})


# -- without a database ----------------------------------------------------------------------

class TestConfiguration:
    def test_a_complete_configuration_is_accepted(self):
        assert oparl.check_config({
            "bodies": ["https://ris.example.org/oparl/body/1"],
            "lists": ["meeting", "paper", "person"], "incremental": False, "overlap_hours": 48,
            "downloads": {"paper": "https://ris.example.org/export/vorlagen.zip"}}) == []

    @pytest.mark.parametrize("config, key", [
        ({"bodies": "https://ris.example.org/oparl/body/1"}, "bodies"),
        ({"lists": ["meetings"]}, "lists"), ({"lists": []}, "lists"),
        ({"incremental": "yes"}, "incremental"), ({"overlap_hours": -1}, "overlap_hours"),
        ({"downloads": {"paper": "ftp://x"}}, "downloads"),
    ])
    def test_a_wrong_setting_is_named(self, config, key):
        [problem] = oparl.check_config(config)
        assert problem.text("en").startswith(key)


class TestQuirks:
    @pytest.mark.parametrize("ags, expected", [
        ("16053000", "municipalityKey/16053000"), ("5315000", "municipalityKey/05315000"),
        (16053000, "municipalityKey/16053000"), ("16053", "districtKey/16053"),
        ("16", "stateKey/16")])
    def test_ags_becomes_a_political_geocoding(self, ags, expected):
        assert oparl.political_geocoding(ags)["political_geocoding_uri"] == \
            f"http://dcat-ap.de/def/politicalGeocoding/{expected}"

    @pytest.mark.parametrize("ags", ["N/A", "", " ", "160530001", None, []])
    def test_a_missing_or_odd_ags_gives_none(self, ags):
        assert oparl.political_geocoding(ags) == {}

    @pytest.mark.parametrize("value, expected", [
        ("2014-04-04", "2014-04-04"), ("2013-01-04T08:00:00+01:00", "2013-01-04"), ("", ""),
        ("N/A", ""), (" ", ""), ("2014-02-30", ""), (None, ""), ([], "")])
    def test_dates(self, value, expected):
        assert oparl.object_date({"date": value}, "date") == expected

    def test_coordinates_in_either_order(self):
        assert oparl.plausible_box({"type": "Point", "coordinates": [50.9281, 11.5869]}) == \
            oparl.plausible_box({"type": "Point", "coordinates": [11.5869, 50.9281]}) == \
            [11.5869, 50.9281, 11.5869, 50.9281]
        assert oparl.plausible_box({"type": "Point", "coordinates": [7.03291, 50.98249]}) is None

    def test_an_empty_array_is_no_object(self):
        assert oparl.location_boxes({"location": []}) == []
        assert oparl.location_boxes({"location": {"geojson": []}}) == []

    def test_modified_since_is_not_encoded(self):
        moment = datetime.datetime(2024, 5, 1, 8, 30, tzinfo=datetime.timezone.utc)
        assert oparl.modified_since_url("https://ris.example.org/oparl/body/1/papers", moment) \
            == "https://ris.example.org/oparl/body/1/papers?modified_since=2024-05-01T08:30:00Z"
        assert oparl.modified_since_url("https://ris.example.org/p?body=1", moment).endswith(
            "?body=1&modified_since=2024-05-01T08:30:00Z")

    def test_sternbergs_empty_list_error(self):
        assert oparl._is_empty_list_error(b'{"error": 802, "message": "Keine Daten"}')
        assert oparl._is_empty_list_error(b'{"error": {"code": "802"}}')
        assert not oparl._is_empty_list_error(b'{"error": 404}')
        assert not oparl._is_empty_list_error(b"<html>Not Found</html>")


class TestSafeClientKeepsTheQuery:
    """The safe client sends a hand-built query as it is (SessionNet refuses %3A)."""

    def test_colons_reach_the_server_unencoded(self, server):
        from ckanext.jena.harvesters.http import SafeClient
        server.serve("/p", b"{}", content_type="application/json")
        url = server.url("/p?modified_since=2024-05-01T08:30:00Z")
        SafeClient(allowed_hosts=[server.host_port]).get(url)
        assert server.paths() == ["/p?modified_since=2024-05-01T08:30:00Z"]

    def test_the_body_of_a_404_is_kept_for_the_caller(self, server):
        from ckanext.jena.harvesters.http import HttpStatusError, SafeClient
        server.serve("/leer", b'{"error": 802}', status=404, content_type="application/json")
        with pytest.raises(HttpStatusError) as raised:
            SafeClient(allowed_hosts=[server.host_port]).get(server.url("/leer"))
        assert raised.value.body == b'{"error": 802}'
        assert "802" not in raised.value.message.text("en")


# -- harvests --------------------------------------------------------------------------------

def guid(body, name):
    return f"{body['id']}#{name}"


@harvesting(PLUGINS)
class TestHarvest:
    def test_first_harvest_one_dataset_per_list(self, server, organization, test_request_context):
        body = publish(server)
        source = make_source(server, organization)

        job, report = harvest(source, test_request_context)

        assert report["gather_errors"] == [] and report["record_errors"] == [], report
        assert report["counts"] == {"added": 4}
        datasets = harvested_in_full(source)
        assert sorted(datasets) == sorted(guid(body, name) for name in oparl.DEFAULT_LISTS)
        meetings = datasets[guid(body, "meeting")]
        assert meetings["title_translated"] == {"de": "Sitzungen – Stadt Köln, kreisfreie Stadt",
                                                "en": "Meetings – Stadt Köln, kreisfreie Stadt"}
        assert "3 entries, dated from 2013-01-04 to 2024-03-05." in meetings["notes_translated"]["en"]
        assert meetings["temporal_coverage"] == [{"start": "2013-01-04", "end": "2024-03-05"}]
        assert meetings["license_id"] == "cc-by/4.0"  # the body's CC BY 4.0
        assert meetings["contact"] == [{"name": "RIS-Betreuung", "email": "ris@beispielstadt.de"}]
        assert meetings["political_geocoding_uri"] == \
            "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/05315000"
        assert meetings["theme"] == [oparl.GOVERNMENT_THEME]
        # Jena's town hall, written [lat, lon]; the example's Cologne points lie outside Jena
        assert json.loads(meetings["spatial"]) == {"type": "Point",
                                                   "coordinates": [11.5869, 50.9281]}
        [resource] = meetings["resources"]
        assert resource["url"] == server.url("/oparl/body/0/meetings/")
        assert resource["format"] == "JSON"
        papers = datasets[guid(body, "paper")]
        assert papers["temporal_coverage"] == [{"start": "2014-04-04", "end": "2014-04-04"}]
        assert "spatial" not in papers or papers["spatial"] in (None, "")
        assert not any("persons" in path for path in server.paths())

    def test_persons_only_on_request(self, server, organization, test_request_context):
        body = publish(server)
        source = make_source(server, organization, {"defaults": DEFAULTS,
                                                    "lists": ["person", "meeting"],
                                                    "downloads": {"meeting": "https://ris.example-"
                                                                  "jena.de/export/sitzungen.zip"}})

        job, report = harvest(source, test_request_context)

        assert report["counts"] == {"added": 2}, report
        datasets = harvested_in_full(source)
        persons = datasets[guid(body, "person")]
        assert persons["personal_data"] == "yes"
        assert "1 entries." in persons["notes_translated"]["en"]
        meetings = datasets[guid(body, "meeting")]
        assert [resource["url"] for resource in meetings["resources"]] == [
            server.url("/oparl/body/0/meetings/"), "https://ris.example-jena.de/export/sitzungen.zip"]

    def test_second_run_is_incremental_and_unchanged_writes_nothing(
            self, server, organization, test_request_context):
        body = publish(server)
        source = make_source(server, organization)
        harvest(source, test_request_context)
        server.clear_log()

        assert_reharvest_writes_nothing(source, test_request_context, 4)
        lists = [path for path in server.paths() if path.startswith("/oparl/body/0/")]
        assert len(lists) == 4
        for path in lists:
            assert "?modified_since=" in path and "%3A" not in path, path
            value = path.split("modified_since=")[1]
            moment = datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
            age = datetime.datetime.utcnow() - moment
            assert datetime.timedelta(hours=23) < age < datetime.timedelta(hours=25), value

    def test_incremental_changes_and_deletions_update_the_count(
            self, server, organization, test_request_context):
        body = publish(server)
        source = make_source(server, organization)
        harvest(source, test_request_context)

        # the modified_since answer: one meeting changed, one deleted, one new
        changed = jena_meeting(server, 12, "2024-03-06T17:00:00+01:00")
        deleted = {"id": server.url("/oparl/meeting/13"), "deleted": True}
        new = jena_meeting(server, 14, "2024-09-10T17:00:00+02:00")
        server.sequence("/oparl/body/0/meetings/",
                        [json_answer(oparl_list([changed, deleted, new]))])
        job, report = harvest(source, test_request_context)

        assert report["counts"] == {"updated": 1, "not modified": 3}, report
        meetings = harvested_in_full(source)[guid(body, "meeting")]
        assert "3 entries, dated from 2013-01-04 to 2024-09-10." in meetings["notes_translated"]["en"]
        assert meetings["temporal_coverage"] == [{"start": "2013-01-04", "end": "2024-09-10"}]

    def test_a_full_walk_when_incremental_is_off(self, server, organization, test_request_context):
        body = publish(server)
        source = make_source(server, organization, {"defaults": DEFAULTS, "incremental": False})
        harvest(source, test_request_context)
        publish(server, meetings=[example("Meeting", server)])
        server.clear_log()

        job, report = harvest(source, test_request_context)

        assert not any("modified_since" in path for path in server.paths())
        meetings = harvested_in_full(source)[guid(body, "meeting")]
        assert "1 entries, dated from 2013-01-04 to 2013-01-04." in \
            meetings["notes_translated"]["en"]

    def test_three_pages(self, server, organization, test_request_context):
        body = publish(server, per_page=1)
        source = make_source(server, organization)

        job, report = harvest(source, test_request_context)

        assert report["counts"] == {"added": 4}, report
        assert server.requested("/oparl/body/0/meetings/?page=3") == 1
        assert "3 entries" in harvested_in_full(source)[guid(body, "meeting")]["notes_translated"]["en"]

    def test_sternbergs_404_802_is_an_empty_list_and_one_body_on_body(
            self, server, organization, test_request_context):
        body = publish(server)
        server.sequence("/oparl/bodies", [json_answer(body)])  # one Body instead of a list
        server.sequence("/oparl/body/0/papers/", [json_answer(
            {"error": 802, "message": "Keine Einträge vorhanden"}, status=404)])
        source = make_source(server, organization)

        job, report = harvest(source, test_request_context)

        assert report["gather_errors"] == [] and report["counts"] == {"added": 4}, report
        papers = harvested_in_full(source)[guid(body, "paper")]
        assert "0 entries." in papers["notes_translated"]["en"]
        assert "temporal_coverage" not in papers or not papers["temporal_coverage"]

    def test_only_the_configured_bodies(self, server, organization, test_request_context):
        body = publish(server)
        other = copy.deepcopy(body)
        other["id"] = server.url("/oparl/body/1")
        for key in ("organization", "meeting", "paper", "file", "person"):
            other[key] = other[key].replace("/body/0/", "/body/1/")
        server.sequence("/oparl/bodies", [json_answer(oparl_list([body, other]))])
        source = make_source(server, organization, {"defaults": DEFAULTS,
                                                    "bodies": [other["id"]]})
        for key in ("organizations", "meetings", "papers", "files"):
            server.sequence(f"/oparl/body/1/{key}/", [json_answer(oparl_list([]))])

        job, report = harvest(source, test_request_context)

        assert report["counts"] == {"added": 4}, report
        assert all(key.startswith(other["id"] + "#") for key in harvested_in_full(source))
        assert not any(path.startswith("/oparl/body/0/") for path in server.paths())


@pytest.fixture
def harvested_once(server, organization, test_request_context):
    body = publish(server, per_page=1)
    source = make_source(server, organization, {"defaults": DEFAULTS, "incremental": False})
    job, report = harvest(source, test_request_context)
    assert report["counts"] == {"added": 4}, report
    server.clear_log()
    return source, body


def assert_unchanged(source, body):
    datasets = harvested_in_full(source)
    assert len(datasets) == 4 and all(item["state"] == "active" for item in datasets.values())
    assert "3 entries" in datasets[guid(body, "meeting")]["notes_translated"]["en"]


@harvesting(PLUGINS)
class TestFaults:
    def test_sporadic_500s_are_retried(self, server, harvested_once, test_request_context):
        source, body = harvested_once
        server.sequence("/oparl/", [Answer(b"Internal Server Error", status=500,
                                           content_type="text/html"),
                                    json_answer(example("System", server))])

        job, report = harvest(source, test_request_context)

        assert report["gather_errors"] == [] and report["counts"] == {"not modified": 4}, report
        assert server.requested("/oparl/") == 2

    @pytest.mark.parametrize("answer, expected", [
        (Answer(b"Not Found", status=404, content_type="text/plain"), "404"),
        (Answer(b'{"id": "x", "body": ', content_type="application/json"), "cannot be read"),
        (Answer(b"", content_type="application/json"), "cannot be read"),
        (Answer(b"[]", content_type="application/json"), "not an OParl System"),
        (Answer(b'{"id": "x", "body": "N/A"}', content_type="application/json"),
         "not an OParl System"),
        (Answer(b'{"id": "x", "body": "http://127.0.0.1:1/b"}' * 3,
                content_type="application/json", keep=10), "broke off"),
        (Answer(b"", delay=4), "seconds"),
    ])
    def test_a_broken_system_changes_nothing(self, answer, expected, server, harvested_once,
                                             test_request_context, ckan_config, monkeypatch):
        monkeypatch.setitem(ckan_config, "ckanext.jena.harvest.read_timeout", 1)
        monkeypatch.setitem(ckan_config, "ckanext.jena.harvest.retries", 0)
        source, body = harvested_once
        server.sequence("/oparl/", [answer])

        job, report = harvest(source, test_request_context)

        messages = "\n".join(report["gather_errors"])
        assert expected in messages, messages
        assert_unchanged(source, body)

    def test_page_two_of_three_failing(self, server, harvested_once, test_request_context,
                                       ckan_config, monkeypatch):
        monkeypatch.setitem(ckan_config, "ckanext.jena.harvest.retries", 1)
        source, body = harvested_once
        server.sequence("/oparl/body/0/meetings/?page=2", [Answer(
            b"Internal Server Error", status=500, content_type="text/html")])

        job, report = harvest(source, test_request_context)

        [message] = report["gather_errors"]
        assert 'Page 2 of the list "meeting" of Stadt Köln, kreisfreie Stadt could not be read' \
            in message
        assert "500" in message and "(2 attempts)" in message
        assert "Nothing was imported, changed or withdrawn." in message
        assert report["counts"] == {}
        assert_unchanged(source, body)

    def test_a_plain_404_on_a_list_is_an_error(self, server, harvested_once, test_request_context):
        source, body = harvested_once
        server.sequence("/oparl/body/0/papers/", [Answer(b"<html>Not Found</html>", status=404,
                                                         content_type="text/html")])

        job, report = harvest(source, test_request_context)

        [message] = report["gather_errors"]
        assert "404" in message
        assert_unchanged(source, body)

    def test_a_missing_configured_body(self, server, harvested_once, test_request_context):
        source, body = harvested_once
        from ckanext.harvest.model import HarvestSource
        stored = HarvestSource.get(source["id"])
        stored.config = json.dumps({"defaults": DEFAULTS, "bodies": [server.url("/oparl/body/9")]})
        stored.save()

        job, report = harvest(source, test_request_context)

        [message] = report["gather_errors"]
        assert "does not list the configured bodies" in message
        assert_unchanged(source, body)
