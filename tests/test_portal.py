"""The portal inside a real CKAN: the plugin loads, search goes through Solr, pages speak German first."""
import pytest

import ckan.plugins as plugins
from ckan.tests import factories

pytestmark = pytest.mark.ckan_config("ckan.plugins", "jena")


@pytest.mark.usefixtures("with_plugins")
def test_jena_plugin_is_loaded():
    assert plugins.plugin_loaded("jena")


@pytest.mark.usefixtures("clean_db", "clean_index", "with_plugins")
class TestDatasetThroughApiAndSearch:
    def test_dataset_created_through_the_api_is_found_and_listed(self, app):
        sysadmin = factories.SysadminWithToken()
        organization = factories.Organization(title="Fachdienst Umwelt")
        headers = {"Authorization": sysadmin["token"]}
        created = app.post(
            "/api/3/action/package_create",
            json={
                "name": "baumkataster-jena",
                "title": "Baumkataster der Stadt Jena",
                "notes": "Standorte und Arten der Straßenbäume.",
                "owner_org": organization["id"],
            },
            headers=headers,
        )
        assert created.status_code == 200, created.body

        found = app.get("/api/3/action/package_search", query_string={"q": "Baumkataster"}).json
        assert found["result"]["count"] == 1
        assert found["result"]["results"][0]["name"] == "baumkataster-jena"

        listing = app.get("/dataset/")
        assert listing.status_code == 200
        assert "Baumkataster der Stadt Jena" in listing.body
        assert "/dataset/baumkataster-jena" in listing.body

    def test_search_does_not_find_what_was_never_created(self, app):
        found = app.get("/api/3/action/package_search", query_string={"q": "Baumkataster"}).json
        assert found["result"]["count"] == 0


@pytest.mark.usefixtures("clean_db", "with_plugins")
class TestLanguages:
    def test_german_is_the_default(self, app):
        page = app.get("/dataset/")
        assert page.status_code == 200
        assert '<html lang="de"' in page.body
        assert "Ein Open-Data-Angebot der Stadt Jena" in page.body

    def test_english_lives_under_en(self, app):
        page = app.get("/en/dataset/")
        assert page.status_code == 200
        assert '<html lang="en"' in page.body
        assert "An open data service of the city of Jena" in page.body
        assert "Ein Open-Data-Angebot der Stadt Jena" not in page.body

    @pytest.mark.ckan_config("ckanext.jena.imprint_url", "https://www.jena.de/impressum")
    @pytest.mark.ckan_config("ckanext.jena.privacy_url", "")
    def test_footer_links_follow_the_configuration(self, app):
        page = app.get("/dataset/")
        assert 'href="https://www.jena.de/impressum"' in page.body
        assert ">Impressum<" in page.body
        assert ">Datenschutz<" not in page.body
