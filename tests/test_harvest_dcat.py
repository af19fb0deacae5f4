"""The harvest core through the DCAT-AP.de harvester, against local catalogue servers."""
from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers

from tests.dcat_catalogues import Catalogue
from tests.harvest_sources import SourceServer
from tests.harvesting import (assert_bilingual, create_source, harvest, harvest_marks, harvested,
                              harvested_in_full)

EXAMPLES = Path(__file__).resolve().parent / "data" / "dcat-ap-de-examples"
PLUGINS = "jena scheming_datasets harvest jena_dcat_harvester"
ORGANIZATION = "beispielamt"

pytestmark = harvest_marks(PLUGINS)

make_source = partial(create_source, source_type="jena_dcat", name="beispielkatalog",
                      title="Beispielkatalog", path="/catalog.ttl?page=1")


def publish(server: SourceServer, catalogue: Catalogue, per_page: int = 5) -> None:
    for number, page in enumerate(catalogue.pages(per_page), start=1):
        server.serve(f"/catalog.ttl?page={number}", page.encode("utf-8"), content_type="text/turtle")


def harvested_catalogue(server, organization, test_request_context, size, per_page=5,
                        config=None):
    """A catalogue of ``size`` datasets on the server, harvested once by a new source."""
    catalogue = Catalogue.of(server.url(""), size)
    publish(server, catalogue, per_page)
    source = make_source(server, organization, config)
    harvest(source, test_request_context)
    return catalogue, source


def all_datasets():
    return {dataset["id"]: dataset for dataset in helpers.call_action(
        "package_search", rows=1000, include_private=True)["results"]}


class TestFirstHarvestAndReharvests:
    def test_first_harvest_creates_every_dataset_of_every_page(
            self, server, organization, test_request_context):
        catalogue = Catalogue.of(server.url(""), 12)
        publish(server, catalogue)
        source = make_source(server, organization)

        job, report = harvest(source, test_request_context)

        assert job["status"] == "Finished"
        assert report["gather_errors"] == [] and report["record_errors"] == []
        assert report["counts"] == {"added": 12}
        datasets = harvested(source)
        assert sorted(datasets) == sorted(item.identifier for item in catalogue.datasets)
        first = helpers.call_action("package_show", id=datasets[catalogue.datasets[0].identifier]["id"])
        assert first["title_translated"]["de"] == "Messwerte Nummer 1 für Jena-Süd"
        assert first["title_translated"]["en"] == "Readings number 1 for Jena South"
        assert first["owner_org"] == organization["id"]
        assert first["license_id"] == "dl-by-de/2.0"
        assert first["resources"][0]["format"] == "CSV"

    def test_five_identical_reharvests_write_nothing(
            self, server, organization, test_request_context):
        catalogue, source = harvested_catalogue(server, organization, test_request_context, 7, per_page=3)
        before = harvested_in_full(source)
        indexed_before = {item["id"]: item["indexed_ts"] for item in helpers.call_action(
            "package_search", rows=100, fl="id,indexed_ts")["results"]}

        for _ in range(5):
            job, report = harvest(source, test_request_context)
            assert job["status"] == "Finished"
            assert report["counts"] == {"not modified": 7}, report

        after = harvested_in_full(source)
        assert len(all_datasets()) == 7
        for identifier, dataset in before.items():
            assert after[identifier]["id"] == dataset["id"]
            assert after[identifier]["metadata_modified"] == dataset["metadata_modified"]
            assert [r["id"] for r in after[identifier]["resources"]] == [r["id"] for r in dataset["resources"]]
        indexed_after = {item["id"]: item["indexed_ts"] for item in helpers.call_action(
            "package_search", rows=100, fl="id,indexed_ts")["results"]}
        assert indexed_after == indexed_before

    def test_a_changed_record_is_updated_in_place(self, server, organization, test_request_context):
        catalogue, source = harvested_catalogue(server, organization, test_request_context, 3)
        before = harvested(source)
        changed = catalogue.datasets[1]
        changed.revision = 1
        changed.title = "Neuer Titel mit Umlauten äöüß"
        changed.formats = ("CSV", "JSON")
        publish(server, catalogue)

        _, report = harvest(source, test_request_context)

        assert report["counts"] == {"not modified": 2, "updated": 1}
        dataset = helpers.call_action("package_show", id=before[changed.identifier]["id"])
        assert dataset["title_translated"]["de"] == "Neuer Titel mit Umlauten äöüß"
        assert dataset["name"] == before[changed.identifier]["name"]
        old_resource = helpers.call_action("package_show", id=before[changed.identifier]["id"])
        csv_ids = [r["id"] for r in old_resource["resources"] if r["format"] == "CSV"]
        assert csv_ids == [before[changed.identifier]["resources"][0]["id"]]
        assert len(dataset["resources"]) == 2


class TestDeletions:
    def test_a_record_removed_at_the_source_is_withdrawn(
            self, server, organization, test_request_context):
        catalogue, source = harvested_catalogue(server, organization, test_request_context, 6)
        gone = catalogue.datasets.pop(2)
        gone_id = harvested(source)[gone.identifier]["id"]
        publish(server, catalogue)

        _, report = harvest(source, test_request_context)

        assert report["counts"] == {"not modified": 5, "deleted": 1}
        assert helpers.call_action("package_show", id=gone_id)["state"] == "deleted"
        assert len(harvested(source)) == 5

    def test_a_withdrawn_record_that_returns_is_restored(
            self, server, organization, test_request_context):
        catalogue, source = harvested_catalogue(server, organization, test_request_context, 6)
        original_id = harvested(source)[catalogue.datasets[0].identifier]["id"]
        removed = catalogue.datasets.pop(0)
        publish(server, catalogue)
        harvest(source, test_request_context)
        catalogue.datasets.insert(0, removed)
        publish(server, catalogue)

        _, report = harvest(source, test_request_context)

        assert report["counts"] == {"not modified": 5, "updated": 1}
        assert helpers.call_action("package_show", id=original_id)["state"] == "active"

    def test_a_catalogue_shrunk_beyond_the_share_withdraws_nothing(
            self, server, organization, test_request_context):
        catalogue, source = harvested_catalogue(server, organization, test_request_context, 10)
        catalogue.datasets = catalogue.datasets[:7]
        publish(server, catalogue)

        _, report = harvest(source, test_request_context)

        assert len(harvested(source)) == 10
        [message] = report["gather_errors"]
        assert "3 von 10 Datensätzen (30 %)" in message
        assert "3 of 10 datasets (30 %)" in message

        _, report = harvest(source, test_request_context, allow_deletions=True)

        assert report["counts"]["deleted"] == 3
        assert len(harvested(source)) == 7

    def test_a_source_can_allow_a_larger_share(self, server, organization, test_request_context):
        catalogue, source = harvested_catalogue(server, organization, test_request_context, 10,
                                                config={"max_deletion_share": 0.5})
        catalogue.datasets = catalogue.datasets[:6]
        publish(server, catalogue)

        _, report = harvest(source, test_request_context)

        assert report["counts"]["deleted"] == 4


FAULTS = {
    "server error": dict(status=500, body=b"Internal Server Error"),
    "not found": dict(status=404, body=b"Not Found"),
    "invalid rdf": dict(body=b"@prefix dcat: <http://www.w3.org/ns/dcat#> .\n<a> dcat:dataset [ ."),
    "html instead of rdf": dict(body=b"<html><body>Wartungsarbeiten</body></html>",
                                content_type="text/html"),
    "parser bomb": dict(body=(
        b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                   for i in range(1, 10))
        + b']>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">&lol9;</rdf:RDF>'),
        content_type="application/rdf+xml"),
}


class TestFaultsLoseNothing:
    @pytest.fixture
    def harvested_once(self, server, organization, test_request_context):
        catalogue, source = harvested_catalogue(server, organization, test_request_context, 25)
        before = harvested_in_full(source)
        assert len(before) == 25
        return catalogue, source, before

    def assert_nothing_changed(self, source, before):
        after = harvested_in_full(source)
        assert after.keys() == before.keys()
        for identifier, dataset in before.items():
            assert after[identifier]["metadata_modified"] == dataset["metadata_modified"]
            assert after[identifier]["state"] == "active"

    @pytest.mark.parametrize("fault", sorted(FAULTS))
    def test_a_broken_first_page(self, fault, server, harvested_once, test_request_context):
        _, source, before = harvested_once
        options = FAULTS[fault]
        server.serve("/catalog.ttl?page=1", options["body"], status=options.get("status", 200),
                     content_type=options.get("content_type", "text/turtle"))

        job, report = harvest(source, test_request_context)

        assert job["status"] == "Finished"
        [message] = report["gather_errors"]
        assert_bilingual(message)
        assert "Nothing was imported, changed or withdrawn." in message
        self.assert_nothing_changed(source, before)

    def test_page_three_of_five_failing(self, server, harvested_once, test_request_context):
        _, source, before = harvested_once
        server.serve("/catalog.ttl?page=3", b"Service Unavailable", status=503)

        _, report = harvest(source, test_request_context)

        [message] = report["gather_errors"]
        assert "503" in message and "page=3" in message
        self.assert_nothing_changed(source, before)

    def test_an_empty_catalogue(self, server, harvested_once, test_request_context):
        catalogue, source, before = harvested_once
        publish(server, Catalogue(catalogue.base, []))

        _, report = harvest(source, test_request_context)

        assert any("lists no datasets" in message for message in report["gather_errors"])
        self.assert_nothing_changed(source, before)

    def test_a_catalogue_that_lists_fewer_than_it_announces(
            self, server, harvested_once, test_request_context):
        catalogue, source, before = harvested_once
        pages = catalogue.pages(5)
        server.serve("/catalog.ttl?page=5", pages[4].replace('hydra:totalItems "25"', 'hydra:totalItems "25"')
                     .split("<" + catalogue.dataset_iri(catalogue.datasets[-1]))[0].encode() + b"\n",
                     content_type="text/turtle")

        _, report = harvest(source, test_request_context)

        assert report["gather_errors"], report
        self.assert_nothing_changed(source, before)

    def test_a_hanging_source(self, server, harvested_once, test_request_context):
        _, source, before = harvested_once
        server.hang("/catalog.ttl?page=2", seconds=30)

        job, report = harvest(source, test_request_context)

        assert job["status"] == "Finished"
        [message] = report["gather_errors"]
        assert_bilingual(message)
        self.assert_nothing_changed(source, before)

    def test_a_truncated_body(self, server, harvested_once, test_request_context):
        catalogue, source, before = harvested_once
        server.truncate("/catalog.ttl?page=4", catalogue.pages(5)[3].encode("utf-8"), keep=400)

        _, report = harvest(source, test_request_context)

        [message] = report["gather_errors"]
        assert_bilingual(message)
        self.assert_nothing_changed(source, before)

    def test_paging_that_loops(self, server, harvested_once, test_request_context):
        catalogue, source, before = harvested_once
        pages = catalogue.pages(5)
        looping = pages[2].replace(catalogue.page_url(4), catalogue.page_url(2))
        server.serve("/catalog.ttl?page=3", looping.encode("utf-8"), content_type="text/turtle")

        _, report = harvest(source, test_request_context)

        [message] = report["gather_errors"]
        assert "page=2" in message
        self.assert_nothing_changed(source, before)


class TestEncodings:
    def rdf_xml(self, catalogue, encoding):
        from rdflib import Graph
        graph = Graph()
        graph.parse(data=catalogue.pages(100)[0], format="turtle")
        text = graph.serialize(format="xml")
        return text.replace('<?xml version="1.0" encoding="utf-8"?>',
                            f'<?xml version="1.0" encoding="{encoding}"?>').encode(encoding)

    @pytest.mark.parametrize("variant", ["utf-8", "utf-8 with bom", "latin-1 by header",
                                         "latin-1 by declaration"])
    def test_umlauts_arrive_intact(self, variant, server, organization, test_request_context):
        catalogue = Catalogue.of(server.url(""), 2)
        catalogue.datasets[0].title = "Bäume, Straßen und Grünflächen"
        if variant == "utf-8":
            body, content_type = catalogue.pages(100)[0].encode("utf-8"), "text/turtle"
        elif variant == "utf-8 with bom":
            body, content_type = b"\xef\xbb\xbf" + catalogue.pages(100)[0].encode("utf-8"), "text/turtle"
        elif variant == "latin-1 by header":
            body = self.rdf_xml(catalogue, "iso-8859-1").replace(
                b'<?xml version="1.0" encoding="iso-8859-1"?>', b"")
            content_type = "application/rdf+xml; charset=ISO-8859-1"
        else:
            body, content_type = self.rdf_xml(catalogue, "iso-8859-1"), "application/rdf+xml"
        server.serve("/catalog.ttl?page=1", body, content_type=content_type)
        source = make_source(server, organization)

        _, report = harvest(source, test_request_context)

        assert report["counts"] == {"added": 2}, report
        titles = sorted(dataset["title_translated"]["de"] for dataset in harvested(source).values())
        assert "Bäume, Straßen und Grünflächen" in titles


    def test_invalid_bytes_fail_their_dataset_not_the_job(self, server, organization,
                                                           test_request_context):
        catalogue = Catalogue.of(server.url(""), 3)
        catalogue.datasets[1].title = "Kaputt MARKER"
        body = catalogue.pages(100)[0].encode("utf-8").replace(b"MARKER", b"\xff\xfe")
        server.serve("/catalog.ttl?page=1", body, content_type="text/turtle")
        source = make_source(server, organization)

        _, report = harvest(source, test_request_context)

        assert report["counts"] == {"added": 2, "errored": 1}, report
        [(guid, message)] = report["record_errors"]
        assert guid == catalogue.datasets[1].identifier
        assert_bilingual(message)


class TestIdentity:
    def test_an_identifier_of_a_local_dataset_is_not_overwritten(
            self, server, organization, test_request_context):
        from tests.test_bilingual import full_dataset
        catalogue = Catalogue.of(server.url(""), 2)
        local = full_dataset(organization["id"])
        local["identifier"] = catalogue.datasets[0].identifier
        local = helpers.call_action("package_create", {"user": factories.Sysadmin()["name"]}, **local)
        publish(server, catalogue)
        source = make_source(server, organization)

        _, report = harvest(source, test_request_context)

        assert report["counts"] == {"added": 1, "errored": 1}
        [(guid, message)] = report["record_errors"]
        assert guid == catalogue.datasets[0].identifier
        assert local["name"] in message
        assert_bilingual(message)
        unchanged = helpers.call_action("package_show", id=local["id"])
        assert unchanged["metadata_modified"] == local["metadata_modified"]

    def test_an_identifier_owned_by_another_source_is_reported(
            self, server, organization, test_request_context):
        catalogue, first = harvested_catalogue(server, organization, test_request_context, 2)
        # saved without settings, unlike the first: ckanext-harvest refuses a second source
        # whose address (without the query) and settings are those of another
        second = helpers.call_action(
            "harvest_source_create", {"user": factories.Sysadmin()["name"]},
            name="zweite-quelle", title="Zweite Quelle", url=server.url("/catalog.ttl?page=1&copy=1"),
            source_type="jena_dcat", owner_org=organization["id"])
        server.serve("/catalog.ttl?page=1&copy=1", catalogue.pages(10)[0].encode(), content_type="text/turtle")

        _, report = harvest(second, test_request_context)

        assert report["counts"] == {"errored": 2}
        assert all("Beispielkatalog" in message for _, message in report["record_errors"])
        assert len(all_datasets()) == 2

    def test_protected_fields_keep_their_local_value(self, server, organization, test_request_context):
        catalogue, source = harvested_catalogue(server, organization, test_request_context, 1,
                                                config={"protected_fields": ["districts"]})
        [dataset] = harvested(source).values()
        helpers.call_action("package_patch", {"user": factories.Sysadmin()["name"]},
                            id=dataset["id"], districts=["neulobeda"])
        catalogue.datasets[0].revision = 3
        publish(server, catalogue)

        _, report = harvest(source, test_request_context)

        assert report["counts"] == {"updated": 1}
        assert helpers.call_action("package_show", id=dataset["id"])["districts"] == ["neulobeda"]


class TestRecordErrors:
    def test_one_unreadable_dataset_fails_alone_with_both_languages(
            self, server, organization, test_request_context):
        catalogue = Catalogue.of(server.url(""), 3)
        catalogue.datasets[1].extra_turtle = '; dct:modified "kein Datum"^^<http://www.w3.org/2001/XMLSchema#date> '
        catalogue.datasets[2].extra_turtle = ""
        publish(server, catalogue)
        source = make_source(server, organization, {"defaults": {}})

        _, report = harvest(source, test_request_context)

        assert report["counts"].get("added", 0) >= 2
        for _, message in report["record_errors"]:
            assert_bilingual(message)

    def test_a_record_missing_a_required_field_gets_a_default_from_the_source(
            self, server, organization, test_request_context):
        catalogue = Catalogue.of(server.url(""), 1)
        page = catalogue.pages(10)[0].replace('dcat:keyword "Umwelt"@de , "Messwerte"@de ;', "")
        page = page.replace('dcat:keyword "Verkehr"@de , "Messwerte"@de ;', "")
        server.serve("/catalog.ttl?page=1", page.encode(), content_type="text/turtle")
        source = make_source(server, organization)

        _, report = harvest(source, test_request_context)
        assert report["counts"] == {"errored": 1}
        [(_, message)] = report["record_errors"]
        assert_bilingual(message)

        helpers.call_action("harvest_source_update", {"user": factories.Sysadmin()["name"]},
                            id=source["id"], name=source["name"], title=source["title"],
                            url=source["url"], source_type="jena_dcat",
                            owner_org=organization["id"], config=json.dumps(
                                {"defaults": {"tags_translated": {"de": ["Jena"]}}}))
        _, report = harvest(source, test_request_context)
        assert report["counts"] == {"added": 1}, report


class TestSourceConfiguration:
    @pytest.mark.parametrize("config, fragment", [
        ("{not json", "kein gültiges JSON"),
        ('["a"]', "JSON-Objekt"),
        ('{"colour": 1}', "colour"),
        ('{"max_deletion_share": 2}', "max_deletion_share"),
        ('{"rdf_format": "csv"}', "rdf_format"),
        ('{"protected_fields": "theme"}', "protected_fields"),
    ])
    def test_invalid_settings_are_refused_on_save_in_both_languages(
            self, config, fragment, server, organization):
        with pytest.raises(tk.ValidationError) as raised:
            make_source(server, organization, config, name="kaputt", title="Kaputt",
                        path="/catalog.ttl")
        message = " ".join(raised.value.error_dict["config"])
        assert fragment in message
        assert_bilingual(message)


OFFICIAL_EXAMPLES = {
    "v2.0/dcat_ap_de-RefImp_RDF_ADVANCED.rdf": "application/rdf+xml",
    "v2.0/dcat_ap_de-RefImp_RDF_SIMPLE.rdf": "application/rdf+xml",
    "v2.0/dcat_ap_de-RefImp_TTL_ADVANCED.ttl": "text/turtle",
    "v2.0/dcat_ap_de-RefImp_TTL_SIMPLE.ttl": "text/turtle",
    "v2.0/dcat_ap_de-RefImp_JSONLD_ADVANCED.jsonld": "application/ld+json",
    "v3.0/example-UAG-Beispieldatensatz.ttl": "text/turtle",
}


@pytest.mark.parametrize("example", sorted(OFFICIAL_EXAMPLES))
def test_the_official_examples_are_harvested(example, server, organization, test_request_context):
    body = (EXAMPLES / example).read_bytes()
    # the 3.0 example opens with a line that is not Turtle ("Stand: …"); a source serving it
    # as it is fails with a parse error, which TestFaultsLoseNothing covers
    body = body.split(b"\n", 1)[1] if body.startswith(b"Stand:") else body
    server.serve("/catalog.ttl?page=1", body, content_type=OFFICIAL_EXAMPLES[example])
    # the examples leave out what the Jena schema requires of every dataset; a source supplies it
    source = make_source(server, organization, {"defaults": {
        "contact": [{"name": "Open-Data-Team", "email": "opendata@example.org"}],
        "tags_translated": {"de": ["Beispiel"]}}})

    _, report = harvest(source, test_request_context)

    assert report["gather_errors"] == [], report
    assert report["counts"].get("added", 0) >= 1 and "errored" not in report["counts"], report
    # values the schema refuses (the examples' checksums are placeholders) are left out and named
    for _, message in report["record_errors"]:
        assert message.startswith("Gespeichert ohne die Werte"), message


class TestFailureMail:
    def test_a_failed_job_mails_sysadmins_and_organisation_admins(
            self, server, ckan_config, monkeypatch, test_request_context):
        from tests.smtp_sink import SmtpSink
        factories.Sysadmin(email="betrieb@example.org")
        admin = factories.User(email="amtsleitung@example.org")
        organization = factories.Organization(users=[{"name": admin["name"], "capacity": "admin"}])
        server.serve("/catalog.ttl?page=1", b"kaputt", status=500)
        source = make_source(server, organization)
        with SmtpSink() as sink:
            monkeypatch.setitem(ckan_config, "smtp.server", sink.address)
            monkeypatch.setitem(ckan_config, "smtp.mail_from", "portal@example.org")

            harvest(source, test_request_context)

        recipients = sorted(address for _, to, _ in sink.messages for address in to)
        assert "amtsleitung@example.org" in recipients and "betrieb@example.org" in recipients
        body = sink.messages[0][2].get_content()
        assert "Beispielkatalog" in body and "500" in body
        assert "fehlgeschlagen" in sink.messages[0][2]["Subject"] and "failed" in sink.messages[0][2]["Subject"]

    def test_no_mail_when_switched_off(self, server, organization, ckan_config, monkeypatch,
                                       test_request_context):
        from tests.smtp_sink import SmtpSink
        factories.Sysadmin(email="betrieb@example.org")
        server.serve("/catalog.ttl?page=1", b"kaputt", status=500)
        source = make_source(server, organization)
        with SmtpSink() as sink:
            monkeypatch.setitem(ckan_config, "smtp.server", sink.address)
            monkeypatch.setitem(ckan_config, "ckanext.jena.harvest.mail_on_failure", False)

            harvest(source, test_request_context)

        assert sink.messages == []
