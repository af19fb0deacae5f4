"""Command line of the local stack; the Makefile's targets call it."""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

from stack import ckan_site, install, services, solr_cores
from stack.layout import PORTAL_CORE, REPO_ROOT, Layout, StackError, ckan_series


def bring_up_services(layout: Layout, series: str, *, fresh_test_database: bool) -> None:
    """Install what is missing, then start PostgreSQL (with the databases), Redis and Solr."""
    install.everything(layout, series)
    postgres, redis, solr = services.infrastructure(layout)
    postgres.start()
    ckan_site.prepare_databases(postgres, fresh_test_database=fresh_test_database)
    redis.start()
    solr_cores.write_home(layout)
    solr.start()


def portal(layout: Layout, series: str) -> None:
    print(f"Jena portal (CKAN {series}), state in {layout.root}", flush=True)
    index_is_new = not (layout.solr_home / PORTAL_CORE / "data").exists()
    bring_up_services(layout, series, fresh_test_database=False)
    changed = solr_cores.write_core(layout, PORTAL_CORE, series)
    solr_cores.activate_core(layout, PORTAL_CORE, changed)
    ckan_site.configure_portal(layout, series)
    ckan_site.initialise_portal(layout, series, index_is_new=index_is_new)
    login = ckan_site.ensure_sysadmin(layout, series)
    for process in services.demo_processes(layout):
        process.start()
    ckan_site.load_demo(layout, series)
    processes = services.portal_processes(layout, series)
    for process in processes:
        process.start()
    services.verify_still_running(processes)
    print(f"\nThe portal answers at {layout.site_url} (German; English under {layout.site_url}/en/).")
    print(f"Administration: {login}")
    print(f"Sample harvest sources: {layout.demo_sources_url}/ (ckanext/jena/demo/README.md)")
    print(f"CKAN configuration: {layout.portal_ini}")


def all_services(layout: Layout, series: str) -> list[services.Service]:
    return (services.infrastructure(layout) + services.demo_processes(layout)
            + services.portal_processes(layout, series))


def select(layout: Layout, series: str, names: list[str]) -> list[services.Service]:
    known = {service.name: service for service in all_services(layout, series)}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise StackError(f"unknown service {', '.join(unknown)}; the services are: {', '.join(known)}")
    return [known[name] for name in names] if names else list(known.values())


def stop(layout: Layout, series: str, names: list[str]) -> None:
    # CKAN's processes first, the services they depend on last
    for service in reversed(select(layout, series, names)):
        service.stop()


def start(layout: Layout, series: str, names: list[str]) -> None:
    for service in select(layout, series, names):
        if isinstance(service, services.Solr):
            solr_cores.write_home(layout)
        service.start()


def status(layout: Layout, series: str) -> int:
    rows = [service.status() for service in all_services(layout, series)]
    print(f"{'service':<18} {'state':<6} {'port':<6} log")
    for row in rows:
        state = "up" if row.up else "down"
        print(f"{row.name:<18} {state:<6} {row.port or '-':<6} {row.log}")
    print(f"CKAN configuration of the portal: {layout.portal_ini}")
    return 0


def test(layout: Layout, series: str, pytest_arguments: list[str]) -> int:
    print(f"Test suite on CKAN {series}, state in {layout.root}", flush=True)
    bring_up_services(layout, series, fresh_test_database=True)
    ckan_site.prepare_test_core(layout, series)
    ckan_site.initialise_test_database(layout, series)
    python = layout.venv(series) / "bin" / "python"
    command = [str(python), "-m", "pytest", f"--ckan-ini={ckan_site.TEST_INI}", *pytest_arguments]
    print("  " + " ".join(command), flush=True)
    env = {**os.environ, **ckan_site.test_environment(layout), "JENA_CKAN_SERIES": series}
    return subprocess.run(command, cwd=REPO_ROOT, env=env).returncode


def ckan_command(layout: Layout, series: str, arguments: list[str]) -> int:
    command = [str(layout.ckan_command(series)), "-c", str(layout.portal_ini), *arguments]
    return subprocess.run(command).returncode


def harvest_scheduler(layout: Layout, series: str, interval: int) -> None:
    """Run ``ckan harvester run`` every ``interval`` seconds until told to stop."""
    stopping = False

    def request_stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    command = [str(layout.ckan_command(series)), "-c", str(layout.portal_ini), "harvester", "run"]
    while not stopping:
        started = time.strftime("%Y-%m-%d %H:%M:%S")
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        print(f"[{started}] harvester run: exit {result.returncode}", flush=True)
        if result.returncode:
            print(result.stdout[-4000:], flush=True)
        deadline = time.monotonic() + interval
        while not stopping and time.monotonic() < deadline:
            time.sleep(1)


PASS_THROUGH_COMMANDS = ("test", "ckan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m stack", description=__doc__)
    parser.add_argument("--ckan-version", default=os.environ.get("CKAN_VERSION") or None,
                        help="CKAN release: 2.12 (default) or 2.11")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("portal", help="install, start everything, load demo content")
    commands.add_parser("install", help="only install what is missing")
    for name in ("start", "stop"):
        sub = commands.add_parser(name, help=f"{name} services (all when none is named)")
        sub.add_argument("services", nargs="*")
    commands.add_parser("status", help="each service's state, port and log")
    commands.add_parser("test", help="run the test suite against real services (arguments go to pytest)")
    commands.add_parser("ckan", help="the ckan command against the portal's configuration (arguments go to ckan)")
    sub = commands.add_parser("harvest-scheduler", help="(used by the stack) periodic harvester run")
    sub.add_argument("--interval", type=int, default=int(os.environ.get("JENA_HARVEST_INTERVAL", "300")))
    commands.add_parser("lock", help="re-resolve the pinned requirements of each CKAN release")
    # `test` and `ckan` hand everything after them to pytest or ckan unparsed, options included
    tokens = list(sys.argv[1:] if argv is None else argv)
    passed_on: list[str] = []
    for position, token in enumerate(tokens):
        if token in PASS_THROUGH_COMMANDS:
            tokens, passed_on = tokens[:position + 1], tokens[position + 1:]
            break
    arguments = parser.parse_args(tokens)
    if arguments.command == "test":
        arguments.pytest_arguments = passed_on
    elif arguments.command == "ckan":
        arguments.arguments = passed_on

    try:
        layout = Layout.from_environment()
        series = ckan_series(arguments.ckan_version)
        if arguments.command == "portal":
            portal(layout, series)
        elif arguments.command == "install":
            install.everything(layout, series)
        elif arguments.command == "start":
            start(layout, series, arguments.services)
        elif arguments.command == "stop":
            stop(layout, series, arguments.services)
        elif arguments.command == "status":
            return status(layout, series)
        elif arguments.command == "test":
            return test(layout, series, arguments.pytest_arguments)
        elif arguments.command == "ckan":
            return ckan_command(layout, series, arguments.arguments)
        elif arguments.command == "harvest-scheduler":
            harvest_scheduler(layout, series, arguments.interval)
        elif arguments.command == "lock":
            from stack import lock
            lock.main()
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
