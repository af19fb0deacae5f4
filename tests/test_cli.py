"""``ckan jena check-metadata``, ``create-themes`` and ``schema-table``."""
from pathlib import Path

import pytest

from ckan.cli.cli import ckan as ckan_command
from ckan.tests import factories, helpers

from ckanext.jena.logic import schema_doc

from tests.test_bilingual import full_dataset, german_only, stock_dataset
from tests.test_validation import merged_catalogs, translated_messages  # noqa: F401 (fixtures)

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", "jena scheming_datasets"),
    pytest.mark.usefixtures("with_plugins"),
]

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.usefixtures("clean_db", "clean_index")
class TestCheckMetadata:
    def test_a_compliant_portal_passes(self, cli):
        organization = factories.Organization()
        helpers.call_action("package_create", {"user": factories.Sysadmin()["name"]},
                            **full_dataset(organization["id"]))

        result = cli.invoke(ckan_command, ["jena", "check-metadata"])

        assert result.exit_code == 0, result.output
        assert "Alle Datensätze erfüllen das Metadatenschema." in result.output

    def test_a_non_compliant_dataset_is_listed_with_the_reasons_in_german(self, cli):
        organization = factories.Organization()
        helpers.call_action("package_create", {"user": factories.Sysadmin()["name"]},
                            **german_only(organization["id"], name="gut"))
        stock_dataset(organization, name="unvollstaendig", keep_tags=False, keep_maintainer=False)

        result = cli.invoke(ckan_command, ["jena", "check-metadata"])

        assert result.exit_code == 1
        assert "unvollstaendig: erfüllt das Metadatenschema nicht" in result.output
        assert "Schlagwörter: Bitte mindestens ein deutsches Schlagwort eingeben." in result.output
        assert "Kontakt: Bitte mindestens eine Kontaktstelle angeben." in result.output
        assert "1 Datensätze erfüllen das Metadatenschema nicht." in result.output
        assert "gut:" not in result.output

    def test_a_dataset_with_the_core_fields_a_save_converts_passes(self, cli):
        stock_dataset(factories.Organization())

        result = cli.invoke(ckan_command, ["jena", "check-metadata"])

        assert result.exit_code == 0, result.output


@pytest.mark.usefixtures("clean_db", "clean_index")
class TestCreateThemes:
    def test_the_13_eu_themes_become_bilingual_groups_once(self, cli):
        first = cli.invoke(ckan_command, ["jena", "create-themes"])
        second = cli.invoke(ckan_command, ["jena", "create-themes"])

        assert first.exit_code == 0, first.output
        assert "EU-Datenthemen: 13 angelegt, 0 bereits vorhanden" in first.output
        assert "EU-Datenthemen: 0 angelegt, 13 bereits vorhanden" in second.output
        groups = helpers.call_action("group_list", all_fields=True, include_extras=True)
        assert len(groups) == 13
        environment = helpers.call_action("group_show", id="envi")
        assert environment["title"] == "Umwelt"
        extras = {extra["key"]: extra["value"] for extra in environment["extras"]}
        assert extras == {"title_en": "Environment", "eu_themes": "ENVI"}

    def test_datasets_in_a_theme_group_get_its_theme(self, cli):
        cli.invoke(ckan_command, ["jena", "create-themes"])
        organization = factories.Organization()
        data = german_only(organization["id"])
        data["groups"] = [{"name": "tran"}]

        helpers.call_action("package_create", {"user": factories.Sysadmin()["name"]}, **data)

        assert helpers.call_action("package_show", id="parkhaeuser")["theme"] == [
            "http://publications.europa.eu/resource/authority/data-theme/TRAN"]


def test_the_schema_table_is_the_documentation(cli):
    result = cli.invoke(ckan_command, ["jena", "schema-table"])

    assert result.exit_code == 0, result.output
    table = result.output[result.output.index("### Dataset schema"):]  # the test config logs to stdout
    assert table == schema_doc.readme_table((REPO_ROOT / "README.md").read_text(encoding="utf-8"))
    assert "| `title_translated` | Titel | Title | yes |" in table
