"""Importing one job's records in several processes (``ckanext.jena.harvest.import_processes``)."""
import json

import pytest

from ckan.tests import factories, helpers

from ckanext.jena.harvesters.base import job_report, run_job

from tests.dcat_catalogues import Catalogue
from tests.harvest_sources import Answer

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", "jena scheming_datasets harvest jena_dcat_harvester"),
    pytest.mark.usefixtures("with_plugins", "harvest_db", "clean_index"),
]


def test_two_processes_import_every_record_once(server, ckan_config, monkeypatch,
                                                 test_request_context):
    monkeypatch.setitem(ckan_config, "ckanext.jena.harvest.import_processes", 2)
    catalogue = Catalogue.of(server.url(""), 120)
    for number, page in enumerate(catalogue.pages(50), start=1):
        server.serve(f"/catalog.ttl?page={number}", page.encode("utf-8"), content_type="text/turtle")
    organization = factories.Organization()
    source = helpers.call_action(
        "harvest_source_create", {"user": factories.Sysadmin()["name"]}, name="viele-datensaetze",
        title="Viele Datensätze", url=server.url("/catalog.ttl?page=1"), source_type="jena_dcat",
        owner_org=organization["id"], config=json.dumps({}))

    reports = []
    for _ in range(2):
        with test_request_context():
            job = run_job(source["id"])
        assert job["status"] == "Finished"
        reports.append(job_report(job["id"]))

    assert reports[0]["counts"] == {"added": 120}, reports[0]
    assert reports[1]["counts"] == {"not modified": 120}, reports[1]
    found = helpers.call_action("package_search", rows=1000, include_private=True)
    assert found["count"] == 120
    assert sorted(dataset["identifier"] for dataset in found["results"]) == \
        sorted(item.identifier for item in catalogue.datasets)


def test_a_slow_listing_is_stopped_at_the_gather_deadline(server, ckan_config, monkeypatch,
                                                         test_request_context):
    """Each page answers in time, the listing as a whole does not: nothing is imported."""
    monkeypatch.setitem(ckan_config, "ckanext.jena.harvest.gather_deadline", 1)
    catalogue = Catalogue.of(server.url(""), 6)
    for number, page in enumerate(catalogue.pages(2), start=1):
        server.sequence(f"/catalog.ttl?page={number}",
                        [Answer(page.encode("utf-8"), content_type="text/turtle", delay=0.6)])
    organization = factories.Organization()
    source = helpers.call_action(
        "harvest_source_create", {"user": factories.Sysadmin()["name"]}, name="langsame-quelle",
        title="Langsame Quelle", url=server.url("/catalog.ttl?page=1"), source_type="jena_dcat",
        owner_org=organization["id"], config=json.dumps({}))

    with test_request_context():
        job = run_job(source["id"])

    report = job_report(job["id"])
    assert job["status"] == "Finished"
    [message] = report["gather_errors"]
    assert "gather_deadline" in message
    assert helpers.call_action("package_search")["count"] == 0
