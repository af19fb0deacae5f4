"""A local harvest source for tests: a threaded HTTP server on 127.0.0.1 with a request log.

Besides plain answers it plays the sources a harvester must survive: slow drips, hangs, bodies
shorter than announced, redirect chains, answers that change from request to request (503, 503,
200) and compression bombs. It counts accepted connections, so a test can prove that a refused
address never reached it.

Fixtures: ``source_server`` (a running server) and ``allowed_source_server`` (the same, with its
``host:port`` in ``ckanext.jena.harvest.allowed_hosts``).
"""
from __future__ import annotations

import gzip
import http.server
import threading
import time
import zlib
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest


@dataclass
class Answer:
    """One answer of the server; ``keep`` sends only that many body bytes after announcing all."""
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = "application/octet-stream"
    keep: int | None = None
    delay: float = 0.0
    drip_interval: float | None = None
    drip_headers: bool = False
    announce_length: bool = True


@dataclass
class LoggedRequest:
    method: str
    path: str
    headers: dict[str, str]


class _Handler(http.server.BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the stdlib's name
        pass  # the request log replaces stderr lines

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self.server.owner._handle(self)

    do_HEAD = do_POST = do_GET


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: "SourceServer"

    def process_request(self, request, client_address):
        self.owner._count_connection()
        super().process_request(request, client_address)


class SourceServer:
    """``with SourceServer() as server: server.serve("/a", b"...")``; see the module docstring."""

    def __init__(self) -> None:
        self._answers: dict[str, list[Answer]] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.requests: list[LoggedRequest] = []
        self.connections = 0
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        kwargs={"poll_interval": 0.05})

    # -- life cycle --------------------------------------------------------------------------------

    def start(self) -> "SourceServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "SourceServer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def host_port(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return f"http://{self.host_port}{path}"

    # -- what the server answers -------------------------------------------------------------------

    def serve(self, path: str, body: bytes | str = b"", status: int = 200,
              headers: dict[str, str] | None = None,
              content_type: str | None = "application/octet-stream") -> None:
        """Answer every request for ``path`` (with its query string, if any) the same way."""
        self.sequence(path, [Answer(_bytes(body), status, dict(headers or {}), content_type)])

    def sequence(self, path: str, answers: list[Answer]) -> None:
        """Answer successive requests with these answers; the last one repeats."""
        with self._lock:
            self._answers[path] = list(answers)

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.serve(path, b"", status=status, headers={"Location": location}, content_type=None)

    def redirect_chain(self, start: str, hops: int, final_path: str) -> None:
        """``start`` -> ``start/1`` -> ... -> ``final_path`` in ``hops`` redirects."""
        paths = [start] + [f"{start}/{number}" for number in range(1, hops)] + [final_path]
        for source, target in zip(paths, paths[1:]):
            self.redirect(source, target)

    def hang(self, path: str, seconds: float = 30) -> None:
        """Accept the request, then say nothing for ``seconds`` (or until the server stops)."""
        self.sequence(path, [Answer(b"", delay=seconds)])

    def drip(self, path: str, body: bytes, interval: float = 1.0, headers_too: bool = False) -> None:
        """Send ``body`` one byte every ``interval`` seconds (and the status line too, if asked)."""
        self.sequence(path, [Answer(body, drip_interval=interval, drip_headers=headers_too)])

    def truncate(self, path: str, body: bytes | str, keep: int,
                 content_type: str | None = "application/octet-stream") -> None:
        """Announce the full length of ``body``, send ``keep`` bytes of it, then close."""
        self.sequence(path, [Answer(_bytes(body), content_type=content_type, keep=keep)])

    def gzip_bomb(self, path: str, decompressed_size: int, encoding: str = "gzip") -> int:
        """Serve zeros that decompress to ``decompressed_size`` bytes; returns the size on the wire."""
        body = compressed_zeros(decompressed_size, encoding)
        self.serve(path, body, headers={"Content-Encoding": encoding}, content_type="text/turtle")
        return len(body)

    # -- the log -----------------------------------------------------------------------------------

    def paths(self) -> list[str]:
        with self._lock:
            return [request.path for request in self.requests]

    def requested(self, path: str) -> int:
        return self.paths().count(path)

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()
            self.connections = 0

    # -- internals ---------------------------------------------------------------------------------

    def _count_connection(self) -> None:
        with self._lock:
            self.connections += 1

    def _next_answer(self, path: str) -> Answer | None:
        with self._lock:
            answers = self._answers.get(path) or self._answers.get(urlsplit(path).path)
            if not answers:
                return None
            return answers.pop(0) if len(answers) > 1 else answers[0]

    def _handle(self, handler: _Handler) -> None:
        with self._lock:
            self.requests.append(LoggedRequest(handler.command, handler.path, dict(handler.headers)))
        answer = self._next_answer(handler.path) or Answer(b"Not Found", status=404,
                                                           content_type="text/plain")
        try:
            self._send(handler, answer)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should

    def _send(self, handler: _Handler, answer: Answer) -> None:
        if answer.delay and self._stopping.wait(answer.delay):
            return
        head = [f"HTTP/1.0 {answer.status} {handler.responses.get(answer.status, ('',))[0]}"]
        if answer.content_type:
            head.append(f"Content-Type: {answer.content_type}")
        if answer.announce_length:
            head.append(f"Content-Length: {len(answer.body)}")
        head += [f"{name}: {value}" for name, value in answer.headers.items()]
        head_bytes = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        body = answer.body if answer.keep is None else answer.body[:answer.keep]
        if answer.drip_interval is None:
            handler.wfile.write(head_bytes + (b"" if handler.command == "HEAD" else body))
            handler.wfile.flush()
        else:
            self._drip(handler, head_bytes if answer.drip_headers else b"", answer.drip_interval)
            if not answer.drip_headers:
                handler.wfile.write(head_bytes)
            self._drip(handler, body, answer.drip_interval)
        handler.close_connection = True

    def _drip(self, handler: _Handler, data: bytes, interval: float) -> None:
        for position in range(len(data)):
            if self._stopping.is_set():
                return
            handler.wfile.write(data[position:position + 1])
            handler.wfile.flush()
            time.sleep(interval)


def _bytes(body: bytes | str) -> bytes:
    return body.encode("utf-8") if isinstance(body, str) else body


def compressed_zeros(size: int, encoding: str = "gzip") -> bytes:
    """``size`` zero bytes compressed as gzip or deflate (zlib), without holding them in memory."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS if encoding == "gzip"
                                  else zlib.MAX_WBITS)
    block = bytes(2**20)
    parts = []
    remaining = size
    while remaining > 0:
        parts.append(compressor.compress(block[:min(remaining, len(block))]))
        remaining -= len(block)
    parts.append(compressor.flush())
    return b"".join(parts)


def gzipped(body: bytes) -> bytes:
    return gzip.compress(body)


# -- fixtures --------------------------------------------------------------------------------------

@pytest.fixture
def source_server():
    """A running ``SourceServer`` for one test."""
    with SourceServer() as server:
        yield server


@pytest.fixture
def allowed_source_server(source_server, ckan_config, monkeypatch):
    """``source_server`` with its ``host:port`` allowed, and short limits so failures come quickly."""
    monkeypatch.setitem(ckan_config, "ckanext.jena.harvest.allowed_hosts", source_server.host_port)
    monkeypatch.setitem(ckan_config, "ckanext.jena.harvest.retry_backoff", 0.05)
    monkeypatch.setitem(ckan_config, "ckanext.jena.harvest.read_timeout", 2)
    monkeypatch.setitem(ckan_config, "ckanext.jena.harvest.document_deadline", 5)
    return source_server


