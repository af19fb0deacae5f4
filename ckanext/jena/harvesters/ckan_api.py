"""Harvester for other CKAN portals through their action API (version 3, CKAN 2.0 and later).

The listing is ``package_search``, page by page, in the order the datasets were created: a
dataset added while the pages are read then lands on a page after the ones already read, and
any other change (a dataset deleted, made private or re-indexed) changes the reported count,
which fails the listing instead of silently skipping a dataset. Stock CKAN fields (and the
common extras of ckanext-dcat, ckanext-spatial and GovData's CKAN) are mapped onto the Jena
schema; see docs/harvest-ckan.md for the table.
"""
from __future__ import annotations

import copy
import datetime
import json
import re
from typing import Any, Iterator
from urllib.parse import quote, urlparse

import ckan.plugins as p
import ckan.plugins.toolkit as tk

from ckanext.harvest.interfaces import IHarvester

from ckanext.jena.harvesters.base import JenaHarvester, Record, SourceRun, canonical_json
from ckanext.jena.harvesters.messages import (N_, HarvestMessage, RecordError, SourceError)
from ckanext.jena.harvesters.parsing import parse_json
from ckanext.jena.logic import bilingual, geometry, legacy, validators, vocabularies

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000  # CKAN's default ckan.search.rows_max
# Creation order does not change when a dataset is edited (metadata_modified would move it to
# the last page while the pages are read); the id breaks ties of datasets created together.
SORT = "metadata_created asc, id asc"
ACCEPT = "application/json"
ORGANIZATION_NAME = re.compile(r"^[a-z0-9_-]{2,100}$")
MAX_FQ_LENGTH = 2000

# Fields whose value changes without a change of the dataset (usage counters, caches, the
# revision bookkeeping of CKAN < 2.9, the datastore flag and the reports of ckanext-qa/archiver).
VOLATILE_DATASET_FIELDS = {"tracking_summary", "num_followers", "revision_id", "revision_timestamp",
                           "qa", "archiver", "relationships_as_object", "relationships_as_subject"}
VOLATILE_RESOURCE_FIELDS = {"tracking_summary", "revision_id", "revision_timestamp", "qa",
                            "archiver", "cache_url", "cache_last_updated", "webstore_url",
                            "webstore_last_updated", "datastore_active", "datastore_contains_all_records_of_source"}
# Of the organisation and groups embedded in each dataset only what the mapping reads is kept, so
# that editing a group's description does not count as a change of every dataset in it.
KEPT_GROUP_FIELDS = ("name", "title", "display_name")

# Licence ids of stock CKAN's list and of GovData's (OGD) list → dcat-ap.de licence ids. An
# exact mapping names the same licence; the others fall back to a generic dcat-ap.de entry, so
# the source's own licence is stated in the description as well.
EXACT_LICENSES = {
    "dl-de-by-2.0": "dl-by-de/2.0", "dl-by-de-2.0": "dl-by-de/2.0",
    "dl-de-zero-2.0": "dl-zero-de/2.0", "dl-zero-de-2.0": "dl-zero-de/2.0",
    "dl-de-by-1.0": "dl-by-de/1.0", "dl-de-by-nc-1.0": "dl-by-nc-de/1.0",
    "cc-by": "cc-by", "cc-by-4.0": "cc-by/4.0", "cc-by-de-3.0": "cc-by-de/3.0",
    "cc-by-sa": "cc-by-sa", "cc-by-sa-4.0": "cc-by-sa/4.0", "cc-by-sa-de-3.0": "cc-by-sa-de/3.0",
    "cc-by-nd": "cc-by-nd", "cc-by-nd-3.0": "cc-by-nd/3.0", "cc-by-nd-4.0": "cc-by-nd/4.0",
    "cc-nc": "cc-by-nc", "cc-by-nc": "cc-by-nc", "cc-by-nc-4.0": "cc-by-nc/4.0",
    "cc-by-nc-de-3.0": "cc-by-nc-de/3.0",
    "cc-zero": "cc-zero", "cc0": "cc-zero", "cc0-1.0": "cc-zero",
    "odc-odbl": "odbl", "odc-by": "odby", "odc-pddl": "odcpddl",
    "gfdl": "gfdl", "official-work": "officialWork", "officialwork": "officialWork",
    "cc-pdm-1.0": "ccpdm/1.0", "apache": "apache", "bsd-license": "bsd", "gpl-3.0": "gpl/3.0",
    "mozilla": "mozilla", "other-open": "other-open", "other-closed": "other-closed",
    "other-freeware": "other-freeware", "other-commercial": "other-commercial",
}
GENERIC_LICENSES = {"other-pd": "other-open", "other-at": "other-open", "uk-ogl": "other-open",
                    "other-nc": "other-closed"}

# File types that name a service or a web page: their URL gives access, it is not a download.
NOT_DOWNLOADS = {"HTML", "HTML_SIMPL", "XHTML", "XHTML_SIMPL", "REST", "MAP_SRVC", "WMS_SRVC",
                 "WFS_SRVC", "WCS_SRVC", "WMTS_SRVC", "SPARQLQ"}
# Extras of GovData's CKAN (OGD schema) and of ckanext-dcat that carry a Jena field.
TEMPORAL_START_KEYS = ("temporal_start", "temporal_coverage_from")
TEMPORAL_END_KEYS = ("temporal_end", "temporal_coverage_to")
FREQUENCY_KEYS = ("frequency", "accrual_periodicity", "update_frequency")
# Two-letter language codes (ISO 639-1, as CKAN portals write them) of the EU language table.
LANGUAGE_CODES = {"de": "DEU", "en": "ENG", "fr": "FRA", "it": "ITA", "es": "SPA", "pl": "POL",
                  "nl": "NLD", "cs": "CES", "da": "DAN", "ru": "RUS", "tr": "TUR", "ar": "ARA",
                  "uk": "UKR"}


class JenaCkanHarvester(JenaHarvester, p.SingletonPlugin):
    p.implements(IHarvester)

    HARVESTER_NAME = "jena_ckan"
    TITLE = N_("CKAN portal (Jena)")
    DESCRIPTION = N_("Datasets of another CKAN portal, read through its action API (version 3) "
                     "and mapped onto the Jena schema.")

    def config_keys(self):
        return {"api_version", "page_size", "fq", "organizations", "groups_map"}

    def check_config(self, config):
        return check_config(config)

    def list_records(self, run: SourceRun) -> Iterator[Record]:
        return list_records(run)

    def to_dataset(self, content: str, run: SourceRun) -> dict[str, Any]:
        return to_dataset(content, run)


# -- configuration -------------------------------------------------------------------------------

def check_config(config: dict[str, Any]) -> list[HarvestMessage]:
    """Problems of this harvester's settings (the common ones are checked by the core)."""
    problems = []
    if "api_version" in config and config["api_version"] not in (3, "3"):
        problems.append(HarvestMessage(N_(
            "api_version must be 3: only version 3 of the CKAN action API (CKAN 2.0 and later) "
            "is supported.")))
    size = config.get("page_size", DEFAULT_PAGE_SIZE)
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_PAGE_SIZE:
        problems.append(HarvestMessage(
            N_("page_size must be a whole number from 1 to {max}."), max=MAX_PAGE_SIZE))
    fq = config.get("fq", "")
    if not isinstance(fq, str) or len(fq) > MAX_FQ_LENGTH:
        problems.append(HarvestMessage(N_(
            "fq must be a Solr filter query of at most {max} characters, such as {example}."),
            max=MAX_FQ_LENGTH, example='tags:"Verkehr"'))
    organizations = config.get("organizations", [])
    if not (isinstance(organizations, list) and all(
            isinstance(name, str) and ORGANIZATION_NAME.match(name) for name in organizations)):
        problems.append(HarvestMessage(N_(
            "organizations must be a list of organisation names of the remote portal "
            "(lower-case letters, digits, - and _), such as {example}."),
            example='["stadtverwaltung-jena"]'))
    groups_map = config.get("groups_map", {})
    if not (isinstance(groups_map, dict) and all(
            isinstance(target, str) or target is None for target in groups_map.values())):
        problems.append(HarvestMessage(N_(
            "groups_map must be an object of the remote portal's group names and the names of "
            "this portal's categories (null leaves a group out), such as {example}."),
            example='{"umwelt-klima": "umwelt"}'))
    return problems


# -- listing -------------------------------------------------------------------------------------

def api_base(url: str) -> str:
    """The portal's address from a source URL that may also name the API or an action."""
    base = url.strip().split("?", 1)[0].rstrip("/")
    for ending in ("/action/package_search", "/action", "/3", "/api"):
        if base.endswith(ending):
            base = base[: -len(ending)]
    return base


def search_url(base: str) -> str:
    return f"{base}/api/3/action/package_search"


def dataset_url(base: str, name: str) -> str:
    return f"{base}/dataset/{quote(name, safe='')}"


def filter_query(config: dict[str, Any]) -> str:
    """``fq`` of the search: the source's filter, its organisations and datasets only.

    ``dataset_type`` keeps harvest sources and other types out (portals before CKAN 2.9 list
    them too); private datasets are never listed to an anonymous client.
    """
    parts = []
    if config.get("fq", "").strip():
        parts.append(f"+({config['fq'].strip()})")
    if config.get("organizations"):
        names = " OR ".join(f'"{name}"' for name in config["organizations"])
        parts.append(f"+organization:({names})")
    if "dataset_type" not in config.get("fq", ""):
        parts.append("+dataset_type:dataset")
    return " ".join(parts)


def list_records(run: SourceRun) -> Iterator[Record]:
    """Every dataset the search lists, or a SourceError when the listing is not complete."""
    base = api_base(run.url)
    url = search_url(base)
    rows = int(run.config.get("page_size", DEFAULT_PAGE_SIZE))
    max_pages = int(tk.config.get("ckanext.jena.harvest.max_pages"))
    fq = filter_query(run.config)
    records: list[Record] = []
    seen: set[str] = set()
    announced: int | None = None
    start = 0
    page = 0
    while announced is None or start < announced:
        if page >= max_pages:
            raise _too_many_pages(max_pages, page_size=start // page)
        page += 1
        count, results = read_page(run, url, page, {
            "q": "*:*", "fq": fq, "sort": SORT, "rows": rows, "start": start})
        if announced is None:
            announced = count
            # the first page tells how many pages there are (a portal may cap their size)
            if results and -(-count // len(results)) > max_pages:
                raise _too_many_pages(max_pages, page_size=len(results))
        elif count != announced:
            raise SourceError(N_(
                "The number of datasets of the remote portal changed from {before} to {after} "
                "while its pages were read; the listing is incomplete. The next harvest tries "
                "again."), before=announced, after=count)
        if not results:
            break
        start += len(results)  # a portal may cap the rows of a page below the requested size
        for remote in results:
            record = record_of(remote, base, page)
            if record.guid in seen:
                continue
            if record.guid:
                seen.add(record.guid)
            records.append(record)
    if len(records) != announced:
        raise SourceError(N_(
            "The remote portal reports {count} datasets, but its pages list {found}; the "
            "listing is incomplete."), count=announced, found=len(records))
    # a private dataset is never published here; it is withdrawn when it was public before
    return iter([record for record in records if not _is_private(record)])


def _is_private(record: Record) -> bool:
    return record.error is None and json.loads(record.content).get("private") in (True, "true", "True")


def _too_many_pages(max_pages: int, page_size: int) -> SourceError:
    return SourceError(N_(
        "The remote portal lists more than {pages} pages of {rows} datasets "
        "(ckanext.jena.harvest.max_pages); the listing was stopped."),
        pages=max_pages, rows=page_size)


def read_page(run: SourceRun, url: str, page: int, params: dict[str, Any]) -> tuple[int, list[Any]]:
    """``count`` and ``results`` of one answer of ``package_search``."""
    document = run.client.get(url, accept=ACCEPT, params=params)
    try:
        answer = parse_json(document.body, document.charset)
    except SourceError as error:
        raise SourceError(N_(
            "Page {page} of the remote portal ({url}) is not an answer of the CKAN action API: "
            "{problem}"), page=page, url=url, problem=error.message)
    if not isinstance(answer, dict) or "success" not in answer:
        raise SourceError(N_(
            "Page {page} of the remote portal ({url}) is not an answer of the CKAN action API: "
            "{problem}"), page=page, url=url,
            problem=HarvestMessage(N_('the JSON has no "success" field.')))
    if answer["success"] is not True:
        raise SourceError(N_("The remote portal refused the search ({url}): {error}"),
                          url=url, error=api_error_text(answer.get("error")))
    result = answer.get("result")
    count = result.get("count") if isinstance(result, dict) else None
    results = result.get("results") if isinstance(result, dict) else None
    if isinstance(count, bool) or not isinstance(count, int) or count < 0 or not isinstance(results, list):
        raise SourceError(N_(
            "Page {page} of the remote portal ({url}) is not an answer of the CKAN action API: "
            "{problem}"), page=page, url=url,
            problem=HarvestMessage(N_('its result has no "count" and "results".')))
    return count, results


def api_error_text(error: Any) -> str:
    """The message of a CKAN error object (``message``, or field errors such as ``fq: …``)."""
    if isinstance(error, str):
        return error[:1000]
    if not isinstance(error, dict):
        return json.dumps(error)[:1000]
    parts = [str(error["message"])] if error.get("message") else []
    for key, value in error.items():
        if key in ("message", "__type"):
            continue
        texts = value if isinstance(value, list) else [value]
        parts.append(f"{key}: {'; '.join(str(text) for text in texts)}")
    kind = error.get("__type")
    text = " ".join(parts) or str(kind or "?")
    return (f"{kind}: {text}" if kind and parts else text)[:1000]


def record_of(remote: Any, base: str, page: int) -> Record:
    """A record for one search result: guid = the remote id, which survives renames."""
    if not isinstance(remote, dict) or not isinstance(remote.get("id"), str) or not remote["id"]:
        return Record(guid=None, content=canonical_json(remote), error=HarvestMessage(
            N_("A dataset on page {page} of the remote portal has no id, so it cannot be "
               "matched to a dataset here."), page=page))
    name = remote.get("name") if isinstance(remote.get("name"), str) else remote["id"]
    return Record(guid=remote["id"], content=canonical_json(stable_content(remote)),
                  original_url=dataset_url(base, name or remote["id"]))


def stable_content(remote: dict[str, Any]) -> dict[str, Any]:
    """The dataset without the fields that change when the dataset does not."""
    content = {key: value for key, value in remote.items() if key not in VOLATILE_DATASET_FIELDS}
    if isinstance(content.get("organization"), dict):
        content["organization"] = _kept(content["organization"])
    if isinstance(content.get("groups"), list):
        content["groups"] = [_kept(group) if isinstance(group, dict) else group
                             for group in content["groups"]]
    if isinstance(content.get("resources"), list):
        content["resources"] = [
            {key: value for key, value in resource.items() if key not in VOLATILE_RESOURCE_FIELDS}
            if isinstance(resource, dict) else resource for resource in content["resources"]]
    return content


def _kept(group: dict[str, Any]) -> dict[str, Any]:
    return {key: group[key] for key in KEPT_GROUP_FIELDS if key in group}


# -- mapping -------------------------------------------------------------------------------------

def to_dataset(content: str, run: SourceRun) -> dict[str, Any]:
    """The Jena dataset for one remote dataset (without name, id and owner_org)."""
    try:
        remote = json.loads(content)
    except ValueError:
        remote = None
    if not isinstance(remote, dict):
        raise RecordError(N_("The stored record is not a dataset."))
    base = api_base(run.url)
    core = _core_view(remote)
    legacy.fill_from_core_fields(core)
    dataset: dict[str, Any] = {
        "title_translated": core.get("title_translated") or {},
        "notes_translated": core.get("notes_translated") or {},
        "tags_translated": core.get("tags_translated") or {},
    }
    if not dataset["notes_translated"].get(bilingual.GERMAN):
        # the schema requires a description, which stock CKAN does not
        dataset["notes_translated"] = dict(dataset["title_translated"])
    if not dataset["title_translated"].get(bilingual.GERMAN):
        raise RecordError(N_("The remote dataset {name} has no title."),
                          name=remote.get("name") or remote.get("id"))

    license_id, stated = map_license(remote)
    if license_id:
        dataset["license_id"] = license_id
    if stated:
        dataset["notes_translated"] = _with_license_note(dataset["notes_translated"], stated)

    dataset.update(_agents(remote, core, base))
    dataset.update(_dates_and_coverage(remote))
    if _uri(remote.get("url")):
        dataset["url"] = _uri(remote.get("url"))
    identifier = _text(_value(remote, "identifier")) or _text(_value(remote, "guid"))
    dataset["identifier"] = identifier or remote.get("id")
    groups = map_groups(remote, run.config)
    if groups is not None:
        dataset["groups"] = groups
    dataset["resources"] = [map_resource(resource, number)
                            for number, resource in enumerate(core.get("resources") or [], start=1)]
    return {key: value for key, value in dataset.items() if value not in (None, "", [], {})
            or key in ("resources", "groups")}


def _value(remote: dict[str, Any], key: str) -> Any:
    """A field of the dataset, or the extra of that name (stock CKAN keeps custom fields there)."""
    if remote.get(key) not in (None, ""):
        return remote[key]
    for extra in remote.get("extras") or []:
        if isinstance(extra, dict) and extra.get("key") == key:
            return extra.get("value")
    return None


def _core_view(remote: dict[str, Any]) -> dict[str, Any]:
    """The remote fields the legacy fallbacks read, with translations limited to ours.

    ckanext-fluent portals bring ``*_translated`` in any languages; German falls back to the
    core field, as it does for the portal's own old datasets.
    """
    core = {key: copy.deepcopy(remote.get(key)) for key in (
        "title", "notes", "maintainer", "maintainer_email", "author", "author_email")}
    for key in ("maintainer_email", "author_email"):
        if not _email(core.get(key)):
            core[key] = None
    for name in ("title", "notes"):
        translated = _languages_of(_value(remote, f"{name}_translated"))
        if translated and not translated.get(bilingual.GERMAN) and _text(core.get(name)):
            translated[bilingual.GERMAN] = core[name].strip()
        if translated:
            core[f"{name}_translated"] = translated
    core["tags"] = [{"name": name} for name in _tag_names(remote.get("tags"))]
    translated_tags = _value(remote, "tags_translated")
    if isinstance(translated_tags, str):
        translated_tags = bilingual.decoded_json(translated_tags, dict)
    if isinstance(translated_tags, dict):
        tags = {language: clean_tags(translated_tags.get(language)) for language in bilingual.LANGUAGES}
        tags = {language: names for language, names in tags.items() if names}
        if tags and not tags.get(bilingual.GERMAN) and core["tags"]:
            tags[bilingual.GERMAN] = [tag["name"] for tag in core["tags"]]
        if tags.get(bilingual.GERMAN):
            core["tags_translated"] = tags
    core["resources"] = []
    for resource in remote.get("resources") or []:
        if not isinstance(resource, dict):
            continue
        resource = copy.deepcopy(resource)
        for name in ("name", "description"):
            translated = _languages_of(resource.get(f"{name}_translated"))
            if translated and not translated.get(bilingual.GERMAN) and _text(resource.get(name)):
                translated[bilingual.GERMAN] = resource[name].strip()
            resource[f"{name}_translated"] = translated or None
        core["resources"].append(resource)
    return core


def _languages_of(value: Any) -> dict[str, str]:
    """The German and English texts of a translated value; other languages are left out."""
    parsed = bilingual.parse_leniently(value)
    return {language: parsed[language].strip() for language in bilingual.LANGUAGES
            if isinstance(parsed.get(language), str) and parsed[language].strip()}


_TAG_UNWANTED = re.compile(r"[^\w \-.]+", re.UNICODE)


def clean_tags(names: Any) -> list[str]:
    """Keywords as CKAN accepts them: characters other than letters, digits, space, - _ . become
    a space; keywords of fewer than 2 or more than 100 characters are left out."""
    if isinstance(names, str):
        names = names.split(",")
    if not isinstance(names, list):
        return []
    cleaned: list[str] = []
    for name in names:
        if not isinstance(name, str):
            continue
        text = " ".join(_TAG_UNWANTED.sub(" ", name).split())
        if 2 <= len(text) <= 100 and text not in cleaned:
            cleaned.append(text)
    return cleaned


def _tag_names(tags: Any) -> list[str]:
    """The free keywords of the dataset (tags of vocabularies are other extensions' data)."""
    if not isinstance(tags, list):
        return []
    names = [tag.get("display_name") or tag.get("name") for tag in tags
             if isinstance(tag, dict) and not tag.get("vocabulary_id")]
    return clean_tags(names)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _valid(check, value: Any) -> Any:
    """The value as the schema's own check of a field accepts it, or None."""
    if value in (None, ""):
        return None
    try:
        return check(value, {})
    except (tk.Invalid, RuntimeError):
        return None


def _uri(value: Any) -> str | None:
    return _valid(validators._uri, value)


def _email(value: Any) -> str | None:
    return _valid(validators._email, value)


def _date(value: Any) -> str | None:
    """An ISO date or date-time; German dates (31.12.2020) are read too, as older portals wrote them."""
    text = _text(value)
    match = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", text)
    if match:
        try:
            text = datetime.date(int(match[3]), int(match[2]), int(match[1])).isoformat()
        except ValueError:
            return None
    return _valid(validators._date, text)


# -- licence -------------------------------------------------------------------------------------

def map_license(remote: dict[str, Any]) -> tuple[str | None, str | None]:
    """The dcat-ap.de licence id, and the source's licence to state when the id does not name it.

    Without a known licence the id is None: the source's ``defaults`` or the portal's default
    licence then apply.
    """
    remote_id = _text(remote.get("license_id"))
    title = _text(remote.get("license_title")) or remote_id
    url = _text(remote.get("license_url"))
    stated = f"{title} ({url})" if url and url not in title else title
    known = {entry["id"]: entry for entry in vocabularies.read_license_list()}
    if remote_id in known:
        return remote_id, None
    normalised = remote_id.lower().replace("_", "-")
    if normalised in EXACT_LICENSES:
        return EXACT_LICENSES[normalised], None
    for entry in known.values():
        addresses = {entry.get("url", ""), entry.get("homepage", "")} - {""}
        titles = {entry.get("title", "").casefold(), entry.get("title_en", "").casefold()} - {""}
        if remote_id in addresses or _same_address(url, addresses) or title.casefold() in titles:
            return entry["id"], None
    if normalised in GENERIC_LICENSES:
        return GENERIC_LICENSES[normalised], stated
    if not remote_id and not url:
        return None, None
    return None, stated


def _same_address(url: str, addresses: set[str]) -> bool:
    def key(address: str) -> str:
        parsed = urlparse(address.strip())
        return (parsed.netloc.lower().removeprefix("www.") + parsed.path.rstrip("/")) if parsed.netloc else ""
    return bool(url) and key(url) != "" and key(url) in {key(address) for address in addresses}


def _with_license_note(notes: dict[str, str], stated: str) -> dict[str, str]:
    note = HarvestMessage(N_("Licence stated by the source: {licence}"), licence=stated)
    return {language: f"{text}\n\n{note.text(language)}" for language, text in notes.items()}


# -- agents, dates, coverage ---------------------------------------------------------------------

def _agent(name: Any, email: Any, url: Any = None) -> dict[str, str] | None:
    entry = {"name": _text(name)[:300] or _email(email) or "", "email": _email(email), "url": _uri(url)}
    entry = {key: value for key, value in entry.items() if value}
    return entry if entry.get("name") else None


def _agents(remote: dict[str, Any], core: dict[str, Any], base: str) -> dict[str, Any]:
    """Contact from the legacy fallback (maintainer, else author, with an e-mail address);
    maintainer → dcatde:maintainer, author → originator, the remote organisation → publisher."""
    agents: dict[str, Any] = {}
    maintainer = _agent(remote.get("maintainer"), remote.get("maintainer_email"),
                        _value(remote, "maintainer_url"))
    if core.get("contact"):
        agents["contact"] = core["contact"]
    elif maintainer and maintainer.get("url"):
        agents["contact"] = [maintainer]  # the schema accepts a web address instead of an e-mail
    if maintainer:
        agents["maintainer_agent"] = [maintainer]
    author = _agent(remote.get("author"), remote.get("author_email"), _value(remote, "author_url"))
    if author:
        agents["originator"] = [author]
    organization = remote.get("organization")
    if isinstance(organization, dict) and (organization.get("title") or organization.get("name")):
        publisher = {"name": _text(organization.get("title") or organization.get("name"))[:300]}
        if organization.get("name"):
            publisher["url"] = f"{base}/organization/{quote(organization['name'], safe='')}"
        agents["publisher"] = [publisher]
    return agents


def _first(remote: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = _value(remote, key)
        if value not in (None, ""):
            return value
    return None


def _dates_and_coverage(remote: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "issued": _date(_value(remote, "issued")) or _date(remote.get("metadata_created")),
        "modified": _date(_value(remote, "modified")) or _date(remote.get("metadata_modified")),
    }
    start = _date(_first(remote, TEMPORAL_START_KEYS))
    end = _date(_first(remote, TEMPORAL_END_KEYS))
    if start and end and end[:10] < start[:10]:
        start = end = None  # a contradictory period is left out rather than failing the dataset
    if start or end:
        fields["temporal_coverage"] = [{key: value for key, value in (("start", start), ("end", end)) if value}]
    frequency = map_term("frequencies", _first(remote, FREQUENCY_KEYS))
    if frequency:
        fields["frequency"] = frequency
    language = _text(_value(remote, "language"))
    language = map_term("languages", LANGUAGE_CODES.get(language.lower()[:2], language)
                        if len(language) == 2 or language[2:3] in ("-", "_") else language)
    if language:
        fields["language"] = [language]
    spatial = _spatial(_value(remote, "spatial"))
    if spatial:
        fields["spatial"] = spatial
    geocoding = _text(_first(remote, ("political_geocoding_uri", "politicalGeocodingURI")))
    if geocoding.startswith(vocabularies.POLITICAL_GEOCODING_PREFIX) and _uri(geocoding):
        fields["political_geocoding_uri"] = geocoding
    level = map_term("geocoding-levels", _first(remote, ("political_geocoding_level_uri",
                                                         "politicalGeocodingLevelURI")))
    if level:
        fields["political_geocoding_level_uri"] = level
    for target, keys in (("geocoding_description", ("geocodingText",)),
                         ("legal_basis", ("legalbasisText", "legal_basis"))):
        translated = _languages_of(_first(remote, keys))
        if translated.get(bilingual.GERMAN):
            fields[target] = translated
    contributors = _first(remote, ("contributor_id", "contributorID"))
    if isinstance(contributors, str):
        contributors = bilingual.decoded_json(contributors, list) or [contributors]
    if isinstance(contributors, list):
        uris = [uri for uri in (_uri(item) for item in contributors) if uri]
        if uris:
            fields["contributor_id"] = uris
    return fields


def map_term(vocabulary_name: str, value: Any) -> str | None:
    """The stored value of a vocabulary term named by code, URI, alias or label (either language)."""
    text = _text(value)
    if not text:
        return None
    vocabulary = vocabularies.get(vocabulary_name)
    term = vocabulary.find(text) or vocabulary.find(text.rsplit("/", 1)[-1])
    if term is None:
        term = next((candidate for candidate in vocabulary.terms
                     if text.casefold() in {label.casefold() for label in candidate.label.values()}), None)
    return term.value if term else None


def _spatial(value: Any) -> str | None:
    """A GeoJSON geometry the schema accepts; others are left out (the extent is then computed)."""
    if value in (None, ""):
        return None
    try:
        parsed = geometry.parse_geometry(value)
        geometry.check_geometry(parsed, geometry.plausible_bounds())
    except (geometry.GeometryError, RuntimeError, TypeError, ValueError):
        return None
    return json.dumps(parsed, separators=(",", ":"))


# -- groups ---------------------------------------------------------------------------------------

def map_groups(remote: dict[str, Any], config: dict[str, Any]) -> list[dict[str, str]] | None:
    """This portal's categories for the remote groups: ``groups_map``, else the same name.

    None for a remote dataset without groups, so that categories given here stay; a remote
    group that matches no category is left out.
    """
    remote_groups = [group.get("name") for group in remote.get("groups") or []
                     if isinstance(group, dict) and group.get("name")]
    if not remote_groups:
        return None
    groups_map = config.get("groups_map") or {}
    local = set(tk.get_action("group_list")({"ignore_auth": True}, {"type": "group"}))
    categories: list[dict[str, str]] = []
    for name in remote_groups:
        target = groups_map.get(name, name)
        if target and target in local and {"name": target} not in categories:
            categories.append({"name": target})
    return categories


# -- resources ------------------------------------------------------------------------------------

def resource_name(resource: dict[str, Any], number: int) -> dict[str, str]:
    """The resource's name; without one, the file name in its URL, else "Resource <number>"."""
    if resource.get("name_translated"):
        return resource["name_translated"]
    path = urlparse(_text(resource.get("url"))).path.rstrip("/")
    file_name = path.rsplit("/", 1)[-1] if path else ""
    if "." in file_name.strip("."):
        return {bilingual.GERMAN: file_name[:500]}
    name = HarvestMessage(N_("Resource {number}"), number=number)
    return {language: name.text(language) for language in bilingual.LANGUAGES}


def map_format(resource: dict[str, Any]) -> str | None:
    """The EU file-type code of the resource's format, media type or URL extension."""
    for candidate in (_text(resource.get("format")).lstrip("."), _text(resource.get("mimetype"))):
        code = map_term("file-types", candidate) if candidate else None
        if code:
            return code
    path = urlparse(_text(resource.get("url"))).path
    if "." in path.rsplit("/", 1)[-1]:
        return map_term("file-types", path.rsplit(".", 1)[-1])
    return None


def map_hash(value: Any, algorithm: Any = None) -> tuple[str | None, str | None]:
    """Checksum and algorithm: from ``algorithm:hex`` (``sha256:…``), a named algorithm, or a
    length only one algorithm has; anything else is left out rather than guessed."""
    text = _text(value).lower()
    algorithms = vocabularies.get("hash-algorithms")
    term = algorithms.find(_text(algorithm)) if algorithm else None
    if ":" in text:
        prefix, text = text.split(":", 1)
        term = term or algorithms.find(prefix.replace("-", ""))
    if not re.fullmatch(r"[0-9a-f]+", text):
        return None, None
    if term is None:
        matching = [candidate for candidate in algorithms.terms if candidate.extra["hex_length"] == len(text)]
        term = matching[0] if len(matching) == 1 else None
    if term is None or term.extra["hex_length"] != len(text):
        return None, None
    return text, term.value


def map_resource(resource: dict[str, Any], number: int) -> dict[str, Any]:
    url = _uri(resource.get("url"))
    code = map_format(resource)
    mapped: dict[str, Any] = {
        "url": url or "",
        "name_translated": resource_name(resource, number),
        "description_translated": resource.get("description_translated"),
        "format": code,
        "mimetype": _valid(validators._media_type, resource.get("mimetype")),
        "size": _valid(validators._byte_size, resource.get("size")),
        "created": _date(resource.get("created")),
        "last_modified": _date(resource.get("last_modified")),
        "access_url": _uri(resource.get("access_url")) or url,
        "download_url": _uri(resource.get("download_url")),
    }
    is_download = resource.get("url_type") == "upload" or (
        code is not None and code not in NOT_DOWNLOADS and resource.get("resource_type") != "api")
    if not mapped["download_url"] and url and is_download:
        mapped["download_url"] = url
    checksum, algorithm = map_hash(resource.get("hash"), resource.get("hash_algorithm"))
    if checksum:
        mapped["hash"], mapped["hash_algorithm"] = checksum, algorithm
    return {key: value for key, value in mapped.items() if value not in (None, "", {}, [])
            or key == "url"}
