"""The two portals under test: stock CKAN and the Jena configuration, side by side.

Both run the same CKAN release from the same virtualenv, on the stack's PostgreSQL, Redis
and Solr, so the only difference is the configuration: stock gets a freshly generated
ckan.ini with ``ckan.plugins = activity`` and the portal's language settings, and CKAN's Solr
schema as shipped; jena gets a freshly generated ckan.ini merged
with ``stack/portal-settings.ini`` (its plugins and options), exactly as the portal is
configured. Each has its own database, Solr core, Redis database, storage folder, ckan.ini
and gunicorn (two workers, like the portal's) below ``.stack/bench/``, all re-created every
run, so results never depend on an earlier run and the portal's own data is never touched.

``running_portals`` is a context manager: whatever it started (gunicorns, and any shared
service that was down) is stopped when it exits, also on errors and Ctrl-C.
"""
from __future__ import annotations

import configparser
import secrets
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.client import BenchError, Client
from bench.proc import Memory, tree_memory
from stack import processes, services, solr_cores
from stack.ckan_site import PORTAL_SETTINGS
from stack.layout import DB_PASSWORD, DB_ROLE, Layout, StackError

SYSADMIN = "bench-admin"
# Options that are not the extension's doing: both portals run with the portal's values, so that
# the comparison measures the plugins and not, say, the cost of loading every CKAN language.
SAME_ON_BOTH = ("ckan.locale_default", "ckan.locales_offered", "ckan.locale_order")


def shared_options(settings_file: Path = PORTAL_SETTINGS) -> list[str]:
    settings = configparser.ConfigParser(interpolation=None)
    settings.read(settings_file, encoding="utf-8")
    return [f"{key}={settings['app:main'][key]}" for key in SAME_ON_BOTH if key in settings["app:main"]]


@dataclass(frozen=True)
class PortalSpec:
    """What sets one portal apart: its name, where its data lives, its port and its configuration."""

    name: str
    port: int
    redis_db: int
    port_option: str
    settings_file: Path | None = None   # merged with ``ckan config-tool -f`` (the jena portal)
    plugins: str | None = None          # set alone, without any other settings (stock CKAN)
    schema_additions: bool = True       # the portal's Solr fields and types; stock gets CKAN's schema alone

    @property
    def database(self) -> str:
        return f"bench_{self.name}"

    @property
    def core(self) -> str:
        return f"bench_{self.name}"


def portal_specs(stock_port: int, jena_port: int) -> list[PortalSpec]:
    """Stock first, jena second: the order of every table and JSON list."""
    return [
        PortalSpec("stock", stock_port, redis_db=2, port_option="--stock-port / BENCH_STOCK_PORT",
                   plugins="activity", schema_additions=False),
        PortalSpec("jena", jena_port, redis_db=3, port_option="--jena-port / BENCH_JENA_PORT",
                   settings_file=PORTAL_SETTINGS),
    ]


class BenchWeb(services.Web):
    """The stack's gunicorn (same command, two workers), pointed at a bench portal's ckan.ini and port."""

    def __init__(self, portal: "Portal"):
        super().__init__(portal.layout, portal.series)
        self.portal = portal
        self.name = f"bench-{portal.spec.name}"

    @property
    def port(self) -> int:
        return self.portal.spec.port

    @property
    def log(self) -> Path:
        return self.portal.folder / "web.log"

    @property
    def pidfile(self) -> Path:
        return self.portal.folder / "gunicorn.pid"

    def pid(self) -> int | None:
        """The PID from the PID file, but only while it is still this portal's gunicorn.

        A PID file left by an interrupted run may name a process that has since been reused
        for something else; that one must never be stopped. An empty command line is accepted:
        a process right in the middle of its ``exec`` (just started) shows none yet.
        """
        pid = super().pid()
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return None
        if not command.strip():
            return pid
        return pid if "gunicorn" in command and f"127.0.0.1:{self.port}" in command else None

    def environment(self) -> dict[str, str]:
        return {"CKAN_INI": str(self.portal.ini)}

    def answers(self) -> bool:
        return processes.http_status(f"http://127.0.0.1:{self.port}/api/3/action/status_show") == 200

    def check_port_free(self) -> None:
        if processes.port_open(self.port):
            raise StackError(f"the {self.portal.spec.name} portal cannot start: port {self.port} on 127.0.0.1 "
                             f"is in use. Choose another with {self.portal.spec.port_option}.")


class Portal:
    """One portal: configure, reset its data, migrate, create the sysadmin, start, measure memory, stop."""

    def __init__(self, layout: Layout, series: str, spec: PortalSpec):
        self.layout = layout
        self.series = series
        self.spec = spec
        self.folder = layout.root / "bench" / spec.name
        self.ini = self.folder / "ckan.ini"
        self.web = BenchWeb(self)
        self.anonymous = Client(spec.port)
        self.admin: Client | None = None
        self.memory_after_warm_up: Memory | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    def ckan(self, *arguments: str) -> str:
        result = processes.run([str(self.layout.ckan_command(self.series)), "-c", str(self.ini), *arguments],
                               what=f"{self.name}: ckan {' '.join(arguments[:3])}", capture=True)
        return result.stdout or ""

    def configure(self) -> None:
        """A new ckan.ini every run (new secrets, current portal settings), then this portal's connections.

        The gunicorn log starts empty too, so its tail, shown when a start fails, is this run's.
        """
        (self.folder / "storage").mkdir(parents=True, exist_ok=True)
        self.ini.unlink(missing_ok=True)
        self.web.log.unlink(missing_ok=True)
        ckan = str(self.layout.ckan_command(self.series))
        processes.run([ckan, "generate", "config", str(self.ini)], what=f"{self.name}: ckan generate config",
                      capture=True)
        tool = [ckan, "config-tool", str(self.ini)]
        if self.spec.settings_file:
            processes.run([*tool, "-f", str(self.spec.settings_file)],
                          what=f"{self.name}: applying {self.spec.settings_file.name}", capture=True)
        if self.spec.plugins is not None:
            processes.run([*tool, f"ckan.plugins={self.spec.plugins}", *shared_options()],
                          what=f"{self.name}: setting plugins and languages", capture=True)
        processes.run([*tool, *self.connection_options()], what=f"{self.name}: setting connections",
                      capture=True)

    def connection_options(self) -> list[str]:
        layout = self.layout
        return [
            f"sqlalchemy.url={layout.database_url(self.spec.database)}",
            f"solr_url={layout.solr_url(self.spec.core)}",
            f"ckan.redis.url={layout.redis_url(self.spec.redis_db)}",
            f"ckan.site_url=http://127.0.0.1:{self.spec.port}",
            f"ckan.storage_path={self.folder / 'storage'}",
        ]

    def option(self, key: str) -> str:
        """An option as written in this portal's ckan.ini (for the report)."""
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        parser.read(self.ini, encoding="utf-8")
        return parser.get("app:main", key, fallback="")

    def reset_data(self, postgres: services.Postgres) -> None:
        """Drop and re-create the database; write, load and empty the Solr core; empty the Redis database."""
        postgres.ensure_database(self.spec.database, DB_ROLE, fresh=True)
        changed = solr_cores.write_core(self.layout, self.spec.core, self.series,
                                        with_additions=self.spec.schema_additions)
        solr_cores.activate_core(self.layout, self.spec.core, changed)
        solr_cores.empty_core(self.layout, self.spec.core)
        flush_redis(self.layout.redis_port, self.spec.redis_db)

    def migrate(self) -> None:
        self.ckan("db", "upgrade")

    def create_sysadmin(self) -> None:
        """The user that creates the datasets, with an API token, made with CKAN's own CLI."""
        self.ckan("user", "add", SYSADMIN, f"email={SYSADMIN}@example.org",
                  f"password={secrets.token_urlsafe(16)}", "fullname=Benchmark")
        self.ckan("sysadmin", "add", SYSADMIN)
        output = self.ckan("user", "token", "add", SYSADMIN, "bench")
        token = token_from_cli_output(output)
        self.admin = Client(self.spec.port, token=token)

    def start(self) -> None:
        self.web.start()

    def stop(self) -> None:
        self.web.stop()

    def memory(self) -> Memory:
        pid = self.web.pid()
        if not pid or not self.web.running():
            raise BenchError(f"the {self.name} portal's gunicorn is not running; see {self.web.log}")
        return tree_memory(pid)

    def warm_up(self, rounds: int = 3) -> None:
        """A few requests of each kind, so both workers have loaded templates and opened connections."""
        for _ in range(rounds):
            for path in ("/api/3/action/status_show", "/", "/dataset/", "/organization/",
                         "/api/3/action/package_search?q=Jena&facet.field=%5B%22tags%22%5D"):
                status, _, _ = self.anonymous.get(path)
                if status != 200:
                    raise BenchError(f"{self.name}: warm-up request {path} answered HTTP {status}; "
                                     f"see {self.web.log}")


def token_from_cli_output(output: str) -> str:
    """The token that ``ckan user token add`` prints on the line after ``API Token created:``."""
    lines = [line.strip() for line in output.splitlines()]
    for number, line in enumerate(lines):
        if line.startswith("API Token created") and number + 1 < len(lines) and lines[number + 1]:
            return lines[number + 1]
    raise BenchError(f"no API token in the output of 'ckan user token add':\n{output[-2000:]}")


def flush_redis(port: int, database: int) -> None:
    """Empty one Redis database (inline protocol; no client library needed)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(f"SELECT {database}\r\nFLUSHDB\r\n".encode())
        answer = b""
        while answer.count(b"\r\n") < 2:
            chunk = connection.recv(64)
            if not chunk:
                break
            answer += chunk
    if answer.count(b"+OK") < 2:
        raise BenchError(f"redis on port {port}: emptying database {database} failed: {answer!r}")


def _ensure_infrastructure(layout: Layout, started: list[services.Service],
                           say: Callable[[str], None]) -> services.Postgres:
    """Use the stack's PostgreSQL, Redis and Solr; start (and remember) only those that are down."""
    postgres, redis, solr = services.infrastructure(layout)
    for service in (postgres, redis, solr):
        if service.running() and service.answers():
            continue
        say(f"  {service.name} is down; starting it for the benchmark (stopped again at the end)")
        if isinstance(service, services.Solr):
            solr_cores.write_home(layout)
        service.start()
        started.append(service)
    postgres.ensure_role(DB_ROLE, DB_PASSWORD)
    return postgres


@contextmanager
def running_portals(layout: Layout, series: str, specs: list[PortalSpec],
                    say: Callable[[str], None] = print) -> Iterator[list[Portal]]:
    """Bring up every portal from scratch, yield them, and stop all that was started here."""
    portals = [Portal(layout, series, spec) for spec in specs]
    started: list[services.Service] = []
    try:
        for portal in portals:
            portal.stop()   # a gunicorn left by an interrupted earlier run (its own PID file)
            portal.web.check_port_free()
        postgres = _ensure_infrastructure(layout, started, say)
        for portal in portals:
            say(f"  {portal.name}: ckan.ini, fresh database and Solr core, migrations, sysadmin")
            portal.configure()
            portal.reset_data(postgres)
            portal.migrate()
            portal.create_sysadmin()
        for portal in portals:
            portal.start()
            portal.warm_up()
            portal.memory_after_warm_up = portal.memory()
        yield portals
    finally:
        for portal in portals:
            portal.stop()
        for service in reversed(started):
            service.stop()
