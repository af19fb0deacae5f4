"""Template helpers of the Jena portal (available as ``h.jena_*``)."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from babel import Locale

from ckanext.jena.logic import bilingual, vocabularies

__all__ = [
    "jena_footer_links",
    "jena_vocabulary_choices",
    "jena_vocabulary_label",
    "jena_bilingual",
    "jena_bilingual_value",
    "jena_language_name",
    "jena_license_options",
    "jena_default_license",
    "jena_license_info",
    "jena_geometry_summary",
    "jena_harvest_origin",
    "jena_language_links",
]


def jena_footer_links() -> list[dict[str, str]]:
    """The legally required links of the city's websites (imprint, privacy), as configured.

    Links without a configured URL are left out rather than pointing nowhere.
    """
    candidates = [
        ("ckanext.jena.imprint_url", tk._("Imprint")),
        ("ckanext.jena.privacy_url", tk._("Privacy")),
    ]
    return [
        {"url": tk.config.get(option), "label": label}
        for option, label in candidates
        if tk.config.get(option)
    ]


def _ui_language() -> str:
    try:
        return tk.h.lang() or bilingual.GERMAN
    except (RuntimeError, TypeError):
        return bilingual.GERMAN


def jena_vocabulary_choices(field: dict[str, Any]) -> list[dict[str, Any]]:
    """Choices of a schema field's ``vocabulary`` (ckanext-scheming's ``choices_helper``)."""
    return vocabularies.get(field["vocabulary"]).choices()


def jena_vocabulary_label(vocabulary: str, value: Any) -> str:
    """The label of a stored vocabulary value in the page's language."""
    return vocabularies.label(vocabulary, value, _ui_language())


def jena_bilingual(value: Any) -> dict[str, Any]:
    """The text to show of a bilingual value: the page's language, else German.

    Returns ``{"text", "language", "fallback"}``; ``fallback`` is true when the page's language
    is missing and German is shown instead, so templates can say so.
    """
    language = _ui_language()
    text, shown = bilingual.pick(value, language)
    return {"text": text, "language": shown, "fallback": bool(text) and shown != language}


def jena_bilingual_value(data: dict[str, Any], field_name: str, language: str) -> Any:
    """A form's value of one language: from a re-displayed form input or the stored object."""
    submitted = data.get(f"{field_name}-{language}")
    if submitted is not None:
        return submitted
    value = bilingual.parse_leniently(data.get(field_name))
    return value.get(language, "")


def jena_language_name(language: str) -> str:
    names = {"de": tk._("German"), "en": tk._("English")}
    return names.get(language, language)


def jena_license_options() -> list[dict[str, str]]:
    """The licences of CKAN's register with titles in the page's language, recommended ones first."""
    language = _ui_language()
    options = []
    for license_dict in tk.get_action("license_list")({"ignore_auth": True}, {}):
        title = license_dict.get("title_en") if language == "en" and license_dict.get("title_en") else license_dict["title"]
        options.append({"value": license_dict["id"], "text": title})
    return options


def jena_default_license() -> str:
    return tk.config.get("ckanext.jena.default_license")


def jena_license_info(license_id: str | None) -> dict[str, str]:
    """Title (in the page's language) and address of a licence of CKAN's register."""
    if not license_id:
        return {}
    for license_dict in tk.get_action("license_list")({"ignore_auth": True}, {}):
        if license_dict["id"] == license_id:
            use_english = _ui_language() == "en" and license_dict.get("title_en")
            return {
                "title": license_dict["title_en"] if use_english else license_dict["title"],
                "url": license_dict.get("homepage") or license_dict.get("url") or "",
            }
    return {"title": license_id, "url": ""}


def jena_geometry_summary(value: Any) -> dict[str, Any]:
    """Type and bounding box of a stored GeoJSON geometry, for the dataset page."""
    from ckanext.jena.logic import geometry

    try:
        parsed = geometry.parse_geometry(value)
        extent = geometry.check_geometry(parsed, geometry.Bounds(-180, -90, 180, 90))
    except geometry.GeometryError:
        return {}
    return {
        "type": parsed["type"],
        "bbox": [round(number, 4) for number in (extent.min_lon, extent.min_lat, extent.max_lon, extent.max_lat)],
    }


def jena_harvest_origin(package_id: str | None) -> dict[str, Any] | None:
    """The harvest source and original record of a harvested dataset (None for others)."""
    from ckanext.jena.harvesters.origin import dataset_origin

    return dataset_origin(package_id)


def _this_page_in(language: str) -> str:
    hints = {"de": tk._("This page in German"), "en": tk._("This page in English")}
    return hints.get(language, language)


def jena_language_links() -> list[dict[str, Any]]:
    """The current page in every offered language, for the header's switch and the hreflang links.

    CKAN serves the default language at ``/`` and the others under ``/<code>/``; building each
    link from the current path and query keeps the visitor on the same page when switching.
    Empty outside a request (nothing to switch).
    """
    try:
        current_path = tk.h.current_url()
    except (RuntimeError, KeyError, TypeError):
        return []
    default_language = tk.config.get("ckan.locale_default")
    current_language = _ui_language()
    links = []
    for language in tk.config.get("ckan.locales_offered") or [default_language]:
        locale = "default" if language == default_language else language
        links.append({
            "language": tk.h.unix_locale_to_bcp47(language),
            "name": Locale.parse(language).get_display_name(language).capitalize(),
            "hint": _this_page_in(language),
            "url": tk.h.url_for(current_path, locale=locale),
            "absolute_url": tk.h.url_for(current_path, locale=locale, qualified=True),
            "current": language == current_language,
            "default": language == default_language,
        })
    return links
