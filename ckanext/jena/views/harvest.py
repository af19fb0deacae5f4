"""Pages for harvest operators: the spreadsheet template that departments fill in."""
from __future__ import annotations

from flask import Blueprint

from ckanext.jena.harvesters.spreadsheet import template_view

harvest = Blueprint("jena_harvest", __name__)
harvest.add_url_rule("/harvest/vorlage.<file_format>", view_func=template_view,
                     endpoint="spreadsheet_template")
