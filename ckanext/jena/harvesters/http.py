"""The one HTTP client of all Jena harvesters.

Harvest sources are addresses typed in by organisation administrators, so every fetch is treated as
untrusted: it may point into the portal's own network (SSRF), answer slowly or never, send endless
or decompression-bomb bodies, redirect in circles or fail halfway. ``SafeClient`` bounds all of it
and turns every failure into a bilingual ``FetchError`` for the job report.

Decisions:

* Addresses are checked before any connection: only http and https, a host is required, user
  names and passwords are refused (source addresses are shown publicly and end up in job reports,
  so they must not carry secrets), and every address the host name resolves to must be public.
  ``allowed_hosts`` lists the exceptions by the exact ``host`` or ``host:port`` of the address.
* DNS rebinding: the connection goes to the addresses that were checked, not to a second lookup
  (the host name still goes into the Host header, SNI and certificate check), and the peer of every
  new socket is checked again, so a host name cannot switch to an internal address in between.
* Redirects are followed by hand; each target is checked like the source address.
* One deadline covers a whole document, retries and redirects included. A watchdog shuts the
  document's sockets down when it passes, so no blocking read (a source dripping one byte per
  second, slow headers) outlives it.
* Bodies are decompressed here, in bounded pieces, so that the size limit counts decompressed
  bytes and a compression bomb is refused after ``max_bytes``, not after it filled the memory.
* Proxies and credentials from the environment are ignored (``trust_env``): a proxy would connect
  to the checked address on its own terms.
"""
from __future__ import annotations

import email.utils
import ipaddress
import socket
import threading
import time
import zlib
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Callable, Iterable, Iterator, Mapping
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from ckanext.jena.harvesters.messages import N_, HarvestMessage, SourceError

CHUNK_SIZE = 16 * 1024
ERROR_BODY_LIMIT = 64 * 1024
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")
ALLOWED_HOSTS_OPTION = "ckanext.jena.harvest.allowed_hosts"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _version() -> str:
    try:
        return metadata.version("ckanext-jena-portal")
    except metadata.PackageNotFoundError:
        return "dev"


USER_AGENT = f"ckanext-jena-harvester/{_version()} (Open Data Portal Jena)"


# -- errors ----------------------------------------------------------------------------------------

class FetchError(SourceError):
    """A document could not be fetched; ``url`` is the address that failed."""

    def __init__(self, message: str | HarvestMessage, **values: Any):
        super().__init__(message, **values)
        self.url = values.get("url")

    def after_attempts(self, attempts: int) -> "FetchError":
        """The same error, saying how often it was tried (the report should not hide retries)."""
        if attempts > 1:
            self.message = HarvestMessage(N_("{problem} ({attempts} attempts)"),
                                          problem=self.message, attempts=attempts)
            self.args = (self.message.text("en"),)
        return self


class ForbiddenUrl(FetchError):
    """The address may not be harvested; refused before any connection."""


class HttpStatusError(FetchError):
    """The source answered with an error status."""

    def __init__(self, message: str | HarvestMessage, *, status: int, **values: Any):
        super().__init__(message, status=status, **values)
        self.status = status
        # the start of a 404 answer's body: some APIs explain there what the status means
        # (an OParl server's "empty list" error); never part of the message
        self.body = b""


class FetchTimeout(FetchError):
    """The source did not answer in time, or the document's deadline passed."""


class DocumentTooLarge(FetchError):
    """The document is (or announces to be) larger than the limit, after decompression."""


class TooManyRedirects(FetchError):
    """The redirects went on too long or in a circle."""


class TruncatedDocument(FetchError):
    """The connection ended before the whole document arrived."""


class ConnectionFailed(FetchError):
    """No connection could be made, or it broke off."""


# -- the document ------------------------------------------------------------------------------------

@dataclass
class Document:
    """A fetched document: ``body`` is decompressed, ``url`` the address after redirects."""
    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    media_type: str = ""
    charset: str | None = None

    def text(self) -> str:
        """The body as text, decoded as ``parsing.decode_text`` decodes it."""
        from ckanext.jena.harvesters.parsing import decode_text
        return decode_text(self.body, self.charset)


def parse_content_type(value: str | None) -> tuple[str, str | None]:
    """``text/turtle; charset=UTF-8`` -> (``text/turtle``, ``UTF-8``)."""
    if not value:
        return "", None
    media_type, *parameters = value.split(";")
    charset = None
    for parameter in parameters:
        name, _, parameter_value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = parameter_value.strip().strip('"').strip("'") or None
    return media_type.strip().lower(), charset


# -- address policy --------------------------------------------------------------------------------

def address_problem(address: IPAddress) -> HarvestMessage | None:
    """Why a connection to this address is refused, or None for a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in NAT64_PREFIX:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return address_problem(embedded)
        if address.teredo:
            return address_problem(address.teredo[1])
    if address.is_unspecified:
        return HarvestMessage(N_("an unspecified address (it means this machine)"))
    if address.is_loopback:
        return HarvestMessage(N_("a loopback address of this machine"))
    if address.is_link_local:
        return HarvestMessage(N_("a link-local address (such as a cloud metadata service)"))
    if address.is_multicast:
        return HarvestMessage(N_("a multicast address"))
    if address in SHARED_ADDRESS_SPACE:
        return HarvestMessage(N_("a shared address of a provider network (100.64.0.0/10)"))
    if address.is_reserved:
        return HarvestMessage(N_("a reserved address"))
    if address.is_private:
        return HarvestMessage(N_("a private network address"))
    if not address.is_global:
        return HarvestMessage(N_("not a public internet address"))
    return None


def _parse_host_entry(entry: str) -> tuple[str, int | None]:
    """``host``, ``host:port``, ``[v6]:port`` or a bare IPv6 address -> (host, port or None)."""
    entry = entry.strip().lower()
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif entry.count(":") == 1:
        host, _, port = entry.partition(":")
    else:
        host, port = entry, ""
    return host.rstrip("."), int(port) if port.isdigit() else None


@dataclass
class _Target:
    """A checked address: where to connect (None: let the resolver decide, host is allowed)."""
    url: str
    host: str
    port: int
    addresses: list[str] | None


# -- connections pinned to the checked addresses ---------------------------------------------------

class _Watchdog:
    """Shuts the sockets of one document down at its deadline, so that no blocking read outlives it."""

    def __init__(self, deadline_at: float):
        self.deadline_at = deadline_at
        self.fired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, deadline_at - time.monotonic()), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.fired:
                _shutdown(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            for sock in self._sockets:
                _shutdown(sock)

    def cancel(self) -> None:
        self._timer.cancel()


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


def _pinned_connection(base: type[HTTPConnection], addresses: list[str] | None,
                       on_socket: Callable[[socket.socket], None], watchdog: _Watchdog):
    """A connection class that connects to the checked addresses and hands each socket over."""

    class PinnedConnection(base):  # type: ignore[valid-type,misc]
        def _new_conn(self) -> socket.socket:
            if addresses is None:
                sock = super()._new_conn()
            else:
                sock = self._connect_to_checked_addresses()
            try:
                on_socket(sock)
            except BaseException:
                sock.close()
                raise
            watchdog.watch(sock)
            return sock

        def _connect_to_checked_addresses(self) -> socket.socket:
            # urllib3 connects to ``_dns_host``; the host name stays for Host header, SNI and
            # certificate, but no second DNS lookup decides where the connection goes
            host_name = self._dns_host
            failure: Exception | None = None
            try:
                for address in addresses:
                    if failure is not None and time.monotonic() >= watchdog.deadline_at:
                        break
                    self._dns_host = address
                    try:
                        return super()._new_conn()
                    except (urllib3.exceptions.NewConnectionError,
                            urllib3.exceptions.ConnectTimeoutError) as error:
                        failure = error
            finally:
                self._dns_host = host_name
            assert failure is not None
            raise failure

        def connect(self) -> None:
            super().connect()
            if self.sock is not None:
                watchdog.watch(self.sock)  # the TLS socket replaces the plain one

    return PinnedConnection


class _PinnedAdapter(HTTPAdapter):
    """requests' adapter with pools whose connections go to the checked addresses only."""

    def __init__(self, addresses: list[str] | None, on_socket: Callable[[socket.socket], None],
                 watchdog: _Watchdog):
        self._pool_classes = {
            "http": type("PinnedHTTPConnectionPool", (HTTPConnectionPool,), {
                "ConnectionCls": _pinned_connection(HTTPConnection, addresses, on_socket, watchdog)}),
            "https": type("PinnedHTTPSConnectionPool", (HTTPSConnectionPool,), {
                "ConnectionCls": _pinned_connection(HTTPSConnection, addresses, on_socket, watchdog)}),
        }
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pool_classes


# -- decompression ---------------------------------------------------------------------------------

class _Decoder:
    """Decompresses a body in pieces of at most ``CHUNK_SIZE`` bytes, so the caller can stop early."""

    def __init__(self, encoding: str):
        self.encoding = encoding
        self._raw_deflate_tried = encoding != "deflate"
        self._started = False
        self._object = self._new()

    def _new(self) -> Any:
        if self.encoding in ("gzip", "x-gzip"):
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        return zlib.decompressobj(zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data:
            if self._object.eof:
                # a gzip body may hold several members one after the other
                self._object = self._new()
            try:
                piece = self._object.decompress(data, CHUNK_SIZE)
            except zlib.error:
                if not self._started and not self._raw_deflate_tried:
                    # some servers send "deflate" without the zlib wrapper
                    self._raw_deflate_tried = True
                    self._object = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise
            self._started = True
            if piece:
                yield piece
            data = self._object.unconsumed_tail or (self._object.unused_data if self._object.eof else b"")
            if self._object.eof and not data:
                return

    def finish(self) -> Iterator[bytes]:
        """Output zlib still holds back after the last input (bounded pieces as well)."""
        while not self._object.eof:
            piece = self._object.decompress(self._object.unconsumed_tail, CHUNK_SIZE)
            if not piece:
                return
            yield piece

    def complete(self) -> bool:
        return self._object.eof


# -- the client --------------------------------------------------------------------------------------

@dataclass
class _Answer:
    status: int
    reason: str
    headers: CaseInsensitiveDict
    body: bytes = b""


@dataclass(kw_only=True)
class SafeClient:
    """Fetches harvest documents within the limits; see the module docstring for the rules."""
    allowed_hosts: Iterable[str] = ()
    connect_timeout: float = 10
    read_timeout: float = 30
    deadline: float = 120
    max_bytes: int = 50 * 2**20
    max_redirects: int = 5
    retries: int = 3
    backoff: float = 1.0
    user_agent: str = USER_AGENT
    _allowed: set[tuple[str, int | None]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.allowed_hosts, str):
            self.allowed_hosts = self.allowed_hosts.split()
        self.allowed_hosts = tuple(self.allowed_hosts)
        self._allowed = {_parse_host_entry(entry) for entry in self.allowed_hosts if entry.strip()}

    @classmethod
    def from_config(cls, extra_allowed_hosts: Iterable[str] = ()) -> "SafeClient":
        """A client with the limits of the ``ckanext.jena.harvest.*`` options."""
        import ckan.plugins.toolkit as tk
        config = tk.config
        allowed = config.get(ALLOWED_HOSTS_OPTION) or ""
        allowed = allowed.split() if isinstance(allowed, str) else list(allowed)
        site_url = config.get("ckan.site_url") or ""
        return cls(
            allowed_hosts=[*allowed, *extra_allowed_hosts],
            connect_timeout=float(config.get("ckanext.jena.harvest.connect_timeout")),
            read_timeout=float(config.get("ckanext.jena.harvest.read_timeout")),
            deadline=float(config.get("ckanext.jena.harvest.document_deadline")),
            max_bytes=int(config.get("ckanext.jena.harvest.max_document_size")),
            max_redirects=int(config.get("ckanext.jena.harvest.max_redirects")),
            retries=int(config.get("ckanext.jena.harvest.retries")),
            backoff=float(config.get("ckanext.jena.harvest.retry_backoff")),
            user_agent=f"{USER_AGENT[:-1]}; +{site_url})" if site_url else USER_AGENT,
        )

    # -- checks before any connection --------------------------------------------------------------

    def check_url(self, url: str) -> None:
        """Raise ``ForbiddenUrl`` when the address may not be harvested; connects nowhere."""
        self._check(url)

    def is_allowed_host(self, host: str, port: int) -> bool:
        host = host.lower().rstrip(".")
        return (host, port) in self._allowed or (host, None) in self._allowed

    def _prepare(self, url: str, params: dict | None) -> str:
        """The address exactly as requests will send it (IDNA host, quoted path, parameters)."""
        request = requests.models.PreparedRequest()
        try:
            request.prepare_url(url, params)
        except requests.exceptions.RequestException as error:
            raise ForbiddenUrl(N_("{url} is not a valid web address: {problem}"),
                               url=url, problem=str(error))
        return request.url

    def _check(self, url: str, params: dict | None = None) -> _Target:
        if not isinstance(url, str) or not url.strip():
            raise ForbiddenUrl(N_("The source address is empty."), url="")
        url = url.strip()
        if any(character.isspace() or ord(character) < 32 or character == "\\" for character in url):
            raise ForbiddenUrl(N_("{url} is not a valid web address (spaces, control characters "
                                  "or backslashes)."), url=url)
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if not (scheme and scheme.isascii() and scheme[0].isalpha()
                and scheme.replace("+", "").replace("-", "").replace(".", "").isalnum()):
            raise ForbiddenUrl(N_("{url} is not a complete web address: it must begin with "
                                  "http:// or https://."), url=url)
        if scheme not in ("http", "https"):
            raise ForbiddenUrl(N_("{url} cannot be harvested: only http and https addresses are "
                                  "allowed, not {scheme}."), url=url, scheme=scheme)
        try:
            netloc = urlsplit(url).netloc
        except ValueError as error:
            raise ForbiddenUrl(N_("{url} is not a valid web address: {problem}"),
                               url=url, problem=str(error))
        if "@" in netloc:
            raise ForbiddenUrl(N_("{url} contains a user name or password. Source addresses are "
                                  "shown publicly, so they must not carry credentials."), url=url)
        prepared = self._prepare(url, params)
        try:
            parts = urlsplit(prepared)
            host = parts.hostname
            port = parts.port or (443 if scheme == "https" else 80)
            parsed_for_connection = urllib3.util.parse_url(prepared).host or ""
        except (ValueError, urllib3.exceptions.LocationParseError) as error:
            raise ForbiddenUrl(N_("{url} is not a valid web address: {problem}"),
                               url=url, problem=str(error))
        if not host:
            raise ForbiddenUrl(N_("{url} names no host."), url=url)
        host = host.rstrip(".")
        if parsed_for_connection.strip("[]").lower().rstrip(".") != host:
            # the address means different hosts to different parsers: refuse the ambiguity
            raise ForbiddenUrl(N_("{url} is not a valid web address: its host is ambiguous."),
                               url=url)
        if self.is_allowed_host(host, port):
            return _Target(prepared, host, port, None)
        if host == "localhost" or host.endswith(".localhost"):
            raise ForbiddenUrl(N_("{url} is not allowed: {host} is this machine. {hint}"),
                               url=url, host=host, hint=_allowed_hint())
        addresses = self._resolve(url, host, port)
        for address in addresses:
            problem = address_problem(ipaddress.ip_address(address.split("%")[0]))
            if problem is not None:
                raise ForbiddenUrl(N_("{url} is not allowed: {host} is {reason}. {hint}"),
                                   url=url, host=host if _is_address(host) else f"{host} ({address})",
                                   reason=problem, hint=_allowed_hint())
        return _Target(prepared, host, port, addresses)

    def _resolve(self, url: str, host: str, port: int) -> list[str]:
        """Every address of the host (all are checked: the connection may go to any of them)."""
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            pass
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as error:
            raise ConnectionFailed(N_("The host name {host} of {url} could not be resolved: "
                                      "{problem}"), url=url, host=host, problem=str(error))
        addresses: list[str] = []
        for _family, _type, _proto, _name, sockaddr in infos:
            address = str(sockaddr[0])
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise ConnectionFailed(N_("The host name {host} of {url} could not be resolved: "
                                      "{problem}"), url=url, host=host, problem="no address")
        return addresses

    # -- fetching ----------------------------------------------------------------------------------

    def get(self, url: str, *, accept: str | None = None,
            params: dict | None = None) -> Document:
        """Fetch one document, following redirects, within the deadline and size limit."""
        watchdog = _Watchdog(time.monotonic() + self.deadline)
        try:
            return self._follow(url, params, accept, watchdog)
        finally:
            watchdog.cancel()

    def _follow(self, url: str, params: dict | None, accept: str | None,
                watchdog: _Watchdog) -> Document:
        source_url = url
        visited = [url]
        for hop in range(self.max_redirects + 1):
            try:
                target = self._check(url, params if hop == 0 else None)
            except ForbiddenUrl as error:
                if url == source_url:
                    raise
                raise ForbiddenUrl(N_("{source} redirects to a forbidden address: {problem}"),
                                   url=url, source=visited[-2], problem=error.message)
            answer = self._with_retries(target, accept, watchdog)
            url = target.url
            if answer.status in REDIRECT_STATUSES and answer.headers.get("Location"):
                next_url = urljoin(url, answer.headers["Location"].strip())
                if next_url in visited:
                    raise TooManyRedirects(N_("{url} redirects in a circle (back to {target})."),
                                           url=source_url, target=next_url)
                visited.append(next_url)
                url = next_url
                continue
            if not 200 <= answer.status < 300:
                raise _status_error(url, answer)
            media_type, charset = parse_content_type(answer.headers.get("Content-Type"))
            return Document(url=url, status=answer.status, headers=answer.headers,
                            body=answer.body, media_type=media_type, charset=charset)
        raise TooManyRedirects(N_("{url} redirects more than {limit} times."),
                               url=source_url, limit=self.max_redirects)

    def _with_retries(self, target: _Target, accept: str | None, watchdog: _Watchdog) -> _Answer:
        """One request, repeated after 429, 5xx and dropped connections while time is left."""
        attempt = 0
        while True:
            attempt += 1
            wait = self.backoff * 2 ** (attempt - 1)
            try:
                answer = self._request(target, accept, watchdog)
            except (FetchTimeout, ConnectionFailed, TruncatedDocument) as error:
                if watchdog.fired or attempt > self.retries or not _time_left(watchdog, wait):
                    raise error.after_attempts(attempt)
                time.sleep(wait)
                continue
            if answer.status == 429 or answer.status >= 500:
                retry_after = _retry_after(answer.headers.get("Retry-After"))
                if retry_after is not None:
                    wait = retry_after
                if attempt > self.retries:
                    raise _status_error(target.url, answer).after_attempts(attempt)
                if not _time_left(watchdog, wait):
                    if retry_after is not None:
                        raise HttpStatusError(N_(
                            "{url} answered with HTTP status {status} ({reason}) and asks to "
                            "wait {seconds} seconds, longer than the document deadline allows."),
                            url=target.url, status=answer.status, reason=answer.reason,
                            seconds=_seconds(retry_after)).after_attempts(attempt)
                    raise _status_error(target.url, answer).after_attempts(attempt)
                time.sleep(wait)
                continue
            return answer

    def _request(self, target: _Target, accept: str | None, watchdog: _Watchdog) -> _Answer:
        remaining = watchdog.deadline_at - time.monotonic()
        if remaining <= 0:
            raise self._deadline_error(target.url)
        session = requests.Session()
        session.trust_env = False
        adapter = _PinnedAdapter(target.addresses, lambda sock: self._check_peer(target, sock),
                                 watchdog)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        headers = {"User-Agent": self.user_agent, "Accept": accept or "*/*",
                   "Accept-Encoding": "gzip, deflate"}
        try:
            try:
                response = session.get(
                    target.url, headers=headers, stream=True, allow_redirects=False,
                    timeout=(min(self.connect_timeout, remaining), min(self.read_timeout, remaining)))
            except requests.exceptions.RequestException as error:
                raise self._request_error(target.url, error, watchdog, connecting=True)
            try:
                answer = _Answer(response.status_code, response.reason or "",
                                 CaseInsensitiveDict(response.headers))
                if 200 <= answer.status < 300:
                    answer.body = self._read_body(target.url, response, watchdog)
                elif answer.status == 404:
                    answer.body = _error_body(response)
                return answer
            finally:
                response.close()
        finally:
            session.close()

    def _check_peer(self, target: _Target, sock: socket.socket) -> None:
        """The socket's real peer must pass the policy too (the last word against rebinding)."""
        if target.addresses is None:
            return
        peer = ipaddress.ip_address(str(sock.getpeername()[0]).split("%")[0])
        problem = address_problem(peer)
        if problem is not None:
            raise ForbiddenUrl(N_("{url} is not allowed: {host} is {reason}. {hint}"),
                               url=target.url, host=f"{target.host} ({peer})", reason=problem,
                               hint=_allowed_hint())

    def _read_body(self, url: str, response: requests.Response, watchdog: _Watchdog) -> bytes:
        declared = _content_length(response.headers.get("Content-Length"))
        if declared is not None and declared > self.max_bytes:
            raise DocumentTooLarge(N_("{url} announces {size} bytes, more than the limit of "
                                      "{limit} bytes."), url=url, size=declared, limit=self.max_bytes)
        encodings = [item.strip().lower() for item in response.headers.get("Content-Encoding", "").split(",")
                     if item.strip() and item.strip().lower() != "identity"]
        if len(encodings) > 1 or encodings and encodings[0] not in ("gzip", "x-gzip", "deflate"):
            raise FetchError(N_("{url} uses the content encoding {encoding}, which the harvester "
                                "cannot read."), url=url, encoding=", ".join(encodings))
        decoder = _Decoder(encodings[0]) if encodings else None
        pieces: list[bytes] = []
        size = received = 0
        try:
            for chunk in response.raw.stream(CHUNK_SIZE, decode_content=False):
                received += len(chunk)
                if time.monotonic() >= watchdog.deadline_at:
                    raise self._deadline_error(url)
                for piece in decoder.feed(chunk) if decoder else (chunk,):
                    size += len(piece)
                    if size > self.max_bytes:
                        raise self._too_large(url)
                    pieces.append(piece)
            for piece in decoder.finish() if decoder else ():
                size += len(piece)
                if size > self.max_bytes:
                    raise self._too_large(url)
                pieces.append(piece)
        except zlib.error as error:
            raise FetchError(N_("{url} sent a compressed document that cannot be decompressed: "
                                "{problem}"), url=url, problem=str(error))
        except (urllib3.exceptions.HTTPError, requests.exceptions.RequestException, OSError) as error:
            if watchdog.fired or time.monotonic() >= watchdog.deadline_at:
                raise self._deadline_error(url)
            if isinstance(error, urllib3.exceptions.ReadTimeoutError):
                raise FetchTimeout(N_("{url} stopped sending for more than {seconds} seconds."),
                                   url=url, seconds=_seconds(self.read_timeout))
            raise self._truncated(url, received, declared)
        if watchdog.fired:
            raise self._deadline_error(url)
        if declared is not None and received < declared:
            raise self._truncated(url, received, declared)
        if decoder is not None and received and not decoder.complete():
            raise self._truncated(url, received, declared)
        return b"".join(pieces)

    # -- messages ----------------------------------------------------------------------------------

    def _too_large(self, url: str) -> DocumentTooLarge:
        return DocumentTooLarge(N_("{url} is larger than the limit of {limit} bytes (after "
                                   "decompression)."), url=url, limit=self.max_bytes)

    def _deadline_error(self, url: str) -> FetchTimeout:
        return FetchTimeout(N_("{url} could not be read within the deadline of {seconds} seconds "
                               "per document."), url=url, seconds=_seconds(self.deadline))

    def _truncated(self, url: str, received: int, declared: int | None) -> TruncatedDocument:
        if declared is not None and received < declared:
            return TruncatedDocument(N_("{url} broke off after {received} of the announced "
                                        "{announced} bytes."),
                                     url=url, received=received, announced=declared)
        return TruncatedDocument(N_("The connection to {url} broke off before the document was "
                                    "complete."), url=url)

    def _request_error(self, url: str, error: Exception, watchdog: _Watchdog,
                       connecting: bool) -> FetchError:
        if watchdog.fired or time.monotonic() >= watchdog.deadline_at:
            return self._deadline_error(url)
        if isinstance(error, requests.exceptions.ConnectTimeout):
            return FetchTimeout(N_("No connection to {url} within {seconds} seconds."),
                                url=url, seconds=_seconds(self.connect_timeout))
        if isinstance(error, requests.exceptions.ReadTimeout):
            return FetchTimeout(N_("{url} did not answer within {seconds} seconds."),
                                url=url, seconds=_seconds(self.read_timeout))
        if isinstance(error, requests.exceptions.SSLError):
            return FetchError(N_("The secure connection to {url} failed: {problem}"),
                              url=url, problem=_root_cause(error))
        if _caused_by(error, ConnectionRefusedError):
            return ConnectionFailed(N_("The connection to {url} was refused."), url=url)
        if isinstance(error, (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema,
                              requests.exceptions.MissingSchema)):
            return ForbiddenUrl(N_("{url} is not a valid web address: {problem}"),
                                url=url, problem=str(error))
        return ConnectionFailed(N_("The connection to {url} failed: {problem}"),
                                url=url, problem=_root_cause(error))


def _status_error(url: str, answer: _Answer) -> HttpStatusError:
    error = HttpStatusError(N_("{url} answered with HTTP status {status} ({reason})."),
                            url=url, status=answer.status, reason=answer.reason or "-")
    error.body = answer.body
    return error


def _error_body(response: requests.Response) -> bytes:
    """At most ERROR_BODY_LIMIT bytes of an error answer, uncompressed; empty if unreadable."""
    if response.headers.get("Content-Encoding", "").strip().lower() not in ("", "identity"):
        return b""
    try:
        return response.raw.read(ERROR_BODY_LIMIT, decode_content=False) or b""
    except (urllib3.exceptions.HTTPError, requests.exceptions.RequestException, OSError):
        return b""


def _allowed_hint() -> HarvestMessage:
    return HarvestMessage(N_("Sysadmins can allow such a source with the option {option}."),
                          option=ALLOWED_HOSTS_OPTION)


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return True


def _time_left(watchdog: _Watchdog, wait: float) -> bool:
    return time.monotonic() + wait < watchdog.deadline_at


def _seconds(value: float) -> str:
    return f"{value:g}"


def _content_length(value: str | None) -> int | None:
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (seconds or an HTTP date), None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment is None:
        return None
    return max(0.0, moment.timestamp() - time.time())


def _caused_by(error: BaseException, kind: type[BaseException]) -> bool:
    seen: set[int] = set()
    pending: list[BaseException | Any] = [error]
    while pending:
        current = pending.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kind):
            return True
        pending.extend([current.__cause__, current.__context__, *current.args,
                        getattr(current, "reason", None)])
    return False


def _root_cause(error: BaseException) -> str:
    """The innermost readable reason, without requests' and urllib3's wrapping."""
    current: BaseException = error
    while True:
        inner = getattr(current, "reason", None) or current.__cause__ or (
            current.args[0] if current.args and isinstance(current.args[0], BaseException) else None)
        if not isinstance(inner, BaseException) or inner is current:
            break
        current = inner
    text = str(current)
    return text.split(": ", 1)[-1] if text.startswith("<") else text
