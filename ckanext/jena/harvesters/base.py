"""The harvest core every Jena harvester shares, on ckanext-harvest's gather / fetch / import.

A harvester only lists its source's records and maps one record onto the Jena schema. The core
decides what that means for the portal, with one rule above all: nothing is lost.

* Gather reads the complete listing first. A source that cannot be read completely imports
  nothing and withdraws nothing.
* A record's identity is its guid within its source; the guid decides which dataset is updated,
  so re-harvests never duplicate, and a dataset that belongs to another source or was made by
  hand is reported, never overwritten.
* A record whose content, source configuration and harvester version hash as before causes no
  write at all (no package_update, no Solr update, no activity).
* Datasets gone from the source are withdrawn (state "deleted", never purged) only after a complete
  gather that is neither empty nor shrunk beyond the allowed share.
* Every problem is reported per record, in German and English.
"""
from __future__ import annotations

import contextlib
import contextvars
import datetime
import hashlib
import json
import logging
import os
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

import sqlalchemy as sa

import ckan.plugins.toolkit as tk
from ckan import model

from ckanext.harvest.harvesters.base import HarvesterBase
from ckanext.harvest.model import (HarvestGatherError, HarvestJob, HarvestObject,
                                   HarvestObjectError, HarvestObjectExtra, HarvestSource)

from ckanext.jena.harvesters.http import SafeClient
from ckanext.jena.harvesters.messages import (N_, HarvestError, HarvestMessage, RecordError,
                                              SourceError)
from ckanext.jena.harvesters import notify

log = logging.getLogger(__name__)

# Part of every content hash: raising it makes the next job re-import every record once, for a
# release whose mapping changed.
CORE_VERSION = "1"

STATUS_NEW, STATUS_CHANGE, STATUS_DELETE = "new", "change", "delete"
CONTENT_HASH = "content_hash"
ORIGINAL_URL = "original_url"

# Settings of every source; harvesters add their own through check_config.
COMMON_CONFIG_KEYS = {"max_deletion_share", "protected_fields", "defaults"}

_deletions_allowed: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "jena_harvest_deletions_allowed", default=False)


@dataclass
class Record:
    """One dataset as the source lists it.

    ``guid`` is the source's stable id of the dataset; ``content`` is what the harvest object
    stores and what ``to_dataset`` maps; ``error`` marks a record the listing could not read.
    """
    guid: str | None
    content: str
    original_url: str | None = None
    error: HarvestMessage | None = None


@dataclass
class SourceRun:
    """What a harvester needs to know about the source it works on."""
    source_id: str
    url: str
    config: dict[str, Any]
    client: SafeClient
    organization_id: str | None = None
    job_id: str | None = None


@dataclass
class Plan:
    """What a gather decided, for the report and for the tests."""
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def deletions_allowed():
    """Context in which gathers may withdraw more than the allowed share (one operator run)."""
    @contextlib.contextmanager
    def manager():
        token = _deletions_allowed.set(True)
        try:
            yield
        finally:
            _deletions_allowed.reset(token)
    return manager()


def _within_gather_deadline(records: Iterable[Record]) -> Iterator[Record]:
    """The records of a listing, as long as the listing keeps within its total time.

    Every document has its own deadline; this bounds the whole listing, so that a source that
    serves page after page slowly holds the gather queue, and the sources behind it, for a
    limited time only.
    """
    limit = int(tk.config.get("ckanext.jena.harvest.gather_deadline"))
    started = time.monotonic()
    for record in records:
        if time.monotonic() - started > limit:
            raise SourceError(N_(
                "Reading the source's listing took longer than {seconds} seconds "
                "(ckanext.jena.harvest.gather_deadline); it was stopped."), seconds=limit)
        yield record


def content_hash(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def canonical_json(value: Any) -> str:
    """JSON that is the same text for the same value, so that its hash means "unchanged"."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _words(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [str(item) for item in value]
    return []


class JenaHarvester(HarvesterBase):
    """Base of the Jena harvesters; subclasses implement ``list_records`` and ``to_dataset``."""

    HARVESTER_NAME = ""
    TITLE = ""
    DESCRIPTION = ""
    # Part of the content hash; a harvester raises it when its mapping changes.
    MAPPING_VERSION = "1"

    # -- what a harvester provides ---------------------------------------------------------------

    def check_config(self, config: dict[str, Any]) -> list[HarvestMessage]:
        """Problems of the harvester's own settings in a source configuration."""
        return []

    def config_keys(self) -> set[str]:
        """Settings of the harvester's own, besides the common ones."""
        return set()

    def list_records(self, run: SourceRun) -> Iterator[Record]:
        raise NotImplementedError

    def to_dataset(self, content: str, run: SourceRun) -> dict[str, Any]:
        raise NotImplementedError

    # -- IHarvester ------------------------------------------------------------------------------

    def info(self):
        return {
            "name": self.HARVESTER_NAME,
            "title": _ui_text(self.TITLE),
            "description": _ui_text(self.DESCRIPTION),
            "form_config_interface": "Text",
        }

    def validate_config(self, config):
        """Parse and check a source configuration when the source is saved."""
        parsed, problems = self.parse_config(config)
        if problems:
            raise ValueError("\n".join(problem.bilingual() for problem in problems))
        return canonical_json(parsed) if parsed else ""

    def parse_config(self, config: str | None) -> tuple[dict[str, Any], list[HarvestMessage]]:
        if not config or not config.strip():
            return {}, []
        try:
            parsed = json.loads(config)
        except ValueError as error:
            return {}, [HarvestMessage(
                N_("The configuration is not valid JSON: {problem}"), problem=str(error))]
        if not isinstance(parsed, dict):
            return {}, [HarvestMessage(N_("The configuration must be a JSON object."))]
        problems = []
        unknown = sorted(set(parsed) - COMMON_CONFIG_KEYS - self.config_keys())
        if unknown:
            problems.append(HarvestMessage(
                N_("Unknown settings: {keys}. Known settings: {known}."),
                keys=", ".join(unknown),
                known=", ".join(sorted(COMMON_CONFIG_KEYS | self.config_keys()))))
        if "max_deletion_share" in parsed:
            share = parsed["max_deletion_share"]
            if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1:
                problems.append(HarvestMessage(
                    N_("max_deletion_share must be a number from 0 to 1, such as 0.2.")))
        if "protected_fields" in parsed and not (
                isinstance(parsed["protected_fields"], list)
                and all(isinstance(item, str) for item in parsed["protected_fields"])):
            problems.append(HarvestMessage(
                N_("protected_fields must be a list of field names.")))
        if "defaults" in parsed and not isinstance(parsed["defaults"], dict):
            problems.append(HarvestMessage(N_(
                "defaults must be an object of dataset fields and the values that records "
                "without them get, such as {example}."),
                example='{"license_id": "dl-by-de/2.0"}'))
        problems.extend(self.check_config(parsed))
        return parsed, problems

    def get_original_url(self, harvest_object_id):
        return _object_extra(harvest_object_id, ORIGINAL_URL)

    def gather_stage(self, harvest_job):
        source = harvest_job.source
        try:
            run = self.source_run(source, harvest_job.id)
            records = list(_within_gather_deadline(self.list_records(run)))
        except HarvestError as error:
            self._report_failed_gather(harvest_job, error.message)
            return None
        except Exception as error:  # a bug must not leave the job running or delete anything
            log.exception("Gather of source %s failed", source.id)
            self._report_failed_gather(harvest_job, HarvestMessage(
                N_("Unexpected error while reading the source: {problem}"),
                problem=f"{type(error).__name__}: {error}"))
            return None
        plan, object_ids = self._plan(harvest_job, run, records)
        log.info("Gather of source %s: %d new, %d changed, %d unchanged, %d withdrawn, %d failed",
                 source.id, len(plan.new), len(plan.changed), len(plan.unchanged),
                 len(plan.withdrawn), len(plan.failed))
        return object_ids

    def fetch_stage(self, harvest_object):
        # Gather already holds every record's content: one request per page, none per record.
        return True

    def import_stage(self, harvest_object):
        status = _object_extra(harvest_object.id, "status")
        try:
            if status == STATUS_DELETE:
                self._withdraw(harvest_object)
                return True
            source = harvest_object.source or harvest_object.job.source
            run = self.source_run(source, harvest_object.harvest_job_id)
            dataset = self.to_dataset(harvest_object.content, run)
            self._write(harvest_object, run, dataset)
            return True
        except RecordError as error:
            self._record_error(harvest_object, error.message)
        except tk.ValidationError as error:
            self._record_error(harvest_object, HarvestMessage(
                N_("The dataset does not meet the metadata schema: {errors}"),
                errors=describe_errors(error.error_dict)))
        except Exception as error:
            log.exception("Import of harvest object %s failed", harvest_object.id)
            self._record_error(harvest_object, HarvestMessage(
                N_("Unexpected error while importing the record: {problem}"),
                problem=f"{type(error).__name__}: {error}"))
        return False

    # -- the source ------------------------------------------------------------------------------

    def source_run(self, source: HarvestSource, job_id: str | None) -> SourceRun:
        config, problems = self.parse_config(source.config)
        if problems:
            raise SourceError(HarvestMessage(
                N_("The source configuration is invalid: {problems}"),
                problems=" ".join(problem.text("de") for problem in problems)))
        # the source's own dataset holds its organisation (harvest_source_show would also compute
        # the source's job statistics, far too slow to ask for every record)
        organization_id = (model.Session.query(model.Package.owner_org)
                           .filter(model.Package.id == source.id).scalar())
        return SourceRun(source_id=source.id, url=source.url.strip(), config=config,
                         client=SafeClient.from_config(), organization_id=organization_id,
                         job_id=job_id)

    def _report_failed_gather(self, job: HarvestJob, problem: HarvestMessage) -> None:
        message = HarvestMessage(
            N_("{problem} Nothing was imported, changed or withdrawn."), problem=problem)
        HarvestGatherError(message=message.bilingual(), job=job).save()
        notify.failed_job(job, message)

    # -- gather: what to do with each record -----------------------------------------------------

    def _plan(self, job: HarvestJob, run: SourceRun,
              records: list[Record]) -> tuple[Plan, list[str]]:
        plan = Plan()
        known = _current_objects(run.source_id)
        fingerprint = content_hash(CORE_VERSION, self.MAPPING_VERSION, canonical_json(run.config))
        seen: set[str] = set()
        listing_complete = True
        to_fetch: list[HarvestObject] = []
        finished: list[HarvestObject] = []
        new_records: list[tuple[Record, str]] = []

        for record in records:
            if record.error is not None or not record.guid:
                listing_complete = listing_complete and bool(record.guid)
                finished.append(self._failed_object(job, record, record.error or HarvestMessage(
                    N_("The record has no identifier, so it cannot be matched to a dataset."))))
                plan.failed.append(record.guid or "")
                if record.guid:
                    seen.add(record.guid)
                continue
            if record.guid in seen:
                finished.append(self._failed_object(job, record, HarvestMessage(
                    N_("The identifier {guid} appears more than once in the source; only its first "
                       "record was used."), guid=record.guid)))
                plan.failed.append(record.guid)
                continue
            seen.add(record.guid)
            digest = content_hash(fingerprint, record.content)
            previous = known.get(record.guid)
            if previous and previous.content_hash == digest and previous.package_state == "active":
                finished.append(HarvestObject(
                    guid=record.guid, job=job, source=job.source, package_id=previous.package_id,
                    state="COMPLETE", report_status="not modified", content=None,
                    import_finished=datetime.datetime.utcnow()))
                plan.unchanged.append(record.guid)
                continue
            if previous and previous.package_state:
                to_fetch.append(_object_to_import(job, record, digest, STATUS_CHANGE,
                                                  previous.package_id))
                plan.changed.append(record.guid)
            else:
                new_records.append((record, digest))

        owners = _identifier_owners([record.guid for record, _ in new_records], run.source_id)
        for record, digest in new_records:
            if record.guid in owners:
                finished.append(self._failed_object(job, record, owners[record.guid]))
                plan.failed.append(record.guid)
            else:
                to_fetch.append(_object_to_import(job, record, digest, STATUS_NEW, None))
                plan.new.append(record.guid)

        missing = [guid for guid, item in known.items()
                   if guid not in seen and item.package_state == "active"]
        if missing:
            refusal = self._deletion_refusal(run, len(missing), len(records), known,
                                             listing_complete)
            if refusal:
                HarvestGatherError(message=refusal.bilingual(), job=job).save()
                notify.failed_job(job, refusal)
            else:
                for guid in missing:
                    to_fetch.append(HarvestObject(
                        guid=guid, job=job, source=job.source, package_id=known[guid].package_id,
                        extras=[HarvestObjectExtra(key="status", value=STATUS_DELETE)]))
                    plan.withdrawn.append(guid)
        elif not records:
            HarvestGatherError(message=HarvestMessage(
                N_("The source lists no datasets.")).bilingual(), job=job).save()

        model.Session.add_all(finished + to_fetch)
        model.Session.commit()
        return plan, [item.id for item in to_fetch]

    def _deletion_refusal(self, run: SourceRun, missing: int, listed: int, known: dict,
                          listing_complete: bool) -> HarvestMessage | None:
        """Why the datasets gone from the source must not be withdrawn now, if they must not."""
        if listed == 0:
            return HarvestMessage(N_(
                "The source lists no datasets, so none of its {count} datasets were withdrawn. "
                "If the source really is empty now, run the harvest once with --allow-deletions."),
                count=missing)
        if not listing_complete:
            return HarvestMessage(N_(
                "Some records of the source could not be read, so none of the {count} datasets "
                "missing from it were withdrawn."), count=missing)
        if _deletions_allowed.get():
            return None
        active = sum(1 for item in known.values() if item.package_state == "active")
        share = missing / active if active else 1.0
        limit = run.config.get("max_deletion_share",
                               tk.config.get("ckanext.jena.harvest.max_deletion_share"))
        if share > float(limit):
            return HarvestMessage(N_(
                "{count} of {total} datasets ({share} %) are gone from the source, more than the "
                "allowed {limit} %, so none were withdrawn. If that is right, run the harvest once "
                "with --allow-deletions."),
                count=missing, total=active, share=round(share * 100),
                limit=round(float(limit) * 100))
        return None

    def _failed_object(self, job: HarvestJob, record: Record,
                       problem: HarvestMessage) -> HarvestObject:
        harvest_object = HarvestObject(
            guid=record.guid or "", job=job, source=job.source, content=record.content,
            state="ERROR", report_status="errored", import_finished=datetime.datetime.utcnow())
        harvest_object.errors = [HarvestObjectError(message=problem.bilingual(), stage="Gather")]
        return harvest_object

    # -- import ----------------------------------------------------------------------------------

    def _context(self) -> dict[str, Any]:
        return {"user": self._get_user_name(), "ignore_auth": True, "model": model,
                "session": model.Session}

    def _write_context(self) -> dict[str, Any]:
        # the written dataset is not read back: package_show would validate it once more
        return {**self._context(), "return_id_only": True}

    def _write(self, harvest_object: HarvestObject, run: SourceRun,
               dataset: dict[str, Any]) -> None:
        dataset = dict(dataset)
        for name, value in run.config.get("defaults", {}).items():
            if dataset.get(name) in (None, "", [], {}):
                dataset[name] = value
        dataset.setdefault("identifier", harvest_object.guid)
        dataset["owner_org"] = run.organization_id
        existing = self._existing_package(harvest_object)
        if existing is None:
            if dataset["identifier"] != harvest_object.guid:  # the guid was checked at gather
                owners = _identifier_owners([dataset["identifier"]], run.source_id)
                if owners:
                    raise RecordError(owners[dataset["identifier"]])
            dataset["id"] = str(uuid.uuid4())
            dataset["name"] = self._gen_new_name(_title_for_name(dataset))
            action = "package_create"
        else:
            dataset = _merged(dataset, existing, _protected_fields(run))
            dataset["state"] = "active"
            action = "package_update"
        _complete_resource_names(dataset)
        _complete_contact_names(dataset)
        # current before the write: ckanext-harvest reads the dataset's origin from the current
        # object when the dataset is indexed; the action's commit saves both or neither
        _make_current(harvest_object, dataset["id"])
        try:
            _in_language("en", lambda: tk.get_action(action)(self._context(), dataset),
                         also_on_failure="de")
        except tk.ValidationError as error:
            optional = _optional_problems(error.error_dict)
            if not optional:
                raise
            # a wrong optional value (a malformed checksum, an unknown file type) should not keep
            # a whole dataset out: it is saved without those values, and the report says which
            model.Session.rollback()
            _make_current(harvest_object, dataset["id"])
            _in_language("en", lambda: tk.get_action(action)(
                self._write_context(), _without(dataset, optional)), also_on_failure="de")
            HarvestObjectError(object=harvest_object, stage="Import", message=HarvestMessage(
                N_("Saved without the values that do not meet the metadata schema: {errors}"),
                errors=describe_errors(error.error_dict)).bilingual()).save()

    def _existing_package(self, harvest_object: HarvestObject) -> dict[str, Any] | None:
        if not harvest_object.package_id:
            return None
        try:
            return tk.get_action("package_show")(
                self._context() | {"for_update": True}, {"id": harvest_object.package_id})
        except tk.ObjectNotFound:
            return None

    def _withdraw(self, harvest_object: HarvestObject) -> None:
        if harvest_object.package_id:
            try:
                tk.get_action("package_delete")(self._context(), {"id": harvest_object.package_id})
            except tk.ObjectNotFound:
                pass
        # the object of the last import stays current, so the dataset keeps its identity and is
        # restored should the record come back; ckanext-harvest reports a non-current object
        # as "deleted"
        harvest_object.current = False
        harvest_object.save()

    def _record_error(self, harvest_object: HarvestObject, problem: HarvestMessage) -> None:
        model.Session.rollback()
        HarvestObjectError(object=harvest_object, message=problem.bilingual(),
                           stage="Import").save()


# -- helpers of the core -----------------------------------------------------------------------

@dataclass
class _Known:
    object_id: str
    package_id: str | None
    content_hash: str | None
    package_state: str | None


def _current_objects(source_id: str) -> dict[str, _Known]:
    """The source's records as the portal holds them: guid → dataset and last content hash."""
    hash_extra = sa.orm.aliased(HarvestObjectExtra)
    rows = (model.Session.query(HarvestObject.guid, HarvestObject.id, HarvestObject.package_id,
                                hash_extra.value, model.Package.state)
            .outerjoin(hash_extra, sa.and_(hash_extra.harvest_object_id == HarvestObject.id,
                                           hash_extra.key == CONTENT_HASH))
            .outerjoin(model.Package, model.Package.id == HarvestObject.package_id)
            .filter(HarvestObject.harvest_source_id == source_id,
                    HarvestObject.current.is_(True))
            .all())
    return {guid: _Known(object_id, package_id, digest, state)
            for guid, object_id, package_id, digest, state in rows}


def _object_to_import(job: HarvestJob, record: Record, digest: str, status: str,
                      package_id: str | None) -> HarvestObject:
    return HarvestObject(
        guid=record.guid, job=job, source=job.source, content=record.content,
        package_id=package_id,
        extras=[HarvestObjectExtra(key="status", value=status),
                HarvestObjectExtra(key=CONTENT_HASH, value=digest)]
        + ([HarvestObjectExtra(key=ORIGINAL_URL, value=record.original_url)]
           if record.original_url else []))


# identifiers checked per Solr query; a query string stays far below Solr's limits
IDENTIFIER_BATCH = 50


def _identifier_owners(identifiers: list[str], source_id: str) -> dict[str, HarvestMessage]:
    """Why new records may not take their identifiers: a dataset made by hand or harvested
    from another source already has them. Asked in batches, not once per record."""
    owners: dict[str, HarvestMessage] = {}
    for start in range(0, len(identifiers), IDENTIFIER_BATCH):
        batch = identifiers[start:start + IDENTIFIER_BATCH]
        harvested = (model.Session.query(HarvestObject.guid, HarvestSource.title, HarvestSource.url)
                     .join(HarvestSource, HarvestObject.harvest_source_id == HarvestSource.id)
                     .join(model.Package, model.Package.id == HarvestObject.package_id)
                     .filter(HarvestObject.current.is_(True), HarvestObject.guid.in_(batch),
                             HarvestObject.harvest_source_id != source_id,
                             model.Package.state == "active"))
        for guid, title, url in harvested:
            owners[guid] = HarvestMessage(N_(
                "The identifier {identifier} already belongs to a dataset harvested from "
                "\"{source}\"; it was not overwritten."), identifier=guid, source=title or url)
        query = " OR ".join(f'"{_solr_escape(identifier)}"' for identifier in batch)
        found = tk.get_action("package_search")(
            {"ignore_auth": True},
            {"fq": f"identifier:({query})", "rows": 2 * len(batch), "include_private": True})
        for dataset in found["results"]:  # usually none: only datasets that clash come back
            identifier = dataset.get("identifier")
            if identifier in batch and identifier not in owners:
                owners[identifier] = HarvestMessage(N_(
                    "The identifier {identifier} already belongs to the dataset \"{name}\" of "
                    "this portal; it was not overwritten."), identifier=identifier,
                    name=dataset["name"])
    return owners


def _make_current(harvest_object: HarvestObject, package_id: str | None) -> None:
    """The newest object of a guid is its current one; ckanext-harvest reads the origin from it."""
    (model.Session.query(HarvestObject)
     .filter(HarvestObject.harvest_source_id == harvest_object.harvest_source_id,
             HarvestObject.guid == harvest_object.guid,
             HarvestObject.current.is_(True),
             HarvestObject.id != harvest_object.id)
     .update({"current": False}, synchronize_session=False))
    harvest_object.package_id = package_id
    harvest_object.current = True
    # a new dataset exists only after the action that follows: check the key at commit
    model.Session.execute(sa.text("SET CONSTRAINTS harvest_object_package_id_fkey DEFERRED"))
    model.Session.add(harvest_object)
    model.Session.flush()


def _object_extra(harvest_object_id: str, key: str) -> str | None:
    row = (model.Session.query(HarvestObjectExtra.value)
           .filter(HarvestObjectExtra.harvest_object_id == harvest_object_id,
                   HarvestObjectExtra.key == key).first())
    return row[0] if row else None


def _protected_fields(run: SourceRun) -> set[str]:
    return set(_words(tk.config.get("ckanext.jena.harvest.protected_fields"))) | set(
        _words(run.config.get("protected_fields")))


def _merged(incoming: dict[str, Any], existing: dict[str, Any],
            protected: set[str]) -> dict[str, Any]:
    """The harvested dataset, with the local dataset's identity, curated fields and resource ids."""
    merged = dict(incoming)
    merged["id"] = existing["id"]
    merged["name"] = existing["name"]
    for name in protected:
        if existing.get(name) not in (None, "", [], {}):
            merged[name] = existing[name]
    if "groups" not in incoming:
        merged["groups"] = [{"id": group["id"]} for group in existing.get("groups", [])]
    merged["resources"] = _with_stable_resource_ids(incoming.get("resources", []),
                                                    existing.get("resources", []))
    return merged


def _resource_key(resource: dict[str, Any]) -> str:
    return (resource.get("download_url") or resource.get("url") or resource.get("access_url")
            or "").strip()


def _with_stable_resource_ids(incoming: list[dict[str, Any]],
                              existing: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Resources keep their ids (and so their links) when their address stays the same."""
    by_key: dict[str, list[str]] = {}
    for resource in existing:
        by_key.setdefault(_resource_key(resource), []).append(resource["id"])
    result = []
    for resource in incoming:
        resource = dict(resource)
        ids = by_key.get(_resource_key(resource))
        if ids and "id" not in resource:
            resource["id"] = ids.pop(0)
        result.append(resource)
    return result


def _required_fields() -> set[str]:
    from ckanext.scheming.helpers import scheming_get_dataset_schema
    schema = scheming_get_dataset_schema("dataset") or {}
    return {field["field_name"] for field in schema.get("dataset_fields", [])
            if field.get("required")} | {"name", "owner_org", "id"}


def _optional_problems(errors: dict[str, Any]) -> list[tuple[str, ...]]:
    """The paths of the invalid values, if none of them is a required dataset field."""
    paths: list[tuple[str, ...]] = []
    required = _required_fields()
    for key, value in errors.items():
        if key in required:
            return []
        if key == "resources" and isinstance(value, list):
            for number, resource_errors in enumerate(value):
                if isinstance(resource_errors, dict):
                    paths.extend(("resources", str(number), name) for name in resource_errors
                                 if name not in ("url", "name_translated"))
                    if {"url", "name_translated"} & set(resource_errors):
                        return []
        elif value:
            paths.append((key,))
    return paths


def _without(dataset: dict[str, Any], paths: list[tuple[str, ...]]) -> dict[str, Any]:
    cleaned = dict(dataset)
    cleaned["resources"] = [dict(resource) for resource in dataset.get("resources", [])]
    for path in paths:
        if path[0] == "resources":
            resource = cleaned["resources"][int(path[1])]
            # a checksum and its algorithm only mean something together
            names = ("hash", "hash_algorithm") if path[2] in ("hash", "hash_algorithm") else path[2:]
            for name in names:
                resource.pop(name, None)
        else:
            cleaned.pop(path[0], None)
    return cleaned


def _complete_resource_names(dataset: dict[str, Any]) -> None:
    """Sources often leave distributions unnamed; the portal needs a German name to show."""
    for resource in dataset.get("resources", []):
        names = resource.get("name_translated")
        names = dict(names) if isinstance(names, dict) else {}
        if not names.get("de"):
            fallback = names.get("en") or resource.get("name") or _file_name(resource) \
                or resource.get("format") or "Daten"
            names["de"] = fallback
            resource["name_translated"] = names


def _complete_contact_names(dataset: dict[str, Any]) -> None:
    """A contact point reachable by e-mail or web but without a name is named by its address."""
    contacts = dataset.get("contact")
    if isinstance(contacts, list):
        for contact in contacts:
            if isinstance(contact, dict) and not contact.get("name"):
                address = contact.get("email") or contact.get("url")
                if address:
                    contact["name"] = address


def _file_name(resource: dict[str, Any]) -> str:
    from urllib.parse import unquote, urlsplit
    path = urlsplit(_resource_key(resource)).path.rstrip("/")
    return unquote(path.rsplit("/", 1)[-1]) if path else ""


def _title_for_name(dataset: dict[str, Any]) -> str:
    titles = dataset.get("title_translated") or {}
    return titles.get("de") or titles.get("en") or dataset.get("title") or dataset["identifier"]


def _solr_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _ui_text(message: str) -> str:
    try:
        return tk._(message)
    except Exception:  # no request or app context, as in the queue consumers
        return message


def _in_language(language: str, call, also_on_failure: str | None = None):
    """Run an action with its messages in one language; on a validation error, give the error
    again in a second language as well, so that the job report carries both."""
    app = _flask_app()
    if app is None:
        return call()
    try:
        with _language_context(app, language):
            return call()
    except tk.ValidationError as first:
        if not also_on_failure:
            raise
        model.Session.rollback()
        try:
            with _language_context(app, also_on_failure):
                call()
        except tk.ValidationError as second:
            raise tk.ValidationError(_joined_errors(second.error_dict, first.error_dict))
        raise


@contextlib.contextmanager
def _language_context(app, language: str):
    # a fresh app context too: Flask-Babel keeps the language of a context on its ``g``
    with app.app_context(), app.test_request_context(environ_overrides={"CKAN_LANG": language}):
        yield


def _joined_errors(first: Any, second: Any) -> Any:
    """Error dicts of one validation in two languages, joined message by message."""
    if isinstance(first, dict) and isinstance(second, dict):
        return {key: _joined_errors(value, second.get(key)) for key, value in first.items()}
    if isinstance(first, list) and isinstance(second, list) and len(first) == len(second):
        return [_joined_errors(a, b) for a, b in zip(first, second)]
    if isinstance(first, str) and isinstance(second, str) and first != second:
        return f"{first} / {second}"
    return first


def describe_errors(errors: Any, path: str = "") -> str:
    """A validation error dict as "field: message" parts, down into resources and subfields."""
    if isinstance(errors, dict):
        return "; ".join(filter(None, (describe_errors(value, f"{path}.{key}" if path else str(key))
                                       for key, value in errors.items())))
    if isinstance(errors, list):
        if all(isinstance(item, str) for item in errors):
            return f"{path}: {' '.join(errors)}" if errors else ""
        return "; ".join(filter(None, (describe_errors(item, f"{path}[{number}]")
                                       for number, item in enumerate(errors, start=1))))
    return f"{path}: {errors}" if errors else ""


def _flask_app():
    import flask
    if flask.has_app_context():
        return flask.current_app
    import click
    context = click.get_current_context(silent=True)
    while context is not None:
        if "flask_app" in context.meta:
            return context.meta["flask_app"]
        context = context.parent
    return None


# -- running a job in this process -------------------------------------------------------------

def run_job(source_id: str, *, allow_deletions: bool = False) -> dict[str, Any]:
    """Create a job for a source and run gather, fetch and import here, without the queues.

    Used by ``ckan jena harvest run`` (the only way to allow a large withdrawal) and by tests.
    Returns the finished job as ``harvest_job_show`` gives it.
    """
    from ckanext.harvest.queue import gather_stage, get_harvester

    context = {"ignore_auth": True, "model": model, "session": model.Session,
               "user": tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]}
    source = HarvestSource.get(source_id)
    if source is None:
        raise tk.ObjectNotFound(source_id)
    job = HarvestJob(source=source, status="Running")
    job.save()
    job_id = job.id
    harvester = get_harvester(source.type)
    manager = deletions_allowed() if allow_deletions else contextlib.nullcontext()
    with manager:
        object_ids = gather_stage(harvester, job)
    with _search_commits_deferred():
        _import_all(harvester, object_ids or [],
                    int(tk.config.get("ckanext.jena.harvest.import_processes")))
    tk.get_action("harvest_jobs_run")(context, {"source_id": source_id})
    return tk.get_action("harvest_job_show")(context, {"id": job_id})


# below this many records per process a second process costs more than it saves
MIN_RECORDS_PER_PROCESS = 50


def _import_all(harvester, object_ids: list[str], processes: int) -> None:
    """Fetch and import the gathered objects, in several processes when there are many.

    Importing is CKAN's package_create/update, bound by one CPU core per process; records are
    independent of each other once gather has decided what to do with each, so they can be
    split. Each child process opens its own database connections.
    """
    from ckanext.harvest.queue import fetch_and_import_stages

    processes = max(1, min(processes, len(object_ids) // MIN_RECORDS_PER_PROCESS))
    if processes == 1 or not hasattr(os, "fork"):
        for object_id in object_ids:
            fetch_and_import_stages(harvester, HarvestObject.get(object_id))
        return
    # no database connection may be shared: the parent closes its own before forking
    model.Session.commit()
    model.Session.remove()
    model.meta.engine.dispose()
    children = {}
    for number in range(processes):
        chunk = object_ids[number::processes]
        pid = os.fork()
        if pid == 0:  # the child: import its share, then leave without the parent's clean-up
            status = 1
            try:
                model.meta.engine.dispose(close=False)
                for object_id in chunk:
                    fetch_and_import_stages(harvester, HarvestObject.get(object_id))
                model.Session.remove()
                status = 0
            except BaseException:
                log.exception("Import process %d of %d failed", number + 1, processes)
            finally:
                os._exit(status)
        children[pid] = chunk
    for pid, chunk in children.items():
        _, status = os.waitpid(pid, 0)
        if status:
            _fail_unfinished(chunk)


def _fail_unfinished(object_ids: list[str]) -> None:
    """Objects an import process left unfinished are errors, so that the job can finish."""
    unfinished = (model.Session.query(HarvestObject)
                  .filter(HarvestObject.id.in_(object_ids),
                          HarvestObject.state.notin_(["COMPLETE", "ERROR"])).all())
    for harvest_object in unfinished:
        harvest_object.state = "ERROR"
        harvest_object.report_status = "errored"
        HarvestObjectError(object=harvest_object, stage="Import", message=HarvestMessage(
            N_("The import process stopped before this record was imported.")).bilingual())
    model.Session.commit()


@contextlib.contextmanager
def _search_commits_deferred():
    """One search index commit for a whole job instead of one per dataset.

    CKAN commits Solr after every dataset it indexes, which is most of the time an import takes;
    within one job the datasets need only be searchable once the job is done.
    """
    from ckan.lib import search  # no toolkit equivalent for a commit of the index

    before = tk.config.get("ckan.search.solr_commit")
    tk.config["ckan.search.solr_commit"] = False
    try:
        yield
    finally:
        tk.config["ckan.search.solr_commit"] = before
        search.commit()


def job_report(job_id: str) -> dict[str, Any]:
    """Counts and messages of one job, as ``ckan jena harvest run`` prints them."""
    counts = dict(model.Session.query(HarvestObject.report_status, sa.func.count(HarvestObject.id))
                  .filter(HarvestObject.harvest_job_id == job_id)
                  .group_by(HarvestObject.report_status).all())
    gather_errors = [row.message for row in model.Session.query(HarvestGatherError)
                     .filter(HarvestGatherError.harvest_job_id == job_id)
                     .order_by(HarvestGatherError.created)]
    object_errors = [(guid, message) for guid, message in model.Session.query(
        HarvestObject.guid, HarvestObjectError.message)
        .join(HarvestObjectError, HarvestObjectError.harvest_object_id == HarvestObject.id)
        .filter(HarvestObject.harvest_job_id == job_id)
        .order_by(HarvestObjectError.created)]
    return {"counts": {key or "pending": value for key, value in counts.items()},
            "gather_errors": gather_errors, "record_errors": object_errors}


def records_from(items: Iterable[tuple[str | None, Any, str | None]]) -> Iterator[Record]:
    """Records from (guid, JSON-able content, original URL) triples."""
    for guid, content, original_url in items:
        yield Record(guid=guid, content=canonical_json(content), original_url=original_url)
