"""Validators of the Jena dataset schema (registered by name through ``tk.blanket.validators``).

The same validators run for the web form and the API, so both give the same messages. The
bilingual ones carry names starting with ``fluent`` (ckanext-dcat treats such fields as
multilingual) and ``jena`` (so they never clash with ckanext-fluent's). Validators that need
their field's schema entry are "scheming validators": called with ``(field, schema)`` they
return the actual validator.

Every check rejects malformed or oversized input with a message instead of letting it reach the
database or Solr, where it would end in a server error.
"""
from __future__ import annotations

import datetime
import json
import re
from typing import Any, Callable
from urllib.parse import urlparse

import ckan.plugins.toolkit as tk

from ckanext.jena.logic import bilingual, geometry, vocabularies

__all__ = [
    "fluent_jena_text",
    "fluent_jena_copy_to_core",
    "fluent_jena_tags",
    "fluent_jena_translated_output",
    "jena_text",
    "jena_max_length",
    "jena_uri",
    "jena_uri_list",
    "jena_email",
    "jena_date",
    "jena_duration",
    "jena_choice",
    "jena_choices",
    "jena_json_list_output",
    "jena_license",
    "jena_format",
    "jena_media_type",
    "jena_byte_size",
    "jena_checksum",
    "jena_geojson",
    "jena_bilingual_from_core_fields",
    "jena_dataset_consistency",
]

missing = tk.missing
DEFAULT_TEXT_LENGTH = 1000
MAX_URI_LENGTH = 2000
MAX_TAGS_PER_LANGUAGE = 100
MAX_BYTE_SIZE = 2**63 - 1  # PostgreSQL's bigint, the column of resource sizes
REPEATING_FIELDS_DEFAULT_MAX = 20

_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\"]+$")
_MEDIA_TYPE = re.compile(r"^[A-Za-z0-9][\w.+-]*/[A-Za-z0-9][\w.+-]*(\s*;\s*[\w.+-]+=[^;]+)*$")
_IANA_MEDIA_TYPE_URI = re.compile(r"^https?://www\.iana\.org/assignments/media-types/[\w.+-]+/[\w.+-]+$")
_DURATION = re.compile(
    r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$"
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?$")
_HEX = re.compile(r"^[0-9a-f]+$")
_REPEATING_GROUPS = ("contact", "publisher", "originator", "maintainer_agent", "temporal_coverage")


def scheming_validator(function: Callable) -> Callable:
    """Mark a validator factory that ckanext-scheming calls with ``(field, schema)``."""
    function.is_a_scheming_validator = True
    return function


def _(msgid: str, **values: Any) -> str:
    """A translated message with its placeholders filled (named ``_`` so pybabel extracts it)."""
    return tk._(msgid).format(**values) if values else tk._(msgid)


def _is_empty(value: Any) -> bool:
    return value is missing or value is None or value == "" or value == [] or value == {}


def _drop(key, data) -> None:
    """Remove an empty value so it is neither stored nor validated further."""
    data.pop(key, None)
    raise tk.StopOnError


def _languages(schema: dict[str, Any] | None) -> list[str]:
    return list((schema or {}).get("form_languages") or bilingual.LANGUAGES)


def _form_inputs(key, data, field_name: str, languages: list[str], pop: bool = True) -> dict[str, Any]:
    """Values of the form's inputs ``<field>-<language>`` (kept by CKAN under ``__extras``)."""
    extras = data.get(key[:-1] + ("__extras",))
    if not isinstance(extras, dict):
        return {}
    found = {}
    for language in languages:
        input_name = f"{field_name}-{language}"
        if input_name in extras:
            found[language] = extras.pop(input_name) if pop else extras[input_name]
    return found


# --- bilingual texts ------------------------------------------------------------------------


def _clean_bilingual_text(value: Any, languages: list[str], max_length: int) -> tuple[dict[str, str], str | None]:
    """The non-empty texts per language, or an error message."""
    try:
        values = bilingual.parse(value)
    except bilingual.BilingualFormatError:
        return {}, _("Expected a text or an object with the languages {languages}.",
                     languages=", ".join(languages))
    cleaned: dict[str, str] = {}
    for language, text in values.items():
        if language not in languages:
            return {}, _('Unknown language "{language}": use {languages}.',
                         language=str(language)[:20], languages=", ".join(languages))
        if text is None:
            continue
        if isinstance(text, (int, float)) and not isinstance(text, bool):
            text = str(text)
        if not isinstance(text, str):
            return {}, _("Please enter text, not a list or an object.")
        if len(text) > max_length:
            return {}, _("The text is too long: at most {max} characters are allowed.", max=max_length)
        text = text.strip()
        if text:
            cleaned[language] = text
    return cleaned, None


@scheming_validator
def fluent_jena_text(field: dict[str, Any], schema: dict[str, Any]):
    """A text in German and English, stored as a JSON object; German is the required language."""
    languages = _languages(schema)
    max_length = int(field.get("max_length", DEFAULT_TEXT_LENGTH))
    required = bool(field.get("required"))

    def validator(key, data, errors, context):
        form_values = _form_inputs(key, data, key[-1], languages)
        value = form_values if form_values else data.get(key, missing)
        if value is missing:
            value = None
        cleaned, error = _clean_bilingual_text(value, languages, max_length)
        if error:
            errors[key].append(error)
            raise tk.StopOnError
        if not cleaned.get(bilingual.GERMAN):
            if required:
                errors[key].append(_("Please enter the text in German."))
                raise tk.StopOnError
            if cleaned:
                errors[key].append(_(
                    "Please enter the German text as well: it is shown when no translation exists."
                ))
                raise tk.StopOnError
            _drop(key, data)
        data[key] = bilingual.dump(cleaned)

    return validator


def fluent_jena_copy_to_core(key, data, errors, context):
    """Write the German text to CKAN's own field (``title_translated`` → ``title``)."""
    if errors.get(key) or key not in data:
        return
    core_key = key[:-1] + (key[-1][: -len("_translated")],)
    data[core_key] = bilingual.parse_leniently(data[key]).get(bilingual.GERMAN, "")


def fluent_jena_translated_output(value: Any) -> Any:
    """Stored JSON → ``{"de": …, "en": …}`` for the API and templates."""
    return bilingual.parse_leniently(value)


def _split_tags(value: Any) -> list[Any]:
    if isinstance(value, str):
        return [part for part in value.split(",")]
    if isinstance(value, list):
        return value
    raise bilingual.BilingualFormatError(type(value).__name__)


@scheming_validator
def fluent_jena_tags(field: dict[str, Any], schema: dict[str, Any]):
    """Keywords per language; the German ones also become CKAN's tags (facets, core templates)."""
    languages = _languages(schema)
    required = bool(field.get("required"))
    max_items = int(field.get("max_items", MAX_TAGS_PER_LANGUAGE))
    tag_length = tk.get_validator("tag_length_validator")
    tag_name = tk.get_validator("tag_name_validator")

    def validator(key, data, errors, context):
        form_values = _form_inputs(key, data, key[-1], languages)
        value = form_values if form_values else data.get(key, missing)
        if value is missing or value is None or value == "":
            value = {}
        if isinstance(value, str) and not value.strip().startswith("{"):
            value = {bilingual.GERMAN: value}
        try:
            per_language = bilingual.parse(value)
            cleaned: dict[str, list[str]] = {}
            for language, tags in per_language.items():
                if language not in languages:
                    errors[key].append(_('Unknown language "{language}": use {languages}.',
                                         language=str(language)[:20], languages=", ".join(languages)))
                    raise tk.StopOnError
                items = _split_tags(tags or [])
                if len(items) > max_items:
                    errors[key].append(_("Too many keywords: at most {max} per language are allowed.",
                                         max=max_items))
                    raise tk.StopOnError
                names: list[str] = []
                for item in items:
                    if not isinstance(item, str):
                        raise bilingual.BilingualFormatError(type(item).__name__)
                    name = item.strip()
                    if not name:
                        continue
                    tag_length(name, context)
                    tag_name(name, context)
                    if name not in names:
                        names.append(name)
                if names:
                    cleaned[language] = names
        except bilingual.BilingualFormatError:
            errors[key].append(_("Expected keywords as a list or a comma-separated text per language."))
            raise tk.StopOnError
        except tk.Invalid as error:
            errors[key].append(error.error)
            raise tk.StopOnError
        if not cleaned.get(bilingual.GERMAN):
            if required:
                errors[key].append(_("Please enter at least one German keyword."))
                raise tk.StopOnError
            if cleaned:
                errors[key].append(_(
                    "Please enter the German text as well: it is shown when no translation exists."
                ))
                raise tk.StopOnError
        _replace_core_tags(data, cleaned.get(bilingual.GERMAN, []))
        if not cleaned:
            _drop(key, data)
        data[key] = bilingual.dump(cleaned)

    return validator


def _replace_core_tags(data, names: list[str]) -> None:
    """Set CKAN's free tags to ``names``; vocabulary tags of other extensions stay."""
    tag_keys = [key for key in data if key and key[0] == "tags" and len(key) == 3]
    entries: dict[Any, dict[str, Any]] = {}
    for key in tag_keys:
        entries.setdefault(key[1], {})[key[2]] = data.pop(key)
    kept = [entry for _index, entry in sorted(entries.items(), key=lambda item: str(item[0]))
            if entry.get("vocabulary_id") not in (None, "", missing)]
    for index, entry in enumerate(kept + [{"name": name} for name in names]):
        for attribute, value in entry.items():
            data[("tags", index, attribute)] = value


# --- plain values ---------------------------------------------------------------------------


def _single_text(value: Any, max_length: int) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise tk.Invalid(_("Please enter text, not a list or an object."))
    if len(value) > max_length:
        raise tk.Invalid(_("The text is too long: at most {max} characters are allowed.", max=max_length))
    return value.strip()


def _simple(check: Callable[[Any, dict[str, Any]], Any]):
    """A scheming validator from a check of one non-empty value (empty values are dropped)."""
    @scheming_validator
    def factory(field: dict[str, Any], schema: dict[str, Any]):
        def validator(key, data, errors, context):
            value = data.get(key, missing)
            if _is_empty(value) or (isinstance(value, str) and not value.strip()):
                _drop(key, data)
            try:
                data[key] = check(value, field)
            except tk.Invalid as error:
                errors[key].append(error.error)
                raise tk.StopOnError
        return validator
    factory.__name__ = check.__name__
    factory.__doc__ = check.__doc__
    return factory


def _text(value: Any, field: dict[str, Any]) -> str:
    """A one-line text of at most ``max_length`` characters."""
    return _single_text(value, int(field.get("max_length", DEFAULT_TEXT_LENGTH)))


def _uri(value: Any, field: dict[str, Any]) -> str:
    """An absolute http(s) address, optionally with a required prefix (``uri_prefix``)."""
    text = _single_text(value, MAX_URI_LENGTH)
    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or re.search(r"\s", text):
        raise tk.Invalid(_("Please enter a complete web address beginning with http:// or https://."))
    prefix = field.get("uri_prefix")
    if prefix and not text.startswith(prefix):
        raise tk.Invalid(_("The address must begin with {prefix}", prefix=prefix))
    return text


def _email(value: Any, field: dict[str, Any]) -> str:
    """An e-mail address (a leading ``mailto:`` is removed)."""
    text = _single_text(value, 254)
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:"):]
    if not _EMAIL.match(text):
        raise tk.Invalid(_("Please enter a valid e-mail address."))
    return text


def _date(value: Any, field: dict[str, Any]) -> str:
    """A date (YYYY-MM-DD) or date and time in ISO 8601."""
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = _single_text(value, 40)
    try:
        if _DATE.match(text):
            return datetime.date.fromisoformat(text).isoformat()
        if _DATETIME.match(text):
            return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat()
    except ValueError:
        pass
    raise tk.Invalid(_("Please enter a date as YYYY-MM-DD."))


def _duration(value: Any, field: dict[str, Any]) -> str:
    """An ISO 8601 duration such as PT15M."""
    text = _single_text(value, 50).upper()
    if not _DURATION.match(text):
        raise tk.Invalid(_("Please enter an ISO 8601 duration such as PT15M, PT1H or P1D."))
    return text


def _media_type(value: Any, field: dict[str, Any]) -> str:
    """An IANA media type (``type/subtype``) or its IANA URI."""
    text = _single_text(value, 200)
    if not (_MEDIA_TYPE.match(text) or _IANA_MEDIA_TYPE_URI.match(text)):
        raise tk.Invalid(_("Please enter a media type such as text/csv."))
    return text


def _byte_size(value: Any, field: dict[str, Any]) -> int:
    """A whole, non-negative number of bytes that fits the database column."""
    if isinstance(value, bool):
        raise tk.Invalid(_("Please enter the size as a whole number of bytes."))
    if isinstance(value, str) and re.fullmatch(r"\s*\d{1,19}\s*", value):
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or not 0 <= value <= MAX_BYTE_SIZE:
        raise tk.Invalid(_("Please enter the size as a whole number of bytes."))
    return value


def _checksum(value: Any, field: dict[str, Any]) -> str:
    """A checksum in hexadecimal digits (its length is checked against the algorithm later)."""
    text = _single_text(value, 256).lower()
    if not _HEX.match(text):
        raise tk.Invalid(_("The checksum must consist of hexadecimal digits (0-9, a-f)."))
    return text


jena_text = _simple(_text)
jena_uri = _simple(_uri)
jena_email = _simple(_email)
jena_date = _simple(_date)
jena_duration = _simple(_duration)
jena_media_type = _simple(_media_type)
jena_byte_size = _simple(_byte_size)
jena_checksum = _simple(_checksum)


def jena_max_length(maximum: int):
    """A length limit for CKAN's own text fields (e.g. the resource URL)."""
    def validator(value: Any) -> Any:
        if isinstance(value, str) and len(value) > int(maximum):
            raise tk.Invalid(_("The text is too long: at most {max} characters are allowed.",
                               max=int(maximum)))
        return value
    return validator


def _as_list(value: Any) -> list[Any]:
    """A list from a list, a JSON list or a single value (a form's single selection)."""
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        decoded = bilingual.decoded_json(value, list)
        return decoded if decoded is not None else [value]
    raise tk.Invalid(_("Expected a list of values."))


@scheming_validator
def jena_uri_list(field: dict[str, Any], schema: dict[str, Any]):
    """Web addresses, stored as a JSON list."""
    max_items = int(field.get("max_items", REPEATING_FIELDS_DEFAULT_MAX))

    def validator(key, data, errors, context):
        value = data.get(key, missing)
        if _is_empty(value):
            _drop(key, data)
        try:
            items = _as_list(value)
            if len(items) > max_items:
                raise tk.Invalid(_("Too many entries: at most {max} are allowed.", max=max_items))
            uris = []
            for item in items:
                if isinstance(item, str) and not item.strip():
                    continue
                uri = _uri(item, field)
                if uri not in uris:
                    uris.append(uri)
        except tk.Invalid as error:
            errors[key].append(error.error)
            raise tk.StopOnError
        if not uris:
            _drop(key, data)
        data[key] = json.dumps(uris)

    return validator


def jena_json_list_output(value: Any) -> list[Any]:
    """Stored JSON list → list."""
    if isinstance(value, list):
        return value
    try:
        return _as_list(value)
    except tk.Invalid:
        return []


# --- vocabularies ---------------------------------------------------------------------------


def _vocabulary_of(field: dict[str, Any]) -> vocabularies.Vocabulary:
    return vocabularies.get(field["vocabulary"])


def _vocabulary_value(vocabulary: vocabularies.Vocabulary, value: Any, field: dict[str, Any]) -> str:
    if not isinstance(value, str):
        raise tk.Invalid(_("Expected a single value, not a list or an object."))
    term = vocabulary.find(value)
    if term:
        return term.value
    pattern = field.get("accept_pattern")
    if pattern and len(value) <= MAX_URI_LENGTH and re.fullmatch(pattern, value.strip()):
        return value.strip()
    raise tk.Invalid(_('"{value}" is not in the list of allowed values.', value=value[:100]))


@scheming_validator
def jena_choice(field: dict[str, Any], schema: dict[str, Any]):
    """One term of the field's vocabulary, stored as its URI or code; the field's default if empty."""
    vocabulary = _vocabulary_of(field)
    default = field.get("default")

    def validator(key, data, errors, context):
        value = data.get(key, missing)
        if _is_empty(value) or (isinstance(value, str) and not value.strip()):
            if default:
                data[key] = default
                return
            _drop(key, data)
        try:
            data[key] = _vocabulary_value(vocabulary, value, field)
        except tk.Invalid as error:
            errors[key].append(error.error)
            raise tk.StopOnError

    return validator


@scheming_validator
def jena_choices(field: dict[str, Any], schema: dict[str, Any]):
    """Terms of the field's vocabulary, stored as a JSON list; the field's default if empty."""
    vocabulary = _vocabulary_of(field)
    default = field.get("default")
    max_items = int(field.get("max_items", len(vocabulary.terms)))

    def validator(key, data, errors, context):
        value = data.get(key, missing)
        try:
            items = [] if _is_empty(value) else _as_list(value)
            if len(items) > max_items:
                raise tk.Invalid(_("Too many entries: at most {max} are allowed.", max=max_items))
            chosen: list[str] = []
            for item in items:
                if isinstance(item, str) and not item.strip():
                    continue
                term_value = _vocabulary_value(vocabulary, item, field)
                if term_value not in chosen:
                    chosen.append(term_value)
        except tk.Invalid as error:
            errors[key].append(error.error)
            raise tk.StopOnError
        if not chosen and default:
            chosen = list(default)
        if not chosen:
            _drop(key, data)
        data[key] = json.dumps(chosen)

    return validator


def default_license_id() -> str:
    return tk.config.get("ckanext.jena.default_license")


def known_license_ids() -> dict[str, str]:
    """CKAN's licence register: id → id, also reachable by the licence's URL."""
    known: dict[str, str] = {}
    for license_dict in tk.get_action("license_list")({"ignore_auth": True}, {}):
        known[license_dict["id"]] = license_dict["id"]
        if license_dict.get("url"):
            known.setdefault(license_dict["url"], license_dict["id"])
    return known


@scheming_validator
def jena_license(field: dict[str, Any], schema: dict[str, Any]):
    """A licence of CKAN's register (the dcat-ap.de list); the configured default when empty.

    dcat-ap.de licence URIs are accepted too and stored as the licence's id.
    """
    def validator(key, data, errors, context):
        value = data.get(key, missing)
        if _is_empty(value) or (isinstance(value, str) and not value.strip()):
            value = default_license_id()
        if not isinstance(value, str) or len(value) > MAX_URI_LENGTH:
            errors[key].append(_("Expected a single value, not a list or an object."))
            raise tk.StopOnError
        known = known_license_ids()
        candidate = value.strip()
        if candidate.startswith(vocabularies.LICENSE_PREFIX) and candidate[len(vocabularies.LICENSE_PREFIX):] in known:
            candidate = candidate[len(vocabularies.LICENSE_PREFIX):]
        if candidate not in known:
            errors[key].append(_('Unknown licence "{value}": choose a licence of the list.',
                                 value=candidate[:100]))
            raise tk.StopOnError
        data[key] = known[candidate]

    return validator


def _guess_format(key, data) -> str | None:
    """An EU file-type code from the resource's media type or the extension of its URL."""
    file_types = vocabularies.get("file-types")
    mimetype = data.get(key[:-1] + ("mimetype",))
    url = data.get(key[:-1] + ("url",))
    candidates = []
    if isinstance(mimetype, str) and mimetype:
        candidates.append(mimetype.split(";")[0].strip())
    if isinstance(url, str) and url:
        path = urlparse(url).path or url
        name = path.rsplit("/", 1)[-1]
        if "." in name:
            candidates.append(name.rsplit(".", 1)[-1])
            if name.lower().endswith(".tar.gz"):
                candidates.insert(0, "TAR_GZ")
    for candidate in candidates:
        term = file_types.find(candidate)
        if term:
            return term.value
    return None


@scheming_validator
def jena_format(field: dict[str, Any], schema: dict[str, Any]):
    """An EU file-type code; common spellings (``GeoJSON``, ``WMS``, ``text/csv``) are mapped onto it.

    An empty format is guessed from the media type or the URL's extension, and stays empty
    when nothing matches (a guess must never block an upload).
    """
    vocabulary = _vocabulary_of(field)

    def validator(key, data, errors, context):
        value = data.get(key, missing)
        if _is_empty(value) or (isinstance(value, str) and not value.strip()):
            guessed = _guess_format(key, data)
            if guessed:
                data[key] = guessed
                return
            data[key] = ""
            raise tk.StopOnError
        if not isinstance(value, str) or len(value) > 200:
            errors[key].append(_("Expected a single value, not a list or an object."))
            raise tk.StopOnError
        term = vocabulary.find(value) or vocabulary.find(value.rsplit("/", 1)[-1])
        if not term:
            errors[key].append(_('Unknown format "{value}": choose a format of the EU file-type list.',
                                 value=value[:100]))
            raise tk.StopOnError
        data[key] = term.value

    return validator


@scheming_validator
def jena_geojson(field: dict[str, Any], schema: dict[str, Any]):
    """A GeoJSON geometry in WGS84 within the plausible extent (``ckanext.jena.spatial_bounds``)."""
    max_length = int(field.get("max_length", 500_000))

    def validator(key, data, errors, context):
        value = data.get(key, missing)
        if _is_empty(value) or (isinstance(value, str) and not value.strip()):
            _drop(key, data)
        if isinstance(value, str) and len(value) > max_length:
            errors[key].append(_("The text is too long: at most {max} characters are allowed.",
                                 max=max_length))
            raise tk.StopOnError
        try:
            parsed = geometry.parse_geometry(value)
            geometry.check_geometry(parsed, geometry.plausible_bounds())
        except geometry.GeometryError as error:
            errors[key].append(str(error))
            raise tk.StopOnError
        data[key] = json.dumps(parsed, separators=(",", ":"))

    return validator


# --- whole-dataset rules --------------------------------------------------------------------


def _group_indexes(data, field_name: str) -> list[Any]:
    return sorted({key[1] for key in data if len(key) == 3 and key[0] == field_name},
                  key=lambda index: (not isinstance(index, int), str(index).zfill(10)))


def _stored_package(context):
    return context.get("package")


def _stored_extra(package, name: str) -> Any:
    try:
        return package.extras.get(name)
    except AttributeError:
        return None


def _core_text_was_edited(core_value: str, translated: dict[str, Any], stored_core: Any, stored_translated: Any) -> bool:
    """True when only CKAN's own field changed, e.g. through ``package_patch(title=…)``."""
    stored_german = bilingual.parse_leniently(stored_translated).get(bilingual.GERMAN) or stored_core
    return core_value != stored_core and translated.get(bilingual.GERMAN) == stored_german


def _fill_text_from_core(data, prefix: tuple, name: str, languages: list[str], stored_core, stored_translated) -> None:
    """Derive ``<name>_translated`` from ``<name>`` for clients and datasets that only know the core field."""
    translated_key = prefix + (f"{name}_translated",)
    if translated_key not in data:
        return
    if _form_inputs(translated_key, data, translated_key[-1], languages, pop=False):
        return
    core_value = data.get(prefix + (name,))
    if not isinstance(core_value, str) or not core_value.strip():
        return
    translated = data.get(translated_key)
    if _is_empty(translated):
        data[translated_key] = {bilingual.GERMAN: core_value}
        return
    try:
        parsed = dict(bilingual.parse(translated))
    except bilingual.BilingualFormatError:
        return
    if parsed.get(bilingual.GERMAN) != core_value and _core_text_was_edited(
            core_value, parsed, stored_core, stored_translated):
        parsed[bilingual.GERMAN] = core_value
        data[translated_key] = parsed


def _core_tag_names(data) -> list[str] | None:
    tag_string = data.get(("tag_string",))
    if isinstance(tag_string, str) and tag_string.strip():
        return [name.strip() for name in tag_string.split(",") if name.strip()]
    names = [value for key, value in sorted(data.items(), key=lambda item: str(item[0]))
             if len(key) == 3 and key[0] == "tags" and key[2] == "name" and isinstance(value, str)]
    return names or None


def _fill_tags_from_core(data, languages: list[str], package) -> None:
    key = ("tags_translated",)
    if key not in data or _form_inputs(key, data, key[-1], languages, pop=False):
        return
    names = _core_tag_names(data)
    if not names:
        return
    translated = data.get(key)
    if _is_empty(translated):
        data[key] = {bilingual.GERMAN: names}
        return
    if package is None:
        return
    try:
        parsed = dict(bilingual.parse(translated))
    except bilingual.BilingualFormatError:
        return
    stored_names = sorted(tag.name for tag in package.get_tags())
    stored_german = bilingual.parse_leniently(_stored_extra(package, "tags_translated")).get(bilingual.GERMAN)
    current_german = parsed.get(bilingual.GERMAN)
    if (isinstance(current_german, list) and sorted(names) != sorted(current_german)
            and sorted(names) != stored_names
            and sorted(current_german) == sorted(stored_german or stored_names)):
        parsed[bilingual.GERMAN] = names
        data[key] = parsed


def _fill_contact_from_core(data, errors) -> None:
    """A contact point from CKAN's maintainer/author fields when none was given (stock clients)."""
    if _group_indexes(data, "contact") and any(
            not _is_empty(data[key]) for key in data if len(key) == 3 and key[0] == "contact"):
        return
    for name_field, email_field in (("maintainer", "maintainer_email"), ("author", "author_email")):
        name = data.get((name_field,))
        email = data.get((email_field,))
        if not isinstance(email, str) or not email.strip():
            continue
        try:
            email = _email(email, {})
        except tk.Invalid:
            continue
        for index in _group_indexes(data, "contact"):
            for key in [key for key in data if len(key) == 3 and key[0] == "contact" and key[1] == index]:
                del data[key]
        entry = {"name": name.strip() if isinstance(name, str) and name.strip() else email, "email": email}
        for attribute, value in entry.items():
            data[("contact", 0, attribute)] = value
            errors.setdefault(("contact", 0, attribute), [])
        return


@scheming_validator
def jena_bilingual_from_core_fields(field: dict[str, Any] | None, schema: dict[str, Any]):
    """Runs before the field validators: accept data written with CKAN's own fields only.

    ``title``, ``notes``, tags, resource names/descriptions and maintainer fill the bilingual and
    contact fields when those are missing (stock API clients, harvesters, old datasets), and an
    edit of only the core field (``package_patch(title=…)``) updates the German text. It also
    cuts off repeating fields with far too many entries before they are validated one by one.
    """
    languages = _languages(schema)
    limits = {
        entry["field_name"]: int(entry.get("max_items", REPEATING_FIELDS_DEFAULT_MAX))
        for entry in schema.get("dataset_fields", [])
        if "repeating_subfields" in entry
    }

    def validator(key, data, errors, context):
        package = _stored_package(context)
        for field_name, limit in limits.items():
            indexes = _group_indexes(data, field_name)
            if len(indexes) > limit:
                errors[(field_name,)] = [_("Too many entries: at most {max} are allowed.", max=limit)]
                for group_key in [k for k in data if len(k) == 3 and k[0] == field_name]:
                    data[group_key] = missing
        for name in ("title", "notes"):
            _fill_text_from_core(
                data, (), name, languages,
                getattr(package, name, None), _stored_extra(package, f"{name}_translated"),
            )
        _fill_tags_from_core(data, languages, package)
        _fill_contact_from_core(data, errors)
        stored_resources = {resource.id: resource for resource in getattr(package, "resources", [])} if package else {}
        for index in _group_indexes(data, "resources"):
            prefix = ("resources", index)
            stored = stored_resources.get(data.get(prefix + ("id",)))
            for name in ("name", "description"):
                _fill_text_from_core(
                    data, prefix, name, languages,
                    getattr(stored, name, None), (stored.extras or {}).get(f"{name}_translated") if stored else None,
                )

    return validator


def _load_list(value: Any) -> list[Any]:
    if _is_empty(value):
        return []
    try:
        return _as_list(value)
    except tk.Invalid:
        return []


def _set_extra(data, name: str, value: str | None) -> None:
    """Change a field that convert_to_extras has already copied into the extras."""
    index = next((key[1] for key in data if len(key) == 3 and key[0] == "extras" and key[2] == "key"
                  and data[key] == name), None)
    if value is None:
        data.pop((name,), None)
        if index is not None:
            data.pop(("extras", index, "key"), None)
            data.pop(("extras", index, "value"), None)
        return
    data[(name,)] = value
    if index is None:
        indexes = [key[1] for key in data if len(key) == 3 and key[0] == "extras" and isinstance(key[1], int)]
        index = max(indexes) + 1 if indexes else 0
        data[("extras", index, "key")] = name
    data[("extras", index, "value")] = value


def _compact_groups(data, errors, field_name: str) -> list[dict[str, Any]]:
    """Drop empty entries of a repeating field (blank form groups) and number the rest anew."""
    data_keys = [key for key in data if len(key) == 3 and key[0] == field_name]
    error_keys = [key for key in errors if len(key) == 3 and key[0] == field_name]
    indexes = sorted({key[1] for key in data_keys + error_keys},
                     key=lambda index: (not isinstance(index, int), str(index).zfill(10)))
    values_by_index: dict[Any, dict[str, Any]] = {index: {} for index in indexes}
    errors_by_index: dict[Any, dict[str, list]] = {index: {} for index in indexes}
    for key in data_keys:
        values_by_index[key[1]][key[2]] = data.pop(key)
    for key in error_keys:
        errors_by_index[key[1]][key[2]] = errors.pop(key)
    groups = [
        (values_by_index[index], errors_by_index[index]) for index in indexes
        if any(not _is_empty(value) for value in values_by_index[index].values())
        or any(errors_by_index[index].values())
    ]
    if errors.get((field_name,)):
        return []
    for new_index, (values, entry_errors) in enumerate(groups):
        for attribute, value in values.items():
            if not _is_empty(value):
                data[(field_name, new_index, attribute)] = value
        for attribute, messages in entry_errors.items():
            errors[(field_name, new_index, attribute)] = messages
    return [values for values, _entry_errors in groups]


def _error(errors, key, message: str) -> None:
    errors.setdefault(key, []).append(message)


def _check_temporal(data, errors) -> None:
    for index, entry in enumerate(_compact_groups(data, errors, "temporal_coverage")):
        start, end = entry.get("start"), entry.get("end")
        if errors.get(("temporal_coverage", index, "start")) or errors.get(("temporal_coverage", index, "end")):
            continue
        if isinstance(start, str) and isinstance(end, str) and end[:10] < start[:10]:
            _error(errors, ("temporal_coverage", index, "end"), _("The end must not be before the start."))


def _check_contacts(data, errors, required: bool) -> None:
    contacts = _compact_groups(data, errors, "contact")
    if errors.get(("contact",)):
        return
    if required and not contacts:
        _error(errors, ("contact",), _("Please enter at least one contact point."))
    for index, entry in enumerate(contacts):
        if _is_empty(entry.get("name")):
            _error(errors, ("contact", index, "name"), _("Please enter the name of the contact point."))
        if _is_empty(entry.get("email")) and _is_empty(entry.get("url")):
            _error(errors, ("contact", index, "email"), _("Please enter an e-mail address or a web address."))


def _check_agents(data, errors, field_name: str) -> None:
    for index, entry in enumerate(_compact_groups(data, errors, field_name)):
        if _is_empty(entry.get("name")):
            _error(errors, (field_name, index, "name"), _("Please enter the name."))


def _apply_hvd_legislation(data) -> None:
    """HVD datasets name Implementing Regulation (EU) 2023/138 as applicable legislation; others don't."""
    categories = _load_list(data.get(("hvd_category",)))
    legislation = [uri for uri in _load_list(data.get(("applicable_legislation",)))
                   if uri != vocabularies.HVD_LEGISLATION]
    if categories:
        legislation.append(vocabularies.HVD_LEGISLATION)
    _set_extra(data, "applicable_legislation", json.dumps(legislation) if legislation else None)


def _check_smart_city(data, errors) -> None:
    measure = data.get(("smart_city_measure",))
    field_of_action = data.get(("smart_city_field_of_action",))
    if _is_empty(measure) or errors.get(("smart_city_measure",)):
        return
    term = vocabularies.get("smart-city-measures").find(measure)
    if term is None:
        return
    broader = term.extra["broader"]
    if _is_empty(field_of_action):
        _set_extra(data, "smart_city_field_of_action", broader)
    elif field_of_action != broader:
        _error(errors, ("smart_city_measure",), _("The measure does not belong to the chosen field of action."))


def _category_themes(data, context) -> list[str]:
    """EU theme URIs of the dataset's categories (groups carry the codes in the extra ``eu_themes``)."""
    names = [value for key, value in data.items()
             if len(key) == 3 and key[0] == "groups" and key[2] in ("name", "id") and isinstance(value, str)]
    package = _stored_package(context)
    if not any(len(key) == 3 and key[0] == "groups" for key in data) and package is not None:
        names = [group.name for group in package.get_groups("group")]
    themes = vocabularies.get("data-themes")
    found: list[str] = []
    for name in dict.fromkeys(names):
        try:
            group = tk.get_action("group_show")(
                {"ignore_auth": True},
                {"id": name, "include_datasets": False, "include_users": False, "include_groups": False,
                 "include_tags": False, "include_followers": False, "include_dataset_count": False},
            )
        except (tk.ObjectNotFound, tk.NotAuthorized):
            continue
        for extra in group.get("extras", []):
            if extra.get("key") == "eu_themes":
                for code in str(extra.get("value") or "").split():
                    term = themes.find(code)
                    if term and term.value not in found:
                        found.append(term.value)
    return found


def _apply_category_themes(data, errors, context) -> None:
    if errors.get(("theme",)):
        return
    themes = _load_list(data.get(("theme",)))
    for uri in _category_themes(data, context):
        if uri not in themes:
            themes.append(uri)
    if themes:
        _set_extra(data, "theme", json.dumps(themes))


def _apply_default_extent(data, errors) -> None:
    """Without a geometry: the districts' box, or the city's box for data about the whole city."""
    if errors.get(("spatial",)) or not _is_empty(data.get(("spatial",))) or errors.get(("districts",)):
        return
    districts = _load_list(data.get(("districts",)))
    boxes = vocabularies.district_bboxes(districts)
    if not boxes:
        geocoding = data.get(("political_geocoding_uri",))
        jena_keys = vocabularies.get("political-geocoding").values()
        if geocoding not in jena_keys or geocoding.endswith("/stateKey/16"):
            return
        boxes = [vocabularies.city_bbox()]
    polygon = geometry.bbox_polygon(geometry.union_bbox(boxes))
    _set_extra(data, "spatial", json.dumps(polygon, separators=(",", ":")))


def _check_checksums(data, errors) -> None:
    algorithms = vocabularies.get("hash-algorithms")
    for index in _group_indexes(data, "resources"):
        prefix = ("resources", index)
        algorithm = data.get(prefix + ("hash_algorithm",))
        checksum = data.get(prefix + ("hash",))
        if _is_empty(algorithm) or errors.get(prefix + ("hash_algorithm",)) or errors.get(prefix + ("hash",)):
            continue
        term = algorithms.find(algorithm)
        if _is_empty(checksum):
            _error(errors, prefix + ("hash",), _("Please enter the checksum for the chosen algorithm."))
        elif term and len(checksum) != term.extra["hex_length"]:
            _error(errors, prefix + ("hash",), _(
                "A {algorithm} checksum has {length} hexadecimal digits.",
                algorithm=term.label_in("en"), length=term.extra["hex_length"],
            ))


@scheming_validator
def jena_dataset_consistency(field: dict[str, Any] | None, schema: dict[str, Any]):
    """Runs after the field validators: rules that span fields, and values derived from others.

    Checks temporal periods (end ≥ start), contact points (a name and an e-mail or web address),
    agents, Smart City measures against their field of action and checksums against their
    algorithm; adds the HVD regulation, the categories' EU themes and a default spatial extent.
    """
    contact_required = any(entry["field_name"] == "contact" and entry.get("required")
                           for entry in schema.get("dataset_fields", []))

    def validator(key, data, errors, context):
        _check_temporal(data, errors)
        _check_contacts(data, errors, contact_required)
        for agent_field in ("publisher", "originator", "maintainer_agent"):
            _check_agents(data, errors, agent_field)
        _check_smart_city(data, errors)
        _check_checksums(data, errors)
        if any(errors.values()):
            return
        _apply_hvd_legislation(data)
        _apply_category_themes(data, errors, context)
        _apply_default_extent(data, errors)

    return validator
