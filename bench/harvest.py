"""Harvest measure: one generated DCAT-AP.de catalogue, harvested by stock CKAN and by the Jena portal.

The bench process serves the catalogue itself (``tests/dcat_catalogues.py``'s ``Catalogue``,
Turtle pages of 100 datasets with Hydra paging) from a threaded stdlib HTTP server on
127.0.0.1. Stock CKAN harvests it with ckanext-dcat's ``dcat_rdf`` harvester (profile
``euro_dcat_ap_3``), the Jena portal with ``jena_dcat``. Each runs one job in one process,
without queues: stock through ckanext-harvest's ``ckan harvester run-test``, jena through
``ckan jena harvest run`` (the same stages: create a job, gather, fetch and import each object,
close the job; run-test also reads each imported dataset back with ``package_show``). Each is a
child process of the bench: its wall time and, from ``wait4``, its peak resident set and CPU time.

Each portal gets a ``harvest.ini`` beside its ``ckan.ini``: a copy with the harvest plugins
added, so the gunicorns measured by the other measures keep their configuration.

Writes of the unchanged re-harvest are counted where they would show: datasets whose
``metadata_modified`` changed (PostgreSQL), new rows in ``activity`` and datasets re-indexed
in Solr (``indexed_ts`` later than before the re-harvest).
"""
from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.client import BenchError
from bench.report import Figure
from stack import processes, services
from stack.layout import StackError
from tests.dcat_catalogues import Catalogue

PER_PAGE = 100
SOURCE_NAME = "bench-catalogue"
SOURCE_ORGANISATION = "fd-umweltschutz"
STOCK_PROFILE = "euro_dcat_ap_3"
STOCK_HARVEST_PLUGINS = ("harvest", "dcat_rdf_harvester")
JENA_HARVEST_PLUGINS = ("harvest", "jena_dcat_harvester")
HARVESTER_TYPES = {"stock": "dcat_rdf", "jena": "jena_dcat"}
HARVEST_COMMANDS = {"stock": ("harvester", "run-test"), "jena": ("jena", "harvest", "run")}
GOAL_SPEED_RATIO = 2.0
GOAL_RERUN_SECONDS = 180.0


# -- the catalogue -------------------------------------------------------------------------------

class _CatalogueHandler(http.server.BaseHTTPRequestHandler):
    server: "_CatalogueHTTPServer"
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the stdlib's name
        pass

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        body = self.server.pages.get(self.path)
        self.server.requests += 1
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/turtle; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _CatalogueHTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    pages: dict[str, bytes]
    requests: int = 0


def page_paths(catalogue: Catalogue, per_page: int = PER_PAGE) -> dict[str, bytes]:
    """Request path (``/catalog.ttl?page=N``) -> Turtle bytes of that page, as the pages link them."""
    base_length = len(catalogue.base)
    return {catalogue.page_url(number)[base_length:]: page.encode("utf-8")
            for number, page in enumerate(catalogue.pages(per_page), start=1)}


class CatalogueServer:
    """``with CatalogueServer(5000) as server:`` the catalogue at ``server.url``, on 127.0.0.1."""

    def __init__(self, datasets: int, per_page: int = PER_PAGE):
        self._server = _CatalogueHTTPServer(("127.0.0.1", 0), _CatalogueHandler)
        self.host_port = f"127.0.0.1:{self._server.server_address[1]}"
        self.catalogue = Catalogue.of(f"http://{self.host_port}", datasets)
        self._server.pages = page_paths(self.catalogue, per_page)
        self.url = self.catalogue.page_url(1)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="bench-catalogue")

    @property
    def requests(self) -> int:
        return self._server.requests

    def __enter__(self) -> "CatalogueServer":
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._server.shutdown()
        self._server.server_close()


# -- pure parts ----------------------------------------------------------------------------------

def with_plugins(plugins: str, wanted: tuple[str, ...]) -> str:
    """``ckan.plugins`` with ``wanted`` appended where missing, order kept."""
    names = plugins.split()
    return " ".join(names + [name for name in wanted if name not in names])


def parse_rows(text: str) -> list[list[str]]:
    """Rows of ``psql -tA`` output (``|``-separated), empty lines skipped."""
    return [line.split("|") for line in text.splitlines() if line.strip()]


@dataclass
class Changes:
    new: int
    modified: int
    removed: int

    @property
    def writes(self) -> int:
        return self.new + self.modified + self.removed


def compare(before: dict[str, str], after: dict[str, str]) -> Changes:
    """What happened to the datasets between two ``id -> metadata_modified`` snapshots."""
    return Changes(new=sum(1 for key in after if key not in before),
                   modified=sum(1 for key, value in after.items() if key in before and before[key] != value),
                   removed=sum(1 for key in before if key not in after))


def per_minute(count: int, seconds: float) -> float:
    if seconds <= 0:
        raise ValueError(f"no time measured ({seconds} s) for {count} datasets")
    return count * 60 / seconds


def goal_notes(speed: dict[str, float], rerun_seconds: dict[str, float], rerun_writes: dict[str, int]
               ) -> list[str]:
    """The issue's goals for the Jena harvester, each with its figure and whether it is met."""
    ratio = speed["jena"] / speed["stock"] if speed.get("stock") else None
    speed_met = ratio is not None and ratio >= GOAL_SPEED_RATIO
    rerun_met = rerun_seconds["jena"] < GOAL_RERUN_SECONDS and rerun_writes["jena"] == 0
    ratio_text = f"{ratio:.2f}×" if ratio is not None else "n/a"
    return [
        f"goal: first harvest at least {GOAL_SPEED_RATIO:g}× stock's speed: {ratio_text} "
        f"({speed['jena']:,.0f} against {speed['stock']:,.0f} datasets/min) – {'met' if speed_met else 'NOT met'}",
        f"goal: unchanged re-harvest under {GOAL_RERUN_SECONDS / 60:g} minutes with zero writes: "
        f"{rerun_seconds['jena']:,.1f} s, {rerun_writes['jena']} writes – {'met' if rerun_met else 'NOT met'}",
    ]


# -- a child process, measured -------------------------------------------------------------------

@dataclass
class ChildRun:
    returncode: int
    seconds: float
    peak_rss_kib: int
    cpu_seconds: float
    output: str


def measured_child(command: list[str], log: Path) -> ChildRun:
    """Run ``command`` to its end; wall time, and from ``wait4`` its own peak RSS and CPU time.

    ``wait4`` reports the one child it reaps, unlike ``RUSAGE_CHILDREN``, which keeps the
    largest of all children ever waited for.
    """
    with open(log, "w+", encoding="utf-8") as output:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            _, status, usage = os.wait4(child.pid, 0)
        except BaseException:
            child.kill()
            child.wait()
            raise
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read()
    return ChildRun(child.returncode, seconds, usage.ru_maxrss, usage.ru_utime + usage.ru_stime, text)


# -- one portal's harvest ------------------------------------------------------------------------

@dataclass
class Snapshot:
    datasets: dict[str, str]
    activities: int
    solr_latest: str | None


@dataclass
class PortalHarvest:
    """The harvest side of one bench portal: its harvest.ini, its source and its database."""

    portal: object                      # bench.portals.Portal
    postgres: services.Postgres
    runs: list[dict] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.portal.name

    @property
    def ini(self) -> Path:
        return self.portal.folder / "harvest.ini"

    def ckan(self, *arguments: str) -> str:
        result = processes.run([str(self.portal.layout.ckan_command(self.portal.series)), "-c", str(self.ini),
                                *arguments], what=f"{self.name}: ckan {' '.join(arguments[:3])}", capture=True)
        return result.stdout or ""

    def sql(self, statement: str) -> list[list[str]]:
        return parse_rows(self.postgres.psql(statement, database=self.portal.spec.database))

    def configure(self, server: CatalogueServer) -> None:
        """harvest.ini: the portal's ckan.ini plus the harvester, then the harvest tables and the source."""
        shutil.copyfile(self.portal.ini, self.ini)
        tool = [str(self.portal.layout.ckan_command(self.portal.series)), "config-tool", str(self.ini)]
        plugins = self.portal.option("ckan.plugins")
        if self.name == "jena":
            options = [f"ckan.plugins={with_plugins(plugins, JENA_HARVEST_PLUGINS)}",
                       f"ckanext.jena.harvest.allowed_hosts={server.host_port}"]
        else:
            options = [f"ckan.plugins={with_plugins(plugins, STOCK_HARVEST_PLUGINS)}",
                       f"ckanext.dcat.rdf.profiles={STOCK_PROFILE}",
                       # run-test puts the job on the gather queue too (nobody consumes it)
                       "ckan.harvest.mq.type=redis"]
        processes.run([*tool, *options], what=f"{self.name}: writing harvest.ini", capture=True)
        self.ckan("db", "upgrade", "-p", "harvest")
        config = json.dumps({"profiles": [STOCK_PROFILE]}) if self.name == "stock" else "{}"
        # ckanext-harvest 1.6.3's command saves the source, then fails printing it (its status is
        # not there yet): the exit code says nothing, the database does
        created = subprocess.run(
            [str(self.portal.layout.ckan_command(self.portal.series)), "-c", str(self.ini), "harvester", "source",
             "create", SOURCE_NAME, server.url, HARVESTER_TYPES[self.name], "Bench catalogue", "true",
             SOURCE_ORGANISATION, "MANUAL", config],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)
        if not self.sql(f"SELECT s.id FROM harvest_source s JOIN package p ON p.id = s.id "
                        f"WHERE p.name = '{SOURCE_NAME}' AND s.type = '{HARVESTER_TYPES[self.name]}' "
                        f"AND p.state = 'active'"):
            raise BenchError(f"{self.name}: the harvest source was not created:\n{created.stdout[-1500:]}")

    def snapshot(self) -> Snapshot:
        rows = self.sql("SELECT id, metadata_modified, state FROM package WHERE type = 'dataset'")
        activities = int(self.sql("SELECT count(*) FROM activity")[0][0])
        return Snapshot({row[0]: f"{row[1]} {row[2]}" for row in rows}, activities, self.solr_latest())

    def solr(self, **params: str) -> dict:
        query = urllib.parse.urlencode({"q": "*:*", "fq": "dataset_type:dataset", "wt": "json", **params})
        url = f"{self.portal.layout.solr_url(self.portal.spec.core)}/select?{query}"
        with urllib.request.urlopen(url, timeout=60) as answer:
            return json.load(answer)

    def solr_latest(self) -> str | None:
        docs = self.solr(sort="indexed_ts desc", rows="1", fl="indexed_ts")["response"]["docs"]
        return docs[0]["indexed_ts"] if docs else None

    def solr_indexed_after(self, moment: str | None) -> int:
        if moment is None:
            return self.solr(rows="0")["response"]["numFound"]
        return self.solr(rows="0", fq=f'dataset_type:dataset AND indexed_ts:{{"{moment}" TO *]'
                         )["response"]["numFound"]

    def forget_indexed_source(self) -> None:
        """Drop the harvest source's own search document, so that CKAN reads the source from the
        database. ckanext-harvest 1.6.3 re-indexes its source after a job without the
        ``source_type`` that its ``run-test`` reads back on the next job (a KeyError on CKAN 2.12);
        harvested datasets are not touched."""
        body = json.dumps({"delete": {"query": "dataset_type:harvest"}}).encode()
        url = f"{self.portal.layout.solr_url(self.portal.spec.core)}/update?commit=true"
        request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60):
            pass

    def harvest(self, label: str) -> dict:
        """One job in one child process, measured, with what it changed."""
        if self.name == "stock" and self.runs:
            self.forget_indexed_source()
        before = self.snapshot()
        child = measured_child([str(self.portal.layout.ckan_command(self.portal.series)), "-c", str(self.ini),
                                *HARVEST_COMMANDS[self.name], SOURCE_NAME],
                               self.portal.folder / f"harvest-{label}.log")
        after = self.snapshot()
        job = self.last_job()
        changes = compare(before.datasets, after.datasets)
        result = {
            "label": label, "returncode": child.returncode, "wall_seconds": child.seconds,
            "peak_rss_mib": child.peak_rss_kib / 1024, "cpu_seconds": child.cpu_seconds,
            "job_seconds": job["seconds"], "job_status": job["status"], "objects": job["objects"],
            "object_errors": job["object_errors"], "gather_errors": job["gather_errors"],
            "datasets_new": changes.new, "datasets_modified": changes.modified,
            "datasets_removed": changes.removed, "activities_added": after.activities - before.activities,
            "solr_reindexed": self.solr_indexed_after(before.solr_latest),
            "datasets_in_portal": len(after.datasets),
        }
        self.runs.append(result)
        if child.returncode != 0:
            raise BenchError(f"{self.name}: harvest ({label}) exited with {child.returncode}; "
                             f"see {self.portal.folder / f'harvest-{label}.log'}:\n{child.output[-1500:]}")
        return result

    def last_job(self) -> dict:
        rows = self.sql(
            "SELECT j.id, j.status, extract(epoch FROM (j.finished - j.gather_started)) FROM harvest_job j "
            f"JOIN package p ON p.id = j.source_id WHERE p.name = '{SOURCE_NAME}' ORDER BY j.created DESC LIMIT 1")
        if not rows:
            raise BenchError(f"{self.name}: the harvest left no job")
        job_id, status, seconds = rows[0]
        objects = {row[0] or "pending": int(row[1]) for row in self.sql(
            "SELECT report_status, count(*) FROM harvest_object "
            f"WHERE harvest_job_id = '{job_id}' GROUP BY report_status")}
        object_errors = [row[0] for row in self.sql(
            "SELECT left(e.message, 300) FROM harvest_object_error e JOIN harvest_object o "
            f"ON o.id = e.harvest_object_id WHERE o.harvest_job_id = '{job_id}' LIMIT 5")]
        gather_errors = [row[0] for row in self.sql(
            f"SELECT left(message, 300) FROM harvest_gather_error WHERE harvest_job_id = '{job_id}' LIMIT 5")]
        return {"id": job_id, "status": status, "seconds": float(seconds) if seconds else None,
                "objects": objects, "object_errors": object_errors, "gather_errors": gather_errors}


def _check_first_harvest(result: dict, name: str, expected: int) -> None:
    if result["datasets_new"] != expected or result["gather_errors"] or result["object_errors"]:
        problems = result["gather_errors"] + result["object_errors"]
        raise BenchError(f"{name}: the first harvest made {result['datasets_new']} of {expected} datasets; "
                         f"job objects {result['objects']}; first problems: {problems[:3]}")
    if not result["job_seconds"]:
        raise BenchError(f"{name}: the harvest job has no start or end time")


def harvest(run) -> list[Figure]:
    """Harvest: a generated DCAT-AP.de catalogue, first run and unchanged re-run (dcat_rdf vs jena_dcat)."""
    count = run.harvest_datasets
    postgres = services.Postgres(run.portals[0].layout)
    sides = [PortalHarvest(portal, postgres) for portal in run.portals]
    names = [side.name for side in sides]
    if sorted(names) != ["jena", "stock"]:
        raise BenchError(f"the harvest measure compares stock and jena, not {names}")
    first: dict[str, dict] = {}
    again: dict[str, dict] = {}
    with CatalogueServer(count) as server:
        run.say(f"    catalogue of {count:,} datasets in {len(server._server.pages)} pages at {server.url}")
        try:
            for side in sides:
                side.configure(server)
            for side in sides:                       # A B
                first[side.name] = side.harvest("first")
                _check_first_harvest(first[side.name], side.name, count)
                run.say(f"    {side.name}: first harvest {first[side.name]['job_seconds']:,.1f} s "
                        f"({per_minute(count, first[side.name]['job_seconds']):,.0f} datasets/min)")
            for side in reversed(sides):             # B A
                try:
                    again[side.name] = side.harvest("unchanged")
                except BenchError as error:
                    # ckanext-harvest 1.6.3's run-test fails on a source's second job (KeyError
                    # 'source_type' from harvest_source_show); the first run's figures still hold
                    run.notes.append(f"{side.name}: the unchanged re-harvest failed: {str(error)[-300:]}")
                    again[side.name] = side.runs[-1] | {"wall_seconds": None, "peak_rss_mib": None}
                    continue
                run.say(f"    {side.name}: unchanged re-harvest {again[side.name]['wall_seconds']:,.1f} s, "
                        f"{_writes(again[side.name])} writes")
        except StackError as error:
            raise BenchError(str(error)) from None
        requests = server.requests
    speed = {name: per_minute(count, first[name]["job_seconds"]) for name in names}
    rerun = {name: again[name]["wall_seconds"] for name in names}
    writes = {name: _writes(again[name]) if rerun[name] is not None else None for name in names}
    if rerun["jena"] is not None:
        run.notes.extend(goal_notes(speed, rerun, writes))
    detail = {"datasets": count, "per_page": PER_PAGE, "catalogue_requests": requests,
              "harvesters": HARVESTER_TYPES, "stock_profile": STOCK_PROFILE,
              "runs": {side.name: side.runs for side in sides}}
    return [
        Figure("harvest_first_throughput", f"harvest {count:,} datasets, first run", "datasets/min", "higher",
               speed, count, detail),
        Figure("harvest_first_wall", "harvest, first run, whole command", "s", "lower",
               {name: first[name]["wall_seconds"] for name in names}, count),
        Figure("harvest_first_peak_rss", "harvest, first run, peak RSS", "MiB", "lower",
               {name: first[name]["peak_rss_mib"] for name in names}, count),
        Figure("harvest_unchanged_wall", "harvest, unchanged re-run, whole command", "s", "lower", rerun, count),
        Figure("harvest_unchanged_peak_rss", "harvest, unchanged re-run, peak RSS", "MiB", "lower",
               {name: again[name]["peak_rss_mib"] for name in names}, count),
        Figure("harvest_unchanged_writes", "harvest, unchanged re-run, dataset writes", "writes", "lower",
               writes, count),
    ]


def _writes(result: dict) -> int:
    """Datasets written: the larger of metadata_modified changes, new activities and Solr re-indexings."""
    return max(result["datasets_new"] + result["datasets_modified"] + result["datasets_removed"],
               result["activities_added"], result["solr_reindexed"])
