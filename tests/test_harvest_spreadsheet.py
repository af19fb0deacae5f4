"""The departmental spreadsheet harvester: reading CSV/XLSX/ODS, the columns, row errors, the
template, and whole harvests from a local server into CKAN with the Jena schema."""
from __future__ import annotations

import datetime
import io
import zipfile
from functools import partial
from xml.sax.saxutils import escape

import openpyxl
import pytest

from ckan.tests import factories, helpers

from ckanext.jena.harvesters import spreadsheet as sheet
from ckanext.jena.harvesters.messages import RecordError, SourceError

from tests.harvesting import create_source, harvest, harvested, harvesting


PLUGINS = "jena scheming_datasets harvest jena_spreadsheet_harvester"
ORGANIZATION = "umweltamt"
HEADER = ["Kennung", "Titel", "Beschreibung", "Schlagwörter", "Kontakt Name", "Kontakt E-Mail",
          "Lizenz", "Zeitraum von", "Zeitraum bis"]


def row(identifier, title="Baumkataster", **changes):
    values = {"Kennung": identifier, "Titel": title, "Beschreibung": "Alle Bäume.",
              "Schlagwörter": "Bäume, Stadtgrün", "Kontakt Name": "Fachdienst Umwelt",
              "Kontakt E-Mail": "umwelt@jena.de", "Lizenz": "dl-by-de/2.0",
              "Zeitraum von": "01.01.2020", "Zeitraum bis": "31.12.2024"}
    values.update(changes)
    return [values[column] for column in HEADER]


def csv_bytes(rows, delimiter=";", encoding="utf-8", bom=False):
    def quoted(value):
        text = str(value)
        if any(character in text for character in (delimiter, '"', "\n")):
            text = '"' + text.replace('"', '""') + '"'
        return text
    text = "\r\n".join(delimiter.join(quoted(value) for value in values) for values in rows) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


def xlsx_bytes(sheets):
    """A workbook from {sheet name: rows}; Python dates become real date cells."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        worksheet = workbook.create_sheet(name)
        for values in rows:
            worksheet.append(values)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def ods_cell(value, repeat=1):
    repeated = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    if value is None:
        return f"<table:table-cell{repeated}/>"
    if isinstance(value, datetime.date):
        return (f'<table:table-cell{repeated} office:value-type="date" '
                f'office:date-value="{value.isoformat()}"><text:p>{value:%d.%m.%y}</text:p>'
                "</table:table-cell>")
    if isinstance(value, (int, float)):
        return (f'<table:table-cell{repeated} office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>")
    paragraphs = "".join(f"<text:p>{escape(line)}</text:p>" for line in str(value).split("\n"))
    return f'<table:table-cell{repeated} office:value-type="string">{paragraphs}</table:table-cell>'


def ods_bytes(tables):
    """An ODS file as office programs write it, from {sheet name: rows of XML cell strings};
    a row given as ("empty", n) is n repeated empty rows."""
    body = []
    for name, rows in tables.items():
        body.append(f'<table:table table:name="{escape(name)}">'
                    '<table:table-column table:number-columns-repeated="1024"/>')
        for cells in rows:
            if isinstance(cells, tuple):
                body.append(f'<table:table-row table:number-rows-repeated="{cells[1]}">'
                            '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>')
            else:
                body.append("<table:table-row>" + "".join(cells)
                            + '<table:table-cell table:number-columns-repeated="1000"/></table:table-row>')
        body.append("</table:table>")
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3">'
        "<office:body><office:spreadsheet>" + "".join(body)
        + "</office:spreadsheet></office:body></office:document-content>")
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), sheet.ODS_MEDIA_TYPE)
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", "<manifest/>", compress_type=zipfile.ZIP_DEFLATED)
    return output.getvalue()


def datasets_of(body, media_type="", name="datensaetze", charset=None):
    """Every row of a sheet mapped onto a dataset, or the row's error."""
    table = sheet.sheet_table(sheet.read_sheet(body, media_type, name, charset))
    results = {}
    for item in table.rows:
        if item.error:
            results[item.number] = item.error
            continue
        try:
            results[item.number] = sheet.row_to_dataset(table.cells(item), item.number)
        except RecordError as error:
            results[item.number] = error.message
    return results


# -- reading CSV ----------------------------------------------------------------------------------

class TestCsv:
    @pytest.mark.parametrize("delimiter", [";", ",", "\t"])
    def test_each_usual_delimiter_is_recognised(self, delimiter):
        body = csv_bytes([HEADER, row("a", title="Bäume; Sträucher, Hecken"), row("b")],
                         delimiter=delimiter)

        datasets = datasets_of(body, "text/csv", "liste.csv")

        assert sorted(datasets) == [2, 3]
        assert datasets[2]["title_translated"] == {"de": "Bäume; Sträucher, Hecken"}
        assert datasets[2]["tags_translated"] == {"de": ["Bäume", "Stadtgrün"]}
        assert datasets[3]["identifier"] == "b"

    def test_quoted_cells_keep_line_breaks_and_quotes(self):
        description = 'Erste Zeile\nZweite Zeile mit "Zitat"; Semikolon'
        body = csv_bytes([HEADER, row("a", Beschreibung=description), row("b")])

        datasets = datasets_of(body)

        assert datasets[2]["notes_translated"]["de"] == description
        assert datasets[3]["identifier"] == "b"

    def test_utf8_with_byte_order_mark(self):
        body = csv_bytes([HEADER, row("a", title="Grünflächen")], bom=True)

        datasets = datasets_of(body)

        assert datasets[2]["title_translated"]["de"] == "Grünflächen"
        assert datasets[2]["identifier"] == "a"

    def test_windows_1252_as_german_excel_writes_it(self):
        body = csv_bytes([HEADER, row("a", title="Größe der Grünflächen – 2024")], encoding="cp1252")

        datasets = datasets_of(body)

        assert datasets[2]["title_translated"]["de"] == "Größe der Grünflächen – 2024"

    def test_a_declared_latin1_charset_is_read_as_windows_1252(self):
        body = csv_bytes([HEADER, row("a", title="Maße – Übersicht")], encoding="cp1252")

        datasets = datasets_of(body, "text/csv", "x.csv", charset="ISO-8859-1")

        assert datasets[2]["title_translated"]["de"] == "Maße – Übersicht"

    def test_invalid_bytes_fail_only_their_row(self):
        good = csv_bytes([HEADER, row("a", title="Bäume"), row("b", title="Wälder")])
        broken_line = csv_bytes([row("c", title="Gewässer")]).replace("ä".encode(), b"\xe4")
        body = good + broken_line + csv_bytes([row("d", title="Plätze")])

        datasets = datasets_of(body)

        assert datasets[2]["title_translated"]["de"] == "Bäume"
        assert datasets[3]["title_translated"]["de"] == "Wälder"
        assert datasets[5]["title_translated"]["de"] == "Plätze"
        assert "Row 4" in datasets[4].text("en") and "UTF-8" in datasets[4].text("en")

    def test_empty_lines_are_skipped_but_counted(self):
        body = csv_bytes([["", ""], HEADER, row("a"), ["", "", ""], row("b")])

        table = sheet.sheet_table(sheet.read_sheet(body, "text/csv", "x.csv", None))

        assert table.header_row == 2
        assert [item.number for item in table.rows] == [3, 5]


# -- reading XLSX and ODS --------------------------------------------------------------------------

class TestXlsx:
    def test_date_cells_numbers_and_the_preferred_sheet(self):
        rows = [HEADER + ["Veröffentlicht am"],
                row("a", **{"Zeitraum von": datetime.datetime(2021, 3, 4),
                            "Zeitraum bis": datetime.date(2022, 5, 6)}) + [datetime.datetime(2023, 1, 2)],
                [None] * 3,
                row(4711, **{"Zeitraum von": "2019", "Zeitraum bis": "2019"}) + ["2020-07-08"]]
        body = xlsx_bytes({"Notizen": [["nur Notizen"]], "Datensätze": rows})

        datasets = datasets_of(body, sheet.XLSX_MEDIA_TYPE, "liste.xlsx")

        assert sorted(datasets) == [2, 4]
        assert datasets[2]["temporal_coverage"] == [{"start": "2021-03-04", "end": "2022-05-06"}]
        assert datasets[2]["issued"] == "2023-01-02"
        assert datasets[4]["identifier"] == "4711"
        assert datasets[4]["temporal_coverage"] == [{"start": "2019-01-01", "end": "2019-12-31"}]
        assert datasets[4]["issued"] == "2020-07-08"

    def test_without_a_preferred_sheet_the_first_is_read(self):
        body = xlsx_bytes({"Tabelle1": [HEADER, row("erste")], "Tabelle2": [HEADER, row("zweite")]})

        datasets = datasets_of(body, "application/octet-stream", "download")

        assert [dataset["identifier"] for dataset in datasets.values()] == ["erste"]

    def test_a_configured_sheet_is_read_and_a_missing_one_is_named(self):
        body = xlsx_bytes({"Tabelle1": [HEADER, row("erste")], "Amt": [HEADER, row("zweite")]})

        rows = sheet.read_sheet(body, "", "x.xlsx", None, sheet_name="amt")
        with pytest.raises(SourceError) as raised:
            sheet.read_sheet(body, "", "x.xlsx", None, sheet_name="Fehlt")

        assert rows[1].values[0] == "zweite"
        assert 'no sheet "Fehlt"' in raised.value.message.text("en")
        assert "Tabelle1, Amt" in raised.value.message.text("en")


class TestOds:
    def test_dates_numbers_repeats_and_row_numbers(self):
        header = [ods_cell(value) for value in HEADER]
        first = [ods_cell(value) for value in row("a", Beschreibung="Zeile eins\nZeile zwei")[:7]]
        first += [ods_cell(datetime.date(2020, 2, 29)), ods_cell(datetime.date(2021, 1, 31))]
        second = [ods_cell(value) for value in row("b")[:6]] + [ods_cell(None, repeat=3)]
        body = ods_bytes({"Tabelle1": [header, ("empty", 2), first, ("empty", 1048570), second]})

        datasets = datasets_of(body, sheet.ODS_MEDIA_TYPE, "liste.ods")

        assert sorted(datasets) == [4, 1048575]
        assert datasets[4]["temporal_coverage"] == [{"start": "2020-02-29", "end": "2021-01-31"}]
        assert datasets[4]["notes_translated"]["de"] == "Zeile eins\nZeile zwei"
        assert "temporal_coverage" not in datasets[1048575]

    def test_the_kind_is_told_by_the_bytes_not_the_name(self):
        body = ods_bytes({"Metadaten": [[ods_cell(value) for value in HEADER],
                                        [ods_cell(value) for value in row("x")]]})

        assert sheet.detect_kind(body, "text/csv", "liste.csv") == "ods"
        assert datasets_of(body, "text/csv", "liste.csv")[2]["identifier"] == "x"

    def test_spaces_of_odf_text_are_kept(self):
        cell = ('<table:table-cell office:value-type="string"><text:p>A<text:s text:c="3"/>B'
                "<text:tab/>C<text:span>D</text:span><text:line-break/>E</text:p></table:table-cell>")
        body = ods_bytes({"T": [[ods_cell("Kennung"), cell]]})

        rows = sheet.read_sheet(body, "", "x.ods", None)

        assert rows[0].values == ["Kennung", "A   B\tCD\nE"]


# -- refused files ---------------------------------------------------------------------------------

class TestRefusedFiles:
    def test_a_zip_bomb_is_refused_before_unpacking(self):
        output = io.BytesIO()
        with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr("xl/workbook.xml", b"\0" * (60 * 2**20))
        body = output.getvalue()
        assert len(body) < 2**20

        with pytest.raises(SourceError) as raised:
            sheet.read_sheet(body, sheet.XLSX_MEDIA_TYPE, "bombe.xlsx", None)

        assert "60.0 MiB" in raised.value.message.text("en")
        assert "not unpacked" in raised.value.message.text("en")

    def test_too_many_parts_are_refused(self):
        output = io.BytesIO()
        with zipfile.ZipFile(output, "w") as archive:
            for number in range(sheet.MAX_ZIP_ENTRIES + 1):
                archive.writestr(f"xl/part{number}.xml", "")

        with pytest.raises(SourceError) as raised:
            sheet.read_sheet(output.getvalue(), "", "viele.xlsx", None)

        assert f"{sheet.MAX_ZIP_ENTRIES + 1} parts" in raised.value.message.text("en")

    def test_an_encrypted_archive_is_refused(self):
        output = io.BytesIO()
        with zipfile.ZipFile(output, "w") as archive:
            archive.writestr("xl/workbook.xml", "<workbook/>")
        body = bytearray(output.getvalue())
        # the "encrypted" flag in the local header (offset 6) and the central directory (offset 8)
        body[6] |= 1
        central = body.index(b"PK\x01\x02")
        body[central + 8] |= 1

        with pytest.raises(SourceError) as raised:
            sheet.read_sheet(bytes(body), "", "geheim.xlsx", None)

        assert "encrypted" in raised.value.message.text("en")

    @pytest.mark.parametrize("body, media_type, name, expected", [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "application/vnd.ms-excel", "a.xls", ".xls"),
        (b"<html><body>Anmeldung</body></html>", "text/html", "liste", "web page"),
        (b"Kennung;Titel", sheet.XLSX_MEDIA_TYPE, "liste", "announced as XLSX/ODS"),
        (b"PK\x03\x04 kaputt", "", "liste.xlsx", "damaged"),
    ])
    def test_files_that_are_no_sheet_are_named(self, body, media_type, name, expected):
        with pytest.raises(SourceError) as raised:
            sheet.read_sheet(body, media_type, name, None)

        assert expected in raised.value.message.text("en")


# -- the header --------------------------------------------------------------------------------------

class TestHeader:
    def test_a_missing_required_column_fails_the_sheet_and_is_named(self):
        body = csv_bytes([[h for h in HEADER if h != "Kennung"], row("a")[1:]])

        with pytest.raises(SourceError) as raised:
            sheet.sheet_table(sheet.read_sheet(body, "", "x.csv", None))

        assert "Required columns are missing: Kennung." in raised.value.message.text("en")

    def test_unknown_columns_fail_with_a_suggestion_and_hash_columns_are_ignored(self):
        header = [("Lizens" if h == "Lizenz" else h) for h in HEADER] + ["# Bearbeiter", "Farbe"]
        body = csv_bytes([header, row("a") + ["Frau Muster", "blau"]])

        with pytest.raises(SourceError) as raised:
            sheet.sheet_table(sheet.read_sheet(body, "", "x.csv", None))

        text = raised.value.message.text("en")
        assert 'The column "Lizens" is unknown. Did you mean "Lizenz"?' in text
        assert 'The column "Farbe" is unknown.' in text
        assert "Bearbeiter" not in text

    def test_aliases_and_spellings_are_accepted(self):
        header = ["identifier", "TITLE", "Beschreibung", "Schlagwoerter", "Kontakt-Name",
                  "contact email", "Licence", "Zeitraum Beginn", "Period to", "# intern"]
        body = csv_bytes([header, row("a") + ["x"]])

        datasets = datasets_of(body)

        assert datasets[2]["identifier"] == "a"
        assert datasets[2]["contact"] == [{"name": "Fachdienst Umwelt", "email": "umwelt@jena.de"}]

    def test_the_same_column_twice_fails(self):
        body = csv_bytes([HEADER + ["Title"], row("a") + ["x"]])

        with pytest.raises(SourceError) as raised:
            sheet.sheet_table(sheet.read_sheet(body, "", "x.csv", None))

        assert 'The columns "Titel" and "Title" are the same column' in raised.value.message.text("en")

    def test_values_without_a_header_fail(self):
        body = csv_bytes([HEADER + [""], row("a") + ["vergessen"]])

        with pytest.raises(SourceError) as raised:
            sheet.sheet_table(sheet.read_sheet(body, "", "x.csv", None))

        assert "Column J has values but no header." in raised.value.message.text("en")

    def test_header_names_are_unambiguous(self):
        definitions = sheet.column_definitions()
        for column in definitions.columns:
            for name in (column.header, *column.aliases):
                assert definitions.find(name) is column, name
        assert definitions.find("Ressource 3 Format").resource_number == 3
        assert definitions.find("Resource 12 Name (English)").field == "name_translated.en"


# -- rows → datasets -------------------------------------------------------------------------------

class TestRows:
    @pytest.mark.parametrize("text, end, expected", [
        ("01.02.2024", False, "2024-02-01"),
        ("1.2.2024", False, "2024-02-01"),
        ("2024-02-01", False, "2024-02-01"),
        ("2024-02-01 00:00:00", False, "2024-02-01"),
        ("2024-02-01T10:30:00", False, "2024-02-01T10:30:00"),
        ("2024", False, "2024-01-01"),
        ("2024", True, "2024-12-31"),
        ("31.02.2024", False, None),
        ("01.02.24", False, None),
        ("2024/02/01", False, None),
        ("Februar 2024", False, None),
    ])
    def test_german_and_iso_dates(self, text, end, expected):
        assert sheet.parse_date(text, end) == expected

    def test_vocabulary_columns_take_labels_codes_and_synonyms(self):
        cells = dict(sheet.example_cells())
        cells.update({"Aktualisierungsintervall": "Monatlich", "Ortsteile": "Winzerla, neulobeda\nJena-Süd",
                      "Handlungsfeld": "hf5", "Sprache": "de; Englisch", "Personenbezug": "Ja",
                      "Kategorien": "Bildung, Kultur und Sport, TRAN; Umwelt",
                      "Lizenz": "Datenlizenz Deutschland – Zero – Version 2.0"})

        dataset = sheet.row_to_dataset(cells, 5)

        assert dataset["frequency"] == "http://publications.europa.eu/resource/authority/frequency/MONTHLY"
        assert dataset["districts"] == ["winzerla", "neulobeda", "jena-sued"]
        assert dataset["smart_city_field_of_action"] == "hf5"
        assert dataset["language"] == ["http://publications.europa.eu/resource/authority/language/DEU",
                                       "http://publications.europa.eu/resource/authority/language/ENG"]
        assert dataset["personal_data"] == "yes"
        assert [uri.rsplit("/", 1)[-1] for uri in dataset["theme"]] == ["EDUC", "TRAN", "ENVI"]
        assert dataset["license_id"] == "dl-zero-de/2.0"

    def test_portal_categories_become_groups(self):
        categories = sheet.Categories([
            {"name": "umwelt-und-klima", "title": "Umwelt und Klima",
             "extras": [{"key": "title_en", "value": "Environment and climate"}]},
            {"name": "verkehr", "title": "Verkehr, Mobilität"}])
        cells = dict(sheet.example_cells(), Kategorien="environment and climate; Verkehr, Mobilität, ECON")

        dataset = sheet.row_to_dataset(cells, 2, categories)

        assert dataset["groups"] == [{"name": "umwelt-und-klima"}, {"name": "verkehr"}]
        assert dataset["theme"] == ["http://publications.europa.eu/resource/authority/data-theme/ECON"]

    def test_resources_in_numbered_columns_and_the_short_form(self):
        cells = {header: value for header, value in sheet.example_cells().items()
                 if not header.startswith("Ressource")}
        cells.update({"Download-URL": "https://a.example/x/liste%20alt.csv\nhttps://a.example/y.json",
                      "Format": "csv; JSON",
                      "Ressource 2 URL": "https://a.example/karte", "Ressource 2 Format": "WMS",
                      "Ressource 2 Name": "Karte", "Ressource 3 Name (englisch)": "",
                      "Ressource 10 URL": "https://a.example/z.pdf"})

        dataset = sheet.row_to_dataset(cells, 2)

        assert [(item["url"], item["name_translated"]["de"], item.get("format"))
                for item in dataset["resources"]] == [
            ("https://a.example/x/liste%20alt.csv", "liste alt.csv", "CSV"),
            ("https://a.example/y.json", "y.json", "JSON"),
            ("https://a.example/karte", "Karte", "WMS_SRVC"),
            ("https://a.example/z.pdf", "z.pdf", None)]

    def test_every_problem_of_a_row_is_named_by_row_and_column(self):
        cells = dict(sheet.example_cells(), **{
            "Lizenz": "Lizenz nach Absprache", "Zeitraum von": "2024-13-01", "Titel": " ",
            "Kontakt E-Mail": "umwelt(at)jena.de", "Schlagwörter": "Bäume, x, Grün/Blau",
            "Ortsteile": "Jena-Zentrum, Atlantis", "Ressource 1 URL": "", "Ressource 1 Format": "CSV"})

        with pytest.raises(RecordError) as raised:
            sheet.row_to_dataset(cells, 7)

        english = raised.value.message.text("en")
        for expected in (
                'Row 7, column "Lizenz": Unknown licence "Lizenz nach Absprache"',
                'Row 7, column "Zeitraum von": "2024-13-01" is not a date',
                'Row 7, column "Titel": This column must be filled in.',
                'Row 7, column "Kontakt E-Mail": "umwelt(at)jena.de" is not an e-mail address.',
                'Row 7, column "Schlagwörter": The keyword "x" must be 2 to 100 characters long.',
                'Row 7, column "Schlagwörter": The keyword "Grün/Blau" may only contain',
                'Row 7, column "Ortsteile": "Atlantis" is not an allowed value.',
                'Row 7, column "Ressource 1 URL": This column must be filled in.'):
            assert expected in english

    def test_row_errors_are_german_too(self):
        cells = dict(sheet.example_cells(), Lizenz="Lizenz nach Absprache", Titel="")

        with pytest.raises(RecordError) as raised:
            sheet.row_to_dataset(cells, 7)

        german, english = raised.value.bilingual().split("\n")
        assert german.startswith("Zeile 7, Spalte „Lizenz“: Unbekannte Lizenz „Lizenz nach Absprache“")
        assert "Zeile 7, Spalte „Titel“: Diese Spalte muss ausgefüllt sein." in german
        assert english.startswith('Row 7, column "Lizenz": Unknown licence')

    def test_header_errors_are_german_too(self):
        body = csv_bytes([[h for h in HEADER if h != "Kennung"], row("a")[1:]])

        with pytest.raises(SourceError) as raised:
            sheet.sheet_table(sheet.read_sheet(body, "", "x.csv", None))

        german, english = raised.value.bilingual().split("\n")
        assert "Pflichtspalten fehlen: Kennung." in german
        assert "Required columns are missing: Kennung." in english

    def test_an_end_before_the_start_and_a_contact_without_address(self):
        cells = dict(sheet.example_cells(), **{"Zeitraum von": "2024", "Zeitraum bis": "31.12.2023",
                                               "Kontakt E-Mail": "", "Kontakt Webseite": ""})

        with pytest.raises(RecordError) as raised:
            sheet.row_to_dataset(cells, 3)

        english = raised.value.message.text("en")
        assert 'Row 3, column "Zeitraum bis": The end is before the start.' in english
        assert ('Row 3, column "Kontakt E-Mail": Please fill in "Kontakt E-Mail" or '
                '"Kontakt Webseite".') in english


class TestRecords:
    def test_a_duplicate_identifier_fails_the_later_row(self):
        body = csv_bytes([HEADER, row("a"), row("b"), row(" a ")])
        table = sheet.sheet_table(sheet.read_sheet(body, "", "x.csv", None))

        records = list(sheet.sheet_records(table))

        assert [record.guid for record in records] == ["a", "b", "a"]
        assert records[0].error is None and records[1].error is None
        assert records[2].error.text("en") == (
            'Row 4, column "Kennung": the identifier "a" is already used in row 2; '
            "this row was skipped.")

    def test_the_content_does_not_depend_on_the_row_number(self):
        first = sheet.sheet_table(sheet.read_sheet(csv_bytes([HEADER, row("a")]), "", "x.csv", None))
        moved = sheet.sheet_table(sheet.read_sheet(csv_bytes([HEADER, row("b"), ["", ""], row("a")]),
                                                   "", "x.csv", None))

        assert list(sheet.sheet_records(first))[0].content == list(sheet.sheet_records(moved))[1].content

    def test_a_row_without_identifier_is_an_error_record_without_guid(self):
        table = sheet.sheet_table(sheet.read_sheet(csv_bytes([HEADER, row("")]), "", "x.csv", None))

        record = list(sheet.sheet_records(table))[0]

        assert record.guid is None
        assert 'Row 2, column "Kennung": This column must be filled in.' in record.error.text("en")


# -- the template --------------------------------------------------------------------------------

class TestTemplate:
    def test_the_xlsx_template_has_the_header_and_notes_for_every_column(self):
        workbook = openpyxl.load_workbook(io.BytesIO(sheet.template_xlsx()))

        assert workbook.sheetnames == ["Datensätze", "Hinweise"]
        header = [cell.value for cell in workbook["Datensätze"][1]]
        assert header[:3] == ["Kennung", "Titel", "Titel (englisch)"]
        assert "Ressource 1 URL" in header
        assert workbook["Datensätze"].max_row == 1
        notes = {values[0]: values for values in workbook["Hinweise"].iter_rows(values_only=True)}
        assert set(header) <= set(notes)
        assert notes["Kennung"][1] == "ja"
        assert "jährlich" in notes["Aktualisierungsintervall"][3]
        assert "dl-by-de/2.0" in notes["Lizenz"][3]

    def test_the_csv_template_opens_in_german_excel(self):
        body = sheet.template_csv()

        assert body.startswith(b"\xef\xbb\xbf")
        assert body.decode("utf-8-sig").split("\r\n")[0].startswith("Kennung;Titel;Titel (englisch);")

    def test_the_download_view(self, app):
        with app.flask_app.test_request_context():
            response = sheet.template_view("csv")
            missing = None
            try:
                sheet.template_view("pdf")
            except Exception as error:  # toolkit.abort raises the HTTP error
                missing = error

        assert response.headers["Content-Disposition"] == 'attachment; filename="jena-datensaetze-vorlage.csv"'
        assert response.get_data().startswith(b"\xef\xbb\xbfKennung;")
        assert getattr(missing, "code", None) == 404



@harvesting(PLUGINS)
class TestTemplateRoundTrip:
    @pytest.mark.parametrize("file_format", ["xlsx", "csv"])
    def test_the_filled_in_template_is_a_valid_dataset(self, file_format):
        organization = factories.Organization()
        body = sheet.template_xlsx(example=True) if file_format == "xlsx" else sheet.template_csv(example=True)
        table = sheet.sheet_table(sheet.read_sheet(body, "", f"vorlage.{file_format}", None))
        assert len(table.rows) == 1
        dataset = sheet.row_to_dataset(table.cells(table.rows[0]), table.rows[0].number,
                                       sheet.Categories.from_portal())

        created = helpers.call_action("package_create", {"user": factories.Sysadmin()["name"]},
                                      name="baumkataster", owner_org=organization["id"], **dataset)

        shown = helpers.call_action("package_show", id=created["id"])
        assert shown["identifier"] == "umwelt-baumkataster"
        assert shown["title_translated"] == {"de": "Baumkataster der Stadt Jena",
                                             "en": "Tree register of the city of Jena"}
        assert shown["temporal_coverage"] == [{"start": "2020-01-01", "end": "2024-12-31"}]
        assert shown["frequency"].endswith("/ANNUAL")
        assert shown["districts"] == ["jena-zentrum", "jena-west"]
        assert shown["theme"] == ["http://publications.europa.eu/resource/authority/data-theme/ENVI"]
        assert shown["resources"][0]["name_translated"] == {"de": "Baumliste", "en": "Tree list"}
        assert shown["resources"][0]["format"] == "CSV"


# -- whole harvests ------------------------------------------------------------------------------


make_source = partial(create_source, source_type="jena_spreadsheet", name="umweltamt-tabelle",
                      title="Tabelle des Umweltamts")


@harvesting(PLUGINS)
class TestHarvest:
    def test_a_workbook_is_harvested_and_a_bad_row_fails_alone(self, server, organization,
                                                              test_request_context):
        factories.Group(name="umwelt-und-klima", title="Umwelt und Klima")
        header = HEADER + ["Kategorien", "Ressource 1 URL"]
        rows = [header,
                row("baeume", **{"Zeitraum von": datetime.date(2020, 1, 1)})
                + ["Umwelt und Klima", "https://opendata.jena.de/baeume.csv"],
                row("wald", title="Stadtwald", Lizenz="irgendeine") + ["", ""],
                row("luft", title="Luftmessung") + ["ENVI", "https://opendata.jena.de/luft.csv"]]
        server.serve("/amt.xlsx", xlsx_bytes({"Datensätze": rows}), content_type=sheet.XLSX_MEDIA_TYPE)
        source = make_source(server, organization, path="/amt.xlsx")

        job, report = harvest(source, test_request_context)

        assert job["status"] == "Finished"
        assert report["counts"] == {"added": 2, "errored": 1}, report
        [(guid, message)] = report["record_errors"]
        assert guid == "wald"
        assert 'Row 3, column "Lizenz": Unknown licence "irgendeine"' in message
        datasets = harvested(source)
        assert sorted(datasets) == ["baeume", "luft"]
        trees = helpers.call_action("package_show", id=datasets["baeume"]["id"])
        assert [group["name"] for group in trees["groups"]] == ["umwelt-und-klima"]
        assert trees["temporal_coverage"] == [{"start": "2020-01-01", "end": "2024-12-31"}]
        assert trees["resources"][0]["url"] == "https://opendata.jena.de/baeume.csv"
        assert trees["owner_org"] == source["owner_org"]

    def test_sorting_the_sheet_changes_nothing(self, server, organization, test_request_context):
        server.serve("/amt.csv", csv_bytes([HEADER, row("a"), row("b", title="Zweiter")]),
                     content_type="text/csv")
        source = make_source(server, organization, path="/amt.csv")
        harvest(source, test_request_context)
        server.serve("/amt.csv", csv_bytes([HEADER, ["", ""], row("b", title="Zweiter"), row("a")]),
                     content_type="text/csv")

        job, report = harvest(source, test_request_context)

        assert report["counts"] == {"not modified": 2}, report

    def test_a_sheet_with_a_missing_column_imports_and_withdraws_nothing(
            self, server, organization, test_request_context):
        server.serve("/amt.csv", csv_bytes([HEADER, row("a"), row("b")]), content_type="text/csv")
        source = make_source(server, organization, path="/amt.csv")
        harvest(source, test_request_context)
        broken = [[h for h in HEADER if h != "Schlagwörter"]] + [
            [value for h, value in zip(HEADER, row("a")) if h != "Schlagwörter"]]
        server.serve("/amt.csv", csv_bytes(broken), content_type="text/csv")

        job, report = harvest(source, test_request_context)

        assert len(report["gather_errors"]) == 1
        message = report["gather_errors"][0]
        assert "Required columns are missing: Schlagwörter." in message
        assert sorted(harvested(source)) == ["a", "b"]

    def test_the_configured_sheet_is_read(self, server, organization, test_request_context):
        body = xlsx_bytes({"Datensätze": [HEADER, row("falsch")], "Umweltamt": [HEADER, row("richtig")]})
        server.serve("/amt.xlsx", body, content_type=sheet.XLSX_MEDIA_TYPE)
        source = make_source(server, organization, {"sheet": "Umweltamt"}, path="/amt.xlsx")

        job, report = harvest(source, test_request_context)

        assert report["counts"] == {"added": 1}, report
        assert sorted(harvested(source)) == ["richtig"]

    def test_an_invalid_sheet_setting_is_refused_when_saving(self, server, organization):
        with pytest.raises(Exception) as raised:
            make_source(server, organization, {"sheet": ""}, path="/amt.xlsx")

        assert "sheet must be the name of a sheet" in str(raised.value)
