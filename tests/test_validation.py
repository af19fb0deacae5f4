"""Every validation rule of the schema: same rule and message through the API and the form, in
German (the default) and English; malformed or oversized input is refused, never a server error.

The portal's German catalog gets this extension's new messages when they are merged into
``i18n/``; until then the tests run against the repository's catalog completed with GERMAN below
(the source of the translations to merge), so they check the wiring either way.
"""
import copy
import json

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from ckan.tests import factories

from ckanext.jena import translations
from tests.test_bilingual import full_dataset

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", "jena scheming_datasets"),
    pytest.mark.usefixtures("with_plugins"),
]

# German translations of the messages this schema added (English is the source text).
GERMAN = {
    '"{value}" is not in the list of allowed values.': "„{value}“ ist kein Wert der Liste der zulässigen Werte.",
    "A {algorithm} checksum has {length} hexadecimal digits.": "Eine {algorithm}-Prüfsumme hat {length} Hexadezimalziffern.",
    "All datasets meet the metadata schema.": "Alle Datensätze erfüllen das Metadatenschema.",
    "Coordinates must be longitude (-180 to 180) and latitude (-90 to 90) in WGS84, in that order.":
        "Koordinaten müssen Längengrad (-180 bis 180) und Breitengrad (-90 bis 90) in WGS84 sein, in dieser Reihenfolge.",
    "Detect automatically": "Automatisch erkennen",
    "EU data themes: {created} created, {kept} already there": "EU-Datenthemen: {created} angelegt, {kept} bereits vorhanden",
    "English": "Englisch",
    "Expected a list of objects (entries with named fields).":
        "Erwartet wird eine Liste von Objekten (Einträge mit benannten Feldern).",
    "Expected a list of values.": "Erwartet wird eine Liste von Werten.",
    "Expected a single value, not a list or an object.": "Erwartet wird ein einzelner Wert, keine Liste und kein Objekt.",
    "Expected a text or an object with the languages {languages}.":
        "Erwartet wird ein Text oder ein Objekt mit den Sprachen {languages}.",
    "Expected keywords as a list or a comma-separated text per language.":
        "Erwartet werden Schlagwörter als Liste oder als kommagetrennter Text je Sprache.",
    "German": "Deutsch",
    "Markdown formatting is supported.": "Markdown-Formatierung wird unterstützt.",
    "No translation available; shown in {language}.": "Keine Übersetzung vorhanden; angezeigt auf {language}.",
    "Please enter a complete web address beginning with http:// or https://.":
        "Bitte eine vollständige Webadresse eingeben, die mit http:// oder https:// beginnt.",
    "Please enter a date as YYYY-MM-DD.": "Bitte ein Datum im Format JJJJ-MM-TT eingeben.",
    "Please enter a media type such as text/csv.": "Bitte einen Medientyp wie text/csv eingeben.",
    "Please enter a valid e-mail address.": "Bitte eine gültige E-Mail-Adresse eingeben.",
    "Please enter an ISO 8601 duration such as PT15M, PT1H or P1D.":
        "Bitte eine Dauer nach ISO 8601 wie PT15M, PT1H oder P1D eingeben.",
    "Please enter an e-mail address or a web address.": "Bitte eine E-Mail-Adresse oder eine Webadresse eingeben.",
    "Please enter at least one German keyword.": "Bitte mindestens ein deutsches Schlagwort eingeben.",
    "Please enter at least one contact point.": "Bitte mindestens eine Kontaktstelle angeben.",
    "Please enter text, not a list or an object.": "Bitte Text eingeben, keine Liste und kein Objekt.",
    "Please enter the German text as well: it is shown when no translation exists.":
        "Bitte auch den deutschen Text eingeben: Er wird angezeigt, wenn keine Übersetzung vorhanden ist.",
    "Please enter the checksum for the chosen algorithm.": "Bitte die Prüfsumme zum gewählten Verfahren eingeben.",
    "Please enter the name of the contact point.": "Bitte den Namen der Kontaktstelle eingeben.",
    "Please enter the name.": "Bitte den Namen eingeben.",
    "Please enter the size as a whole number of bytes.": "Bitte die Größe als ganze Zahl von Bytes eingeben.",
    "Please enter the text in German.": "Bitte den Text auf Deutsch eingeben.",
    "The address must begin with {prefix}": "Die Adresse muss so beginnen: {prefix}",
    "The checksum must consist of hexadecimal digits (0-9, a-f).":
        "Die Prüfsumme darf nur aus Hexadezimalziffern (0-9, a-f) bestehen.",
    "The coordinates of the spatial extent are not valid for a {type}.":
        "Die Koordinaten der räumlichen Ausdehnung sind für den Typ {type} ungültig.",
    "The end must not be before the start.": "Das Ende darf nicht vor dem Beginn liegen.",
    "The measure does not belong to the chosen field of action.": "Die Maßnahme gehört nicht zum gewählten Handlungsfeld.",
    "The spatial extent has too many points: at most {max} are allowed.":
        "Die räumliche Ausdehnung hat zu viele Punkte: höchstens {max} sind erlaubt.",
    "The spatial extent is not valid JSON.": "Die räumliche Ausdehnung ist kein gültiges JSON.",
    "The spatial extent lies outside the Jena region (Thuringia).":
        "Die räumliche Ausdehnung liegt außerhalb der Region Jena (Thüringen).",
    "The spatial extent must be a GeoJSON geometry as text or object.":
        "Die räumliche Ausdehnung muss eine GeoJSON-Geometrie als Text oder Objekt sein.",
    "The spatial extent must be a GeoJSON geometry of type Point, MultiPoint, LineString, MultiLineString, "
    "Polygon or MultiPolygon.":
        "Die räumliche Ausdehnung muss eine GeoJSON-Geometrie vom Typ Point, MultiPoint, LineString, "
        "MultiLineString, Polygon oder MultiPolygon sein.",
    "The text is too long: at most {max} characters are allowed.": "Der Text ist zu lang: höchstens {max} Zeichen sind erlaubt.",
    "Too many entries: at most {max} are allowed.": "Zu viele Einträge: höchstens {max} sind erlaubt.",
    "Too many keywords: at most {max} per language are allowed.": "Zu viele Schlagwörter: höchstens {max} je Sprache sind erlaubt.",
    'Unknown format "{value}": choose a format of the EU file-type list.':
        "Unbekanntes Format „{value}“: Bitte ein Format aus der EU-Liste der Dateitypen wählen.",
    'Unknown language "{language}": use {languages}.': "Unbekannte Sprache „{language}“: Bitte {languages} verwenden.",
    'Unknown licence "{value}": choose a licence of the list.': "Unbekannte Lizenz „{value}“: Bitte eine Lizenz aus der Liste wählen.",
    "west, south, east, north": "West, Süd, Ost, Nord",
    "State": "Status",
    "Format": "Format",
    "unknown": "unbekannt",
    "{count} datasets do not meet the metadata schema.": "{count} Datensätze erfüllen das Metadatenschema nicht.",
    "{name}: does not meet the metadata schema": "{name}: erfüllt das Metadatenschema nicht",
}


def repository_catalog(locale):
    path = translations.catalog_directory() / locale / "LC_MESSAGES" / f"{translations.DOMAIN}.po"
    if not path.is_file():
        path = translations.PACKAGE_DIR.parent.parent / "i18n" / locale / "LC_MESSAGES" / f"{translations.DOMAIN}.po"
    with path.open("rb") as stream:
        return read_po(stream, locale=locale)


@pytest.fixture(scope="module")
def merged_catalogs(tmp_path_factory):
    """The repository's catalogs, completed with this schema's messages where they are missing."""
    folder = tmp_path_factory.mktemp("i18n")
    german = {}
    for locale in ("de", "en"):
        catalog = repository_catalog(locale)
        for msgid, german_text in GERMAN.items():
            existing = catalog.get(msgid)
            if existing is None or not existing.string:
                catalog.add(msgid, german_text if locale == "de" else msgid)
        target = folder / locale / "LC_MESSAGES"
        target.mkdir(parents=True)
        with (target / f"{translations.DOMAIN}.mo").open("wb") as stream:
            write_mo(stream, catalog)
        if locale == "de":
            german = {message.id: message.string for message in catalog if message.id}
    return folder, german


@pytest.fixture(autouse=True)
def translated_messages(merged_catalogs, monkeypatch):
    folder, _german = merged_catalogs
    monkeypatch.setattr(translations, "catalog_directory", lambda: folder)


@pytest.fixture
def in_german(merged_catalogs):
    def translate(msgid, **values):
        text = merged_catalogs[1][msgid]
        assert text and text != msgid, f"no German translation of {msgid!r}"
        return text.format(**values)
    return translate


def in_english(msgid, **values):
    return msgid.format(**values)


def error_at(errors, path):
    node = errors
    for part in path:
        node = node[part]
    return node


def polygon(*corners):
    ring = [list(corner) for corner in corners] + [list(corners[0])]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def resource_change(**changes):
    def change(dataset):
        dataset["resources"][0].update(changes)
    return change


def dataset_change(**changes):
    def change(dataset):
        dataset.update(changes)
    return change


# (id, change of a valid dataset, path of the error, message id, placeholder values)
RULES = [
    ("title-needs-german", dataset_change(title_translated={"en": "Street trees"}),
     ("title_translated",), "Please enter the text in German.", {}),
    ("title-not-text", dataset_change(title_translated=["Bäume"]),
     ("title_translated",), "Expected a text or an object with the languages {languages}.", {"languages": "de, en"}),
    ("title-nested-object", dataset_change(title_translated={"de": {"text": "Bäume"}}),
     ("title_translated",), "Please enter text, not a list or an object.", {}),
    ("title-unknown-language", dataset_change(title_translated={"de": "Bäume", "fr": "Arbres"}),
     ("title_translated",), 'Unknown language "{language}": use {languages}.', {"language": "fr", "languages": "de, en"}),
    ("english-without-german", dataset_change(legal_basis={"en": "Act"}),
     ("legal_basis",), "Please enter the German text as well: it is shown when no translation exists.", {}),
    ("notes-too-long", dataset_change(notes_translated={"de": "x" * 200_000}),
     ("notes_translated",), "The text is too long: at most {max} characters are allowed.", {"max": 50000}),
    ("keywords-need-german", dataset_change(tags_translated={"en": ["trees"]}),
     ("tags_translated",), "Please enter at least one German keyword.", {}),
    ("thousands-of-keywords", dataset_change(tags_translated={"de": [f"Wort{n}" for n in range(5000)]}),
     ("tags_translated",), "Too many keywords: at most {max} per language are allowed.", {"max": 100}),
    ("keywords-wrong-type", dataset_change(tags_translated={"de": [{"name": "Bäume"}]}),
     ("tags_translated",), "Expected keywords as a list or a comma-separated text per language.", {}),
    ("contact-required", dataset_change(contact=[]),
     ("contact",), "Please enter at least one contact point.", {}),
    ("contact-reachable", dataset_change(contact=[{"name": "Fachdienst Umweltschutz"}]),
     ("contact", 0, "email"), "Please enter an e-mail address or a web address.", {}),
    ("contact-name", dataset_change(contact=[{"email": "umwelt@jena.de"}]),
     ("contact", 0, "name"), "Please enter the name of the contact point.", {}),
    ("contact-email-syntax", dataset_change(contact=[{"name": "Umwelt", "email": "umwelt(at)jena.de"}]),
     ("contact", 0, "email"), "Please enter a valid e-mail address.", {}),
    ("thousands-of-contacts", dataset_change(contact=[{"name": f"K{n}", "email": "k@jena.de"} for n in range(3000)]),
     ("contact",), "Too many entries: at most {max} are allowed.", {"max": 10}),
    ("contact-not-a-list", dataset_change(contact="Fachdienst Umweltschutz"),
     ("contact",), "Expected a list of objects (entries with named fields).", {}),
    ("publisher-name", dataset_change(publisher=[{"uri": "https://www.jena.de/"}]),
     ("publisher", 0, "name"), "Please enter the name.", {}),
    ("landing-page-uri", dataset_change(url="www.jena.de/baeume"),
     ("url",), "Please enter a complete web address beginning with http:// or https://.", {}),
    ("musterdatenkatalog-prefix", dataset_change(musterdatenkatalog_uri="https://example.org/baumkataster"),
     ("musterdatenkatalog_uri",), "The address must begin with {prefix}",
     {"prefix": "https://musterdatenkatalog.de/def/musterdatensatz/"}),
    ("date-syntax", dataset_change(issued="12.03.2025"),
     ("issued",), "Please enter a date as YYYY-MM-DD.", {}),
    ("date-exists", dataset_change(modified="2025-02-30"),
     ("modified",), "Please enter a date as YYYY-MM-DD.", {}),
    ("temporal-order", dataset_change(temporal_coverage=[{"start": "2024-01-01", "end": "2023-12-31"}]),
     ("temporal_coverage", 0, "end"), "The end must not be before the start.", {}),
    ("frequency-vocabulary", dataset_change(frequency="sometimes"),
     ("frequency",), '"{value}" is not in the list of allowed values.', {"value": "sometimes"}),
    ("theme-vocabulary", dataset_change(theme=["http://example.org/theme/TREES"]),
     ("theme",), '"{value}" is not in the list of allowed values.', {"value": "http://example.org/theme/TREES"}),
    ("language-wrong-type", dataset_change(language=[{"code": "DEU"}]),
     ("language",), "Expected a single value, not a list or an object.", {}),
    ("districts-wrong-type", dataset_change(districts={"neulobeda": True}),
     ("districts",), "Expected a list of values.", {}),
    ("licence-known", dataset_change(license_id="proprietary"),
     ("license_id",), 'Unknown licence "{value}": choose a licence of the list.', {"value": "proprietary"}),
    ("geojson-syntax", dataset_change(spatial="{not json"),
     ("spatial",), "The spatial extent is not valid JSON.", {}),
    ("geojson-type", dataset_change(spatial=json.dumps({"type": "FeatureCollection", "features": []})),
     ("spatial",), "The spatial extent must be a GeoJSON geometry of type Point, MultiPoint, LineString, "
     "MultiLineString, Polygon or MultiPolygon.", {}),
    ("geojson-wgs84-range", dataset_change(spatial=json.dumps({"type": "Point", "coordinates": [200, 50.9]})),
     ("spatial",), "Coordinates must be longitude (-180 to 180) and latitude (-90 to 90) in WGS84, in that order.", {}),
    ("geojson-outside-jena", dataset_change(spatial=polygon((13.3, 52.4), (13.5, 52.4), (13.5, 52.6))),
     ("spatial",), "The spatial extent lies outside the Jena region (Thuringia).", {}),
    ("geojson-swapped-coordinates", dataset_change(spatial=json.dumps({"type": "Point", "coordinates": [50.93, 11.59]})),
     ("spatial",), "The spatial extent lies outside the Jena region (Thuringia).", {}),
    ("geojson-unclosed-ring", dataset_change(spatial=json.dumps(
        {"type": "Polygon", "coordinates": [[[11.5, 50.9], [11.6, 50.9], [11.6, 50.95]]]})),
     ("spatial",), "The coordinates of the spatial extent are not valid for a {type}.", {"type": "Polygon"}),
    ("geojson-too-many-points", dataset_change(spatial=json.dumps(
        {"type": "MultiPoint", "coordinates": [[11.5, 50.9]] * 100_001})),
     ("spatial",), "The text is too long: at most {max} characters are allowed.", {"max": 500000}),
    ("geojson-wrong-type", dataset_change(spatial=["11.5", "50.9"]),
     ("spatial",), "The spatial extent must be a GeoJSON geometry as text or object.", {}),
    ("duration-syntax", dataset_change(temporal_resolution="15 minutes"),
     ("temporal_resolution",), "Please enter an ISO 8601 duration such as PT15M, PT1H or P1D.", {}),
    ("measure-of-field", dataset_change(smart_city_field_of_action="hf1", smart_city_measure="m4"),
     ("smart_city_measure",), "The measure does not belong to the chosen field of action.", {}),
    ("resource-name-german", resource_change(name_translated={"en": "Tree list"}),
     ("resources", 0, "name_translated"), "Please enter the text in German.", {}),
    ("resource-format", resource_change(format="SPREADSHEET"),
     ("resources", 0, "format"), 'Unknown format "{value}": choose a format of the EU file-type list.', {"value": "SPREADSHEET"}),
    ("resource-media-type", resource_change(mimetype="csv"),
     ("resources", 0, "mimetype"), "Please enter a media type such as text/csv.", {}),
    ("resource-size-number", resource_change(size="big"),
     ("resources", 0, "size"), "Please enter the size as a whole number of bytes.", {}),
    ("resource-size-range", resource_change(size=10**30),
     ("resources", 0, "size"), "Please enter the size as a whole number of bytes.", {}),
    ("checksum-hex", resource_change(hash="not-a-checksum!"),
     ("resources", 0, "hash"), "The checksum must consist of hexadecimal digits (0-9, a-f).", {}),
    ("checksum-length", resource_change(hash="abc123"),
     ("resources", 0, "hash"), "A {algorithm} checksum has {length} hexadecimal digits.",
     {"algorithm": "SHA-256", "length": 64}),
    ("checksum-needed", resource_change(hash=""),
     ("resources", 0, "hash"), "Please enter the checksum for the chosen algorithm.", {}),
    ("resource-licence-vocabulary", resource_change(license="cc-by-4.0-de"),
     ("resources", 0, "license"), '"{value}" is not in the list of allowed values.', {"value": "cc-by-4.0-de"}),
    ("availability-vocabulary", resource_change(availability="FOREVER"),
     ("resources", 0, "availability"), '"{value}" is not in the list of allowed values.', {"value": "FOREVER"}),
]


@pytest.fixture
def publisher():
    sysadmin = factories.SysadminWithToken()
    organization = factories.Organization(name="umweltschutz")
    return {"headers": {"Authorization": sysadmin["token"]}, "organization": organization}


def post_dataset(app, publisher, dataset, prefix=""):
    return app.post(f"{prefix}/api/3/action/package_create", json=dataset, headers=publisher["headers"])


@pytest.mark.usefixtures("clean_db", "clean_index")
class TestApi:
    def test_the_valid_dataset_of_the_rules_is_accepted(self, app, publisher):
        response = post_dataset(app, publisher, full_dataset(publisher["organization"]["id"]))
        assert response.status_code == 200, response.body

    @pytest.mark.parametrize("rule_id, change, path, msgid, values", RULES, ids=[rule[0] for rule in RULES])
    def test_each_rule_refuses_bad_input_in_german_and_english(
            self, app, publisher, in_german, rule_id, change, path, msgid, values):
        dataset = copy.deepcopy(full_dataset(publisher["organization"]["id"]))
        change(dataset)

        german = post_dataset(app, publisher, dataset)
        english = post_dataset(app, publisher, dataset, prefix="/en")

        assert german.status_code == 409, german.body
        assert english.status_code == 409, english.body
        assert in_german(msgid, **values) in error_at(german.json["error"], path)
        assert in_english(msgid, **values) in error_at(english.json["error"], path)

    @pytest.mark.parametrize("payload", [
        {"title_translated": 12345},
        {"resources": "baumliste.csv"},
        {"resources": [{"url": "https://example.org/a.csv", "name_translated": {"de": "A"}, "size": [1]}]},
        {"tags_translated": "x" * 300_000},
        {"extras": [{"key": "huge", "value": "y" * 200_000}]},
        {"extras": [{"key": f"key{n}", "value": "v"} for n in range(5000)]},
        {"temporal_coverage": [{"start": ["2020"], "end": {"y": 1}}]},
        {"spatial": "[" * 100_000 + "]" * 100_000},
        {"theme": "x" * 200_000},
        {"hvd_category": list(range(5000))},
    ])
    def test_malformed_or_huge_input_is_refused_without_a_server_error(self, app, publisher, payload):
        dataset = full_dataset(publisher["organization"]["id"], **payload)

        response = post_dataset(app, publisher, dataset)

        assert response.status_code in (400, 409), response.body[:500]
        assert response.json["success"] is False


def form_fields(dataset_name="baeume", **changes):
    fields = {
        "_ckan_phase": "dataset_new_1",
        "pkg_name": "",
        "name": dataset_name,
        "title_translated-de": "Bäume",
        "title_translated-en": "Trees",
        "notes_translated-de": "Alle Bäume.",
        "notes_translated-en": "All trees.",
        "tags_translated-de": "Bäume, Stadtgrün",
        "tags_translated-en": "trees",
        "owner_org": "",
        "license_id": "dl-by-de/2.0",
        "contact-0-name": "Fachdienst Umweltschutz",
        "contact-0-email": "umwelt@jena.de",
        "temporal_coverage-0-start": "2020-01-01",
        "temporal_coverage-0-end": "2024-12-31",
        "save": "continue",
    }
    fields.update(changes)
    return fields


@pytest.mark.usefixtures("clean_db", "clean_index")
class TestForm:
    @pytest.mark.parametrize("prefix", ["", "/en"])
    def test_the_form_has_german_and_english_inputs_side_by_side(self, app, publisher, prefix):
        page = app.get(f"{prefix}/dataset/new", headers=publisher["headers"])

        assert page.status_code == 200
        for name in ("title_translated-de", "title_translated-en", "notes_translated-de", "notes_translated-en",
                     "tags_translated-de", "tags_translated-en"):
            assert f'name="{name}"' in page.body
        assert 'name="_csrf_token"' in page.body

    @pytest.mark.parametrize("changes, msgid, values", [
        ({"title_translated-de": ""}, "Please enter the text in German.", {}),
        ({"contact-0-email": "umwelt(at)jena.de"}, "Please enter a valid e-mail address.", {}),
        ({"temporal_coverage-0-end": "2019-12-31"}, "The end must not be before the start.", {}),
        ({"tags_translated-de": ""}, "Please enter at least one German keyword.", {}),
        ({"title_translated-de": "x" * 200_000}, "The text is too long: at most {max} characters are allowed.",
         {"max": 500}),
    ])
    def test_the_form_shows_the_message_in_the_page_language(self, app, publisher, in_german, changes, msgid, values):
        fields = form_fields(owner_org=publisher["organization"]["id"], **changes)

        german = app.post("/dataset/new", data=fields, headers=publisher["headers"])
        english = app.post("/en/dataset/new", data=fields, headers=publisher["headers"])

        assert german.status_code == 200
        assert english.status_code == 200
        assert in_german(msgid, **values) in german.body
        assert in_english(msgid, **values) in english.body

    def test_a_valid_form_creates_the_bilingual_dataset(self, app, publisher):
        from ckan.tests import helpers

        fields = form_fields(owner_org=publisher["organization"]["id"])

        app.post("/dataset/new", data=fields, headers=publisher["headers"], follow_redirects=False)
        created = helpers.call_action("package_show", id="baeume")

        assert created["title_translated"] == {"de": "Bäume", "en": "Trees"}
        assert created["tags_translated"] == {"de": ["Bäume", "Stadtgrün"], "en": ["trees"]}
        assert created["temporal_coverage"] == [{"start": "2020-01-01", "end": "2024-12-31"}]
        assert created["contact"] == [{"name": "Fachdienst Umweltschutz", "email": "umwelt@jena.de"}]

    def test_the_resource_form_takes_bilingual_names(self, app, publisher):
        from ckan.tests import helpers

        sysadmin = helpers.call_action("get_site_user", {"ignore_auth": True})
        helpers.call_action("package_create", {"user": sysadmin["name"]},
                            **full_dataset(publisher["organization"]["id"], resources=[]))
        fields = {"id": "", "url": "https://example.org/baeume.geojson", "name_translated-de": "Bäume als GeoJSON",
                  "name_translated-en": "Trees as GeoJSON", "description_translated-de": "Punkte",
                  "format": "", "save": "go-metadata"}

        app.post("/dataset/stadtbaeume/resource/new", data=fields, headers=publisher["headers"],
                 follow_redirects=False)
        resource = helpers.call_action("package_show", id="stadtbaeume")["resources"][0]

        assert resource["name_translated"] == {"de": "Bäume als GeoJSON", "en": "Trees as GeoJSON"}
        assert resource["name"] == "Bäume als GeoJSON"
        assert resource["format"] == "GEOJSON"

    def test_the_resource_form_shows_errors_in_the_page_language(self, app, publisher, in_german):
        from ckan.tests import helpers

        sysadmin = helpers.call_action("get_site_user", {"ignore_auth": True})
        helpers.call_action("package_create", {"user": sysadmin["name"]},
                            **full_dataset(publisher["organization"]["id"], resources=[]))
        fields = {"id": "", "url": "https://example.org/baeume.csv", "name_translated-en": "Trees",
                  "size": "viele", "save": "go-metadata"}

        german = app.post("/dataset/stadtbaeume/resource/new", data=fields, headers=publisher["headers"])
        english = app.post("/en/dataset/stadtbaeume/resource/new", data=fields, headers=publisher["headers"])

        assert in_german("Please enter the text in German.") in german.body
        assert in_german("Please enter the size as a whole number of bytes.") in german.body
        assert "Please enter the size as a whole number of bytes." in english.body
