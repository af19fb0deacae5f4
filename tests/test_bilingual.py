"""Bilingual datasets through the API, the search index and the pages, on the Jena schema."""
import copy
import json

import pytest

import ckan.model as model
from ckan.lib import search
from ckan.tests import factories, helpers

PLUGINS = "jena scheming_datasets"
pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins"),
]

POLYGON = {"type": "Polygon", "coordinates": [[[11.55, 50.9], [11.6, 50.9], [11.6, 50.95], [11.55, 50.95], [11.55, 50.9]]]}


def full_dataset(owner_org, name="stadtbaeume", **overrides):
    """A dataset that fills every field of the schema, in German and English."""
    dataset = {
        "name": name,
        "owner_org": owner_org,
        "title_translated": {"de": "Stadtbäume in Jena", "en": "Street trees in Jena"},
        "notes_translated": {"de": "Alle **Straßenbäume** mit Art und Pflanzjahr.",
                             "en": "All **street trees** with species and planting year."},
        "tags_translated": {"de": ["Bäume", "Stadtgrün"], "en": ["trees", "urban green"]},
        "theme": ["http://publications.europa.eu/resource/authority/data-theme/ENVI"],
        "license_id": "dl-zero-de/2.0",
        "contact": [{"name": "Fachdienst Umweltschutz", "email": "umwelt@jena.de", "url": "https://www.jena.de/umwelt"}],
        "publisher": [{"name": "Stadt Jena", "uri": "https://www.jena.de/", "email": "info@jena.de",
                       "url": "https://www.jena.de/"}],
        "originator": [{"name": "Kommunalservice Jena", "uri": "https://www.ksj.de/", "email": "ksj@jena.de",
                        "url": "https://www.ksj.de/"}],
        "maintainer_agent": [{"name": "Team Stadtgrün", "uri": "https://www.jena.de/gruen", "email": "gruen@jena.de",
                              "url": "https://www.jena.de/gruen"}],
        "url": "https://www.jena.de/baumkataster",
        "identifier": "https://opendata.jena.de/dataset/stadtbaeume",
        "issued": "2024-05-02",
        "modified": "2025-03-12",
        "language": ["http://publications.europa.eu/resource/authority/language/DEU",
                     "http://publications.europa.eu/resource/authority/language/ENG"],
        "frequency": "http://publications.europa.eu/resource/authority/frequency/ANNUAL",
        "temporal_coverage": [{"start": "2020-01-01", "end": "2024-12-31"}],
        "districts": ["jena-zentrum", "jena-west"],
        "spatial": json.dumps(POLYGON),
        "political_geocoding_uri": "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/16053000",
        "political_geocoding_level_uri": "http://dcat-ap.de/def/politicalGeocoding/Level/municipality",
        "geocoding_description": {"de": "Jena-Zentrum und Jena-West", "en": "Jena centre and Jena west"},
        "legal_basis": {"de": "Thüringer Naturschutzgesetz", "en": "Thuringian nature conservation act"},
        "hvd_category": ["http://data.europa.eu/bna/c_dd313021"],
        "applicable_legislation": ["http://data.europa.eu/eli/reg/2019/1024/oj"],
        "musterdatenkatalog_uri": "https://musterdatenkatalog.de/def/musterdatensatz/umwelt/baumkataster",
        "personal_data": "no",
        "smart_city_field_of_action": "hf2",
        "smart_city_measure": "m4",
        "sensor_observed_property": {"de": "Bodenfeuchte", "en": "Soil moisture"},
        "sensor_unit": "%",
        "temporal_resolution": "PT15M",
        "contributor_id": ["http://dcat-ap.de/def/contributors/stadtJena-beispiel"],
        "resources": [{
            "url": "https://opendata.jena.de/files/stadtbaeume.csv",
            "name_translated": {"de": "Baumliste", "en": "Tree list"},
            "description_translated": {"de": "Eine Zeile je Baum.", "en": "One row per tree."},
            "format": "CSV",
            "mimetype": "text/csv",
            "license": "http://dcat-ap.de/def/licenses/dl-zero-de/2.0",
            "attribution_text": "Stadt Jena",
            "access_url": "https://opendata.jena.de/files/stadtbaeume.csv",
            "download_url": "https://opendata.jena.de/files/stadtbaeume.csv",
            "size": 123456,
            "hash_algorithm": "http://dcat-ap.de/def/hashAlgorithms/sha/256",
            "hash": "a" * 64,
            "language": ["http://publications.europa.eu/resource/authority/language/DEU"],
            "availability": "http://publications.europa.eu/resource/authority/planned-availability/STABLE",
        }],
    }
    dataset.update(overrides)
    return dataset


def german_only(owner_org, name="parkhaeuser"):
    return {
        "name": name,
        "owner_org": owner_org,
        "title_translated": {"de": "Parkhäuser und Tiefgaragen"},
        "notes_translated": {"de": "Lage und Kapazität der Parkhäuser."},
        "tags_translated": {"de": ["Parken", "Verkehr"]},
        "contact": [{"name": "Fachdienst Mobilität", "email": "mobilitaet@jena.de"}],
        "resources": [{"url": "https://opendata.jena.de/files/parken.geojson",
                       "name_translated": {"de": "Parkhäuser als GeoJSON"}}],
    }


def strip_to_core_fields(name, keep_tags=True, keep_maintainer=True):
    """Turn a dataset into one saved before the schema existed: only CKAN's own fields."""
    package = model.Package.get(name)
    for key in list(package.extras):
        del package.extras[key]
    for resource in package.resources:
        resource.extras = {}
    if not keep_tags:
        for package_tag in model.Session.query(model.PackageTag).filter_by(package_id=package.id):
            model.Session.delete(package_tag)
    if not keep_maintainer:
        package.maintainer = None
        package.maintainer_email = None
    model.repo.commit_and_remove()
    search.rebuild(package.id)


def stock_dataset(organization, name="haushalt", **options):
    helpers.call_action(
        "package_create", {"user": factories.Sysadmin()["name"]},
        name=name, title="Haushaltsplan 2026", notes="Der Haushalt der Stadt Jena.", owner_org=organization["id"],
        tags=[{"name": "Haushalt"}, {"name": "Finanzen"}], maintainer="Fachdienst Finanzen",
        maintainer_email="finanzen@jena.de", license_id="cc-by/4.0",
        resources=[{"url": "https://example.org/haushalt.pdf", "name": "Haushaltsplan (PDF)"}],
    )
    strip_to_core_fields(name, **options)


@pytest.fixture
def organization():
    return factories.Organization(name="umweltschutz", title="Fachdienst Umweltschutz")


@pytest.fixture
def sysadmin():
    return factories.Sysadmin()


@pytest.fixture
def sysadmin_with_token():
    return {"Authorization": factories.SysadminWithToken()["token"]}


def create(sysadmin, data):
    return helpers.call_action("package_create", {"user": sysadmin["name"]}, **copy.deepcopy(data))


@pytest.mark.usefixtures("clean_db", "clean_index")
class TestApiRoundTrip:
    def test_every_field_of_a_full_dataset_comes_back_as_it_was_sent(self, sysadmin, organization):
        sent = full_dataset(organization["id"])
        create(sysadmin, sent)

        shown = helpers.call_action("package_show", id="stadtbaeume")

        for key, value in sent.items():
            if key in ("resources", "owner_org"):
                continue
            expected = json.loads(value) if key == "spatial" else value
            actual = json.loads(shown[key]) if key == "spatial" else shown[key]
            if key == "applicable_legislation":
                expected = value + ["http://data.europa.eu/eli/reg_impl/2023/138/oj"]
            assert actual == expected, key
        resource = shown["resources"][0]
        for key, value in sent["resources"][0].items():
            assert resource[key] == value, key

    def test_core_fields_hold_the_german_texts(self, sysadmin, organization):
        create(sysadmin, full_dataset(organization["id"]))

        shown = helpers.call_action("package_show", id="stadtbaeume")

        assert shown["title"] == "Stadtbäume in Jena"
        assert shown["notes"] == "Alle **Straßenbäume** mit Art und Pflanzjahr."
        assert sorted(tag["name"] for tag in shown["tags"]) == ["Bäume", "Stadtgrün"]
        assert shown["resources"][0]["name"] == "Baumliste"
        assert shown["resources"][0]["description"] == "Eine Zeile je Baum."

    def test_an_update_replaces_the_bilingual_values(self, sysadmin, organization):
        create(sysadmin, full_dataset(organization["id"]))
        changed = full_dataset(organization["id"], title_translated={"de": "Bäume", "en": "Trees"},
                               tags_translated={"de": ["Baum"]})

        helpers.call_action("package_update", {"user": sysadmin["name"]}, id="stadtbaeume", **changed)
        shown = helpers.call_action("package_show", id="stadtbaeume")

        assert shown["title_translated"] == {"de": "Bäume", "en": "Trees"}
        assert shown["title"] == "Bäume"
        assert shown["tags_translated"] == {"de": ["Baum"]}
        assert [tag["name"] for tag in shown["tags"]] == ["Baum"]

    def test_german_only_gets_the_defaults_of_the_city(self, sysadmin, organization):
        create(sysadmin, german_only(organization["id"]))

        shown = helpers.call_action("package_show", id="parkhaeuser")

        assert shown["title_translated"] == {"de": "Parkhäuser und Tiefgaragen"}
        assert shown["license_id"] == "dl-by-de/2.0"
        assert shown["language"] == ["http://publications.europa.eu/resource/authority/language/DEU"]
        assert shown["political_geocoding_uri"] == "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/16053000"
        assert shown["political_geocoding_level_uri"] == "http://dcat-ap.de/def/politicalGeocoding/Level/municipality"
        assert json.loads(shown["spatial"])["type"] == "Polygon"
        assert "applicable_legislation" not in shown

    @pytest.mark.ckan_config("ckanext.jena.default_license", "cc-by/4.0")
    def test_the_default_licence_follows_the_configuration(self, sysadmin, organization):
        create(sysadmin, german_only(organization["id"]))

        assert helpers.call_action("package_show", id="parkhaeuser")["license_id"] == "cc-by/4.0"

    def test_districts_give_the_spatial_extent_when_no_geometry_is_given(self, sysadmin, organization):
        data = german_only(organization["id"])
        data["districts"] = ["neulobeda", "winzerla"]
        create(sysadmin, data)

        geometry = json.loads(helpers.call_action("package_show", id="parkhaeuser")["spatial"])

        ring = geometry["coordinates"][0]
        assert [min(p[0] for p in ring), min(p[1] for p in ring), max(p[0] for p in ring), max(p[1] for p in ring)] == [
            11.555, 50.87, 11.632, 50.902]

    def test_codes_and_aliases_are_stored_as_vocabulary_values(self, sysadmin, organization):
        data = german_only(organization["id"])
        data.update(frequency="DAILY", hvd_category=["mobility"])
        data["resources"][0]["format"] = "GeoJSON"
        create(sysadmin, data)

        shown = helpers.call_action("package_show", id="parkhaeuser")

        assert shown["frequency"] == "http://publications.europa.eu/resource/authority/frequency/DAILY"
        assert shown["hvd_category"] == ["http://data.europa.eu/bna/c_b79e35eb"]
        assert shown["applicable_legislation"] == ["http://data.europa.eu/eli/reg_impl/2023/138/oj"]
        assert shown["resources"][0]["format"] == "GEOJSON"

    def test_the_format_is_guessed_from_the_url(self, sysadmin, organization):
        data = german_only(organization["id"])
        data["resources"][0]["url"] = "https://example.org/strassen.xlsx"
        create(sysadmin, data)

        assert helpers.call_action("package_show", id="parkhaeuser")["resources"][0]["format"] == "XLSX"

    def test_the_measure_fills_its_field_of_action(self, sysadmin, organization):
        data = german_only(organization["id"])
        data["smart_city_measure"] = "m3"
        create(sysadmin, data)

        assert helpers.call_action("package_show", id="parkhaeuser")["smart_city_field_of_action"] == "hf2"

    def test_categories_add_their_eu_themes(self, sysadmin, organization):
        factories.Group(name="energie", extras=[{"key": "eu_themes", "value": "ENER TECH"}])
        data = german_only(organization["id"])
        data["groups"] = [{"name": "energie"}]
        create(sysadmin, data)

        assert helpers.call_action("package_show", id="parkhaeuser")["theme"] == [
            "http://publications.europa.eu/resource/authority/data-theme/ENER",
            "http://publications.europa.eu/resource/authority/data-theme/TECH",
        ]

    def test_a_patch_of_the_core_title_changes_the_german_title(self, sysadmin, organization):
        create(sysadmin, full_dataset(organization["id"]))

        helpers.call_action("package_patch", {"user": sysadmin["name"]}, id="stadtbaeume", title="Baumkataster")
        shown = helpers.call_action("package_show", id="stadtbaeume")

        assert shown["title"] == "Baumkataster"
        assert shown["title_translated"] == {"de": "Baumkataster", "en": "Street trees in Jena"}

    def test_a_stock_ckan_client_can_still_create_datasets(self, sysadmin, organization):
        helpers.call_action(
            "package_create", {"user": sysadmin["name"]},
            name="haushalt", title="Haushaltsplan", notes="Der Haushalt der Stadt.", owner_org=organization["id"],
            tags=[{"name": "Haushalt"}], maintainer="Fachdienst Finanzen", maintainer_email="finanzen@jena.de",
        )

        shown = helpers.call_action("package_show", id="haushalt")

        assert shown["title_translated"] == {"de": "Haushaltsplan"}
        assert shown["notes_translated"] == {"de": "Der Haushalt der Stadt."}
        assert shown["tags_translated"] == {"de": ["Haushalt"]}
        assert shown["contact"] == [{"name": "Fachdienst Finanzen", "email": "finanzen@jena.de"}]


class TestConfiguration:
    def test_ckans_licence_list_is_the_dcat_ap_de_list_with_both_titles(self):
        licences = {entry["id"]: entry for entry in helpers.call_action("license_list")}

        assert len(licences) == 34
        assert licences["dl-by-de/2.0"]["title"] == "Datenlizenz Deutschland Namensnennung 2.0"
        assert licences["dl-by-de/2.0"]["title_en"] == "Data licence Germany – attribution – version 2.0"
        assert licences["dl-by-de/2.0"]["url"] == "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
        assert "notspecified" not in licences

    def test_there_is_no_contributor_id_unless_one_is_configured(self):
        import ckan.plugins.toolkit as tk

        assert not tk.config.get("ckanext.jena.contributor_id")
        assert tk.config.get("ckanext.jena.default_license") == "dl-by-de/2.0"


@pytest.mark.usefixtures("clean_db", "clean_index")
class TestSearch:
    def test_a_word_of_either_language_finds_the_dataset(self, sysadmin, organization):
        create(sysadmin, full_dataset(organization["id"]))

        for word in ("Stadtbäume", "Straßenbäume", "Street", "species", "Stadtgrün", "urban", "Tree"):
            found = helpers.call_action("package_search", q=word)
            assert [dataset["name"] for dataset in found["results"]] == ["stadtbaeume"], word

    def test_one_language_can_be_searched_on_its_own(self, sysadmin, organization):
        create(sysadmin, full_dataset(organization["id"]))

        assert helpers.call_action("package_search", q="extras_title_en:street")["count"] == 1
        assert helpers.call_action("package_search", q="extras_title_de:street")["count"] == 0

    def test_search_results_carry_the_bilingual_values(self, sysadmin, organization):
        create(sysadmin, full_dataset(organization["id"]))

        result = helpers.call_action("package_search", q="Street")["results"][0]

        assert result["title_translated"] == {"de": "Stadtbäume in Jena", "en": "Street trees in Jena"}

    def test_a_huge_description_is_indexed(self, sysadmin, organization):
        words = " ".join(f"Wort{number}" for number in range(4500))
        create(sysadmin, full_dataset(organization["id"], notes_translated={"de": words, "en": "long"}))

        assert helpers.call_action("package_search", q="Wort4499")["count"] == 1


@pytest.mark.usefixtures("clean_db", "clean_index")
class TestPages:
    def test_the_english_page_shows_english_texts(self, app, sysadmin, organization):
        create(sysadmin, full_dataset(organization["id"]))

        page = app.get("/en/dataset/stadtbaeume")

        assert page.status_code == 200
        assert "Street trees in Jena" in page.body
        assert "street trees" in page.body
        assert "Soil moisture" in page.body
        assert "jena-language-badge" not in page.body

    def test_the_german_page_shows_german_texts(self, app, sysadmin, organization):
        create(sysadmin, full_dataset(organization["id"]))

        page = app.get("/dataset/stadtbaeume")

        assert "Stadtbäume in Jena" in page.body
        assert "Straßenbäume" in page.body
        assert "Bodenfeuchte" in page.body
        assert "Datenlizenz Deutschland – Zero – Version 2.0" in page.body

    def test_without_english_the_english_page_shows_german_marked_as_german(self, app, sysadmin, organization):
        create(sysadmin, german_only(organization["id"]))

        page = app.get("/en/dataset/parkhaeuser")

        assert page.status_code == 200
        assert "Parkhäuser und Tiefgaragen" in page.body
        assert "Lage und Kapazität der Parkhäuser." in page.body
        assert "jena-language-badge" in page.body
        assert ">German<" in page.body


    def test_search_results_show_the_page_language(self, app, sysadmin, organization):
        create(sysadmin, full_dataset(organization["id"]))
        create(sysadmin, german_only(organization["id"]))

        english = app.get("/en/dataset/").body
        german = app.get("/dataset/").body

        assert "Street trees in Jena" in english and "Stadtbäume in Jena" not in english
        assert "Parkhäuser und Tiefgaragen" in english and "jena-language-badge" in english
        assert "Stadtbäume in Jena" in german and "Street trees in Jena" not in german


@pytest.mark.usefixtures("clean_db", "clean_index")
class TestDatasetsWithCoreFieldsOnly:
    """Datasets saved before the schema existed keep working and can be completed in the form."""

    def test_the_api_shows_them_with_the_bilingual_fields(self, organization):
        stock_dataset(organization)

        shown = helpers.call_action("package_show", id="haushalt")

        assert shown["title_translated"] == {"de": "Haushaltsplan 2026"}
        assert shown["notes_translated"] == {"de": "Der Haushalt der Stadt Jena."}
        assert shown["tags_translated"] == {"de": ["Finanzen", "Haushalt"]}
        assert shown["contact"] == [{"name": "Fachdienst Finanzen", "email": "finanzen@jena.de"}]
        assert shown["resources"][0]["name_translated"] == {"de": "Haushaltsplan (PDF)"}

    @pytest.mark.parametrize("prefix", ["", "/en"])
    def test_their_pages_display(self, app, organization, prefix):
        stock_dataset(organization)

        page = app.get(f"{prefix}/dataset/haushalt")

        assert page.status_code == 200
        assert "Haushaltsplan 2026" in page.body
        assert "Der Haushalt der Stadt Jena." in page.body

    def test_the_edit_form_is_filled_from_the_core_fields(self, app, organization, sysadmin_with_token):
        stock_dataset(organization)

        page = app.get("/dataset/edit/haushalt", headers=sysadmin_with_token)

        assert page.status_code == 200
        assert 'name="title_translated-de"' in page.body
        assert 'value="Haushaltsplan 2026"' in page.body
        assert 'value="Finanzen, Haushalt"' in page.body
        assert 'value="finanzen@jena.de"' in page.body

    def test_saving_the_form_brings_the_dataset_into_compliance(self, app, organization, sysadmin_with_token):
        stock_dataset(organization)
        fields = {
            "name": "haushalt",
            "title_translated-de": "Haushaltsplan 2026",
            "title_translated-en": "Budget 2026",
            "notes_translated-de": "Der Haushalt der Stadt Jena.",
            "notes_translated-en": "The budget of the city of Jena.",
            "tags_translated-de": "Finanzen, Haushalt",
            "tags_translated-en": "budget",
            "owner_org": organization["id"],
            "license_id": "cc-by/4.0",
            "contact-0-name": "Fachdienst Finanzen",
            "contact-0-email": "finanzen@jena.de",
            "save": "",
        }

        response = app.post("/dataset/edit/haushalt", data=fields, headers=sysadmin_with_token,
                            follow_redirects=False)

        assert response.status_code == 302, response.body
        stored = model.Package.get("haushalt").extras
        assert json.loads(stored["title_translated"]) == {"de": "Haushaltsplan 2026", "en": "Budget 2026"}
        assert json.loads(stored["contact"]) == [{"name": "Fachdienst Finanzen", "email": "finanzen@jena.de"}]
        assert helpers.call_action("package_search", q="budget")["count"] == 1
