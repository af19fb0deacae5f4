"""The demo content loads through the action API, validates against the schema, is searchable
in Solr, and loads only once."""
import json

import pytest

import ckan.plugins.toolkit as tk
from ckan.cli.cli import ckan as ckan_command
from ckan.tests import factories, helpers

from ckanext.jena.demo.loader import DemoLoader, bbox_geometry, dataset_dict, read_content, resource_dict

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", "jena scheming_datasets"),
    pytest.mark.usefixtures("with_plugins"),
]


def test_the_content_is_what_a_municipal_portal_needs():
    content = read_content()
    datasets = content["datasets"]
    assert len(datasets) >= 20
    assert len(content["organizations"]) >= 8
    assert all(dataset["title"].get("de") for dataset in datasets)
    assert sum(1 for dataset in datasets if dataset["title"].get("en")) >= 20
    assert sum(1 for dataset in datasets for resource in dataset["resources"] if resource.get("file")) >= 12


def test_a_bounding_box_becomes_a_closed_polygon():
    polygon = bbox_geometry([11.5, 50.9, 11.6, 50.95])
    ring = polygon["coordinates"][0]
    assert polygon["type"] == "Polygon"
    assert ring[0] == ring[-1] == [11.5, 50.9]
    assert [11.6, 50.95] in ring


def test_every_demo_dataset_maps_onto_the_schema_fields():
    content = read_content()
    for dataset in content["datasets"]:
        mapped = dataset_dict(dataset)
        assert mapped["title_translated"]["de"] == dataset["title"]["de"]
        assert mapped["tags_translated"]["de"] == dataset["tags"]["de"]
        assert mapped["contact"][0]["email"] == dataset["contact"]["email"]
        assert mapped["frequency"].startswith("http://publications.europa.eu/resource/authority/frequency/")
        assert mapped["temporal_coverage"][0]["start"] == dataset["temporal"]["start"].isoformat()
        assert json.loads(mapped["spatial"])["type"] == "Polygon"
        for resource in dataset["resources"]:
            assert resource_dict(resource)["format"].isupper()


def test_german_only_demo_datasets_have_no_english_values():
    content = {dataset["name"]: dataset for dataset in read_content()["datasets"]}
    mapped = dataset_dict(content["laermkarten"])
    assert set(mapped["title_translated"]) == {"de"}
    assert set(mapped["tags_translated"]) == {"de"}


@pytest.mark.usefixtures("clean_db", "clean_index")
class TestLoading:
    def test_everything_is_created_uploaded_and_found_by_search(self):
        sysadmin = factories.Sysadmin()
        content = read_content()

        report = DemoLoader(sysadmin["name"]).load()

        assert report.created["datasets"] == len(content["datasets"])
        assert report.created["organizations"] == len(content["organizations"])
        assert report.created["categories"] == len(content["categories"])
        found = helpers.call_action("package_search", q="Baumkataster")
        assert found["count"] >= 1
        tree_register = helpers.call_action("package_show", id=found["results"][0]["name"])
        assert tree_register["organization"]["name"]
        uploads = [res for res in tree_register["resources"] if res["url_type"] == "upload"]
        assert uploads, "the tree register's file was not uploaded"
        everything = helpers.call_action("package_search", rows=0)
        assert everything["count"] == len(content["datasets"])

    def test_the_loaded_datasets_carry_the_schema_fields(self):
        sysadmin = factories.Sysadmin()
        DemoLoader(sysadmin["name"]).load()

        soil = helpers.call_action("package_show", id="bodenfeuchte-stadtbaeume")
        assert soil["title_translated"]["en"]
        assert soil["tags_translated"]["en"]
        assert soil["contact"][0]["email"]
        assert soil["frequency"].startswith("http://publications.europa.eu/resource/authority/frequency/")
        assert soil["temporal_coverage"][0]["start"]
        assert soil["sensor_observed_property"]["en"]
        assert soil["temporal_resolution"].startswith("P")
        assert soil["smart_city_measure"] and soil["smart_city_field_of_action"]
        assert soil["theme"], "the categories' EU themes were not added"
        assert {resource["format"] for resource in soil["resources"]} == {"CSV", "GEOJSON", "JSON"}
        lobeda = helpers.call_action("package_show", id="smartes-quartier-lobeda-energie")
        assert lobeda["districts"] and lobeda["geocoding_description"]["de"].startswith("Jena, Ortsteile")
        hvd = helpers.call_action("package_search", fq="hvd_category:*", rows=0)
        assert hvd["count"] > 0

    def test_every_loaded_dataset_passes_the_metadata_check(self, cli):
        sysadmin = factories.Sysadmin()
        DemoLoader(sysadmin["name"]).load()

        result = cli.invoke(ckan_command, ["jena", "check-metadata"])

        assert result.exit_code == 0, result.output

    def test_loading_twice_creates_nothing_new_and_keeps_edits(self):
        sysadmin = factories.Sysadmin()
        DemoLoader(sysadmin["name"]).load()
        name = read_content()["datasets"][0]["name"]
        helpers.call_action("package_patch", {"user": sysadmin["name"]}, id=name, title="Von Hand geändert")

        report = DemoLoader(sysadmin["name"]).load()

        assert report.created == {}
        assert report.kept["datasets"] == len(read_content()["datasets"])
        assert helpers.call_action("package_show", id=name)["title"] == "Von Hand geändert"

    def test_the_command_refuses_an_unknown_user_with_a_translated_message(self, cli):
        result = cli.invoke(ckan_command, ["jena", "demo", "load", "--user", "niemand"])
        assert result.exit_code != 0
        assert "Die Person mit dem Konto niemand gibt es nicht" in result.output

    def test_invalid_content_is_rejected_with_the_reason(self):
        sysadmin = factories.Sysadmin()
        content = read_content()
        broken = {**content, "organizations": [{"name": "Kein gültiger Name!", "title": {"de": "x"}}],
                  "categories": [], "datasets": []}
        with pytest.raises(tk.ValidationError) as raised:
            DemoLoader(sysadmin["name"], broken).load()
        assert "name" in raised.value.error_dict
