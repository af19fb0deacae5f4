"""The dataset schema as a Markdown table, for publishers and for docs/schema.md.

Run ``ckan jena schema-table`` or ``python -m ckanext.jena.logic.schema_doc``; a test fails when
docs/schema.md differs from the output, so the documentation follows every schema change.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Iterator

import yaml

from ckanext.jena.logic import vocabularies

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schemas" / "dataset.yaml"


def load_schema(path: Path = SCHEMA_FILE) -> dict[str, Any]:
    with path.open(encoding="utf-8") as stream:
        return yaml.safe_load(stream)


def _rows(fields: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for field in fields:
        if field.get("form_snippet", "") is None and field.get("display_snippet", "") is None:
            continue
        yield field["field_name"], field
        for subfield in field.get("repeating_subfields", []):
            yield f"{field['field_name']}.{subfield['field_name']}", subfield


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def _vocabulary(field: dict[str, Any]) -> str:
    name = field.get("vocabulary")
    if field.get("preset") == "jena_license":
        name = "licenses"
    if not name:
        return ""
    scheme = vocabularies.get(name).settings.get("scheme")
    file_name = "licenses.json" if name == "licenses" else f"vocabularies/{name}.yaml"
    if name.startswith("smart-city"):
        file_name = "vocabularies/smart-city.yaml"
    described = f"`{name}` ({file_name})"
    return f"{described}, {scheme}" if scheme else described


def _required(field: dict[str, Any]) -> str:
    return "yes" if field.get("required") else ""


def _table(fields: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| field | German label | English label | required | vocabulary |",
        "|---|---|---|---|---|",
    ]
    for name, field in _rows(fields):
        label = field.get("label") or {}
        lines.append("| `{}` | {} | {} | {} | {} |".format(
            name, _cell(label.get("de", "")), _cell(label.get("en", "")), _required(field), _cell(_vocabulary(field)),
        ))
    return lines


def render_markdown(schema: dict[str, Any]) -> str:
    lines = [
        "# Dataset schema of the Jena open data portal",
        "",
        "Generated from `ckanext/jena/schemas/dataset.yaml` by `ckan jena schema-table`; do not edit",
        "by hand. Bilingual fields (`*_translated` and the other texts with German and English inputs)",
        "hold `{\"de\": …, \"en\": …}`; German is the language that is required. Vocabulary fields",
        "store the term's URI, except `format`, `districts`, `personal_data` and the Smart City fields,",
        "which store its code.",
        "",
        "Values the portal derives when a dataset is saved:",
        "",
        "- `title`, `notes`, the tags and the resources' `name` and `description` (CKAN's own fields)",
        "  hold the German texts; datasets written with only those fields get them as German values.",
        "- `theme` gets the EU themes of the dataset's categories (the groups' extra `eu_themes`,",
        "  e.g. the groups of `ckan jena create-themes`) added to the ones chosen.",
        "- `applicable_legislation` contains Implementing Regulation (EU) 2023/138",
        "  (http://data.europa.eu/eli/reg_impl/2023/138/oj) exactly when an `hvd_category` is set.",
        "- `spatial` without a value becomes the box around the chosen `districts`, or the city's box",
        "  when the political geocoding is a key of Jena.",
        "- `license_id` without a value becomes `ckanext.jena.default_license`; `language`,",
        "  `political_geocoding_uri` and `political_geocoding_level_uri` get their defaults (German,",
        "  Jena, municipality).",
        "- `smart_city_field_of_action` follows from a `smart_city_measure`.",
        "",
        "## Dataset",
        "",
        *_table(schema["dataset_fields"]),
        "",
        "## Resource",
        "",
        *_table(schema["resource_fields"]),
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    sys.stdout.write(render_markdown(load_schema()))


if __name__ == "__main__":
    main()
