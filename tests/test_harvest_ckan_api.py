"""The CKAN API harvester: listing another CKAN portal page by page, and mapping its datasets.

The remote portal is a local server answering ``package_search`` with hand-made datasets in the
shape of stock CKAN 2.2 and 2.10 answers (tests/data/ckan_api/).
"""
from __future__ import annotations

import copy
import json
from functools import partial
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from ckan.tests import factories, helpers

from ckanext.jena.harvesters import ckan_api
from ckanext.jena.harvesters.base import SourceRun
from ckanext.jena.harvesters.messages import RecordError

from tests.harvest_sources import Answer
from tests.harvesting import (create_source, harvest, harvested, harvesting, modification_times,
                              state_of)

DATA = Path(__file__).resolve().parent / "data" / "ckan_api"
PLUGINS = "jena scheming_datasets harvest jena_ckan_harvester"
ORGANIZATION = "stadtverwaltung"
SEARCH_PATH = "/api/3/action/package_search"
BASE = "https://opendata.example-jena.de"
CKAN22_HELP = (DATA / "package_search-ckan22-help.txt").read_text(encoding="utf-8")
CONTACT = {"name": "Open-Data-Team Jena", "email": "opendata@example-jena.de"}
DEFAULTS = {"contact": [CONTACT], "tags_translated": {"de": ["Jena"]}}


def ckan22_datasets():
    return json.loads((DATA / "datasets-ckan22.json").read_text(encoding="utf-8"))


def ckan210_datasets():
    return json.loads((DATA / "datasets-ckan210.json").read_text(encoding="utf-8"))


def by_name(datasets, name):
    return next(dataset for dataset in datasets if dataset["name"] == name)


def numbered(count, start=1):
    """Further datasets like "vornamen" of another year, created one after the other."""
    template = by_name(ckan22_datasets(), "vornamen")
    datasets = []
    for number in range(start, start + count):
        dataset = copy.deepcopy(template)
        dataset["id"] = f"0c7e4f2a-5d3b-4a61-8e9f-{number:012d}"
        dataset["name"] = f"vornamen-{2000 + number}"
        dataset["title"] = f"Vornamen {2000 + number}"
        dataset["metadata_created"] = f"2018-01-01T00:00:{number % 60:02d}.{number:06d}"
        for resource in dataset["resources"]:
            resource["id"] = f"1d2e3f40-0002-4a00-8000-{number:012d}"
            resource["url"] = f"https://opendata.example-jena.de/files/vornamen_{2000 + number}.csv"
        datasets.append(dataset)
    return datasets


def answer(results, count=None, modern=True, base=BASE):
    """A ``package_search`` answer as CKAN 2.10 (help URL) or CKAN 2.2 (help text) writes it."""
    return json.dumps({
        "help": f"{base}/api/3/action/help_show?name=package_search" if modern else CKAN22_HELP,
        "success": True,
        "result": {"count": len(results) if count is None else count, "sort": ckan_api.SORT,
                   "facets": {}, "search_facets": {}, "results": results},
    }, ensure_ascii=False).encode("utf-8")


def json_answer(body, status=200):
    return Answer(body, status=status, content_type="application/json;charset=utf-8")


def publish(server, datasets, per_page=100, modern=True, count=None):
    """The remote portal's search, page after page, in creation order as the harvester asks."""
    ordered = sorted(datasets, key=lambda item: (item["metadata_created"], item.get("id", "")))
    pages = [ordered[start:start + per_page] for start in range(0, len(ordered), per_page)] or [[]]
    server.sequence(SEARCH_PATH, [json_answer(answer(page, count=len(ordered) if count is None else count,
                                                     modern=modern)) for page in pages])


def search_requests(server):
    return [parse_qs(urlsplit(path).query) for path in server.paths() if path.startswith(SEARCH_PATH)]


# -- configuration, listing parameters, records (no database) ---------------------------------------

class TestConfiguration:
    def test_a_complete_configuration_is_accepted(self):
        assert ckan_api.check_config({
            "api_version": 3, "page_size": 1000, "fq": 'tags:"Verkehr"',
            "organizations": ["fachdienst-umweltschutz", "team_statistik"],
            "groups_map": {"umwelt-klima": "umwelt", "sonstiges": None}}) == []

    @pytest.mark.parametrize("config, key", [
        ({"api_version": 2}, "api_version"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": 1001}, "page_size"),
        ({"page_size": "100"}, "page_size"),
        ({"page_size": True}, "page_size"),
        ({"fq": ["tags:x"]}, "fq"),
        ({"fq": "x" * 2001}, "fq"),
        ({"organizations": "fachdienst-umweltschutz"}, "organizations"),
        ({"organizations": ['a" OR "b']}, "organizations"),
        ({"groups_map": {"umwelt": 3}}, "groups_map"),
        ({"groups_map": ["umwelt"]}, "groups_map"),
    ])
    def test_a_wrong_setting_is_named(self, config, key):
        [problem] = ckan_api.check_config(config)
        assert problem.text("en").startswith(key)


class TestListingParameters:
    @pytest.mark.parametrize("url", [
        "https://opendata.example-jena.de", "https://opendata.example-jena.de/",
        "https://opendata.example-jena.de/api/3", "https://opendata.example-jena.de/api/3/",
        "https://opendata.example-jena.de/api/3/action/package_search?q=x",
        "https://opendata.example-jena.de/api",
    ])
    def test_the_portal_address_is_found_in_any_api_address(self, url):
        assert ckan_api.api_base(url) == BASE

    def test_a_portal_under_a_path_keeps_it(self):
        assert ckan_api.search_url(ckan_api.api_base("https://example.org/data/")) == \
            "https://example.org/data/api/3/action/package_search"

    def test_filters_are_combined_with_datasets_only(self):
        fq = ckan_api.filter_query({"fq": "tags:Verkehr OR tags:Parken",
                                    "organizations": ["fachdienst-mobilitaet", "stadtwerke"]})
        assert fq == ('+(tags:Verkehr OR tags:Parken) '
                      '+organization:("fachdienst-mobilitaet" OR "stadtwerke") +dataset_type:dataset')

    def test_a_filter_on_the_type_replaces_the_default_one(self):
        assert ckan_api.filter_query({"fq": "dataset_type:showcase"}) == "+(dataset_type:showcase)"
        assert ckan_api.filter_query({}) == "+dataset_type:dataset"


class TestRecords:
    def test_guid_is_the_remote_id_and_the_address_its_page(self):
        remote = by_name(ckan22_datasets(), "baumkataster")
        record = ckan_api.record_of(remote, BASE, 1)
        assert record.guid == remote["id"]
        assert record.original_url == f"{BASE}/dataset/baumkataster"
        assert record.error is None

    def test_volatile_fields_do_not_change_the_content(self):
        remote = by_name(ckan22_datasets(), "baumkataster")
        before = ckan_api.record_of(remote, BASE, 1).content
        remote["tracking_summary"] = {"recent": 99, "total": 9999}
        remote["revision_id"] = "another-revision"
        remote["resources"][0]["tracking_summary"] = {"recent": 1, "total": 1}
        remote["resources"][0]["datastore_active"] = True
        remote["organization"]["description"] = "Neu geschrieben."
        remote["organization"]["image_url"] = "neu.png"
        remote["groups"][0]["description"] = "Neu geschrieben."
        remote["groups"][0]["image_display_url"] = "https://example.org/neu.png"
        assert ckan_api.record_of(remote, BASE, 1).content == before

    def test_a_real_change_changes_the_content(self):
        remote = by_name(ckan22_datasets(), "baumkataster")
        before = ckan_api.record_of(remote, BASE, 1).content
        remote["metadata_modified"] = "2024-01-01T00:00:00.000000"
        assert ckan_api.record_of(remote, BASE, 1).content != before

    def test_the_content_is_canonical_json(self):
        remote = by_name(ckan22_datasets(), "baumkataster")
        content = ckan_api.record_of(remote, BASE, 1).content
        reordered = dict(reversed(list(remote.items())))
        assert ckan_api.record_of(reordered, BASE, 1).content == content
        assert "Straßenbäume" in content  # not escaped, so umlauts hash and read as they are

    @pytest.mark.parametrize("remote", [{"name": "ohne-id"}, {"id": ""}, "kein Objekt", {"id": 7}])
    def test_a_dataset_without_id_is_an_error_record(self, remote):
        record = ckan_api.record_of(remote, BASE, 4)
        assert record.guid is None
        assert "page 4" in record.error.text("en")

    @pytest.mark.parametrize("error, expected", [
        ({"__type": "Search Query Error", "message": "Search error: invalid fq"},
         "Search Query Error: Search error: invalid fq"),
        ({"__type": "Validation Error", "rows": ["Must be a natural number"]},
         "Validation Error: rows: Must be a natural number"),
        ("Zugriff verweigert", "Zugriff verweigert"),
        (None, "null"),
    ])
    def test_the_api_error_is_quoted(self, error, expected):
        assert ckan_api.api_error_text(error) == expected


# -- mapping --------------------------------------------------------------------------------------

@pytest.fixture
def run():
    return SourceRun(source_id="quelle", url=BASE + "/", config={}, client=None)


class TestLicences:
    @pytest.mark.parametrize("license_id, expected", [
        ("dl-de-by-2.0", "dl-by-de/2.0"), ("dl-de-zero-2.0", "dl-zero-de/2.0"),
        ("dl-by-de/2.0", "dl-by-de/2.0"), ("cc-by", "cc-by"), ("cc-by-4.0", "cc-by/4.0"),
        ("CC-BY-SA-4.0", "cc-by-sa/4.0"), ("cc-zero", "cc-zero"), ("odc-odbl", "odbl"),
        ("odc-by", "odby"), ("odc-pddl", "odcpddl"), ("gfdl", "gfdl"), ("cc-nc", "cc-by-nc"),
        ("other-open", "other-open"), ("other-closed", "other-closed"),
        ("http://dcat-ap.de/def/licenses/dl-zero-de/2.0", "dl-zero-de/2.0"),
    ])
    def test_stock_and_govdata_ids(self, license_id, expected):
        assert ckan_api.map_license({"license_id": license_id, "license_title": "x"}) == (expected, None)

    def test_by_the_licence_page(self):
        assert ckan_api.map_license({"license_id": "dl-by-2", "license_title": "DL BY",
                                     "license_url": "http://www.govdata.de/dl-de/by-2-0/"}) == ("dl-by-de/2.0", None)

    def test_by_the_title(self):
        assert ckan_api.map_license({"license_id": "odbl-1", "license_title": "Open Data Commons "
                                     "Open Database License (ODbL)"}) == ("odbl", None)

    def test_a_generic_licence_states_the_source_licence(self):
        assert ckan_api.map_license({"license_id": "uk-ogl", "license_title": "UK Open Government Licence (OGL)"}) \
            == ("other-open", "UK Open Government Licence (OGL)")

    def test_an_unknown_licence_is_left_to_the_default_and_stated(self):
        remote = by_name(ckan210_datasets(), "fahrplan-nahverkehr")
        assert ckan_api.map_license(remote) == (None, "Nutzungsbedingungen der Stadtwerke Jena "
                                                "(https://www.example-stadtwerke-jena.de/nutzungsbedingungen)")
        assert ckan_api.map_license({"license_id": "notspecified", "license_title": "License not specified"}) \
            == (None, "License not specified")

    def test_no_licence_at_all_is_left_to_the_default(self):
        assert ckan_api.map_license({"license_id": "", "license_title": None}) == (None, None)
        assert ckan_api.map_license({}) == (None, None)


class TestResourceFields:
    @pytest.mark.parametrize("resource, expected", [
        ({"format": "CSV"}, "CSV"), ({"format": "csv"}, "CSV"), ({"format": ".csv"}, "CSV"),
        ({"format": "GeoJSON"}, "GEOJSON"), ({"format": "WMS"}, "WMS_SRVC"),
        ({"format": "Shapefile"}, "SHP"), ({"format": "XLSX"}, "XLSX"),
        ({"format": "", "mimetype": "application/json"}, "JSON"),
        ({"format": "", "url": "https://example.org/daten/liste.xlsx?v=2"}, "XLSX"),
        ({"format": "Tabelle"}, None), ({"format": None, "url": "https://example.org/api/"}, None),
    ])
    def test_formats_become_eu_file_types(self, resource, expected):
        assert ckan_api.map_format(resource) == expected

    @pytest.mark.parametrize("value, algorithm, expected", [
        ("sha256:" + "ab" * 32, None, ("ab" * 32, "http://dcat-ap.de/def/hashAlgorithms/sha/256")),
        ("SHA-1:" + "AB" * 20, None, ("ab" * 20, "http://dcat-ap.de/def/hashAlgorithms/sha/1")),
        ("d41d8cd98f00b204e9800998ecf8427e", None, ("d41d8cd98f00b204e9800998ecf8427e",
                                                    "http://dcat-ap.de/def/hashAlgorithms/md/5")),
        ("ab" * 32, "sha256", ("ab" * 32, "http://dcat-ap.de/def/hashAlgorithms/sha/256")),
        ("md5:" + "ab" * 20, None, (None, None)),  # the length contradicts the algorithm
        ("not a checksum", None, (None, None)),
        ("", None, (None, None)),
        ("abc", None, (None, None)),
    ])
    def test_checksums_keep_their_algorithm_or_are_left_out(self, value, algorithm, expected):
        assert ckan_api.map_hash(value, algorithm) == expected

    def test_keywords_are_cleaned_for_ckan(self):
        assert ckan_api.clean_tags(["Umwelt & Natur", "Bäume", "Bäume", "x", " Rad-/Fußweg ", 7,
                                    "a" * 101]) == ["Umwelt Natur", "Bäume", "Rad- Fußweg"]

    def test_a_resource_without_name(self):
        assert ckan_api.resource_name({"url": "https://example.org/gtfs/gtfs.zip"}, 1) == {"de": "gtfs.zip"}
        name = ckan_api.resource_name({"url": "https://api.example.org/parken/v1/"}, 2)
        assert name["en"] == "Resource 2" and name["de"]


@pytest.mark.usefixtures("with_plugins", "clean_db")
@pytest.mark.ckan_config("ckan.plugins", "jena scheming_datasets")
class TestMapping:
    def test_a_ckan_22_dataset(self, run):
        remote = by_name(ckan22_datasets(), "baumkataster")
        dataset = ckan_api.to_dataset(ckan_api.record_of(remote, BASE, 1).content, run)
        assert dataset["title_translated"] == {"de": "Baumkataster"}
        assert dataset["notes_translated"] == {"de": remote["notes"]}
        assert dataset["tags_translated"] == {"de": ["Bäume", "Stadtgrün", "Umwelt Natur"]}
        assert dataset["license_id"] == "dl-by-de/2.0"
        assert dataset["contact"] == [{"name": "Fachdienst Umweltschutz", "email": "umweltschutz@example-jena.de"}]
        assert dataset["maintainer_agent"] == dataset["contact"]
        assert dataset["originator"] == [{"name": "Kommunalservice Jena", "email": "ksj@example-jena.de"}]
        assert dataset["publisher"] == [{"name": "Fachdienst Umweltschutz",
                                         "url": f"{BASE}/organization/fachdienst-umweltschutz"}]
        assert dataset["url"] == "https://www.jena.de/baumkataster"
        assert dataset["identifier"] == remote["id"]
        assert dataset["issued"] == "2016-04-12T09:31:02.123456"
        assert dataset["modified"] == "2023-02-01T11:00:00.654321"
        assert dataset["temporal_coverage"] == [{"start": "2015-01-01", "end": "2023-12-31"}]
        assert dataset["frequency"] == "http://publications.europa.eu/resource/authority/frequency/ANNUAL"
        assert json.loads(dataset["spatial"])["type"] == "Polygon"
        assert dataset["geocoding_description"] == {"de": "Stadtgebiet Jena"}
        assert "groups" not in dataset or dataset["groups"] == []  # no category of that name here
        for field in ("name", "id", "owner_org", "state", "private", "extras", "tags"):
            assert field not in dataset
        csv, geojson, wms = dataset["resources"]
        assert csv == {
            "url": remote["resources"][0]["url"], "access_url": remote["resources"][0]["url"],
            "download_url": remote["resources"][0]["url"],
            "name_translated": {"de": "Baumkataster (CSV)"},
            "description_translated": {"de": "Eine Zeile je Baum; Trennzeichen Semikolon."},
            "format": "CSV", "mimetype": "text/csv", "size": 482133,
            "created": "2016-04-12T09:33:10.457812", "last_modified": "2023-02-01T10:59:40",
            "hash": "d41d8cd98f00b204e9800998ecf8427e",
            "hash_algorithm": "http://dcat-ap.de/def/hashAlgorithms/md/5"}
        assert geojson["format"] == "GEOJSON" and geojson["download_url"] == geojson["url"]
        assert wms["format"] == "WMS_SRVC" and wms["access_url"] == wms["url"]
        assert "download_url" not in wms  # a service is not a download

    def test_a_ckan_210_dataset_with_translations(self, run):
        remote = by_name(ckan210_datasets(), "parken")
        dataset = ckan_api.to_dataset(ckan_api.record_of(remote, BASE, 1).content, run)
        assert dataset["title_translated"] == {"de": "Parkhausbelegung", "en": "Car park occupancy"}
        assert dataset["notes_translated"]["en"] == "Occupancy of the car parks in Jena, updated every 15 minutes."
        assert dataset["tags_translated"] == {"de": ["Parken", "Verkehr"], "en": ["parking", "traffic"]}
        assert dataset["license_id"] == "odbl"
        assert dataset["issued"] == "2019-06-03"  # the extra wins over metadata_created
        assert dataset["temporal_coverage"] == [{"start": "2019-06-01"}]
        assert dataset["language"] == ["http://publications.europa.eu/resource/authority/language/DEU"]
        assert "originator" not in dataset
        upload, api = dataset["resources"]
        assert upload["name_translated"] == {"de": "Belegung aktuell", "en": "Current occupancy"}
        assert upload["description_translated"]["en"] == "Current occupancy as JSON."
        assert upload["hash"] == "3b" * 32
        assert upload["hash_algorithm"] == "http://dcat-ap.de/def/hashAlgorithms/sha/256"
        assert upload["download_url"] == upload["url"]
        assert api["name_translated"]["en"] == "Resource 2"
        assert "download_url" not in api and api["access_url"] == "https://api.example-jena.de/parken/v1/"

    def test_a_sparse_dataset(self, run):
        remote = by_name(ckan210_datasets(), "fahrplan-nahverkehr")
        dataset = ckan_api.to_dataset(ckan_api.record_of(remote, BASE, 1).content, run)
        # no description: the title stands in; the unknown licence is stated below it
        assert dataset["notes_translated"]["de"].startswith("Fahrplan Nahverkehr (GTFS)\n\n")
        assert "Nutzungsbedingungen der Stadtwerke Jena" in dataset["notes_translated"]["de"]
        assert "license_id" not in dataset
        # "info(at)…" is no e-mail address, so there is no contact; the name stays as maintainer
        assert "contact" not in dataset
        assert dataset["maintainer_agent"] == [{"name": "Stadtwerke Jena"}]
        assert "publisher" not in dataset and "tags_translated" not in dataset
        assert dataset["resources"][0]["name_translated"] == {"de": "gtfs.zip"}
        assert dataset["resources"][0]["format"] == "GTFS"

    def test_the_identifier_extra_wins(self, run):
        remote = by_name(ckan22_datasets(), "vornamen")
        remote["extras"].append({"key": "identifier", "value": "https://daten.jena.de/id/vornamen"})
        dataset = ckan_api.to_dataset(ckan_api.record_of(remote, BASE, 1).content, run)
        assert dataset["identifier"] == "https://daten.jena.de/id/vornamen"
        # the author's address stands in for the missing maintainer's
        assert dataset["contact"] == [{"name": "Team Statistik und Wahlen", "email": "statistik@example-jena.de"}]

    def test_values_the_schema_would_refuse_are_left_out(self, run):
        remote = by_name(ckan22_datasets(), "baumkataster")
        remote["url"] = "www.jena.de/baeume"
        remote["extras"] = [
            {"key": "spatial", "value": json.dumps({"type": "Point", "coordinates": [-70.0, 40.0]})},
            {"key": "temporal_coverage_from", "value": "2020-01-01"},
            {"key": "temporal_coverage_to", "value": "2019-01-01"},
            {"key": "frequency", "value": "ab und zu"}]
        remote["resources"][0].update(size="groß", mimetype="CSV-Datei", created="gestern")
        dataset = ckan_api.to_dataset(ckan_api.record_of(remote, BASE, 1).content, run)
        for field in ("url", "spatial", "temporal_coverage", "frequency"):
            assert field not in dataset
        for field in ("size", "mimetype", "created"):
            assert field not in dataset["resources"][0]

    def test_a_dataset_without_title_is_refused(self, run):
        remote = by_name(ckan22_datasets(), "vornamen")
        remote["title"] = ""
        with pytest.raises(RecordError) as raised:
            ckan_api.to_dataset(ckan_api.record_of(remote, BASE, 1).content, run)
        assert "vornamen" in raised.value.message.text("en")

    def test_stored_content_that_is_no_dataset_is_refused(self, run):
        with pytest.raises(RecordError):
            ckan_api.to_dataset("[1, 2]", run)

    def test_groups_map_onto_categories(self, run):
        factories.Group(name="umwelt")
        factories.Group(name="bevoelkerung")
        remote = by_name(ckan22_datasets(), "baumkataster")
        remote["groups"].append({"name": "bevoelkerung", "title": "Bevölkerung"})
        remote["groups"].append({"name": "sonstiges", "title": "Sonstiges"})
        run.config = {"groups_map": {"umwelt-klima": "umwelt", "bevoelkerung": None}}
        dataset = ckan_api.to_dataset(ckan_api.record_of(remote, BASE, 1).content, run)
        assert dataset["groups"] == [{"name": "umwelt"}]
        run.config = {}
        dataset = ckan_api.to_dataset(ckan_api.record_of(remote, BASE, 1).content, run)
        assert dataset["groups"] == [{"name": "bevoelkerung"}]  # the same name, without a map


# -- harvesting in CKAN ---------------------------------------------------------------------------



make_source = partial(create_source, source_type="jena_ckan", name="altes-portal",
                      title="Altes Open-Data-Portal", default_config={"defaults": DEFAULTS})


@harvesting(PLUGINS)
class TestHarvest:
    def test_first_harvest_creates_valid_datasets_of_both_ckan_generations(
            self, server, organization, test_request_context):
        factories.Group(name="umwelt")
        remote = ckan22_datasets() + ckan210_datasets()
        publish(server, remote)
        source = make_source(server, organization, {
            "defaults": DEFAULTS, "groups_map": {"umwelt-klima": "umwelt"}})

        job, report = harvest(source, test_request_context)

        assert report["gather_errors"] == [] and report["record_errors"] == [], report
        assert report["counts"] == {"added": 4}
        datasets = harvested(source)
        assert sorted(datasets) == sorted(item["id"] for item in remote)
        baum = helpers.call_action("package_show", id=datasets[remote[0]["id"]]["id"])
        assert baum["title_translated"] == {"de": "Baumkataster"} and baum["title"] == "Baumkataster"
        assert baum["name"] == "baumkataster"
        assert baum["owner_org"] == organization["id"]
        assert baum["license_id"] == "dl-by-de/2.0"
        assert [group["name"] for group in baum["groups"]] == ["umwelt"]
        assert sorted(tag["name"] for tag in baum["tags"]) == ["Bäume", "Stadtgrün", "Umwelt Natur"]
        assert [resource["format"] for resource in baum["resources"]] == ["CSV", "GEOJSON", "WMS_SRVC"]
        assert baum["resources"][0]["size"] == 482133
        assert baum["temporal_coverage"] == [{"start": "2015-01-01", "end": "2023-12-31"}]
        parken = helpers.call_action("package_show", id=datasets[remote[2]["id"]]["id"])
        assert parken["title_translated"]["en"] == "Car park occupancy"
        assert parken["tags_translated"]["en"] == ["parking", "traffic"]
        fahrplan = helpers.call_action("package_show", id=datasets[remote[3]["id"]]["id"])
        assert fahrplan["license_id"] == "dl-by-de/2.0"  # the portal's default licence
        assert "Nutzungsbedingungen der Stadtwerke Jena" in fahrplan["notes_translated"]["de"]
        assert fahrplan["contact"] == [CONTACT] and fahrplan["tags_translated"] == {"de": ["Jena"]}
        [request] = search_requests(server)
        assert request["sort"] == [ckan_api.SORT] and request["start"] == ["0"]
        assert request["rows"] == ["100"] and request["fq"] == ["+dataset_type:dataset"]

    def test_without_defaults_a_dataset_lacking_contact_and_keywords_fails_alone(
            self, server, organization, test_request_context):
        publish(server, ckan210_datasets())
        source = make_source(server, organization, {})

        job, report = harvest(source, test_request_context)

        assert report["counts"].get("added") == 1, report
        [(guid, message)] = report["record_errors"]
        assert guid == by_name(ckan210_datasets(), "fahrplan-nahverkehr")["id"]
        assert "contact" in message.lower() or "kontakt" in message.lower()

    def test_an_unchanged_portal_writes_nothing(self, server, organization, test_request_context):
        remote = ckan22_datasets() + ckan210_datasets()
        publish(server, remote, modern=False)
        source = make_source(server, organization)
        harvest(source, test_request_context)
        before = modification_times(source)

        for dataset in remote:  # only counters and caches changed
            dataset["tracking_summary"] = {"recent": 1, "total": 5000}
            for resource in dataset["resources"]:
                resource["tracking_summary"] = {"recent": 1, "total": 70}
        publish(server, remote, modern=False)
        job, report = harvest(source, test_request_context)

        assert report["counts"] == {"not modified": 4}, report
        assert modification_times(source) == before

    def test_a_changed_dataset_is_updated_and_keeps_its_resource_ids(
            self, server, organization, test_request_context):
        remote = ckan22_datasets()
        publish(server, remote)
        source = make_source(server, organization)
        harvest(source, test_request_context)
        before = helpers.call_action("package_show", id=harvested(source)[remote[0]["id"]]["id"])

        remote[0]["title"] = "Baumkataster der Stadt Jena"
        remote[0]["name"] = "baumkataster-jena"  # renamed remotely: the id still finds it
        remote[0]["metadata_modified"] = "2024-05-01T08:00:00.000000"
        publish(server, remote)
        job, report = harvest(source, test_request_context)

        assert report["counts"] == {"updated": 1, "not modified": 1}, report
        after = helpers.call_action("package_show", id=before["id"])
        assert after["title_translated"]["de"] == "Baumkataster der Stadt Jena"
        assert [r["id"] for r in after["resources"]] == [r["id"] for r in before["resources"]]

    def test_a_dataset_removed_remotely_is_withdrawn(self, server, organization, test_request_context):
        remote = ckan22_datasets() + ckan210_datasets()
        publish(server, remote)
        source = make_source(server, organization, {"defaults": DEFAULTS, "max_deletion_share": 0.5})
        harvest(source, test_request_context)
        datasets = harvested(source)

        publish(server, [dataset for dataset in remote if dataset["name"] != "vornamen"])
        job, report = harvest(source, test_request_context)

        assert report["counts"] == {"deleted": 1, "not modified": 3}, report
        assert state_of(datasets[by_name(remote, "vornamen")["id"]]["id"]) == "deleted"

    def test_a_dataset_made_private_remotely_is_withdrawn(self, server, organization, test_request_context):
        remote = ckan22_datasets() + ckan210_datasets()
        publish(server, remote)
        source = make_source(server, organization, {"defaults": DEFAULTS, "max_deletion_share": 0.5})
        harvest(source, test_request_context)
        datasets = harvested(source)

        by_name(remote, "parken")["private"] = True
        publish(server, remote)
        job, report = harvest(source, test_request_context)

        assert report["counts"] == {"deleted": 1, "not modified": 3}, report
        assert state_of(datasets[by_name(remote, "parken")["id"]]["id"]) == "deleted"

    def test_three_pages(self, server, organization, test_request_context):
        remote = numbered(5)
        publish(server, remote, per_page=2)
        source = make_source(server, organization, {"defaults": DEFAULTS, "page_size": 2})

        job, report = harvest(source, test_request_context)

        assert report["counts"] == {"added": 5}, report
        assert sorted(harvested(source)) == sorted(item["id"] for item in remote)
        requests = search_requests(server)
        assert [request["start"] for request in requests] == [["0"], ["2"], ["4"]]
        assert all(request["rows"] == ["2"] for request in requests)

    def test_a_portal_that_caps_the_page_size(self, server, organization, test_request_context):
        remote = numbered(5)
        publish(server, remote, per_page=2)  # 2 per page although 4 were asked for
        source = make_source(server, organization, {"defaults": DEFAULTS, "page_size": 4})

        job, report = harvest(source, test_request_context)

        assert report["counts"] == {"added": 5}, report
        assert [request["start"] for request in search_requests(server)] == [["0"], ["2"], ["4"]]

    def test_organisations_and_filter_reach_the_search(self, server, organization, test_request_context):
        publish(server, ckan22_datasets())
        source = make_source(server, organization, {
            "defaults": DEFAULTS, "fq": "tags:Bäume", "organizations": ["fachdienst-umweltschutz"]})
        harvest(source, test_request_context)
        [request] = search_requests(server)
        assert request["fq"] == ['+(tags:Bäume) +organization:("fachdienst-umweltschutz") '
                                 '+dataset_type:dataset']


@pytest.fixture
def harvested_once(server, organization, test_request_context):
    """A source whose five datasets were harvested; the tests then break the portal."""
    remote = numbered(5)
    publish(server, remote, per_page=2)
    source = make_source(server, organization, {"defaults": DEFAULTS, "page_size": 2})
    job, report = harvest(source, test_request_context)
    assert report["counts"] == {"added": 5}, report
    server.clear_log()
    return source, remote


def assert_nothing_withdrawn(source, remote):
    datasets = harvested(source)
    assert len(datasets) == len(remote)
    assert all(state_of(dataset["id"]) == "active" for dataset in datasets.values())


def reharvest_failing(source, remote, test_request_context):
    """Harvest again from a portal whose listing cannot be read completely: the one gather error,
    once it is sure that nothing was withdrawn."""
    _, report = harvest(source, test_request_context)
    [message] = report["gather_errors"]
    assert_nothing_withdrawn(source, remote)
    return message


@harvesting(PLUGINS)
class TestIncompleteListings:
    def test_fewer_datasets_than_the_count(self, server, harvested_once, test_request_context):
        source, remote = harvested_once
        publish(server, remote[:3], per_page=2, count=5)

        message = reharvest_failing(source, remote, test_request_context)

        assert "reports 5 datasets, but its pages list 3" in message

    def test_the_count_changes_between_pages(self, server, harvested_once, test_request_context):
        source, remote = harvested_once
        server.sequence(SEARCH_PATH, [json_answer(answer(remote[:2], count=5)),
                                      json_answer(answer(remote[3:5], count=4))])

        message = reharvest_failing(source, remote, test_request_context)

        assert "changed from 5 to 4" in message

    def test_the_api_refuses(self, server, harvested_once, test_request_context):
        source, remote = harvested_once
        server.serve(SEARCH_PATH, json.dumps({
            "help": "…", "success": False,
            "error": {"__type": "Search Query Error", "message": "Search error: can not parse fq"}}),
            content_type="application/json")

        message = reharvest_failing(source, remote, test_request_context)

        assert "Search error: can not parse fq" in message

    def test_an_error_status(self, server, harvested_once, test_request_context):
        source, remote = harvested_once
        server.serve(SEARCH_PATH, json.dumps({"success": False, "error": {"message": "Not found"}}),
                     status=409, content_type="application/json")

        message = reharvest_failing(source, remote, test_request_context)

        assert "409" in message

    @pytest.mark.parametrize("body, content_type, expected", [
        ("<!DOCTYPE html><html><body><h1>Wartungsarbeiten</h1></body></html>", "text/html",
         "not an answer of the CKAN action API"),
        (json.dumps({"result": {"count": 0, "results": []}}), "application/json", '"success"'),
        (json.dumps({"success": True, "result": {"count": "5", "results": []}}), "application/json",
         '"count"'),
        (json.dumps({"success": True, "result": [1, 2]}), "application/json", '"count"'),
        (json.dumps([{"id": "x"}]), "application/json", '"success"'),
    ])
    def test_an_answer_that_is_not_ckan(self, body, content_type, expected, server, harvested_once,
                                        test_request_context):
        source, remote = harvested_once
        server.serve(SEARCH_PATH, body, content_type=content_type)

        message = reharvest_failing(source, remote, test_request_context)

        assert expected in message, message

    def test_the_second_page_failing(self, server, harvested_once, test_request_context):
        source, remote = harvested_once
        server.sequence(SEARCH_PATH, [json_answer(answer(remote[:2], count=5)),
                                      Answer(b"Bad Gateway", status=502, content_type="text/plain")])

        message = reharvest_failing(source, remote, test_request_context)

        assert "502" in message

    def test_more_pages_than_allowed(self, server, harvested_once, test_request_context, ckan_config,
                                     monkeypatch):
        source, remote = harvested_once
        monkeypatch.setitem(ckan_config, "ckanext.jena.harvest.max_pages", 2)
        publish(server, remote, per_page=2)

        message = reharvest_failing(source, remote, test_request_context)

        assert "more than 2 pages of 2 datasets" in message
        assert len(search_requests(server)) == 1  # the first page's count tells

    def test_more_pages_than_allowed_when_the_portal_caps_them(
            self, server, harvested_once, test_request_context, ckan_config, monkeypatch):
        source, remote = harvested_once
        monkeypatch.setitem(ckan_config, "ckanext.jena.harvest.max_pages", 2)
        # the first page is full as announced, the others shrink below the requested size
        server.sequence(SEARCH_PATH, [json_answer(answer(remote[:3], count=5)),
                                      json_answer(answer(remote[3:4], count=5)),
                                      json_answer(answer(remote[4:], count=5))])

        message = reharvest_failing(source, remote, test_request_context)

        assert "more than 2 pages" in message
        assert len(search_requests(server)) == 2

    def test_a_dataset_without_id_blocks_withdrawals(self, server, harvested_once, test_request_context):
        source, remote = harvested_once
        broken = copy.deepcopy(remote[4])
        del broken["id"]
        publish(server, remote[:3] + [broken], per_page=2)

        job, report = harvest(source, test_request_context)

        assert report["counts"].get("deleted") is None, report
        assert_nothing_withdrawn(source, remote)


@harvesting(PLUGINS)
class TestSourceSettings:
    def test_invalid_settings_are_refused_on_save(self, server, organization):
        with pytest.raises(Exception) as raised:
            make_source(server, organization, {"page_size": 5000, "organizations": "umwelt"})
        text = str(getattr(raised.value, "error_dict", raised.value))
        assert "page_size" in text and "organizations" in text

    def test_unknown_settings_are_refused(self, server, organization):
        with pytest.raises(Exception) as raised:
            make_source(server, organization, {"default_licence": "cc-by"})
        assert "default_licence" in str(getattr(raised.value, "error_dict", raised.value))
