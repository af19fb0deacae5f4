"""The demo's sample harvest sources: what the server answers, and that every record of all three
harvests into a real portal, once, with its origin shown on the dataset page."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from rdflib import RDF, URIRef
from rdflib.namespace import Namespace

from ckan.tests import factories, helpers

from ckanext.jena.demo.harvest_sources import ensure_sources
from ckanext.jena.demo.loader import dataset_dict, read_content
from ckanext.jena.harvesters import ckan_api
from ckanext.jena.harvesters import spreadsheet as sheet
from ckanext.jena.harvesters.parsing import parse_rdf
from stack import demo_sources
from tests.harvesting import harvest, harvesting

REPO_ROOT = Path(__file__).resolve().parent.parent
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
DL_BY_DE = URIRef("http://dcat-ap.de/def/licenses/dl-by-de/2.0")
PLUGINS = "jena scheming_datasets harvest jena_dcat_harvester jena_ckan_harvester jena_spreadsheet_harvester"


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.build_opener(NoRedirects).open(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def demo_server():
    server = demo_sources.make_server(0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def definition(kind: str) -> dict:
    return next(item for item in read_content()["harvest_sources"] if item["type"] == kind)


def catalogue_pages(base: str):
    """(url, graph) of every page, following hydra:nextPage as the DCAT harvester does."""
    url = base + definition("jena_dcat")["path"]
    pages = []
    while url and len(pages) < 10:
        status, headers, body = get(url)
        assert status == 200 and headers["Content-Type"].startswith("text/turtle"), url
        graph = parse_rdf(body, "text/turtle", base=url)
        pages.append((url, graph))
        following = [str(value) for value in graph.objects(None, HYDRA.nextPage)]
        url = urllib.parse.urljoin(url, following[0]) if following else None
    return pages


def search_pages(base: str, rows: int) -> list[dict]:
    """``package_search`` results, page after page, with the CKAN harvester's parameters."""
    results, start = [], 0
    while True:
        query = {"q": "*:*", "fq": ckan_api.filter_query({}), "sort": ckan_api.SORT,
                 "rows": rows, "start": start}
        status, _, body = get(f"{base}/ckan/api/3/action/package_search?{urlencode(query)}")
        assert status == 200
        answer = json.loads(body)
        assert answer["success"] is True
        results.append(answer["result"])
        start += len(answer["result"]["results"])
        if start >= answer["result"]["count"] or not answer["result"]["results"]:
            return results


def sheet_rows(base: str):
    url = base + definition("jena_spreadsheet")["path"]
    status, headers, body = get(url)
    assert status == 200
    return sheet.sheet_table(sheet.read_sheet(body, headers["Content-Type"].split(";")[0], url, "utf-8"))


# -- the server on its own -----------------------------------------------------------------------

class TestServer:
    def test_the_catalogue_has_two_pages_of_bilingual_open_datasets(self, demo_server):
        pages = catalogue_pages(demo_server)

        assert len(pages) == 2
        datasets = [subject for _, graph in pages for subject in graph.subjects(RDF.type, DCAT.Dataset)]
        totals = {int(value) for _, graph in pages for value in graph.objects(None, HYDRA.totalItems)}
        assert totals == {len(datasets)} and len(datasets) == 6
        for _, graph in pages:
            for dataset in graph.subjects(RDF.type, DCAT.Dataset):
                languages = {title.language for title in graph.objects(dataset, DCT.title)}
                assert languages == {"de", "en"}, dataset
                assert graph.value(dataset, DCT.license) == DL_BY_DE
                assert str(dataset).startswith(demo_server + "/dcat/datensatz/")

    def test_a_dataset_iri_leads_to_its_catalogue_page(self, demo_server):
        status, headers, _ = get(f"{demo_server}/dcat/datensatz/co2-klassenraeume")
        assert status == 303 and headers["Location"] == "/dcat/catalog.ttl?page=2"
        assert get(f"{demo_server}/dcat/datensatz/gibt-es-nicht")[0] == 404

    @pytest.mark.parametrize("rows", [1, 2, 100])
    def test_search_pages_are_consistent_and_complete(self, demo_server, rows):
        pages = search_pages(demo_server, rows)

        counts = {page["count"] for page in pages}
        ids = [package["id"] for page in pages for package in page["results"]]
        assert counts == {5}
        assert len(ids) == len(set(ids)) == 5
        created = [package["metadata_created"] for page in pages for package in page["results"]]
        assert created == sorted(created)

    def test_the_search_filters_by_organisation_and_refuses_what_it_cannot_do(self, demo_server):
        query = {"fq": ckan_api.filter_query({"organizations": ["statistik"]}), "rows": 10}
        answer = json.loads(get(f"{demo_server}/ckan/api/3/action/package_search?{urlencode(query)}")[2])
        assert answer["result"]["count"] == 2
        assert {package["organization"]["name"] for package in answer["result"]["results"]} == {"statistik"}

        status, _, body = get(f"{demo_server}/ckan/api/3/action/package_search?"
                              + urlencode({"fq": "tags:Bäume"}))
        assert status == 400 and json.loads(body)["success"] is False
        assert get(f"{demo_server}/ckan/api/3/action/package_search?rows=-1")[0] == 400

    def test_the_sheet_is_readable_with_the_german_columns(self, demo_server):
        table = sheet_rows(demo_server)

        assert len(table.rows) == 4
        for row in table.rows:
            cells = table.cells(row)
            assert cells["Kennung"].startswith("umwelt-") and cells["Lizenz"] == "dl-by-de/2.0"
            assert cells["Ressource 1 URL"].startswith(demo_server + "/files/")

    def test_every_file_the_sources_link_to_is_served(self, demo_server):
        links = {str(url) for _, graph in catalogue_pages(demo_server)
                 for url in graph.objects(None, DCAT.downloadURL)}
        links |= {resource["url"] for page in search_pages(demo_server, 100)
                  for package in page["results"] for resource in package["resources"]}
        table = sheet_rows(demo_server)
        links |= {table.cells(row)["Ressource 1 URL"] for row in table.rows}

        assert len(links) >= 14
        for link in links:
            assert link.startswith(demo_server + "/files/"), link
            assert get(link)[0] == 200, link

    def test_nothing_outside_the_folders_is_served(self, demo_server):
        for path in ("/files/..%2Fcontent.yaml", "/files/.hidden", "/tabelle/../ckan/packages.json",
                     "/files/%2Fetc%2Fpasswd"):
            assert get(demo_server + path)[0] == 404, path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_stack_starts_lists_and_stops_the_demo_sources(tmp_path):
    port = free_port()
    env = {**os.environ, "JENA_STACK_DIR": str(tmp_path / "stack"), "JENA_DEMO_SOURCES_PORT": str(port),
           "JENA_POSTGRES_PORT": str(free_port()), "JENA_REDIS_PORT": str(free_port()),
           "JENA_SOLR_PORT": str(free_port()), "JENA_WEB_PORT": str(free_port())}

    def stack(*arguments):
        return subprocess.run([sys.executable, "-m", "stack", *arguments], cwd=REPO_ROOT, env=env,
                              capture_output=True, text=True, timeout=120)

    def state():
        line = next(line for line in stack("status").stdout.splitlines() if line.startswith("demo-sources "))
        return line.split()[1:3]

    try:
        started = stack("start", "demo-sources")
        assert started.returncode == 0, started.stderr
        assert state() == ["up", str(port)]
        assert get(f"http://127.0.0.1:{port}/dcat/catalog.ttl")[0] == 200
    finally:
        stopped = stack("stop", "demo-sources")
    assert stopped.returncode == 0, stopped.stderr
    assert state()[0] == "down"


# -- all three sources through the harvest core into a real portal --------------------------------

@pytest.fixture
def portal_with_demo_organisations():
    """The organisations and categories of the demo content that the sources refer to."""
    content = read_content()
    for name in {item["organization"] for item in content["harvest_sources"]}:
        factories.Organization(name=name)
    for category in content["categories"]:
        factories.Group(name=category["name"], title=category["title"]["de"])
    return factories.Sysadmin()


def expected_records(base: str) -> dict[str, int]:
    """How many records each source lists, counted from the server's own answers."""
    return {
        "jena_dcat": sum(1 for _, graph in catalogue_pages(base)
                         for _ in graph.subjects(RDF.type, DCAT.Dataset)),
        "jena_ckan": search_pages(base, 100)[0]["count"],
        "jena_spreadsheet": len(sheet_rows(base).rows),
    }


@harvesting(PLUGINS)
class TestHarvestingTheDemoSources:
    def test_every_record_is_harvested_once_and_shows_its_origin(
            self, demo_server, portal_with_demo_organisations, ckan_config, monkeypatch,
            test_request_context, app):
        monkeypatch.setitem(ckan_config, "ckanext.jena.harvest.allowed_hosts",
                            urlsplit(demo_server).netloc)
        sysadmin = portal_with_demo_organisations
        expected = expected_records(demo_server)

        with test_request_context():
            loaded = ensure_sources(sysadmin["name"], demo_server)
        assert [item.outcome for item in loaded] == ["created"] * 3
        assert {item.source["source_type"] for item in loaded} == set(expected)

        for item in loaded:
            _, report = harvest(item.source, test_request_context)
            assert report["gather_errors"] == [] and report["record_errors"] == [], report
            assert report["counts"] == {"added": expected[item.source["source_type"]]}, report

        # a second `make portal`: the same sources, every record unchanged, nothing new
        with test_request_context():
            again = ensure_sources(sysadmin["name"], demo_server)
        assert [item.outcome for item in again] == ["kept"] * 3
        assert [item.source["id"] for item in again] == [item.source["id"] for item in loaded]
        for item, first in zip(again, loaded):
            _, report = harvest(item.source, test_request_context)
            assert report["counts"] == {"not modified": expected[first.source["source_type"]]}, report
        everything = helpers.call_action("package_search", rows=100, include_private=True)
        assert everything["count"] == sum(expected.values())

        # the page of one dataset of each source names its source and links to the original
        for item in loaded:
            [dataset] = helpers.call_action(
                "package_search", fq=f'harvest_source_id:"{item.source["id"]}"', rows=1)["results"]
            page = app.get(f"/dataset/{dataset['name']}", status=200).get_data(as_text=True)
            origin = page[page.index('id="dataset-origin"'):]
            origin = origin[:origin.index("</section>")]
            assert item.source["title"] in origin
            assert f'/harvest/{item.source["name"]}"' in origin
            assert f'href="{demo_server}/' in origin, origin
            object_link = origin.split('class="jena-harvest-object" href="')[1].split('"')[0]
            assert app.get(object_link, status=200).get_data(as_text=True).strip().startswith("{")

    def test_a_dataset_made_here_shows_no_origin(self, app, portal_with_demo_organisations):
        demo_dataset = next(item for item in read_content()["datasets"] if item["name"] == "vornamen-neugeborene")
        dataset = helpers.call_action(
            "package_create", {"user": portal_with_demo_organisations["name"]},
            **{**dataset_dict(demo_dataset), "owner_org": factories.Organization()["id"]})
        page = app.get(f"/dataset/{dataset['name']}", status=200).get_data(as_text=True)
        assert 'id="dataset-origin"' not in page

    def test_the_sources_follow_the_server_to_another_port(
            self, portal_with_demo_organisations, test_request_context):
        sysadmin = portal_with_demo_organisations
        with test_request_context():
            first = ensure_sources(sysadmin["name"], "http://127.0.0.1:5080")
            moved = ensure_sources(sysadmin["name"], "http://127.0.0.1:6090/")
        assert [item.outcome for item in moved] == ["updated"] * 3
        assert [item.source["id"] for item in moved] == [item.source["id"] for item in first]
        assert all(item.source["url"].startswith("http://127.0.0.1:6090/") for item in moved)
