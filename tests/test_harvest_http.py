"""The harvesters' HTTP client against local sources that misbehave in every way we know of."""
from __future__ import annotations

import socket
import time
import tracemalloc
import zlib

import pytest

from ckanext.jena.harvesters.http import (USER_AGENT, ConnectionFailed, DocumentTooLarge,
                                          FetchError, FetchTimeout, ForbiddenUrl,
                                          HttpStatusError, SafeClient, TooManyRedirects,
                                          TruncatedDocument, address_problem)

from tests.harvest_sources import (Answer, SourceServer, allowed_source_server,  # noqa: F401
                                   compressed_zeros, gzipped, source_server)

server = source_server  # the fixture under a short name


def client_for(running: SourceServer, **limits) -> SafeClient:
    """A client that may use the local server, with limits small enough for quick tests."""
    settings = dict(allowed_hosts=[running.host_port], connect_timeout=2, read_timeout=2,
                    deadline=5, max_bytes=2**20, max_redirects=5, retries=3, backoff=0.05)
    settings.update(limits)
    return SafeClient(**settings)


def assert_bilingual(error: FetchError, german: str, english: str) -> None:
    text = error.bilingual()
    assert german in error.message.text("de"), error.message.text("de")
    assert english in error.message.text("en")
    assert german in text and english in text
    assert error.message.text("de") != error.message.text("en")


# -- addresses refused before any connection -------------------------------------------------------

FORBIDDEN = {
    # this machine, however it is written
    "loopback": "http://127.0.0.1:{port}/catalog.ttl",
    "loopback https": "https://127.0.0.1:{port}/catalog.ttl",
    "other loopback": "http://127.0.0.2:{port}/",
    "short loopback": "http://127.1:{port}/",
    "decimal loopback": "http://2130706433:{port}/",
    "hex loopback": "http://0x7f000001:{port}/",
    "dotted hex loopback": "http://0x7f.1:{port}/",
    "octal loopback": "http://017700000001:{port}/",
    "dotted octal loopback": "http://0177.0.0.1:{port}/",
    "localhost": "http://localhost:{port}/",
    "localhost upper case": "http://LOCALHOST:{port}/",
    "localhost with dot": "http://localhost.:{port}/",
    "subdomain of localhost": "http://catalog.localhost:{port}/",
    "ipv6 loopback": "http://[::1]:{port}/",
    "ipv4-mapped loopback": "http://[::ffff:127.0.0.1]:{port}/",
    "ipv4-mapped loopback in hex": "http://[::ffff:7f00:1]:{port}/",
    "6to4 loopback": "http://[2002:7f00:1::1]:{port}/",
    "unspecified": "http://0.0.0.0:{port}/",
    "zero": "http://0:{port}/",
    "ipv6 unspecified": "http://[::]:{port}/",
    "fragment trick": "http://127.0.0.1:{port}#@example.org/",
    # internal networks
    "cloud metadata": "http://169.254.169.254/latest/meta-data/",
    "cloud metadata via nat64": "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",
    "ipv6 link-local": "http://[fe80::1]/",
    "private 10/8": "http://10.0.0.1/",
    "private 172.16/12": "http://172.16.0.1/",
    "private 192.168/16": "http://192.168.1.1/",
    "shared 100.64/10": "http://100.64.0.1/",
    "ipv6 unique local": "http://[fc00::1]/",
    "multicast": "http://224.0.0.1/",
    "ipv6 multicast": "http://[ff02::1]/",
    "reserved": "http://240.0.0.1/",
    "broadcast": "http://255.255.255.255/",
    # not a web address for harvesting
    "file": "file:///etc/passwd",
    "ftp": "ftp://127.0.0.1:{port}/catalog.ttl",
    "gopher": "gopher://127.0.0.1:{port}/_GET%20/",
    "dict": "dict://127.0.0.1:{port}/info",
    "data": "data:text/turtle,<a> <b> <c> .",
    "javascript": "javascript:alert(1)",
    "bare path": "/etc/passwd",
    "no scheme": "127.0.0.1:{port}/catalog.ttl",
    "no host": "http:///catalog.ttl",
    "empty": "",
    "credentials": "http://harvester:secret@127.0.0.1:{port}/",
    "user name hiding the host": "http://example.org@127.0.0.1:{port}/",
    "backslash": "http://127.0.0.1:{port}\\@example.org/",
    "unclosed ipv6": "http://[::1:{port}/",
    "bad port": "http://127.0.0.1:99999/",
}


@pytest.mark.parametrize("name", sorted(FORBIDDEN))
def test_forbidden_addresses_are_refused_before_any_connection(name, server):
    url = FORBIDDEN[name].format(port=server.port)
    client = SafeClient(connect_timeout=2, read_timeout=2, deadline=5, retries=3, backoff=0.05)
    started = time.monotonic()

    with pytest.raises(ForbiddenUrl):
        client.check_url(url)
    with pytest.raises(ForbiddenUrl) as raised:
        client.get(url)

    assert time.monotonic() - started < 1
    assert server.connections == 0 and server.requests == []
    assert "\n" in raised.value.bilingual()  # German, then English


@pytest.mark.parametrize("address, reason", [
    ("169.254.169.254", "link-local"), ("127.0.0.1", "loopback"), ("10.1.2.3", "private"),
    ("100.64.0.1", "shared"), ("224.0.0.1", "multicast"), ("::ffff:192.168.0.1", "private"),
    ("0.0.0.0", "unspecified"), ("240.0.0.1", "reserved"),
])
def test_each_refused_address_names_its_reason(address, reason):
    import ipaddress
    assert reason in address_problem(ipaddress.ip_address(address)).text("en")


@pytest.mark.parametrize("address", ["93.184.215.14", "2a00:1450:4001:82a::200e", "141.35.1.1"])
def test_public_addresses_pass(address):
    import ipaddress
    assert address_problem(ipaddress.ip_address(address)) is None


def test_the_refusal_explains_itself_in_both_languages(server):
    with pytest.raises(ForbiddenUrl) as raised:
        SafeClient().get("http://169.254.169.254/latest/meta-data/")
    assert_bilingual(raised.value, "nicht erlaubt", "is not allowed")
    assert "ckanext.jena.harvest.allowed_hosts" in str(raised.value)
    assert "link-local" in raised.value.message.text("en")


# -- allowed_hosts -----------------------------------------------------------------------------------

class TestAllowedHosts:
    def test_the_listed_host_and_port_is_admitted(self, server):
        server.serve("/catalog.ttl", b"<a> <b> <c> .", content_type="text/turtle")
        document = client_for(server).get(server.url("/catalog.ttl"))
        assert document.body == b"<a> <b> <c> ."
        assert server.requested("/catalog.ttl") == 1

    def test_another_port_of_the_same_host_is_not(self, server):
        with SourceServer() as other:
            client = client_for(server)
            with pytest.raises(ForbiddenUrl):
                client.get(other.url("/catalog.ttl"))
            assert other.connections == 0

    def test_another_name_for_the_same_address_is_not(self, server):
        client = client_for(server)
        for url in (f"http://localhost:{server.port}/", f"http://2130706433:{server.port}/",
                    f"http://[::ffff:127.0.0.1]:{server.port}/", f"http://127.1:{server.port}/"):
            with pytest.raises(ForbiddenUrl):
                client.get(url)
        assert server.connections == 0

    def test_a_bare_host_admits_every_port(self, server):
        with SourceServer() as other:
            other.serve("/x", b"other")
            server.serve("/x", b"first")
            client = SafeClient(allowed_hosts="127.0.0.1", retries=0)
            assert client.get(server.url("/x")).body == b"first"
            assert client.get(other.url("/x")).body == b"other"

    def test_credentials_are_refused_even_for_an_allowed_host(self, server):
        with pytest.raises(ForbiddenUrl) as raised:
            client_for(server).get(f"http://user:secret@{server.host_port}/")
        assert "password" in raised.value.message.text("en")
        assert server.connections == 0

    def test_the_options_configure_the_client(self, allowed_source_server, ckan_config, monkeypatch):
        monkeypatch.setitem(ckan_config, "ckanext.jena.harvest.max_document_size", 10)
        monkeypatch.setitem(ckan_config, "ckanext.jena.harvest.retries", 1)
        allowed_source_server.serve("/small", b"0123456789")
        allowed_source_server.serve("/big", b"0123456789+")
        client = SafeClient.from_config()
        assert client.deadline == 5 and client.read_timeout == 2 and client.retries == 1
        assert client.get(allowed_source_server.url("/small")).body == b"0123456789"
        with pytest.raises(DocumentTooLarge):
            client.get(allowed_source_server.url("/big"))
        with pytest.raises(ForbiddenUrl):
            SafeClient.from_config().get(f"http://localhost:{allowed_source_server.port}/small")
        extra = SafeClient.from_config(extra_allowed_hosts=["localhost"])
        assert extra.get(f"http://localhost:{allowed_source_server.port}/small").status == 200


# -- a good answer -----------------------------------------------------------------------------------

class TestDocument:
    def test_fields_headers_and_what_the_client_sends(self, server):
        server.serve("/catalog.ttl?page=2&size=10", "Grünfläche".encode("latin-1"),
                     headers={"X-Total": "3"}, content_type="Text/Turtle; charset=ISO-8859-1")
        document = client_for(server).get(server.url("/catalog.ttl"), accept="text/turtle",
                                          params={"page": 2, "size": 10})
        assert document.url == server.url("/catalog.ttl?page=2&size=10")
        assert document.status == 200
        assert document.media_type == "text/turtle" and document.charset == "ISO-8859-1"
        assert document.headers["x-total"] == "3"
        assert document.text() == "Grünfläche"
        [request] = server.requests
        assert request.headers["User-Agent"] == USER_AGENT
        assert "harvest" in USER_AGENT.lower()
        assert request.headers["Accept"] == "text/turtle"

    def test_no_content_type(self, server):
        server.serve("/raw", b"x", content_type=None)
        document = client_for(server).get(server.url("/raw"))
        assert document.media_type == "" and document.charset is None

    @pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw deflate"])
    def test_compressed_bodies_arrive_decompressed(self, encoding, server):
        body = "Messwerte für Jena-Süd\n".encode() * 5000
        if encoding == "gzip":
            wire = gzipped(body)
        elif encoding == "deflate":
            wire = zlib.compress(body)
        else:
            compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
            wire = compressor.compress(body) + compressor.flush()
        server.serve("/z", wire, headers={"Content-Encoding": encoding.split()[-1]})
        assert client_for(server).get(server.url("/z")).body == body

    def test_several_gzip_members_are_one_body(self, server):
        server.serve("/z", gzipped(b"first ") + gzipped(b"second"),
                     headers={"Content-Encoding": "gzip"})
        assert client_for(server).get(server.url("/z")).body == b"first second"

    def test_an_unknown_content_encoding_is_refused(self, server):
        server.serve("/z", b"\x00\x01", headers={"Content-Encoding": "br"})
        with pytest.raises(FetchError) as raised:
            client_for(server).get(server.url("/z"))
        assert "br" in str(raised.value)


# -- redirects ---------------------------------------------------------------------------------------

class TestRedirects:
    def test_a_chain_within_the_limit_is_followed(self, server):
        server.serve("/final.ttl", b"done")
        server.redirect_chain("/start", 5, "/final.ttl")
        document = client_for(server, max_redirects=5).get(server.url("/start"))
        assert document.body == b"done" and document.url == server.url("/final.ttl")
        assert len(server.requests) == 6

    def test_one_more_than_the_limit_fails(self, server):
        server.serve("/final.ttl", b"done")
        server.redirect_chain("/start", 6, "/final.ttl")
        with pytest.raises(TooManyRedirects) as raised:
            client_for(server, max_redirects=5).get(server.url("/start"))
        assert server.requested("/final.ttl") == 0 and len(server.requests) == 6
        assert "5" in str(raised.value)
        assert_bilingual(raised.value, "leitet öfter als 5-mal weiter", "redirects more than 5 times")

    def test_a_loop_is_named(self, server):
        server.redirect("/a", "/b", status=301)
        server.redirect("/b", server.url("/a"), status=308)
        with pytest.raises(TooManyRedirects) as raised:
            client_for(server).get(server.url("/a"))
        assert "circle" in str(raised.value)
        assert server.paths() == ["/a", "/b"]

    @pytest.mark.parametrize("target", [
        "http://169.254.169.254/latest/meta-data/", "http://localhost:{port}/secret",
        "http://[::1]:{port}/secret", "file:///etc/passwd", "http://10.0.0.1/secret",
        "http://user:pw@127.0.0.1:{port}/secret"])
    def test_a_redirect_to_a_forbidden_address_is_refused_at_that_hop(self, target, server):
        server.serve("/secret", b"internal")
        server.redirect("/catalog.ttl", target.format(port=server.port), status=307)
        with pytest.raises(ForbiddenUrl) as raised:
            client_for(server).get(server.url("/catalog.ttl"))
        assert server.paths() == ["/catalog.ttl"]
        assert "redirects to a forbidden address" in raised.value.message.text("en")
        assert_bilingual(raised.value, "leitet auf eine nicht erlaubte Adresse weiter",
                         server.url("/catalog.ttl"))

    def test_a_redirect_without_location_is_an_error(self, server):
        server.serve("/moved", b"", status=302)
        with pytest.raises(HttpStatusError) as raised:
            client_for(server).get(server.url("/moved"))
        assert raised.value.status == 302


# -- error answers and retries -----------------------------------------------------------------------

class TestStatusAndRetries:
    @pytest.mark.parametrize("status, reason", [(500, "Internal Server Error"), (404, "Not Found"),
                                                (403, "Forbidden")])
    def test_an_error_status_is_reported_with_its_code(self, status, reason, server):
        server.serve("/catalog.ttl", b"nope", status=status)
        with pytest.raises(HttpStatusError) as raised:
            client_for(server, retries=0).get(server.url("/catalog.ttl"))
        assert raised.value.status == status
        assert f"HTTP status {status} ({reason})" in str(raised.value)
        assert_bilingual(raised.value, f"antwortete mit HTTP-Status {status}",
                         f"answered with HTTP status {status}")

    def test_client_errors_are_not_retried(self, server):
        server.serve("/gone", b"", status=404)
        with pytest.raises(HttpStatusError):
            client_for(server, retries=3).get(server.url("/gone"))
        assert server.requested("/gone") == 1

    def test_503_twice_then_success(self, server):
        server.sequence("/catalog.ttl", [Answer(status=503), Answer(status=502),
                                         Answer(b"finally", content_type="text/turtle")])
        document = client_for(server, retries=3, backoff=0.05).get(server.url("/catalog.ttl"))
        assert document.body == b"finally"
        assert server.requested("/catalog.ttl") == 3

    def test_retries_run_out(self, server):
        server.serve("/catalog.ttl", b"", status=503)
        with pytest.raises(HttpStatusError) as raised:
            client_for(server, retries=2, backoff=0.05).get(server.url("/catalog.ttl"))
        assert server.requested("/catalog.ttl") == 3
        assert "(3 attempts)" in raised.value.message.text("en")
        assert "(3 Versuche)" in raised.value.message.text("de")

    def test_backoff_doubles(self, server):
        server.serve("/catalog.ttl", b"", status=500)
        started = time.monotonic()
        with pytest.raises(HttpStatusError):
            client_for(server, retries=3, backoff=0.1).get(server.url("/catalog.ttl"))
        assert time.monotonic() - started >= 0.1 + 0.2 + 0.4

    def test_429_with_retry_after_is_honoured(self, server):
        server.sequence("/catalog.ttl", [Answer(status=429, headers={"Retry-After": "1"}),
                                         Answer(b"ok")])
        started = time.monotonic()
        document = client_for(server, backoff=0.01).get(server.url("/catalog.ttl"))
        assert document.body == b"ok"
        assert time.monotonic() - started >= 1

    def test_a_retry_after_beyond_the_deadline_fails_at_once(self, server):
        server.serve("/catalog.ttl", b"", status=429, headers={"Retry-After": "3600"})
        started = time.monotonic()
        with pytest.raises(HttpStatusError) as raised:
            client_for(server, deadline=5).get(server.url("/catalog.ttl"))
        assert time.monotonic() - started < 1
        assert raised.value.status == 429 and "3600" in str(raised.value)

    def test_a_refused_connection(self, server):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with pytest.raises(ConnectionFailed) as raised:
            SafeClient(allowed_hosts=[f"127.0.0.1:{port}"], retries=1, backoff=0.05).get(
                f"http://127.0.0.1:{port}/catalog.ttl")
        assert_bilingual(raised.value, "wurde abgelehnt", "was refused")
        assert "(2 attempts)" in str(raised.value)


# -- slow, endless, broken bodies ------------------------------------------------------------------

class TestLimits:
    def test_a_hanging_source_times_out_within_the_deadline(self, server):
        server.hang("/catalog.ttl", seconds=30)
        started = time.monotonic()
        with pytest.raises(FetchTimeout) as raised:
            client_for(server, read_timeout=0.5, deadline=1.5, retries=3).get(
                server.url("/catalog.ttl"))
        assert time.monotonic() - started < 2.5
        assert raised.value.message.text("de") != raised.value.message.text("en")

    def test_a_read_timeout_without_retries(self, server):
        server.hang("/catalog.ttl", seconds=30)
        started = time.monotonic()
        with pytest.raises(FetchTimeout) as raised:
            client_for(server, read_timeout=0.5, deadline=5, retries=0).get(server.url("/catalog.ttl"))
        assert time.monotonic() - started < 1.5
        assert_bilingual(raised.value, "antwortete nicht innerhalb von 0.5 Sekunden",
                         "did not answer within 0.5 seconds")

    @pytest.mark.parametrize("headers_too", [False, True], ids=["body", "status line and headers"])
    def test_a_dripping_source_is_cut_off_at_the_deadline(self, headers_too, server):
        server.drip("/catalog.ttl", b"x" * 400, interval=0.02, headers_too=headers_too)
        started = time.monotonic()
        with pytest.raises(FetchTimeout) as raised:
            client_for(server, read_timeout=2, deadline=1.2, retries=3).get(
                server.url("/catalog.ttl"))
        elapsed = time.monotonic() - started
        assert 1.1 < elapsed < 1.8
        assert_bilingual(raised.value, "innerhalb der Frist von 1.2 Sekunden",
                         "within the deadline of 1.2 seconds")

    def test_a_declared_size_above_the_limit_is_refused_before_reading(self, server):
        server.serve("/big", b"x" * (2**20 + 1))
        with pytest.raises(DocumentTooLarge) as raised:
            client_for(server, max_bytes=2**20).get(server.url("/big"))
        assert "announces 1048577 bytes" in str(raised.value)

    def test_an_undeclared_size_above_the_limit_is_refused_while_streaming(self, server):
        server.sequence("/big", [Answer(b"x" * (2**20 + 1), announce_length=False)])
        with pytest.raises(DocumentTooLarge) as raised:
            client_for(server, max_bytes=2**20).get(server.url("/big"))
        assert_bilingual(raised.value, "nach dem Entpacken", "after decompression")

    def test_exactly_the_limit_is_fine(self, server):
        server.sequence("/edge", [Answer(b"x" * 2**20, announce_length=False)])
        assert len(client_for(server, max_bytes=2**20).get(server.url("/edge")).body) == 2**20

    @pytest.mark.parametrize("encoding", ["gzip", "deflate"])
    def test_a_compression_bomb_is_refused_in_bounded_memory(self, encoding, server):
        wire = server.gzip_bomb("/bomb.ttl", 512 * 2**20, encoding=encoding)
        assert wire < 2**20 < 512 * 2**20  # small on the wire, half a gigabyte unpacked
        tracemalloc.start()
        try:
            started = time.monotonic()
            with pytest.raises(DocumentTooLarge):
                client_for(server, max_bytes=2**20).get(server.url("/bomb.ttl"))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 8 * 2**20, peak
        assert time.monotonic() - started < 2

    def test_a_body_shorter_than_announced_is_an_error(self, server):
        server.truncate("/catalog.ttl", b"y" * 1000, keep=300)
        with pytest.raises(TruncatedDocument) as raised:
            client_for(server, retries=0).get(server.url("/catalog.ttl"))
        assert_bilingual(raised.value, "brach nach 300 der angekündigten 1000 Bytes ab",
                         "broke off after 300 of the announced 1000 bytes")

    def test_a_truncation_is_retried(self, server):
        server.sequence("/catalog.ttl", [Answer(b"y" * 1000, keep=10), Answer(b"complete")])
        assert client_for(server, retries=1).get(server.url("/catalog.ttl")).body == b"complete"

    def test_a_compressed_body_that_stops_early_is_an_error(self, server):
        wire = gzipped(b"z" * 100000)
        server.sequence("/z", [Answer(wire[: len(wire) // 2], headers={"Content-Encoding": "gzip"})])
        with pytest.raises(TruncatedDocument):
            client_for(server, retries=0).get(server.url("/z"))

    def test_a_corrupt_compressed_body_is_an_error(self, server):
        server.serve("/z", b"this is not gzip at all", headers={"Content-Encoding": "gzip"})
        with pytest.raises(FetchError) as raised:
            client_for(server, retries=0).get(server.url("/z"))
        assert "decompressed" in str(raised.value)


def test_compressed_zeros_really_expand():
    """The bomb of the tests above is what it claims to be."""
    assert len(zlib.decompress(compressed_zeros(3 * 2**20), 16 + zlib.MAX_WBITS)) == 3 * 2**20
