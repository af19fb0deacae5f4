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
