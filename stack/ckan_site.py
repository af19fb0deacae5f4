"""The portal's and the test suite's CKAN: configuration, database migrations, sysadmin, demo content."""
from __future__ import annotations

import re
import secrets
from pathlib import Path

from stack import processes, solr_cores
from stack.layout import (DB_PASSWORD, DB_ROLE, PORTAL_CORE, PORTAL_DB, REPO_ROOT, TEST_CORE, TEST_DB,
                          Layout)
from stack.services import Postgres

PORTAL_SETTINGS = REPO_ROOT / "stack" / "portal-settings.ini"
TEST_INI = REPO_ROOT / "test.ini"
SYSADMIN = "admin"
# CKAN's log lines start with a timestamp; the stack shows only what a command says itself
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def ckan(layout: Layout, series: str, ini: Path, *arguments: str, capture: bool = True,
         env: dict[str, str] | None = None) -> str:
    result = processes.run([str(layout.ckan_command(series)), "-c", str(ini), *arguments],
                           what=f"ckan {' '.join(arguments[:2])}", capture=capture, env=env)
    return result.stdout or ""


def connection_options(layout: Layout) -> list[str]:
    """The options that tie the portal's CKAN to this machine's services and folders."""
    return [
        f"sqlalchemy.url={layout.database_url(PORTAL_DB)}",
        f"solr_url={layout.solr_url(PORTAL_CORE)}",
        f"ckan.redis.url={layout.redis_url(0)}",
        f"ckan.site_url={layout.site_url}",
        f"ckan.storage_path={layout.portal_dir / 'storage'}",
        # the demo's sample harvest sources run on loopback, which harvesters refuse otherwise
        f"ckanext.jena.harvest.allowed_hosts=127.0.0.1:{layout.demo_sources_port}",
    ]


def configure_portal(layout: Layout, series: str) -> None:
    """Generate the portal's ckan.ini once (keeping its secrets), then apply the settings every time."""
    layout.portal_dir.mkdir(parents=True, exist_ok=True)
    (layout.portal_dir / "storage").mkdir(exist_ok=True)
    if not layout.portal_ini.exists():
        processes.run([str(layout.ckan_command(series)), "generate", "config", str(layout.portal_ini)],
                      what="generating the portal's ckan.ini", capture=True)
    command = [str(layout.ckan_command(series)), "config-tool", str(layout.portal_ini)]
    processes.run([*command, "-f", str(PORTAL_SETTINGS)], what="applying stack/portal-settings.ini",
                  capture=True)
    processes.run([*command, *connection_options(layout)], what="setting the portal's connections",
                  capture=True)


def prepare_databases(postgres: Postgres, *, fresh_test_database: bool) -> None:
    postgres.ensure_role(DB_ROLE, DB_PASSWORD)
    postgres.ensure_database(PORTAL_DB, DB_ROLE)
    postgres.ensure_database(TEST_DB, DB_ROLE, fresh=fresh_test_database)


def initialise_portal(layout: Layout, series: str, *, index_is_new: bool) -> None:
    ini = layout.portal_ini
    print("  migrating the portal's database (CKAN and plugins)", flush=True)
    ckan(layout, series, ini, "db", "upgrade")
    if index_is_new:
        print("  rebuilding the search index", flush=True)
        ckan(layout, series, ini, "search-index", "rebuild")


def ensure_sysadmin(layout: Layout, series: str) -> str:
    """Create the sysadmin on first run; return a line telling how to log in."""
    password_file = layout.portal_dir / "admin-password"
    shown = ckan(layout, series, layout.portal_ini, "user", "show", SYSADMIN)
    if "User: None" in shown:
        password = secrets.token_urlsafe(12)
        ckan(layout, series, layout.portal_ini, "sysadmin", "add", SYSADMIN, "--create",
             "email=admin@example.org", f"password={password}", "fullname=Portal-Administration")
        password_file.write_text(password + "\n")
        password_file.chmod(0o600)
    password = password_file.read_text().strip() if password_file.exists() else "(set before; unchanged)"
    return f"log in at {layout.site_url}/user/login as '{SYSADMIN}' with password {password}"


def load_demo(layout: Layout, series: str) -> None:
    print("  loading the demo content", flush=True)
    show_output(ckan(layout, series, layout.portal_ini, "jena", "demo", "load", "--user", SYSADMIN))
    print("  harvesting the sample sources", flush=True)
    show_output(ckan(layout, series, layout.portal_ini, "jena", "demo", "sources", "--user", SYSADMIN,
                     "--base-url", layout.demo_sources_url))


def show_output(output: str) -> None:
    for line in output.strip().splitlines():
        if not LOG_LINE.match(line):
            print(f"    {line}")


def test_environment(layout: Layout) -> dict[str, str]:
    """Point test.ini at this stack's ports (test.ini holds the defaults)."""
    return {
        "CKAN_SQLALCHEMY_URL": layout.database_url(TEST_DB),
        "CKAN_SOLR_URL": layout.solr_url(TEST_CORE),
        "CKAN_REDIS_URL": layout.redis_url(1),
        "JENA_STACK_DIR": str(layout.root),
    }


def prepare_test_core(layout: Layout, series: str) -> None:
    changed = solr_cores.write_core(layout, TEST_CORE, series)
    solr_cores.activate_core(layout, TEST_CORE, changed)
    solr_cores.empty_core(layout, TEST_CORE)


def initialise_test_database(layout: Layout, series: str) -> None:
    ckan(layout, series, TEST_INI, "db", "upgrade", env=test_environment(layout))
