"""A small HTTP client for the benchmark: one keep-alive connection per thread, timed requests.

Standard library only (``http.client``), so the harness runs with the system Python. Each
thread keeps its own connection; gunicorn's sync workers close it after every response,
and ``http.client`` then opens a new one on the next request, so the connect time is part
of every measured request, on both portals alike.
"""
from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.parse


class BenchError(Exception):
    """A failure that makes the figures meaningless; the message says what went wrong."""


class Client:
    """Requests against one portal on 127.0.0.1, optionally as a user with an API token."""

    def __init__(self, port: int, token: str | None = None, timeout: float = 120):
        self.port = port
        self.token = token
        self.timeout = timeout
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            self._local.connection = connection
        return connection

    def _drop_connection(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes, float]:
        """Send one request; return status, body and the seconds from sending to the last byte.

        A GET that fails before any answer (a connection the server had already closed) is
        sent once more on a fresh connection; a POST is never repeated, as it may have been
        carried out.
        """
        headers = {"Accept-Encoding": "identity", **(headers or {})}
        if self.token:
            headers["Authorization"] = self.token
        attempts = 2 if method == "GET" else 1
        for attempt in range(attempts):
            connection = self._connection()
            started = time.perf_counter()
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                content = response.read()
            except (http.client.HTTPException, ConnectionError, TimeoutError, OSError) as error:
                self._drop_connection()
                if attempt + 1 < attempts and not isinstance(error, TimeoutError):
                    continue
                raise BenchError(f"{method} http://127.0.0.1:{self.port}{path} failed: {error!r}") from None
            elapsed = time.perf_counter() - started
            if response.will_close:
                self._drop_connection()
            return response.status, content, elapsed
        raise AssertionError("unreachable")

    def get(self, path: str, params: dict[str, str] | None = None) -> tuple[int, bytes, float]:
        if params:
            path = f"{path}?{urllib.parse.urlencode(params)}"
        return self.request("GET", path)

    def action(self, name: str, data: dict | None = None, *, params: dict[str, str] | None = None
               ) -> tuple[dict, float]:
        """Call an action of CKAN's API (POST with ``data``, GET with ``params``); return result and seconds."""
        path = f"/api/3/action/{name}"
        if data is not None:
            body = json.dumps(data).encode("utf-8")
            status, content, elapsed = self.request(
                "POST", path, body, {"Content-Type": "application/json; charset=utf-8"})
        else:
            status, content, elapsed = self.get(path, params)
        try:
            answer = json.loads(content)
        except ValueError:
            answer = {}
        if status != 200 or not answer.get("success"):
            detail = answer.get("error") if answer else content[:500].decode("utf-8", "replace")
            raise BenchError(f"{name} on port {self.port} answered HTTP {status}: {detail}")
        return answer["result"], elapsed

    def close(self) -> None:
        self._drop_connection()
