"""Every text a visitor can read in the extension's templates is marked for translation.

A string typed straight into a template shows in German and English alike; this scan finds
such strings so that they are wrapped in ``{% trans %}`` or ``_()`` before they ship. It needs
no running CKAN.
"""
import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parent.parent / "ckanext" / "jena" / "templates"

# Text without letters needs no translation when it is one of these (separators, markers).
ALLOWED_SYMBOLS = {"*", "·", "–", "—", "|", "/", ":", ",", ".", "(", ")", "»", "«", "→", "&nbsp;", "&middot;", "&ndash;"}
# Attributes whose values are read out or shown to visitors.
VISIBLE_ATTRIBUTES = ("title", "alt", "placeholder", "aria-label", "aria-description", "aria-roledescription")

JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.S)
TRANS_BLOCK = re.compile(r"\{%-?\s*trans\b.*?%\}.*?\{%-?\s*endtrans\s*-?%\}", re.S)
JINJA_EXPRESSION = re.compile(r"\{\{.*?\}\}", re.S)
JINJA_STATEMENT = re.compile(r"\{%.*?%\}", re.S)
RAW_ELEMENT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.S | re.I)
HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
TAG = re.compile(r"<[^>]*>", re.S)
ATTRIBUTE = re.compile(r"""\s({names})\s*=\s*("[^"]*"|'[^']*')""".format(names="|".join(VISIBLE_ATTRIBUTES)), re.I)
ENTITY_OR_WORD = re.compile(r"&[a-zA-Z]+;|&#\d+;|[^\s]+")


def unmarked_texts(source: str) -> list[str]:
    """The pieces of visible text in a template that would not be translated."""
    without_jinja = JINJA_COMMENT.sub(" ", source)
    without_jinja = TRANS_BLOCK.sub(" ", without_jinja)
    without_jinja = JINJA_EXPRESSION.sub(" ", without_jinja)
    without_jinja = JINJA_STATEMENT.sub(" ", without_jinja)
    without_jinja = RAW_ELEMENT.sub(" ", without_jinja)
    without_jinja = HTML_COMMENT.sub(" ", without_jinja)

    pieces = [match.group(2)[1:-1] for tag in TAG.findall(without_jinja) for match in ATTRIBUTE.finditer(tag)]
    pieces.append(TAG.sub(" ", without_jinja))
    found = []
    for piece in pieces:
        words = [word for word in ENTITY_OR_WORD.findall(piece) if word not in ALLOWED_SYMBOLS]
        if words:
            found.append(" ".join(words))
    return found


def template_files():
    return sorted(TEMPLATES.rglob("*.html"))


def test_there_are_templates_to_scan():
    assert len(template_files()) > 5


@pytest.mark.parametrize("template", template_files(), ids=lambda path: str(path.relative_to(TEMPLATES)))
def test_every_visible_text_is_marked_for_translation(template):
    unmarked = unmarked_texts(template.read_text(encoding="utf-8"))
    assert not unmarked, f"{template.relative_to(TEMPLATES)}: wrap in {{% trans %}} or _(): {unmarked}"


@pytest.mark.parametrize("source, expected", [
    ("<p>Download the data</p>", ["Download the data"]),
    ('<a href="/x" title="Open the map">{{ _("Map") }}</a>', ["Open the map"]),
    ('<img src="x.png" alt="Logo der Stadt">', ["Logo der Stadt"]),
    ("<li>{{ link }} Mehr</li>", ["Mehr"]),
    ("{% block title %}Datensätze{% endblock %}", ["Datensätze"]),
    ("<span>(</span>{{ count }}<span>)</span> 2025", ["2025"]),
])
def test_the_scan_finds_unmarked_text(source, expected):
    assert unmarked_texts(source) == expected


@pytest.mark.parametrize("source", [
    "{% trans %}Download the data{% endtrans %}",
    "{% trans count=n %}{{ count }} dataset{% pluralize %}{{ count }} datasets{% endtrans %}",
    '<a href="/x" title="{{ _(\'Open the map\') }}" class="btn">{{ _("Map") }}</a>',
    "{# a note for developers #}<!-- and one in HTML --> <span> · </span> *",
    "<script>var label = 'not shown';</script><style>.a::after { content: 'x' }</style>",
    '<a href="{{ url }}" hreflang="en" lang="en" data-module="x">{{ name }}</a>',
])
def test_the_scan_accepts_marked_text_and_markup(source):
    assert unmarked_texts(source) == []
