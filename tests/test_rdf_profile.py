"""The jena_dcat_ap_de RDF profile: every schema field out as DCAT-AP.de and back in unchanged,
the GovData conventions in the graph, and the official DCAT-AP.de examples read into the schema."""
import json
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, SKOS, XSD

import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers
from ckanext.dcat.processors import RDFParser, RDFSerializer
from ckanext.dcat.profiles import ADMS, DCAT, DCATAP, DCT, FOAF, GSP, LOCN, VCARD

PLUGINS = "jena scheming_datasets dcat jena_dcat structured_data"
PROFILE = "jena_dcat_ap_de"
PROFILE_2_0 = "jena_dcat_ap_de_2"
pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.ckan_config("ckanext.dcat.rdf.profiles", PROFILE),
    pytest.mark.usefixtures("with_plugins", "with_request_context"),
]

EXAMPLES = Path(__file__).parent / "data" / "dcat-ap-de-examples"
DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")
GEODCATAP = Namespace("http://data.europa.eu/930/")
JENA = Namespace("https://opendata.jena.de/def/jena#")
EU = "http://publications.europa.eu/resource/authority/"
LICENSES = "http://dcat-ap.de/def/licenses/"
BOX = {"type": "Polygon", "coordinates": [[[11.575, 50.915], [11.598, 50.915], [11.598, 50.94], [11.575, 50.94],
                                           [11.575, 50.915]]]}


def full_dataset(owner_org, name="stadtbaeume-rdf"):
    """A dataset that fills every field of the schema, most of them in German and English.

    The resource licence differs from the dataset's and the access URL from the resource URL:
    a value equal to its default is not told apart from the default in RDF.
    """
    return {
        "name": name,
        "owner_org": owner_org,
        "title_translated": {"de": "Stadtbäume in Jena", "en": "Street trees in Jena"},
        "notes_translated": {"de": "Alle **Straßenbäume** mit Art und Pflanzjahr.",
                             "en": "All **street trees** with species and planting year."},
        "tags_translated": {"de": ["Bäume", "Stadtgrün"], "en": ["trees", "urban green"]},
        "theme": [EU + "data-theme/ENVI", EU + "data-theme/REGI"],
        "license_id": "dl-zero-de/2.0",
        "contact": [
            {"name": "Fachdienst Umweltschutz", "email": "umwelt@jena.de", "url": "https://www.jena.de/umwelt"},
            {"name": "Bürgerservice", "url": "https://www.jena.de/kontakt"},
        ],
        "publisher": [{"name": "Stadt Jena", "uri": "https://www.jena.de/#stadt", "email": "info@jena.de",
                       "url": "https://www.jena.de/"}],
        "originator": [{"name": "Kommunalservice Jena", "uri": "https://www.ksj.de/", "email": "ksj@jena.de",
                        "url": "https://www.ksj.de/"}],
        "maintainer_agent": [{"name": "Team Stadtgrün", "email": "gruen@jena.de", "url": "https://www.jena.de/gruen"}],
        "url": "https://www.jena.de/baumkataster",
        "identifier": "https://geoportal.jena.de/id/baumkataster",
        "issued": "2024-05-02",
        "modified": "2025-03-12",
        "language": [EU + "language/DEU", EU + "language/ENG"],
        "frequency": EU + "frequency/ANNUAL",
        "temporal_coverage": [{"start": "2020-01-01", "end": "2024-12-31"}],
        "districts": ["jena-zentrum", "jena-west"],
        "spatial": json.dumps(BOX),
        "political_geocoding_uri": "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/16053000",
        "political_geocoding_level_uri": "http://dcat-ap.de/def/politicalGeocoding/Level/municipality",
        "geocoding_description": {"de": "Jena-Zentrum und Jena-West", "en": "Jena centre and Jena west"},
        "legal_basis": {"de": "Thüringer Naturschutzgesetz", "en": "Thuringian nature conservation act"},
        "hvd_category": ["http://data.europa.eu/bna/c_dd313021"],
        "applicable_legislation": ["http://data.europa.eu/eli/reg/2019/1024/oj"],
        "musterdatenkatalog_uri": "https://musterdatenkatalog.de/def/musterdatensatz/umwelt/baumkataster",
        "personal_data": "anonymised",
        "smart_city_field_of_action": "hf2",
        "smart_city_measure": "m4",
        "sensor_observed_property": {"de": "Bodenfeuchte", "en": "Soil moisture"},
        "sensor_unit": "%",
        "temporal_resolution": "PT15M",
        # a contributor ID of the source under its own URI pattern (K13 allows them beside the listed one)
        "contributor_id": ["https://geoportal.jena.de/def/contributor/geodatenportal"],
        "resources": [
            {
                "url": "https://opendata.jena.de/files/stadtbaeume.csv",
                "name_translated": {"de": "Baumliste", "en": "Tree list"},
                "description_translated": {"de": "Eine Zeile je Baum.", "en": "One row per tree."},
                "format": "CSV",
                "mimetype": "text/csv",
                "license": LICENSES + "cc-by/4.0",
                "attribution_text": "Stadt Jena, Kommunalservice",
                "access_url": "https://opendata.jena.de/baumkataster/download",
                "download_url": "https://opendata.jena.de/files/stadtbaeume.csv",
                "size": 123456,
                "hash_algorithm": "http://dcat-ap.de/def/hashAlgorithms/sha/256",
                "hash": "0123456789abcdef" * 4,
                "language": [EU + "language/DEU"],
                "availability": EU + "planned-availability/STABLE",
            },
            {
                "url": "https://geoportal.jena.de/wms/baumkataster",
                "name_translated": {"de": "Karte der Bäume (WMS)"},
                "format": "WMS_SRVC",
            },
        ],
    }


def schema():
    return tk.get_action("scheming_dataset_schema_show")({}, {"type": "dataset"})


def normalised(field_name, value):
    """A field's value in a form that does not depend on order or on how the API spells emptiness."""
    if value in (None, "", [], {}):
        return None
    if field_name == "spatial":
        return json.loads(value) if isinstance(value, str) else value
    if isinstance(value, dict):
        cleaned = {key: sorted(item) if isinstance(item, list) else item for key, item in value.items() if item}
        return cleaned or None
    if isinstance(value, list):
        items = [normalised(field_name, item) if isinstance(item, dict) else item for item in value]
        return sorted((item for item in items if item is not None), key=lambda item: json.dumps(item, sort_keys=True))
    return value


def differences(expected, actual, fields):
    return {
        name: (normalised(name, expected.get(name)), normalised(name, actual.get(name)))
        for name in fields
        if normalised(name, expected.get(name)) != normalised(name, actual.get(name))
    }


def serialize(dataset, profile=PROFILE, _format="ttl"):
    return RDFSerializer(profiles=[profile]).serialize_dataset(dataset, _format=_format)


def graph_of(dataset, profile=PROFILE):
    return Graph().parse(data=serialize(dataset, profile), format="turtle")


def parse(text, _format="ttl", profile=PROFILE):
    parser = RDFParser(profiles=[profile])
    parser.parse(text, _format=_format)
    return list(parser.datasets())


@pytest.fixture
def sysadmin():
    return factories.Sysadmin()


@pytest.fixture
def created(sysadmin):
    organization = factories.Organization(name="umweltschutz", title="Fachdienst Umweltschutz")
    dataset = helpers.call_action("package_create", {"user": sysadmin["name"]}, **full_dataset(organization["id"]))
    return helpers.call_action("package_show", id=dataset["id"])


def test_the_profiles_are_registered_for_ckanext_dcat():
    assert serialize({"id": "x", "name": "x", "title": "X", "resources": []}).strip()
    assert serialize({"id": "x", "name": "x", "title": "X", "resources": []}, PROFILE_2_0).strip()


@pytest.mark.usefixtures("clean_db", "clean_index")
class TestRoundTrip:
    def test_the_fixture_fills_every_field_of_the_schema(self, created):
        empty = [field["field_name"] for field in schema()["dataset_fields"]
                 if normalised(field["field_name"], created.get(field["field_name"])) is None]
        empty += [f"resources.{field['field_name']}" for field in schema()["resource_fields"]
                  if normalised(field["field_name"], created["resources"][0].get(field["field_name"])) is None]
        assert not empty

    @pytest.mark.parametrize("profile, url_format", [(PROFILE, "ttl"), (PROFILE, "xml"), (PROFILE, "jsonld"),
                                                     (PROFILE_2_0, "ttl")])
    def test_every_field_comes_back_from_the_rdf(self, created, profile, url_format):
        text = serialize(created, profile, url_format)
        [parsed] = parse(text, url_format, profile)

        dataset_fields = [field["field_name"] for field in schema()["dataset_fields"]]
        assert differences(created, parsed, dataset_fields) == {}
        resource_fields = [field["field_name"] for field in schema()["resource_fields"]]
        parsed_resources = {resource["uri"].rsplit("/", 1)[-1]: resource for resource in parsed["resources"]}
        for resource in created["resources"]:
            assert differences(resource, parsed_resources[resource["id"]], resource_fields) == {}, resource["name"]

    def test_the_parsed_dataset_is_saved_unchanged(self, created, sysadmin):
        [parsed] = parse(serialize(created))
        helpers.call_action("dataset_purge", {"user": sysadmin["name"]}, id=created["id"])

        recreated = helpers.call_action("package_create", {"user": sysadmin["name"]}, **parsed)

        dataset_fields = [field["field_name"] for field in schema()["dataset_fields"]]
        assert differences(created, recreated, dataset_fields) == {}
        resource_fields = [field["field_name"] for field in schema()["resource_fields"]]
        by_name = {resource["name"]: resource for resource in recreated["resources"]}
        for resource in created["resources"]:
            assert differences(resource, by_name[resource["name"]], resource_fields) == {}

    @pytest.mark.parametrize("geometry, form", [
        ({"type": "Point", "coordinates": [11.5889, 50.9271]}, DCAT.centroid),
        ({"type": "Polygon", "coordinates": [[[11.58, 50.92], [11.6, 50.92], [11.59, 50.94], [11.58, 50.92]]]},
         LOCN.geometry),
    ])
    def test_points_and_shapes_other_than_boxes_keep_their_geometry(self, sysadmin, geometry, form):
        organization = factories.Organization()
        dataset = helpers.call_action("package_create", {"user": sysadmin["name"]},
                                      **{**full_dataset(organization["id"]), "spatial": json.dumps(geometry)})
        graph = graph_of(dataset)
        location = next(node for node in graph.objects(None, DCT.spatial) if isinstance(node, BNode))
        assert isinstance(graph.value(location, form), Literal)

        [parsed] = parse(serialize(dataset))

        assert json.loads(parsed["spatial"]) == geometry


@pytest.mark.usefixtures("clean_db", "clean_index")
class TestGraph:
    def test_dataset_properties_follow_dcat_ap_de(self, created):
        graph = graph_of(created)
        dataset = URIRef(f"http://test.ckan.net/dataset/{created['id']}")

        assert graph.value(dataset, DCT.identifier) == Literal("https://geoportal.jena.de/id/baumkataster")
        own_id = graph.value(dataset, ADMS.identifier)
        assert (own_id, RDF.type, ADMS.Identifier) in graph
        assert graph.value(own_id, SKOS.notation) == Literal("http://test.ckan.net/dataset/stadtbaeume-rdf")
        assert set(graph.objects(dataset, DCT.title)) == {Literal("Stadtbäume in Jena", lang="de"),
                                                         Literal("Street trees in Jena", lang="en")}
        assert Literal("Stadtgrün", lang="de") in set(graph.objects(dataset, DCAT.keyword))
        assert Literal("urban green", lang="en") in set(graph.objects(dataset, DCAT.keyword))
        assert URIRef(EU + "data-theme/ENVI") in set(graph.objects(dataset, DCAT.theme))
        assert graph.value(dataset, DCT.accrualPeriodicity) == URIRef(EU + "frequency/ANNUAL")
        assert URIRef(EU + "language/ENG") in set(graph.objects(dataset, DCT.language))
        assert graph.value(dataset, DCT.references) == URIRef(created["musterdatenkatalog_uri"])
        assert graph.value(dataset, DCATAP.hvdCategory) == URIRef("http://data.europa.eu/bna/c_dd313021")
        assert URIRef("http://data.europa.eu/eli/reg_impl/2023/138/oj") in set(
            graph.objects(dataset, DCATAP.applicableLegislation))

    def test_publisher_contact_and_agents(self, created):
        graph = graph_of(created)
        dataset = URIRef(f"http://test.ckan.net/dataset/{created['id']}")

        publisher = graph.value(dataset, DCT.publisher)
        assert (publisher, RDF.type, FOAF.Agent) in graph
        assert graph.value(publisher, FOAF.name) == Literal("Stadt Jena")
        emails = {graph.value(contact, VCARD.hasEmail) for contact in graph.objects(dataset, DCAT.contactPoint)}
        assert URIRef("mailto:umwelt@jena.de") in emails
        originator = graph.value(dataset, DCATDE.originator)
        assert originator == graph.value(dataset, GEODCATAP.originator) == URIRef("https://www.ksj.de/")
        assert graph.value(dataset, DCATDE.maintainer) == graph.value(dataset, GEODCATAP.custodian)

    def test_the_organisation_is_the_publisher_when_none_is_given(self, sysadmin):
        organization = factories.Organization(title="Fachdienst Umweltschutz")
        dataset = helpers.call_action("package_create", {"user": sysadmin["name"]},
                                      **{**full_dataset(organization["id"]), "publisher": []})
        graph = graph_of(dataset)

        publisher = graph.value(URIRef(f"http://test.ckan.net/dataset/{dataset['id']}"), DCT.publisher)

        assert publisher == URIRef(f"http://test.ckan.net/organization/{organization['id']}")
        assert graph.value(publisher, FOAF.name) == Literal("Fachdienst Umweltschutz")
        [parsed] = parse(serialize(dataset))
        assert "publisher" not in parsed
        assert parsed["owner_org"] == organization["id"]

    def test_geocoding_is_written_as_dcat_ap_de_2_and_repeated_in_dct_spatial(self, created):
        graph = graph_of(created)
        dataset = URIRef(f"http://test.ckan.net/dataset/{created['id']}")
        jena = URIRef("http://dcat-ap.de/def/politicalGeocoding/municipalityKey/16053000")

        assert graph.value(dataset, DCATDE.politicalGeocodingURI) == jena
        assert jena in set(graph.objects(dataset, DCT.spatial))
        assert graph.value(dataset, DCATDE.politicalGeocodingLevelURI) == URIRef(
            "http://dcat-ap.de/def/politicalGeocoding/Level/municipality")
        assert Literal("Jena centre and Jena west", lang="en") in set(
            graph.objects(dataset, DCATDE.geocodingDescription))
        assert Literal("Thüringer Naturschutzgesetz", lang="de") in set(graph.objects(dataset, DCATDE.legalBasis))
        district = URIRef("https://opendata.jena.de/def/district/jena-zentrum")
        assert district in set(graph.objects(dataset, DCT.spatial))
        assert graph.value(district, SKOS.prefLabel) == Literal("Jena-Zentrum", lang="de")

    def test_jena_facts_use_the_jena_namespace(self, created):
        graph = graph_of(created)
        dataset = URIRef(f"http://test.ckan.net/dataset/{created['id']}")

        measure = graph.value(dataset, JENA.smartCityMeasure)
        assert measure == URIRef("https://opendata.jena.de/def/smart-city/m4")
        assert graph.value(measure, SKOS.broader) == graph.value(dataset, JENA.smartCityFieldOfAction)
        assert Literal("Soil moisture", lang="en") in set(graph.objects(dataset, JENA.observedProperty))
        assert graph.value(dataset, JENA.unitOfMeasurement) == Literal("%")
        assert graph.value(dataset, JENA.personalData) == URIRef("https://opendata.jena.de/def/personal-data/anonymised")
        assert graph.value(dataset, DCAT.temporalResolution) == Literal("PT15M", datatype=XSD.duration)

    def test_distributions_carry_dcat_ap_de_licences_formats_and_media_types(self, created):
        graph = graph_of(created)
        by_format = {str(graph.value(node, DCT["format"])).rsplit("/", 1)[-1]: node
                     for node in graph.subjects(RDF.type, DCAT.Distribution)}
        csv, wms = by_format["CSV"], by_format["WMS_SRVC"]

        assert graph.value(csv, DCT.license) == URIRef(LICENSES + "cc-by/4.0")
        assert graph.value(wms, DCT.license) == URIRef(LICENSES + "dl-zero-de/2.0")
        assert graph.value(csv, DCT["format"]) == URIRef(EU + "file-type/CSV")
        assert graph.value(csv, DCAT.mediaType) == URIRef("https://www.iana.org/assignments/media-types/text/csv")
        assert graph.value(csv, DCATDE.licenseAttributionByText) == Literal("Stadt Jena, Kommunalservice")
        assert graph.value(csv, DCAT.byteSize) == Literal(123456, datatype=XSD.nonNegativeInteger)
        assert graph.value(csv, DCAT.accessURL) == URIRef("https://opendata.jena.de/baumkataster/download")
        assert graph.value(csv, DCAT.downloadURL) == URIRef("https://opendata.jena.de/files/stadtbaeume.csv")
        assert graph.value(wms, DCAT.accessURL) == URIRef("https://geoportal.jena.de/wms/baumkataster")
        assert graph.value(wms, DCAT.downloadURL) is None

    def test_the_2_0_profile_types_byte_sizes_as_decimals(self, created):
        graph = graph_of(created, PROFILE_2_0)
        sizes = list(graph.objects(None, DCAT.byteSize))
        assert sizes and all(size.datatype == XSD.decimal for size in sizes)

    def test_a_box_is_written_as_bbox(self, created):
        graph = graph_of(created)
        location = next(node for node in graph.objects(None, DCT.spatial) if isinstance(node, BNode))
        assert graph.value(location, DCAT.bbox) == Literal(
            "POLYGON((11.575 50.915, 11.598 50.915, 11.598 50.94, 11.575 50.94, 11.575 50.915))",
            datatype=GSP.wktLiteral)
        assert graph.value(location, LOCN.geometry) is None


def test_datasets_from_before_the_schema_are_written_from_their_core_fields():
    """Search results (what the catalogue serialises) of old datasets have only CKAN's own fields."""
    old = {
        "id": "alt-1", "name": "alt", "title": "Alter Datensatz", "notes": "Beschreibung",
        "tags": [{"name": "Haushalt"}], "maintainer": "Kämmerei", "maintainer_email": "kaemmerei@jena.de",
        "license_id": "dl-by-de/2.0", "organization": {"id": "org-1", "name": "finanzen", "title": "Finanzen"},
        "resources": [{"id": "r-1", "package_id": "alt-1", "url": "https://opendata.jena.de/haushalt.csv",
                       "name": "Haushalt", "format": "CSV"}],
    }
    graph = graph_of(old)
    dataset = URIRef("http://test.ckan.net/dataset/alt-1")

    assert graph.value(dataset, DCT.title) == Literal("Alter Datensatz", lang="de")
    assert graph.value(dataset, DCAT.keyword) == Literal("Haushalt", lang="de")
    [contact] = graph.objects(dataset, DCAT.contactPoint)
    assert graph.value(contact, VCARD.hasEmail) == URIRef("mailto:kaemmerei@jena.de")
    assert graph.value(contact, VCARD.fn) == Literal("Kämmerei")
    [distribution] = graph.objects(dataset, DCAT.distribution)
    assert graph.value(distribution, DCT.title) == Literal("Haushalt", lang="de")
    assert graph.value(distribution, DCT.license) == URIRef(LICENSES + "dl-by-de/2.0")
    assert "maintainer" in old and "contact" not in old  # the dataset dict itself stays as it was


@pytest.mark.usefixtures("clean_db", "clean_index")
class TestContributorId:
    OWN_ID = "http://dcat-ap.de/def/contributors/portalJenaTest"

    def contributor_ids(self, dataset):
        return set(graph_of(dataset).objects(None, DCATDE.contributorID))

    def test_without_the_option_only_the_harvested_ids_are_written(self, created):
        assert self.contributor_ids(created) == {URIRef(created["contributor_id"][0])}

    @pytest.mark.ckan_config("ckanext.jena.contributor_id", OWN_ID)
    def test_the_configured_id_is_added_and_not_read_back_into_the_dataset(self, created):
        assert self.contributor_ids(created) == {URIRef(created["contributor_id"][0]), URIRef(self.OWN_ID)}
        [parsed] = parse(serialize(created))
        assert parsed["contributor_id"] == created["contributor_id"]


def read_example(name):
    path = EXAMPLES / name
    text = path.read_text(encoding="utf-8")
    if text.startswith("Stand:"):
        text = text.split("\n", 1)[1]  # the published 3.0 example begins with a line that is not Turtle
    return parse(text, {".ttl": "ttl", ".rdf": "xml", ".jsonld": "jsonld"}[path.suffix])


class TestOfficialExamples:
    @pytest.mark.parametrize("name", [
        "v2.0/dcat_ap_de-RefImp_TTL_ADVANCED.ttl",
        "v2.0/dcat_ap_de-RefImp_RDF_ADVANCED.rdf",
        "v2.0/dcat_ap_de-RefImp_JSONLD_ADVANCED.jsonld",
    ])
    def test_the_advanced_2_0_example_reads_into_the_schema(self, name):
        datasets = {dataset["title"]: dataset for dataset in read_example(name)}
        bathing = datasets["Badegewässer in Hamburg"]
        police = datasets["Gebietsgrenzen Polizeikommissariate"]

        assert bathing["tags_translated"]["de"][:1] and "badestelle" in bathing["tags_translated"]["de"]
        assert bathing["license_id"] == "dl-by-de/2.0"
        assert bathing["contact"] == [{"name": "Meister, Thomas, Herr", "email": "thomas.meister@example.com"}]
        assert bathing["publisher"][0]["name"].startswith("Behörde für Umwelt und Energie")
        assert bathing["originator"] == bathing["maintainer_agent"] == bathing["publisher"]
        assert bathing["contributor_id"] == ["http://dcat-ap.de/def/contributors/transparenzportalHamburg"]
        assert bathing["political_geocoding_uri"] == "http://dcat-ap.de/def/politicalGeocoding/stateKey/02"
        assert bathing["political_geocoding_level_uri"] == "http://dcat-ap.de/def/politicalGeocoding/Level/state"
        assert bathing["geocoding_description"] == {"de": "Freie und Hansestadt Hamburg"}
        assert bathing["theme"] == [EU + "data-theme/ENVI"]
        resources = {resource["format"]: resource for resource in bathing["resources"]}
        assert set(resources) == {"CSV", "XML"}
        assert resources["CSV"]["hash_algorithm"] == "http://dcat-ap.de/def/hashAlgorithms/md/5"
        assert resources["CSV"]["hash"] == "a58d35bebefa4972898110b9f5da62bc"
        assert resources["CSV"]["size"] == 42702
        assert resources["CSV"]["attribution_text"].startswith("Freie und Hansestadt Hamburg")
        assert "license" not in resources["CSV"]  # the dataset's licence
        assert police["frequency"] == EU + "frequency/MONTHLY"
        assert police["legal_basis"] == {"de": "Hamburgisches Transparenzgesetz (HmbTG)."}

    @pytest.mark.parametrize("name", ["v2.0/dcat_ap_de-RefImp_TTL_SIMPLE.ttl", "v2.0/dcat_ap_de-RefImp_RDF_SIMPLE.rdf"])
    def test_the_simple_2_0_example_reads_into_the_schema(self, name):
        [dataset] = read_example(name)
        assert dataset["title"] == "Badegewässer (Daten) Hamburg"
        assert dataset["license_id"] == "dl-by-de/2.0"
        assert dataset["contact"][0]["email"] == "thomas.meister@example.com"
        assert dataset["resources"][0]["url"] == "http://example.com/Badegewaesser_HH_2004-2013.zip"

    def test_the_2_0_data_service_example_reads_into_the_schema(self):
        [dataset] = read_example("v2.0/ex-23-dataservice.rdf")
        assert dataset["title"] == "Kontaktdaten aller deutschen Polizeidienststellen"
        assert dataset["license_id"] == "dl-zero-de/2.0"
        assert {resource["format"] for resource in dataset["resources"]} == {"XML", "JSON"}

    def test_the_3_0_example_reads_into_the_schema(self):
        [dataset] = read_example("v3.0/example-UAG-Beispieldatensatz.ttl")
        assert dataset["title_translated"] == {"de": "Haushaltsplan"}
        assert dataset["license_id"] == "officialWork"
        assert dataset["publisher"] == [{"name": "Finanzministerium"}]
        assert dataset["contact"] == [{"email": "haushalt@example.com"}]
        assert dataset["musterdatenkatalog_uri"] == "https://musterdatenkatalog.de/def/musterdatensatz/haushalt/finanzplan"
        assert dataset["temporal_coverage"] == [{"start": "2021-01-01", "end": "2021-12-31"}]
        assert json.loads(dataset["spatial"])["type"] == "Polygon"
        assert dataset["political_geocoding_uri"] == "http://dcat-ap.de/def/politicalGeocoding/stateKey/17"
        assert dataset["theme"] == [EU + "data-theme/ECON", EU + "data-theme/GOVE"]

    @pytest.mark.parametrize("namespace", ["http://dcat-ap.de/def/dcatde/1.0.1/", "http://dcat-ap.de/def/dcatde/1_0/"])
    def test_older_dcatde_namespaces_read_like_the_current_one(self, namespace):
        text = (EXAMPLES / "v2.0/dcat_ap_de-RefImp_TTL_ADVANCED.ttl").read_text(encoding="utf-8")
        current = {dataset["title"]: dataset for dataset in parse(text)}
        older = {dataset["title"]: dataset for dataset in
                 parse(text.replace("<http://dcat-ap.de/def/dcatde/>", f"<{namespace}>"))}

        for title, dataset in current.items():
            assert older[title] == dataset

    def test_dcat_ap_3_geometry_nodes_and_dcat_ap_de_2_planned_availability_are_read(self):
        text = """
        @prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
        @prefix locn: <http://www.w3.org/ns/locn#> . @prefix gsp: <http://www.opengis.net/ont/geosparql#> .
        @prefix dcatde: <http://dcat-ap.de/def/dcatde/> .
        <https://example.org/dataset/1> a dcat:Dataset ; dct:title "Beispiel"@de ;
          dct:spatial [ a dct:Location ; locn:geometry [ a locn:Geometry ;
            gsp:asWKT "POINT(11.59 50.93)"^^gsp:wktLiteral ] ] ;
          dcat:distribution <https://example.org/distribution/1> .
        <https://example.org/distribution/1> a dcat:Distribution ; dcat:accessURL <https://example.org/d.csv> ;
          dcatde:plannedAvailability <http://dcat-ap.de/def/plannedAvailability/stable> .
        """
        [dataset] = parse(text)
        assert json.loads(dataset["spatial"]) == {"type": "Point", "coordinates": [11.59, 50.93]}
        assert dataset["resources"][0]["availability"] == EU + "planned-availability/STABLE"

