"""What the harvest tests share: harvest sources saved as a sysadmin, whole harvests run
in-process, and the datasets a source wrote.

A test module states its source once, e.g.
``make_source = partial(create_source, source_type="jena_csw", name=..., title=..., path=CSW_PATH)``,
and marks its harvesting classes with ``@harvesting(PLUGINS)``.
"""
from __future__ import annotations

import json

import pytest

from ckan.tests import factories, helpers

from ckanext.jena.harvesters.base import job_report, run_job


def harvest_marks(plugins: str) -> list:
    """The marks of a test that harvests into CKAN: these plugins, the harvest tables and a clean
    search index."""
    return [pytest.mark.ckan_config("ckan.plugins", plugins),
            pytest.mark.usefixtures("with_plugins", "harvest_db", "clean_index")]


def harvesting(plugins: str):
    """``harvest_marks`` as a class decorator."""
    def mark(cls):
        for harvest_mark in harvest_marks(plugins):
            cls = harvest_mark(cls)
        return cls
    return mark


def create_source(server, organization, config=None, *, source_type: str, name: str, title: str,
                path: str = "/", default_config: dict | None = None) -> dict:
    """A harvest source of ``organization`` for ``path`` on the local ``server``, saved by a
    sysadmin. ``config`` is a dict or the text typed into the form; without it the source gets
    ``default_config``."""
    config = default_config if config is None else config
    if not isinstance(config, str):
        config = json.dumps(config) if config else ""
    return helpers.call_action(
        "harvest_source_create", {"user": factories.Sysadmin()["name"]},
        name=name, title=title, url=server.url(path), source_type=source_type,
        owner_org=organization["id"], config=config)


def harvest(source, test_request_context, **options) -> tuple[dict, dict]:
    """Run one whole harvest job of ``source`` as the CLI does; the job and its report."""
    with test_request_context():
        job = run_job(source["id"], **options)
    return job, job_report(job["id"])


def harvested(source) -> dict[str, dict]:
    """The datasets of ``source`` as the search index has them, by their identifier."""
    found = helpers.call_action("package_search", fq=f'harvest_source_id:"{source["id"]}"',
                                rows=1000, include_private=True)
    return {dataset["identifier"]: dataset for dataset in found["results"]}


def harvested_in_full(source) -> dict[str, dict]:
    """The datasets of ``source`` as ``package_show`` gives them (state, every field)."""
    return {identifier: helpers.call_action("package_show", id=dataset["id"])
            for identifier, dataset in harvested(source).items()}


def modification_times(source) -> dict[str, str]:
    """When each dataset of ``source`` was last written, by identifier: a harvest that writes
    nothing leaves these as they were."""
    return {identifier: dataset["metadata_modified"]
            for identifier, dataset in harvested_in_full(source).items()}


def assert_reharvest_writes_nothing(source, test_request_context, datasets: int) -> None:
    """Harvest ``source`` again from an unchanged source: all ``datasets`` are reported as not
    modified, and none of them is written."""
    before = modification_times(source)
    _, report = harvest(source, test_request_context)
    assert report["counts"] == {"not modified": datasets}, report
    assert modification_times(source) == before


def state_of(dataset_id: str) -> str:
    return helpers.call_action("package_show", id=dataset_id)["state"]


def assert_bilingual(text: str) -> None:
    """A report message carries a German and an English line."""
    lines = text.split("\n")
    assert len(lines) >= 2, text
