"""The spreadsheet template as operators and departments download it."""
import io
import zipfile

import pytest

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", "jena scheming_datasets harvest jena_spreadsheet_harvester"),
    pytest.mark.usefixtures("with_plugins"),
]


def test_the_xlsx_template_downloads_as_a_workbook(app):
    response = app.get("/harvest/vorlage.xlsx")

    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert "xl/workbook.xml" in zipfile.ZipFile(io.BytesIO(response.data)).namelist()


def test_the_csv_template_has_the_german_headers(app):
    response = app.get("/harvest/vorlage.csv")

    assert response.status_code == 200
    header = response.data.decode("utf-8-sig").splitlines()[0].split(";")
    assert header[:2] == ["Kennung", "Titel"]


def test_other_formats_are_not_found(app):
    assert app.get("/harvest/vorlage.pdf").status_code == 404
