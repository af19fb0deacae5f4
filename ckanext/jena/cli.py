"""``ckan jena …`` commands for operators of the Jena portal."""
from __future__ import annotations

import functools

import click

import ckan.plugins.toolkit as tk

__all__ = ["jena"]


@click.group(short_help="Commands of the Jena open data portal.")
def jena():
    pass


@jena.group(short_help="Demo content for a local or test portal.")
def demo():
    pass


def in_request_context(command):
    """Run a command inside a request context of the portal's app.

    Outside a request, CKAN's translation functions fall back to the source language;
    inside one, messages come in the portal's default language, as on its web pages.
    """
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        with click.get_current_context().meta["flask_app"].test_request_context():
            return command(*args, **kwargs)
    return wrapper


@demo.command("load", short_help="Create the demo organisations, categories and datasets.")
@click.option("--user", "user_name", default="admin", show_default=True,
              help="Sysadmin account the content is created as.")
@in_request_context
def load_demo(user_name: str):
    """Load the demo content through the action API; existing objects are kept as they are."""
    from ckanext.jena.demo.loader import DemoLoader

    try:
        tk.get_action("user_show")({"ignore_auth": True}, {"id": user_name})
    except tk.ObjectNotFound:
        raise click.ClickException(
            tk._("User {name} does not exist: create it first.").format(name=user_name)
        )
    try:
        report = DemoLoader(user_name).load()
    except tk.ValidationError as error:
        raise click.ClickException(
            tk._("Demo content was rejected: {errors}").format(errors=error.error_summary)
        )
    labels = {
        "organizations": tk._("Organisations"),
        "categories": tk._("Categories"),
        "datasets": tk._("Datasets"),
        "resources": tk._("Resources"),
    }
    for kind, label in labels.items():
        click.echo(
            tk._("{kind}: {created} created, {kept} already there").format(
                kind=label, created=report.created.get(kind, 0), kept=report.kept.get(kind, 0)
            )
        )


@demo.command("sources", short_help="Create the sample harvest sources and harvest each once.")
@click.option("--base-url", required=True,
              help="Address of the sample source server, e.g. http://127.0.0.1:5080.")
@click.option("--user", "user_name", default="admin", show_default=True,
              help="Sysadmin account the sources are created as.")
@click.option("--no-harvest", is_flag=True, help="Only create the sources.")
@in_request_context
def demo_sources(base_url: str, user_name: str, no_harvest: bool):
    """One source per Jena harvester (content.yaml, harvest_sources); existing ones are reused,
    so a second run only finds the datasets unchanged. Exits with 1 if a harvest had errors."""
    from ckanext.jena.demo.harvest_sources import ensure_sources

    outcomes = {"created": tk._("created"), "updated": tk._("updated"), "kept": tk._("already there")}
    try:
        loaded = ensure_sources(user_name, base_url)
    except tk.ValidationError as error:
        raise click.ClickException(
            tk._("Demo content was rejected: {errors}").format(errors=error.error_summary))
    clean = True
    for item in loaded:
        click.echo(tk._("Harvest source {name}: {outcome}").format(
            name=item.source["name"], outcome=outcomes[item.outcome]))
        if not no_harvest:
            clean = _harvest_and_report(item.source) and clean
    if not clean:
        raise SystemExit(1)


@jena.command("check-metadata", short_help="List datasets that fail the metadata schema, and why.")
@click.option("--user", "user_name", default=None,
              help="Account the datasets are read as (default: the site user, who sees everything).")
@in_request_context
def check_metadata(user_name: str | None):
    """Validate every dataset as if it were saved unchanged; exit code 1 when any fails."""
    from ckanext.jena.logic.metadata_check import check_all

    user_name = user_name or _site_user()
    language = tk.config.get("ckan.locale_default") or "de"
    failures = 0
    for finding in check_all(user_name, language):
        failures += 1
        click.echo(tk._("{name}: does not meet the metadata schema").format(name=finding.name))
        for field, message in finding.problems:
            click.echo(f"  - {field}: {message}")
    if failures:
        click.echo(tk._("{count} datasets do not meet the metadata schema.").format(count=failures))
        raise SystemExit(1)
    click.echo(tk._("All datasets meet the metadata schema."))


@jena.command("create-themes", short_help="Create the 13 EU data themes as CKAN groups.")
@click.option("--user", "user_name", default=None,
              help="Sysadmin account the groups are created as (default: the site user).")
@in_request_context
def create_themes(user_name: str | None):
    """Create the EU data-theme groups that are missing; existing groups are kept as they are."""
    from ckanext.jena.logic.themes import create_theme_groups

    report = create_theme_groups(user_name or _site_user())
    click.echo(tk._("EU data themes: {created} created, {kept} already there").format(
        created=len(report.created), kept=len(report.kept)))


@jena.command("schema-table", short_help="Print the dataset schema as a Markdown table.")
def schema_table():
    """The README's field table: every field with its German and English label."""
    from ckanext.jena.logic import schema_doc

    click.echo(schema_doc.render_markdown(schema_doc.load_schema()), nl=False)


def _site_user() -> str:
    return tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]


@jena.group(short_help="Harvest sources of the Jena harvesters.")
def harvest():
    pass


@harvest.command("run", short_help="Harvest one source now, in this process, and print the report.")
@click.argument("source")
@click.option("--allow-deletions", is_flag=True,
              help="Withdraw the datasets gone from the source even if they exceed the allowed "
                   "share (an empty or much smaller catalogue). Only for this run.")
@in_request_context
def run_harvest(source: str, allow_deletions: bool):
    """Run a job for SOURCE (id or name) without the queues; exits with 1 if the job had errors."""
    try:
        source_dict = tk.get_action("harvest_source_show")({"ignore_auth": True}, {"id": source})
    except tk.ObjectNotFound:
        raise click.ClickException(tk._("Harvest source {source} does not exist.").format(source=source))
    if not _harvest_and_report(source_dict, allow_deletions=allow_deletions):
        raise SystemExit(1)


def _harvest_and_report(source_dict: dict, allow_deletions: bool = False) -> bool:
    """Run one job of a source here and print its report; whether it went without errors."""
    from ckanext.jena.harvesters.base import job_report, run_job

    job = run_job(source_dict["id"], allow_deletions=allow_deletions)
    report = job_report(job["id"])
    labels = {"added": tk._("added"), "updated": tk._("updated"), "not modified": tk._("unchanged"),
              "deleted": tk._("withdrawn"), "errored": tk._("failed")}
    click.echo(tk._("Job {job} of {source}:").format(job=job["id"], source=source_dict["title"]
                                                     or source_dict["url"]))
    for status, label in labels.items():
        click.echo(f"  {label}: {report['counts'].get(status, 0)}")
    for message in report["gather_errors"]:
        click.echo(tk._("Source: {message}").format(message=message))
    for guid, message in report["record_errors"]:
        click.echo(tk._("Record {guid}: {message}").format(guid=guid, message=message))
    return not (report["gather_errors"] or report["record_errors"])
