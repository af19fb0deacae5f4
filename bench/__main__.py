"""Command line: ``python3 -m bench [--ckan-version 2.12] [--datasets N] [--harvest-datasets H] [--only web|harvest]``.

Brings up stock CKAN and the Jena portal configuration side by side, runs every measure of
``bench.measures.MEASURES`` on both, stops what it started, prints a table with the ratio
jena/stock and writes the figures to ``.stack/bench/results-<timestamp>.json``.
"""
from __future__ import annotations

import argparse
import os
import platform
import signal
import sys
import time

from bench import measures, report, workload
from bench.client import BenchError
from bench.portals import portal_specs, running_portals
from stack import install
from stack.layout import SUPPORTED_CKAN, Layout, StackError, ckan_series

MAX_DATASETS = 50_000
MAX_HARVEST_DATASETS = 100_000
SEARCH_NOTE = ("package_search: the same queries on both portals, without ext_bbox; searches with "
               "ext_bbox are measured separately, on jena only (stock CKAN has no spatial_query)")

HARVEST_NOTE = ("stock: ckanext-dcat's dcat_rdf (profile euro_dcat_ap_3) through 'ckan harvester run-test', "
                "jena: jena_dcat through 'ckan jena harvest run'; one job in one child process each (peak RSS "
                "from wait4); datasets/min over the "
                "job's span (gather start to last import); re-run: the whole command, writes = datasets "
                "with a new metadata_modified, new activities or Solr re-indexings, whichever is most")


def _count(low: int, high: int):
    def parse(text: str) -> int:
        if not text.isdigit() or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"expected a whole number from {low:,} to {high:,}, got {text!r}")
        return int(text)
    return parse


def _environment_default(variable: str, default: int) -> str:
    return os.environ.get(variable) or str(default)


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python3 -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--ckan-version", default=os.environ.get("CKAN_VERSION") or None,
                        help="CKAN release: 2.12 (default) or 2.11")
    parser.add_argument("--datasets", type=_count(1, MAX_DATASETS),
                        default=_environment_default("BENCH_DATASETS", 2000),
                        help="datasets created on each portal (default 2000, or BENCH_DATASETS; up to 50000)")
    parser.add_argument("--harvest-datasets", type=_count(1, MAX_HARVEST_DATASETS),
                        default=_environment_default("BENCH_HARVEST_DATASETS", 5000),
                        help="datasets of the harvested DCAT-AP.de catalogue (default 5000, or BENCH_HARVEST_DATASETS)")
    parser.add_argument("--only", choices=sorted(measures.PARTS),
                        help="run only one part: web (create, search, pages, memory) or harvest")
    parser.add_argument("--queries", type=_count(1, 100_000), default="200",
                        help="package_search requests per portal (default 200)")
    parser.add_argument("--pages", type=_count(1, 100_000), default="200",
                        help="dataset pages requested per portal (default 200)")
    parser.add_argument("--seed", type=_count(0, 2**31), default=str(workload.DEFAULT_SEED),
                        help="seed of the generated datasets and queries")
    parser.add_argument("--clients", type=_count(1, 32), default="4",
                        help="concurrent clients while creating datasets (default 4)")
    parser.add_argument("--block", type=_count(1, 10_000), default="50",
                        help="datasets per block when alternating the portals during creation (default 50)")
    parser.add_argument("--stock-port", type=_count(1, 65535), default=_environment_default("BENCH_STOCK_PORT", 5010),
                        help="port of stock CKAN (default 5010, or BENCH_STOCK_PORT)")
    parser.add_argument("--jena-port", type=_count(1, 65535), default=_environment_default("BENCH_JENA_PORT", 5011),
                        help="port of the Jena portal (default 5011, or BENCH_JENA_PORT)")
    arguments = parser.parse_args(argv)
    if arguments.stock_port == arguments.jena_port:
        parser.error("--stock-port and --jena-port must differ")
    return arguments


def _stop_on_sigterm() -> None:
    """Turn SIGTERM into KeyboardInterrupt, so the portals are stopped on the way out.

    Further SIGTERMs are ignored, so that a second one cannot break off the stopping itself.
    """
    def interrupt(*_):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, interrupt)


def selected_measures(only: str | None) -> list:
    """All measures, or those of the one part asked for with ``--only``."""
    return measures.PARTS[only] if only else measures.MEASURES


def describe_parts(arguments: argparse.Namespace) -> str:
    parts = []
    if arguments.only in (None, "web"):
        parts.append(f"{arguments.datasets:,} datasets, {arguments.queries:,} searches, "
                     f"{arguments.pages:,} dataset pages, seed {arguments.seed}")
    if arguments.only in (None, "harvest"):
        parts.append(f"harvest of a {arguments.harvest_datasets:,}-dataset DCAT-AP.de catalogue")
    return "; ".join(parts)


def say(line: str) -> None:
    print(line, flush=True)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    _stop_on_sigterm()
    started = time.time()
    try:
        layout = Layout.from_environment()
        series = ckan_series(arguments.ckan_version)
        release = SUPPORTED_CKAN[series]
        say(f"Benchmark: Jena portal against stock CKAN {release}: {describe_parts(arguments)}")
        install.everything(layout, series)
        specs = portal_specs(arguments.stock_port, arguments.jena_port)
        figures: list[report.Figure] = []
        with running_portals(layout, series, specs, say) as portals:
            run = measures.Run(portals, arguments.seed, arguments.datasets, arguments.queries, arguments.pages,
                               clients=arguments.clients, block=arguments.block,
                               harvest_datasets=arguments.harvest_datasets, say=say)
            configuration = {portal.name: {"port": portal.spec.port, "plugins": portal.option("ckan.plugins"),
                                           "locale_default": portal.option("ckan.locale_default") or "en",
                                           "database": portal.spec.database, "solr_core": portal.spec.core,
                                           "ckan_ini": str(portal.ini)} for portal in portals}
            measures.prepare(run)
            for measure in selected_measures(arguments.only):
                say(f"  {measure.__doc__.splitlines()[0]}")
                figures.extend(measure(run))
    except KeyboardInterrupt:
        say("interrupted; the benchmark's portals are stopped")
        return 130
    except (StackError, BenchError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1

    names = [spec.name for spec in specs]
    say("")
    say(f"CKAN {release}; stock: ckan.plugins = {configuration['stock']['plugins']} (generated ckan.ini with "
        f"the portal's language settings only); jena: ckan.plugins = {configuration['jena']['plugins']} (+ stack/portal-settings.ini)")
    say(f"method: {measures.METHOD}")
    say(f"search: {SEARCH_NOTE}")
    say(f"memory: gunicorn master + workers, summed; peak RSS is each process's VmHWM, PSS counts shared pages once")
    if arguments.only in (None, "harvest"):
        say(f"harvest: {HARVEST_NOTE}")
    for note in run.notes:
        say(f"note: {note}")
    say("")
    say(report.table(figures, names))
    meta = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "duration_seconds": round(time.time() - started, 1),
        "ckan": {"series": series, "release": release},
        "options": {"datasets": arguments.datasets, "queries": arguments.queries, "pages": arguments.pages,
                    "seed": arguments.seed, "clients": arguments.clients, "block": arguments.block,
                    "gunicorn_workers": 2, "harvest_datasets": arguments.harvest_datasets,
                    "only": arguments.only},
        "method": measures.METHOD,
        "search": SEARCH_NOTE,
        "harvest": HARVEST_NOTE,
        "notes": run.notes,
        "portals": configuration,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
    }
    path = report.write_json(layout.root / "bench", figures, meta)
    say(f"\nresults: {path}  ({time.time() - started:.0f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
