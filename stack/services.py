"""The long-running services of the stack, each able to start, stop and say how it is.

Every service writes its output to a log file below the stack folder; every start checks
that the port is free, waits until the service answers, and on failure shows the tail of
the log. Starting a running service does nothing, so ``make portal`` can be repeated.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from stack import processes
from stack.layout import REPO_ROOT, Layout, StackError


@dataclass
class Status:
    name: str
    up: bool
    port: int | None
    log: Path
    detail: str = ""


class Service:
    """A background process started by the stack, recorded by a PID file."""

    name: str = ""
    ready_timeout: float = 60

    def __init__(self, layout: Layout):
        self.layout = layout

    # to be given by each service
    port: int | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        return {}

    def answers(self) -> bool:
        """Whether the service does its job; by default, that its process lives."""
        return processes.pid_alive(self.pid())

    # common behaviour
    @property
    def log(self) -> Path:
        return self.layout.logs / f"{self.name}.log"

    @property
    def pidfile(self) -> Path:
        return self.layout.run / f"{self.name}.pid"

    def pid(self) -> int | None:
        return processes.read_pid(self.pidfile)

    def running(self) -> bool:
        return processes.pid_alive(self.pid())

    def prepare(self) -> None:
        """Create what the service needs on disk before its first start."""

    def start(self) -> None:
        if self.running():
            processes.wait_for(self.answers, service=self.name, timeout=self.ready_timeout,
                               log=self.log, pid=self.pid)
            print(f"  {self.name}: already running")
            return
        self.check_port_free()
        self.prepare()
        self.layout.logs.mkdir(parents=True, exist_ok=True)
        self.layout.run.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env={**os.environ, **self.environment()}, cwd=REPO_ROOT, start_new_session=True,
            )
        self.pidfile.write_text(f"{process.pid}\n")
        processes.wait_for(self.answers, service=self.name, timeout=self.ready_timeout,
                           log=self.log, pid=self.pid)
        print(f"  {self.name}: started" + (f" on 127.0.0.1:{self.port}" if self.port else ""))

    def check_port_free(self) -> None:
        if self.port and processes.port_open(self.port):
            raise StackError(
                f"{self.name} cannot start: port {self.port} on 127.0.0.1 is already in use by another "
                f"program. Stop that program, or choose another port with "
                f"JENA_{self.name.upper().replace('-', '_')}_PORT."
            )

    def stop(self) -> None:
        pid = self.pid()
        if processes.pid_alive(pid):
            processes.terminate(pid)
            print(f"  {self.name}: stopped")
        self.pidfile.unlink(missing_ok=True)

    def status(self) -> Status:
        return Status(self.name, self.running() and self.answers(), self.port, self.log)


class Postgres(Service):
    """Debian's PostgreSQL server binaries running a cluster inside the stack folder.

    PostgreSQL refuses to run as root, so under root the cluster belongs to the ``postgres``
    system user that Debian's package creates.
    """

    name = "postgres"

    @property
    def port(self) -> int:
        return self.layout.postgres_port

    @property
    def data_dir(self) -> Path:
        return self.layout.postgres_dir / "data"

    @property
    def socket_dir(self) -> Path:
        return self.layout.postgres_dir / "socket"

    @property
    def log(self) -> Path:
        return self.layout.postgres_dir / "postgres.log"

    @property
    def pidfile(self) -> Path:
        return self.data_dir / "postmaster.pid"

    @property
    def os_user(self) -> str | None:
        return "postgres" if os.geteuid() == 0 else None

    @staticmethod
    def binaries() -> Path:
        versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"),
                          key=lambda path: int(path.parent.parent.name))
        if not versions:
            raise StackError("PostgreSQL server binaries not found: install Debian's package 'postgresql'")
        return versions[-1].parent

    def prepare(self) -> None:
        if (self.data_dir / "PG_VERSION").exists():
            return
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        if self.os_user:
            shutil.chown(self.layout.postgres_dir, self.os_user, self.os_user)
            for path in self.layout.postgres_dir.iterdir():
                shutil.chown(path, self.os_user, self.os_user)
            probe = subprocess.run(["runuser", "-u", self.os_user, "--", "test", "-w",
                                    str(self.layout.postgres_dir)])
            if probe.returncode != 0:
                raise StackError(
                    f"postgres: the system user 'postgres' cannot reach {self.layout.postgres_dir}; "
                    "every folder above it must be searchable by others (chmod o+x), "
                    "or set JENA_STACK_DIR to a folder it can reach."
                )
        processes.run([str(self.binaries() / "initdb"), "-D", str(self.data_dir), "-U", "postgres",
                       "--encoding=UTF8", "--locale=C.UTF-8", "--auth-local=trust",
                       "--auth-host=scram-sha-256"],
                      what="postgres: creating the database cluster", user=self.os_user, capture=True)

    def start(self) -> None:
        if self.running():
            print("  postgres: already running")
            return
        self.check_port_free()
        self.prepare()
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 "
                   f"-c unix_socket_directories={self.socket_dir} -c fsync=off "
                   f"-c synchronous_commit=off -c max_connections=200")
        try:
            processes.run([str(self.binaries() / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log),
                           "-o", options, "-w", "-t", "60", "start"],
                          what="postgres: start", user=self.os_user, capture=True)
        except StackError as error:
            raise StackError(f"{error}\nLast lines of {self.log}:\n{processes.tail(self.log)}") from None
        print(f"  postgres: started on 127.0.0.1:{self.port}")

    def stop(self) -> None:
        if self.running():
            processes.run([str(self.binaries() / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast",
                           "-w", "stop"], what="postgres: stop", user=self.os_user, capture=True)
            print("  postgres: stopped")

    def answers(self) -> bool:
        return processes.port_open(self.port)

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL as the cluster's superuser over the private socket."""
        result = processes.run(
            [str(self.binaries() / "psql"), "-h", str(self.socket_dir), "-p", str(self.port),
             "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-tAc", sql],
            what="postgres: SQL", user=self.os_user, capture=True)
        return result.stdout.strip()

    def ensure_role(self, role: str, password: str) -> None:
        if not self.psql(f"SELECT 1 FROM pg_roles WHERE rolname = '{role}'"):
            self.psql(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")

    def ensure_database(self, database: str, owner: str, *, fresh: bool = False) -> None:
        if fresh:
            self.psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        if not self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}'"):
            self.psql(f"CREATE DATABASE {database} OWNER {owner} ENCODING 'UTF8' TEMPLATE template0")


class Redis(Service):
    name = "redis"

    @property
    def port(self) -> int:
        return self.layout.redis_port

    def prepare(self) -> None:
        self.layout.redis_dir.mkdir(parents=True, exist_ok=True)

    def command(self) -> list[str]:
        server = shutil.which("redis-server") or "/usr/bin/redis-server"
        return [server, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.layout.redis_dir),
                "--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes"]

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False


class Solr(Service):
    """Apache Solr 9 from Maven Central jars, run by the small launcher in ``stack/solr``."""

    name = "solr"
    ready_timeout = 120

    @property
    def port(self) -> int:
        return self.layout.solr_port

    def command(self) -> list[str]:
        solr_files = REPO_ROOT / "stack" / "solr"
        return [
            "java", "-Xms256m", "-Xmx512m", "-XX:+UseSerialGC", "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile=file:{solr_files / 'log4j2.xml'}",
            "-cp", f"{self.layout.solr_lib}/*", str(solr_files / "SolrLauncher.java"),
            str(self.layout.solr_home), str(self.port),
        ]

    def answers(self) -> bool:
        url = f"http://127.0.0.1:{self.port}/solr/admin/cores?action=STATUS&wt=json"
        return processes.http_status(url) == 200


class DemoSources(Service):
    """The sample harvest sources of the demo (``stack/demo_sources.py``), one per Jena harvester."""

    name = "demo-sources"

    @property
    def port(self) -> int:
        return self.layout.demo_sources_port

    def command(self) -> list[str]:
        return [sys.executable, "-m", "stack.demo_sources", "--port", str(self.port)]

    def answers(self) -> bool:
        return processes.http_status(f"{self.layout.demo_sources_url}/dcat/catalog.ttl") == 200


class CkanProcess(Service):
    """A process of the portal's CKAN, run from the virtualenv of one CKAN release."""

    def __init__(self, layout: Layout, series: str):
        super().__init__(layout)
        self.series = series

    def environment(self) -> dict[str, str]:
        return {"CKAN_INI": str(self.layout.portal_ini)}

    def ckan(self, *arguments: str) -> list[str]:
        return [str(self.layout.ckan_command(self.series)), "-c", str(self.layout.portal_ini), *arguments]


class Web(CkanProcess):
    """gunicorn serving the portal with two workers."""

    name = "web"
    ready_timeout = 120

    @property
    def port(self) -> int:
        return self.layout.web_port

    def command(self) -> list[str]:
        return [str(self.layout.venv(self.series) / "bin" / "gunicorn"), "--workers", "2",
                "--bind", f"127.0.0.1:{self.port}", "--timeout", "120", "--access-logfile", "-",
                "--chdir", str(REPO_ROOT), "stack.wsgi:application"]

    def answers(self) -> bool:
        return processes.http_status(f"{self.layout.site_url}/api/3/action/status_show") == 200


class Worker(CkanProcess):
    name = "worker"

    def command(self) -> list[str]:
        return self.ckan("jobs", "worker")


class HarvestQueueConsumer(CkanProcess):
    """A ckanext-harvest queue consumer, which waits on Redis with a blocking pop.

    redis-py 8 (pinned by CKAN 2.12) gives every socket a 5 s read timeout, so an idle
    consumer crashes after 5 s (ckanext-harvest#581). ckanext-harvest builds its queue
    connection from ``ckan.redis.url``; for the consumers alone that URL asks for a read
    timeout of a year, which restores the blocking wait without touching other processes.
    """

    QUEUE_READ_TIMEOUT = 365 * 24 * 3600

    def environment(self) -> dict[str, str]:
        url = f"{self.layout.redis_url(0)}?socket_timeout={self.QUEUE_READ_TIMEOUT}"
        return {**super().environment(), "CKAN_REDIS_URL": url}


class HarvestGather(HarvestQueueConsumer):
    name = "harvest-gather"

    def command(self) -> list[str]:
        return self.ckan("harvester", "gather-consumer")


class HarvestFetch(HarvestQueueConsumer):
    name = "harvest-fetch"

    def command(self) -> list[str]:
        return self.ckan("harvester", "fetch-consumer")


class HarvestScheduler(CkanProcess):
    """Runs ``ckan harvester run`` periodically: it starts due jobs and finishes completed ones."""

    name = "harvest-scheduler"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "stack", "--ckan-version", self.series, "harvest-scheduler"]


def verify_still_running(started: list[Service], settle_seconds: float = 8) -> None:
    """Catch processes that start fine and die moments later (a port alone cannot show that)."""
    time.sleep(settle_seconds)
    for service in started:
        if not service.running():
            raise StackError(f"{service.name} exited after starting. Last lines of {service.log}:\n"
                             f"{processes.tail(service.log)}")


def infrastructure(layout: Layout) -> list[Service]:
    return [Postgres(layout), Redis(layout), Solr(layout)]


def demo_processes(layout: Layout) -> list[Service]:
    """What only the local demo runs (no part of a deployment, so not in docker/)."""
    return [DemoSources(layout)]


def portal_processes(layout: Layout, series: str) -> list[Service]:
    return [Web(layout, series), Worker(layout, series), HarvestGather(layout, series),
            HarvestFetch(layout, series), HarvestScheduler(layout, series)]
