"""Hardened parsing of harvested documents: no entities, no DTDs, no remote contexts, exact text."""
from __future__ import annotations

import json
import time
import tracemalloc

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS

from ckanext.jena.harvesters.parsing import (DocumentError, decode_text, parse_json, parse_rdf,
                                             parse_xml, rdf_format)

from tests.harvest_sources import source_server  # noqa: F401

server = source_server

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DATASET = URIRef("https://daten.jena.de/dataset/baeume")


def rdf_xml(title: str, encoding: str = "utf-8", declaration: bool = True, doctype: str = "") -> bytes:
    head = f'<?xml version="1.0" encoding="{encoding}"?>\n' if declaration else ""
    return (head + doctype + f'<rdf:RDF xmlns:rdf="{RDF_NS}" xmlns:dct="http://purl.org/dc/terms/">'
            f'<rdf:Description rdf:about="{DATASET}"><dct:title>{title}</dct:title>'
            "</rdf:Description></rdf:RDF>").encode(encoding)


def billion_laughs(levels: int = 10) -> bytes:
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">' for level in range(1, levels))
    return (f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [{entities}]>\n'
            f'<rdf:RDF xmlns:rdf="{RDF_NS}">&lol{levels - 1};</rdf:RDF>').encode()


def assert_bilingual(error: DocumentError, german: str, english: str) -> None:
    assert german in error.message.text("de"), error.message.text("de")
    assert english in error.message.text("en")
    assert error.bilingual().count("\n") >= 1


# -- XML ---------------------------------------------------------------------------------------------

class TestXml:
    def test_a_plain_document(self):
        root = parse_xml(b"<catalog><title>Jena</title></catalog>")
        assert root.findtext("title") == "Jena"

    def test_an_external_entity_reading_a_file_is_refused(self, tmp_path):
        secret = tmp_path / "secret.txt"
        secret.write_text("geheim")
        document = (f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
                    "<r>&x;</r>").encode()
        with pytest.raises(DocumentError) as raised:
            parse_xml(document)
        assert "geheim" not in raised.value.bilingual()
        assert_bilingual(raised.value, "Entitäten", "declares entities")

    def test_a_parameter_entity_is_refused(self, server):
        document = (f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % remote SYSTEM '
                    f'"{server.url("/evil.dtd")}"> %remote;]><r/>').encode()
        with pytest.raises(DocumentError):
            parse_xml(document)
        assert server.requests == []

    @pytest.mark.parametrize("parse", [parse_xml, lambda body: parse_rdf(body, "application/rdf+xml",
                                                                        "http://example.org/")],
                             ids=["xml", "rdf/xml"])
    def test_billion_laughs_is_refused_quickly_in_bounded_memory(self, parse):
        tracemalloc.start()
        started = time.monotonic()
        try:
            with pytest.raises(DocumentError) as raised:
                parse(billion_laughs())
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert time.monotonic() - started < 2
        assert peak < 10 * 2**20
        assert "entities" in str(raised.value)

    def test_quadratic_blowup_is_refused(self):
        big = "a" * 100_000
        document = (f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "{big}">]>'
                    f'<r>{"&a;" * 10_000}</r>').encode()
        started = time.monotonic()
        with pytest.raises(DocumentError):
            parse_xml(document)
        assert time.monotonic() - started < 2

    @pytest.mark.parametrize("parse", ["xml", "rdf"])
    def test_an_external_dtd_is_never_fetched(self, parse, server):
        server.serve("/catalog.dtd", b'<!ATTLIST rdf:Description dct:title CDATA "aus der DTD">',
                     content_type="application/xml-dtd")
        doctype = f'<!DOCTYPE rdf:RDF SYSTEM "{server.url("/catalog.dtd")}">\n'
        document = rdf_xml("Bäume", doctype=doctype)
        if parse == "xml":
            root = parse_xml(document)
            assert root.tag == f"{{{RDF_NS}}}RDF"
        else:
            graph = parse_rdf(document, "application/rdf+xml", base="http://example.org/")
            assert graph.value(DATASET, DCTERMS.title) == Literal("Bäume")
        assert server.requests == [] and server.connections == 0

    def test_broken_xml_is_a_document_error(self):
        with pytest.raises(DocumentError) as raised:
            parse_xml(b"<catalog><title>Jena</catalog>")
        assert_bilingual(raised.value, "XML-Dokument kann nicht gelesen werden",
                         "The XML document cannot be read")


# -- JSON and JSON-LD --------------------------------------------------------------------------------

class TestJson:
    def test_a_plain_document(self):
        assert parse_json('{"titel": "Grünfläche"}'.encode()) == {"titel": "Grünfläche"}

    def test_too_large(self):
        with pytest.raises(DocumentError) as raised:
            parse_json(b'"' + b"x" * 100 + b'"', max_bytes=50)
        assert "102 bytes" in str(raised.value)

    @pytest.mark.parametrize("depth", [101, 100_000])
    def test_too_deep(self, depth):
        with pytest.raises(DocumentError) as raised:
            parse_json(b"[" * depth + b"]" * depth)
        assert_bilingual(raised.value, "tiefer als 100 Ebenen", "nested deeper than 100 levels")

    def test_exactly_the_depth_limit_is_fine(self):
        data = parse_json(b"[" * 100 + b"]" * 100)
        for _ in range(99):
            [data] = data
        assert data == []

    def test_invalid(self):
        with pytest.raises(DocumentError) as raised:
            parse_json(b'{"a": }')
        assert "JSON" in str(raised.value)


class TestJsonLd:
    CONTEXT = {"dct": "http://purl.org/dc/terms/",
               "title": {"@id": "dct:title", "@language": "de"}}

    def test_an_embedded_context(self):
        document = {"@context": self.CONTEXT, "@id": "baeume", "title": "Bäume"}
        graph = parse_rdf(json.dumps(document).encode(), "application/ld+json",
                          base="https://daten.jena.de/dataset/")
        assert graph.value(DATASET, DCTERMS.title) == Literal("Bäume", lang="de")

    @pytest.mark.parametrize("where", ["top", "list", "import", "nested node", "scoped term"])
    def test_a_remote_context_is_refused_without_a_request(self, where, server):
        remote = server.url("/context.jsonld")
        server.serve("/context.jsonld", json.dumps({"@context": self.CONTEXT}).encode(),
                     content_type="application/ld+json")
        document = {
            "top": {"@context": remote, "@id": "x", "title": "a"},
            "list": {"@context": [self.CONTEXT, remote], "@id": "x"},
            "import": {"@context": {"@version": 1.1, "@import": remote}, "@id": "x"},
            "nested node": {"@context": self.CONTEXT, "@id": "x",
                            "dct:publisher": {"@context": remote, "@id": "y"}},
            "scoped term": {"@context": {"@version": 1.1,
                                         "publisher": {"@id": "dct:publisher", "@context": remote}},
                            "@id": "x", "publisher": {"@id": "y"}},
        }[where]
        with pytest.raises(DocumentError) as raised:
            parse_rdf(json.dumps(document).encode(), "application/ld+json", base="http://example.org/")
        assert server.requests == [] and server.connections == 0
        assert_bilingual(raised.value, "lädt keine Kontexte", "does not load contexts")

    def test_a_file_context_is_refused(self, tmp_path):
        context = tmp_path / "context.jsonld"
        context.write_text(json.dumps({"@context": self.CONTEXT}))
        document = {"@context": context.as_uri(), "@id": "x", "title": "a"}
        with pytest.raises(DocumentError):
            parse_rdf(json.dumps(document).encode(), "application/json", base="http://example.org/")

    def test_a_relative_context_is_refused(self):
        document = {"@context": "context.jsonld", "@id": "x"}
        with pytest.raises(DocumentError):
            parse_rdf(json.dumps(document).encode(), "application/ld+json", base="file:///etc/")


# -- RDF ---------------------------------------------------------------------------------------------

TURTLE = """@prefix dct: <http://purl.org/dc/terms/> .
<https://daten.jena.de/dataset/baeume> dct:title "Bäume im Stadtgebiet"@de .
"""


class TestRdf:
    @pytest.mark.parametrize("media_type", ["text/turtle", "text/turtle; charset=utf-8",
                                            "application/x-turtle", "text/plain", "turtle", "ttl"])
    def test_turtle(self, media_type):
        graph = parse_rdf(TURTLE.encode(), media_type, base="http://example.org/")
        assert graph.value(DATASET, DCTERMS.title) == Literal("Bäume im Stadtgebiet", lang="de")

    def test_n_triples(self):
        line = f'<{DATASET}> <http://purl.org/dc/terms/title> "Bäume" .\n'
        for media_type in ("application/n-triples", "nt"):
            graph = parse_rdf(line.encode(), media_type, base="http://example.org/")
            assert graph.value(DATASET, DCTERMS.title) == Literal("Bäume")

    @pytest.mark.parametrize("media_type", ["application/rdf+xml", "application/xml", "text/xml",
                                            "xml"])
    def test_rdf_xml(self, media_type):
        graph = parse_rdf(rdf_xml("Bäume"), media_type, base="http://example.org/")
        assert graph.value(DATASET, DCTERMS.title) == Literal("Bäume")

    def test_relative_references_use_the_base(self):
        graph = parse_rdf(b'<baeume> <http://purl.org/dc/terms/title> "B" .', "text/turtle",
                          base="https://daten.jena.de/dataset/")
        assert graph.value(DATASET, DCTERMS.title) == Literal("B")

    @pytest.mark.parametrize("media_type", ["text/html", "application/pdf", "", None])
    def test_a_media_type_that_is_no_rdf(self, media_type):
        with pytest.raises(DocumentError) as raised:
            parse_rdf(b"<html></html>", media_type, base="http://example.org/")
        assert "not an RDF format" in str(raised.value)

    @pytest.mark.parametrize("media_type, body", [
        ("text/turtle", b"@prefix dct: <http://purl.org/dc/terms/> .\n<a> dct:title [ ."),
        ("application/rdf+xml", b"<rdf:RDF xmlns:rdf='x'><unclosed></rdf:RDF>"),
        ("application/ld+json", b'{"@context": {}, "@id": '),
        ("application/n-triples", b"<a> <b> .\n"),
    ])
    def test_broken_documents(self, media_type, body):
        with pytest.raises(DocumentError) as raised:
            parse_rdf(body, media_type, base="http://example.org/")
        assert "\n" in raised.value.bilingual()

    def test_format_names(self):
        assert rdf_format("Application/RDF+XML; charset=ISO-8859-1") == ("xml", "ISO-8859-1")
        assert rdf_format("application/json") == ("json-ld", None)


# -- encodings ---------------------------------------------------------------------------------------

class TestEncodings:
    TEXT = "Bäume, Straßen und Grünflächen"

    def test_utf8(self):
        assert decode_text(self.TEXT.encode("utf-8")) == self.TEXT

    @pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-32"])
    def test_a_byte_order_mark_wins_over_the_header(self, encoding):
        assert decode_text(self.TEXT.encode(encoding), charset="ISO-8859-1") == self.TEXT

    def test_latin1_by_header(self):
        assert decode_text(self.TEXT.encode("latin-1"), charset="ISO-8859-1") == self.TEXT

    def test_latin1_by_xml_declaration(self):
        body = f'<?xml version="1.0" encoding="ISO-8859-1"?><t>{self.TEXT}</t>'.encode("latin-1")
        assert self.TEXT in decode_text(body)
        assert parse_xml(body).text == self.TEXT

    def test_the_header_wins_over_the_xml_declaration(self):
        body = f'<?xml version="1.0" encoding="utf-8"?><t>{self.TEXT}</t>'.encode("latin-1")
        assert parse_xml(body, charset="latin-1").text == self.TEXT

    @pytest.mark.parametrize("variant", ["bom", "header", "declaration"])
    def test_rdf_xml_in_every_encoding_keeps_its_umlauts(self, variant):
        if variant == "bom":
            body, charset = b"\xef\xbb\xbf" + rdf_xml(self.TEXT), None
        elif variant == "header":
            body, charset = rdf_xml(self.TEXT, "iso-8859-1", declaration=False), "ISO-8859-1"
        else:
            body, charset = rdf_xml(self.TEXT, "iso-8859-1"), None
        graph = parse_rdf(body, "application/rdf+xml", base="http://example.org/", charset=charset)
        assert graph.value(DATASET, DCTERMS.title) == Literal(self.TEXT)

    def test_turtle_in_latin1_by_the_media_type_parameter(self):
        body = TURTLE.encode("latin-1")
        graph = parse_rdf(body, "text/turtle; charset=ISO-8859-1", base="http://example.org/")
        assert graph.value(DATASET, DCTERMS.title) == Literal("Bäume im Stadtgebiet", lang="de")

    def test_invalid_bytes_name_their_offset(self):
        body = "Grün".encode("utf-8") + b"\xff\xfe rest"
        with pytest.raises(DocumentError) as raised:
            decode_text(body)
        assert "offset 5" in str(raised.value)
        assert_bilingual(raised.value, "Position 5", "offset 5")

    def test_latin1_without_any_declaration_is_not_guessed(self):
        with pytest.raises(DocumentError) as raised:
            parse_rdf(TURTLE.encode("latin-1"), "text/turtle", base="http://example.org/")
        assert "offset" in str(raised.value)

    def test_the_offset_counts_the_byte_order_mark(self):
        with pytest.raises(DocumentError) as raised:
            decode_text(b"\xef\xbb\xbfab\xff")
        assert "offset 5" in str(raised.value)

    def test_an_unknown_charset(self):
        with pytest.raises(DocumentError) as raised:
            decode_text(b"abc", charset="x-klingon")
        assert "x-klingon" in str(raised.value)
