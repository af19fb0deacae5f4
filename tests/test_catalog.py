"""The DCAT endpoints with the Jena profile: the catalogue in three formats with Hydra paging and
``modified_since``, dataset RDF, the links and schema.org data in dataset pages, the catalogue's
own description and the harvest sources left out of the catalogue."""
import datetime

import pytest
from bs4 import BeautifulSoup
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF
from sqlalchemy import event

import ckan.model as model
from ckan.lib import search
from ckan.tests import factories, helpers
from ckanext.dcat.profiles import DCAT, DCT, FOAF

PLUGINS = "jena scheming_datasets dcat jena_dcat structured_data"
HARVEST_PLUGINS = PLUGINS + " harvest dcat_rdf_harvester"
# ckan_config marks of a module override those of its classes, so each class names its plugins
pytestmark = [
    pytest.mark.ckan_config("ckanext.dcat.rdf.profiles", "jena_dcat_ap_de"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
SCHEMA = Namespace("http://schema.org/")
CONTENT_TYPES = {"ttl": "text/turtle", "rdf": "application/rdf+xml", "jsonld": "application/ld+json"}
RDFLIB_FORMATS = {"ttl": "turtle", "rdf": "xml", "jsonld": "json-ld"}
EU_LANGUAGE = "http://publications.europa.eu/resource/authority/language/"


def dataset_dict(organization, name, **changes):
    """A small dataset the schema accepts."""
    return {
        "name": name,
        "owner_org": organization["id"],
        "title_translated": {"de": f"Datensatz {name}", "en": f"Dataset {name}"},
        "notes_translated": {"de": "Beschreibung", "en": "Description"},
        "tags_translated": {"de": ["Test"]},
        "contact": [{"name": "Fachdienst", "email": "fachdienst@jena.de"}],
        "resources": [{"url": f"https://opendata.jena.de/files/{name}.csv", "name_translated": {"de": "Tabelle"}}],
        **changes,
    }


@pytest.fixture
def sysadmin():
    return factories.Sysadmin()


@pytest.fixture
def organization():
    return factories.Organization(name="umweltschutz", title="Fachdienst Umweltschutz")


@pytest.fixture
def make_dataset(sysadmin, organization):
    def make(name, **changes):
        return helpers.call_action("package_create", {"user": sysadmin["name"]},
                                   **dataset_dict(organization, name, **changes))
    return make


def catalogue(app, _format="ttl", **params):
    response = app.get(f"/catalog.{_format}", query_string=params)
    assert response.status_code == 200, response.body
    assert response.headers["Content-Type"].startswith(CONTENT_TYPES[_format])
    return Graph().parse(data=response.body, format=RDFLIB_FORMATS[_format])


def dataset_iris(graph):
    return set(graph.subjects(RDF.type, DCAT.Dataset))


def iri(dataset):
    return URIRef(f"http://test.ckan.net/dataset/{dataset['id']}")


@pytest.mark.ckan_config("ckan.plugins", PLUGINS)
class TestCatalogue:
    @pytest.mark.parametrize("_format", ["ttl", "rdf", "jsonld"])
    def test_every_format_lists_the_datasets(self, app, make_dataset, _format):
        datasets = [make_dataset("baeume"), make_dataset("parken")]

        graph = catalogue(app, _format)

        assert dataset_iris(graph) == {iri(dataset) for dataset in datasets}
        [catalog] = graph.subjects(RDF.type, DCAT.Catalog)
        assert set(graph.objects(catalog, DCAT.dataset)) == {iri(dataset) for dataset in datasets}

    @pytest.mark.ckan_config("ckanext.dcat.datasets_per_page", "2")
    def test_pages_are_linked_with_hydra(self, app, make_dataset):
        datasets = [make_dataset(name) for name in ("eins", "zwei", "drei")]

        first = catalogue(app)
        paging = next(first.subjects(RDF.type, HYDRA.PagedCollection))
        second = catalogue(app, page=2)

        assert first.value(paging, HYDRA.totalItems).toPython() == 3
        assert str(first.value(paging, HYDRA.next)).endswith("/catalog.ttl?page=2")
        assert len(dataset_iris(first)) == 2 and len(dataset_iris(second)) == 1
        assert dataset_iris(first) | dataset_iris(second) == {iri(dataset) for dataset in datasets}

    def test_modified_since_leaves_out_older_datasets(self, app, make_dataset):
        make_dataset("baeume")
        tomorrow = (datetime.datetime.utcnow() + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
        yesterday = (datetime.datetime.utcnow() - datetime.timedelta(days=1)).strftime("%Y-%m-%d")

        assert not dataset_iris(catalogue(app, modified_since=tomorrow))
        assert len(dataset_iris(catalogue(app, modified_since=yesterday))) == 1

    @pytest.mark.ckan_config("ckan.site_description", "Das Open-Data-Portal der Stadt Jena")
    def test_the_catalogue_describes_itself_in_german_and_english(self, app, make_dataset):
        make_dataset("baeume")
        graph = catalogue(app)
        catalog = next(graph.subjects(RDF.type, DCAT.Catalog))

        assert set(graph.objects(catalog, DCT.title)) == {Literal("Offene Daten Jena", lang="de"),
                                                         Literal("Open Data Jena", lang="en")}
        assert set(graph.objects(catalog, DCT.description)) == {
            Literal("Das Open-Data-Portal der Stadt Jena", lang="de"),
            Literal("The open data portal of the city of Jena", lang="en")}
        publisher = graph.value(catalog, DCT.publisher)
        assert (publisher, RDF.type, FOAF.Agent) in graph
        assert set(graph.objects(publisher, FOAF.name)) == {Literal("Stadt Jena", lang="de"),
                                                           Literal("City of Jena", lang="en")}
        assert set(graph.objects(catalog, DCT.language)) == {URIRef(EU_LANGUAGE + "DEU"), URIRef(EU_LANGUAGE + "ENG")}

    def test_building_a_page_does_not_query_the_database_per_dataset(self, app, make_dataset):
        def statements_for_one_page():
            statements = []

            def count(*args):
                statements.append(args[2])

            event.listen(model.meta.engine, "before_cursor_execute", count)
            try:
                catalogue(app)
            finally:
                event.remove(model.meta.engine, "before_cursor_execute", count)
            return len(statements)

        make_dataset("eins", publisher=[])
        with_one = statements_for_one_page()
        for name in ("zwei", "drei", "vier", "fuenf"):
            make_dataset(name, publisher=[])
        assert statements_for_one_page() == with_one


@pytest.mark.ckan_config("ckan.plugins", PLUGINS)
class TestDatasetEndpoints:
    @pytest.mark.parametrize("_format", ["ttl", "rdf", "jsonld"])
    def test_a_dataset_is_served_by_name_and_by_id(self, app, make_dataset, _format):
        dataset = make_dataset("baeume")
        for key in ("name", "id"):
            response = app.get(f"/dataset/{dataset[key]}.{_format}")
            assert response.status_code == 200
            assert response.headers["Content-Type"].startswith(CONTENT_TYPES[_format])
            graph = Graph().parse(data=response.body, format=RDFLIB_FORMATS[_format])
            assert dataset_iris(graph) == {iri(dataset)}

    def test_the_dataset_page_links_its_rdf_and_carries_schema_org_data(self, app, make_dataset):
        dataset = make_dataset("baeume")

        page = BeautifulSoup(app.get(f"/dataset/{dataset['name']}").body, "html.parser")

        # the alternates with a media type; those with hreflang name the page's other language
        links = {link["type"]: link["href"] for link in page.find_all("link", rel="alternate")
                 if link.get("type")}
        for _format, content_type in CONTENT_TYPES.items():
            extension = "xml" if _format == "rdf" else _format
            assert links[content_type].endswith(f"/dataset/{dataset['id']}.{extension}")
        [script] = page.find_all("script", type="application/ld+json")
        graph = Graph().parse(data=script.string, format="json-ld")
        [described] = graph.subjects(RDF.type, SCHEMA.Dataset)
        assert str(graph.value(described, SCHEMA.name)) == "Datensatz baeume"


@pytest.mark.ckan_config("ckan.plugins", HARVEST_PLUGINS)
class TestExcludedHarvestSources:
    @pytest.fixture
    def harvest_tables(self, clean_db, migrate_db_for):
        # before anything is written: the migration waits for open transactions on the package table
        migrate_db_for("harvest")

    @pytest.fixture
    def harvested(self, harvest_tables, sysadmin, organization, make_dataset):
        """A dataset of the portal's own and one harvested from the source "stadtwerke"."""
        from ckanext.harvest import model as harvest_model

        source = helpers.call_action("harvest_source_create", {"user": sysadmin["name"]},
                                     name="stadtwerke", title="Stadtwerke Jena", url="https://example.org/catalog.rdf",
                                     source_type="dcat_rdf", owner_org=organization["id"])
        own = make_dataset("eigener-datensatz")
        harvested = make_dataset("geernteter-datensatz")
        job = harvest_model.HarvestJob(source=harvest_model.HarvestSource.get(source["id"]))
        job.save()
        harvest_model.HarvestObject(guid="geerntet-1", job=job, source=job.source, package_id=harvested["id"],
                                    current=True, import_finished=datetime.datetime.utcnow()).save()
        search.rebuild(harvested["id"])
        return {"source": source, "own": own, "harvested": harvested}

    def test_without_the_option_harvested_datasets_are_in_the_catalogue(self, app, harvested):
        assert dataset_iris(catalogue(app)) == {iri(harvested["own"]), iri(harvested["harvested"])}

    @pytest.mark.parametrize("reference", ["name", "id"])
    def test_the_datasets_of_an_excluded_source_are_left_out(self, app, ckan_config, monkeypatch, harvested, reference):
        monkeypatch.setitem(ckan_config, "ckanext.jena.catalog.exclude_harvest_sources",
                            f"unbekannte-quelle {harvested['source'][reference]}")

        graph = catalogue(app)

        assert dataset_iris(graph) == {iri(harvested["own"])}
        paging = next(graph.subjects(RDF.type, HYDRA.PagedCollection))
        assert graph.value(paging, HYDRA.totalItems).toPython() == 1
        assert app.get(f"/dataset/{harvested['harvested']['name']}.ttl").status_code == 200

    @pytest.mark.ckan_config("ckanext.jena.catalog.exclude_harvest_sources", "stadtwerke")
    def test_a_filter_of_the_request_still_applies(self, app, harvested):
        # both datasets belong to the organisation; the filter must not undo the exclusion
        graph = catalogue(app, fq="organization:umweltschutz")
        assert dataset_iris(graph) == {iri(harvested["own"])}
        assert not dataset_iris(catalogue(app, fq="organization:niemand"))
