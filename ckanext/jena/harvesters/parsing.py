"""Hardened parsers for harvested documents.

A harvested document is untrusted input. The parsers here never resolve XML entities, never load a
DTD, never reach the network or the file system (no external entities, no remote JSON-LD
``@context``) and bound the work a document can cause, so that entity bombs, XXE and deeply nested
JSON end in a clear bilingual ``DocumentError`` instead of a hung or exhausted harvest worker.

Text is decoded as RFC 7303 and RFC 8259 ask: a byte order mark first, then the charset of the
Content-Type header, then (for XML) the encoding in the XML declaration, else UTF-8. Invalid bytes
are an error naming their offset, never silently replaced.
"""
from __future__ import annotations

import codecs
import json
import re
from typing import Any

import rdflib
from lxml import etree
from rdflib.parser import PythonInputSource

from ckanext.jena.harvesters.messages import N_, HarvestMessage, SourceError

MAX_JSON_BYTES = 50 * 2**20
MAX_JSON_DEPTH = 100

_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE, whose mark it begins with
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_XML_DECLARED_ENCODING = re.compile(
    rb"""^<\?xml\s[^>]*?encoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']""")
_XML_DECLARATION = re.compile(r"^<\?xml\s[^>]*\?>")
_ENCODING_PSEUDO_ATTRIBUTE = re.compile(r"""\sencoding\s*=\s*("[^"]*"|'[^']*')""")

# Media types (and rdflib format names) of the RDF serialisations harvesters read. Servers often
# send generic XML or JSON types for RDF/XML and JSON-LD, and text/plain for N-Triples or Turtle
# (Turtle's parser reads N-Triples as well).
RDF_FORMATS = {
    "text/turtle": "turtle", "application/x-turtle": "turtle", "application/turtle": "turtle",
    "text/n3": "turtle", "text/rdf+n3": "turtle", "text/plain": "turtle",
    "application/rdf+xml": "xml", "application/xml": "xml", "text/xml": "xml",
    "text/rdf+xml": "xml", "application/rdf": "xml",
    "application/ld+json": "json-ld", "application/json": "json-ld",
    "application/n-triples": "nt", "text/n-triples": "nt",
    "turtle": "turtle", "ttl": "turtle",
    "xml": "xml", "rdf": "xml", "rdf/xml": "xml", "rdfxml": "xml", "pretty-xml": "xml",
    "json-ld": "json-ld", "jsonld": "json-ld",
    "nt": "nt", "ntriples": "nt", "n-triples": "nt", "nt11": "nt",
}
_FORMAT_LABELS = {"turtle": "Turtle", "xml": "RDF/XML", "json-ld": "JSON-LD", "nt": "N-Triples"}


class DocumentError(SourceError):
    """A document could not be read (encoding, syntax, or something a harvester refuses)."""


class InvalidBytes(DocumentError):
    """A document has bytes its character encoding does not allow."""


# -- text ------------------------------------------------------------------------------------------

def decode_text(body: bytes, charset: str | None = None) -> str:
    """The body as text: byte order mark, else header charset, else XML declaration, else UTF-8."""
    for mark, encoding in _BYTE_ORDER_MARKS:
        if body.startswith(mark):
            return _decode(body, encoding, len(mark))
    if charset:
        return _decode(body, _known_encoding(charset), 0)
    return _decode(body, _xml_encoding(body) or "utf-8", 0)


def _decode(body: bytes, encoding: str, start: int) -> str:
    try:
        return body[start:].decode(encoding)
    except UnicodeDecodeError as error:
        raise InvalidBytes(N_("The document is not valid {encoding}: the bytes at offset {offset} "
                              "cannot be decoded."), encoding=encoding, offset=start + error.start)


def decode_text_replacing(body: bytes, charset: str | None = None) -> str:
    """The body as text with every undecodable byte replaced by U+FFFD, for harvesters whose
    documents hold many records: only the records with such characters need to fail."""
    for mark, encoding in _BYTE_ORDER_MARKS:
        if body.startswith(mark):
            return body[len(mark):].decode(encoding, errors="replace")
    encoding = _known_encoding(charset) if charset else _xml_encoding(body) or "utf-8"
    return body.decode(encoding, errors="replace")


def _known_encoding(name: str) -> str:
    try:
        return codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        raise DocumentError(N_("The document declares the unknown character encoding {encoding}."),
                            encoding=name)


def _xml_encoding(body: bytes) -> str | None:
    """The encoding an XML document names in its declaration (or shows by its first bytes)."""
    if body.startswith(b"<\x00?\x00"):
        return "utf-16-le"
    if body.startswith(b"\x00<\x00?"):
        return "utf-16-be"
    declared = _XML_DECLARED_ENCODING.match(body[:1024])
    return _known_encoding(declared.group(1).decode("ascii")) if declared else None


# -- XML -------------------------------------------------------------------------------------------

def _xml_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           huge_tree=False, dtd_validation=False)


def parse_xml(body: bytes, charset: str | None = None) -> etree._Element:
    """The root element; documents declaring entities are refused (bombs, XXE), no DTD is loaded."""
    text = decode_text(body, charset)
    _refuse_entity_declarations(text)
    try:
        root = etree.fromstring(_as_utf8_xml(text), _xml_parser())
    except etree.XMLSyntaxError as error:
        raise DocumentError(N_("The XML document cannot be read: {problem}"), problem=str(error))
    internal_subset = root.getroottree().docinfo.internalDTD
    if internal_subset is not None and any(True for _ in internal_subset.iterentities()):
        raise _entities_refused()
    return root


def _refuse_entity_declarations(text: str) -> None:
    """Refuse before parsing: entity declarations have no place in harvested metadata.

    A cheap scan that may refuse a document with a DOCTYPE and the text ``<!ENTITY`` in a comment,
    but cannot miss a declaration; libxml2 then never sees the entities.
    """
    doctype = _find_ignoring_case(text, "<!DOCTYPE")
    if doctype >= 0 and _find_ignoring_case(text, "<!ENTITY", doctype) >= 0:
        raise _entities_refused()


def _find_ignoring_case(text: str, needle: str, start: int = 0) -> int:
    found = [position for position in (text.find(needle, start), text.find(needle.lower(), start))
             if position >= 0]
    return min(found) if found else -1


def _entities_refused() -> DocumentError:
    return DocumentError(N_("The XML document declares entities in its DOCTYPE. Harvested "
                            "documents may not declare entities (they can hide entity bombs or "
                            "read local files); the document was not read."))


def _as_utf8_xml(text: str) -> bytes:
    """Decoded XML as UTF-8 bytes whose declaration no longer names the original encoding."""
    declaration = _XML_DECLARATION.match(text)
    if declaration:
        text = _ENCODING_PSEUDO_ATTRIBUTE.sub("", declaration.group(0)) + text[declaration.end():]
    return text.encode("utf-8")


# -- JSON ------------------------------------------------------------------------------------------

def parse_json(body: bytes, charset: str | None = None, *, max_bytes: int = MAX_JSON_BYTES,
               max_depth: int = MAX_JSON_DEPTH) -> Any:
    """A JSON document within size and nesting bounds."""
    if len(body) > max_bytes:
        raise DocumentError(N_("The JSON document has {size} bytes, more than the limit of "
                               "{limit} bytes."), size=len(body), limit=max_bytes)
    text = decode_text(body, charset)
    try:
        data = json.loads(text)
    except RecursionError:
        raise _too_deep(max_depth)
    except ValueError as error:
        raise DocumentError(N_("The JSON document cannot be read: {problem}"), problem=str(error))
    if _depth(data, max_depth) > max_depth:
        raise _too_deep(max_depth)
    return data


def _depth(data: Any, limit: int) -> int:
    """Nesting depth of decoded JSON, counted without recursion; stops once above ``limit``."""
    deepest = 0
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        pending.extend((child, depth + 1) for child in children)
    return deepest


def _too_deep(limit: int) -> DocumentError:
    return DocumentError(N_("The JSON document is nested deeper than {limit} levels."), limit=limit)


# -- RDF -------------------------------------------------------------------------------------------

def rdf_format(media_type_or_format: str | None) -> tuple[str, str | None]:
    """(rdflib format, charset parameter) of a media type such as ``text/turtle; charset=utf-8``."""
    media_type, _, parameters = (media_type_or_format or "").partition(";")
    charset = None
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'")
    media_type = media_type.strip().lower()
    if media_type not in RDF_FORMATS:
        raise DocumentError(N_("{media_type} is not an RDF format the harvester reads (Turtle, "
                               "RDF/XML, JSON-LD, N-Triples)."),
                            media_type=media_type or HarvestMessage(N_("An unnamed format")))
    return RDF_FORMATS[media_type], charset


def parse_rdf(body: bytes, media_type_or_format: str, base: str, *,
              charset: str | None = None) -> rdflib.Graph:
    """An RDF graph, parsed without entities, DTDs or remote JSON-LD contexts.

    ``charset`` is the Content-Type header's (a charset parameter of ``media_type_or_format``
    counts as well).
    """
    format_name, charset_parameter = rdf_format(media_type_or_format)
    charset = charset or charset_parameter
    graph = rdflib.Graph()
    if format_name == "json-ld":
        data = parse_json(body, charset)
        refuse_remote_contexts(data)
        arguments: dict[str, Any] = {"source": PythonInputSource(data, base), "base": base}
    elif format_name == "xml":
        # rdflib reads RDF/XML with expat; it gets lxml's re-serialisation of the checked
        # document, which has no DOCTYPE left that expat could act on
        root = parse_xml(body, charset)
        arguments = {"data": etree.tostring(root, encoding="utf-8", with_tail=False),
                     "publicID": base}
    else:
        arguments = {"data": decode_text(body, charset), "publicID": base}
    try:
        graph.parse(format=format_name, **arguments)
    except DocumentError:
        raise
    except Exception as error:  # rdflib's parsers raise many kinds; all mean "unreadable"
        raise DocumentError(N_("The {format} document cannot be read: {problem}"),
                            format=_FORMAT_LABELS[format_name], problem=_short(str(error)))
    return graph


def refuse_remote_contexts(data: Any) -> None:
    """Refuse JSON-LD that names a context by address: rdflib would fetch it (or read a file)."""
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, dict):
            for key in ("@context", "@import"):
                if key in value:
                    for context in value[key] if isinstance(value[key], list) else [value[key]]:
                        if isinstance(context, str):
                            raise DocumentError(N_(
                                "The JSON-LD document refers to the context {context}. The "
                                "harvester does not load contexts from elsewhere; the source has "
                                "to embed its context in the document."), context=_short(context))
            pending.extend(value.values())


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
