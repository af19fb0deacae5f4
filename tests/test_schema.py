"""The dataset schema file: complete German/English texts, known presets, vocabularies and docs."""
from pathlib import Path

import pytest
import yaml

from ckanext.jena.logic import schema_doc
from ckanext.jena.logic import vocabularies

PACKAGE_DIR = Path(vocabularies.PACKAGE_DIR)
SCHEMA_FILE = PACKAGE_DIR / "schemas" / "dataset.yaml"
PRESETS_FILE = PACKAGE_DIR / "schemas" / "presets.yaml"
REPO_ROOT = Path(__file__).resolve().parent.parent
TRANSLATABLE_KEYS = ("label", "help_text", "form_placeholder", "repeating_label", "upload_label")


def load(path):
    with path.open(encoding="utf-8") as stream:
        return yaml.safe_load(stream)


def all_fields(schema):
    for group in ("dataset_fields", "resource_fields"):
        for field in schema[group]:
            yield f"{group}.{field['field_name']}", field
            for subfield in field.get("repeating_subfields", []):
                yield f"{group}.{field['field_name']}.{subfield['field_name']}", subfield


def test_every_text_of_the_schema_is_given_in_german_and_english():
    problems = []
    for name, field in all_fields(load(SCHEMA_FILE)):
        if "label" not in field:
            problems.append(f"{name}: no label")
        for key in TRANSLATABLE_KEYS:
            if key not in field:
                continue
            text = field[key]
            if not isinstance(text, dict) or set(text) != {"de", "en"}:
                problems.append(f"{name}.{key}: {text!r} is not {{de, en}}")
            elif not all(isinstance(value, str) and value.strip() for value in text.values()):
                problems.append(f"{name}.{key}: empty text")
    assert not problems, "\n".join(problems)


def test_every_dataset_field_has_a_help_text():
    missing = [name for name, field in all_fields(load(SCHEMA_FILE))
               if name.count(".") == 1 and "help_text" not in field]
    assert not missing


def test_every_choice_of_every_vocabulary_has_german_and_english_labels():
    problems = []
    for name in vocabularies.names():
        vocabulary = vocabularies.get(name)
        assert vocabulary.terms, f"{name} is empty"
        for choice in vocabulary.choices():
            label = choice["label"]
            if set(label) != {"de", "en"} or not all(isinstance(text, str) and text.strip() for text in label.values()):
                problems.append(f"{name}: {choice['value']}: {label!r}")
    assert not problems, "\n".join(problems)


def test_fields_name_known_presets_and_vocabularies():
    presets = {preset["preset_name"] for preset in load(PRESETS_FILE)["presets"]}
    presets |= {"dataset_slug", "dataset_organization", "resource_url_upload"}
    for name, field in all_fields(load(SCHEMA_FILE)):
        if "preset" in field:
            assert field["preset"] in presets, name
        if "vocabulary" in field:
            assert vocabularies.get(field["vocabulary"]).terms, name


def test_bilingual_fields_carry_validators_ckanext_dcat_reads_as_multilingual():
    """ckanext-dcat emits language-tagged literals for fields with a validator named fluent*."""
    presets = {preset["preset_name"]: preset["values"] for preset in load(PRESETS_FILE)["presets"]}
    schema = load(SCHEMA_FILE)
    for group, names in (("dataset_fields", {"title_translated", "notes_translated", "tags_translated"}),
                         ("resource_fields", {"name_translated", "description_translated"})):
        fields = {field["field_name"]: field for field in schema[group]}
        for name in names:
            validators = presets[fields[name]["preset"]]["validators"].split()
            assert any(validator.startswith("fluent") for validator in validators), name


def test_defaults_are_terms_of_their_vocabularies():
    for name, field in all_fields(load(SCHEMA_FILE)):
        if "vocabulary" in field and "default" in field:
            defaults = field["default"] if isinstance(field["default"], list) else [field["default"]]
            vocabulary = vocabularies.get(field["vocabulary"])
            assert all(default in vocabulary for default in defaults), name


def test_the_demo_districts_and_fields_of_action_are_the_vocabularies():
    from ckanext.jena.demo.loader import read_content

    content = read_content()
    districts = vocabularies.get("districts")
    assert [term.code for term in districts.terms] == [district["name"] for district in content["districts"]]
    assert [term.extra["bbox"] for term in districts.terms] == [district["bbox"] for district in content["districts"]]
    measures = vocabularies.get("smart-city-measures")
    assert {measure["code"] for item in content["fields_of_action"] for measure in item["measures"]} == {
        term.code for term in measures.terms}


def test_the_licence_list_has_the_recommended_licences_with_both_titles():
    licences = {entry["id"]: entry for entry in vocabularies.read_license_list()}
    for licence_id in ("dl-by-de/2.0", "dl-zero-de/2.0", "cc-by/4.0"):
        assert licences[licence_id]["title"] and licences[licence_id]["title_en"]
        assert licences[licence_id]["url"] == f"http://dcat-ap.de/def/licenses/{licence_id}"
        assert licences[licence_id]["od_conformance"] == "approved"


def test_the_documentation_of_the_schema_is_up_to_date():
    expected = schema_doc.render_markdown(load(SCHEMA_FILE))
    actual = schema_doc.readme_table((REPO_ROOT / "README.md").read_text(encoding="utf-8"))
    assert actual == expected, "run `python -m ckanext.jena.logic.schema_doc --readme README.md`"


@pytest.mark.parametrize("path", [SCHEMA_FILE, PRESETS_FILE])
def test_the_schema_files_ship_with_the_package(path):
    import configparser

    parser = configparser.ConfigParser()
    parser.read(REPO_ROOT / "setup.cfg")
    package_data = parser["options.package_data"]["ckanext.jena"]
    assert "schemas/*.yaml" in package_data
    assert "vocabularies/*" in package_data
    assert "licenses.json" in package_data
    assert path.is_file()
