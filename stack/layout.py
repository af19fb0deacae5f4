"""Where the stack keeps its state, which ports it uses and which CKAN releases it supports.

All state lives below one git-ignored folder (``.stack`` in the repository, or
``JENA_STACK_DIR``). Ports can be moved with environment variables when a default is taken.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

# The newest patch release of each supported series (2.11.6 carries the fix for the
# plugin-lookup slowdown of earlier 2.11 releases, ckan/ckan#9359).
SUPPORTED_CKAN = {"2.12": "2.12.0", "2.11": "2.11.6"}
DEFAULT_CKAN_SERIES = "2.12"

PORTAL_CORE = "ckan"
TEST_CORE = "ckan_test"
DB_ROLE = "ckan_jena"
# A loopback-only development cluster; the password only keeps tools from asking.
DB_PASSWORD = "ckan_jena"
PORTAL_DB = "ckan_jena"
TEST_DB = "ckan_jena_test"


class StackError(Exception):
    """A failure the user can act on; the message says what to do."""


def ckan_series(requested: str | None) -> str:
    """Accept ``2.12``, ``2.12.x`` or the exact pinned release, and name the series."""
    value = (requested or DEFAULT_CKAN_SERIES).strip().lower()
    for series, release in SUPPORTED_CKAN.items():
        if value in (series, f"{series}.x", release):
            return series
    supported = ", ".join(f"{s} ({r})" for s, r in SUPPORTED_CKAN.items())
    raise StackError(f"CKAN {requested} is not supported; choose one of: {supported}")


def _port(variable: str, default: int) -> int:
    value = os.environ.get(variable, str(default))
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise StackError(f"{variable}={value!r} is not a TCP port number")
    return int(value)


@dataclass(frozen=True)
class Layout:
    root: Path
    postgres_port: int
    redis_port: int
    solr_port: int
    web_port: int
    demo_sources_port: int = 5080

    @classmethod
    def from_environment(cls) -> "Layout":
        root = Path(os.environ.get("JENA_STACK_DIR") or REPO_ROOT / ".stack").resolve()
        return cls(
            root=root,
            postgres_port=_port("JENA_POSTGRES_PORT", 5433),
            redis_port=_port("JENA_REDIS_PORT", 6380),
            solr_port=_port("JENA_SOLR_PORT", 8983),
            web_port=_port("JENA_WEB_PORT", 5000),
            demo_sources_port=_port("JENA_DEMO_SOURCES_PORT", 5080),
        )

    # folders
    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def postgres_dir(self) -> Path:
        return self.root / "postgres"

    @property
    def redis_dir(self) -> Path:
        return self.root / "redis"

    @property
    def solr_dir(self) -> Path:
        return self.root / "solr"

    @property
    def solr_home(self) -> Path:
        return self.solr_dir / "home"

    @property
    def solr_lib(self) -> Path:
        return self.solr_dir / "lib"

    @property
    def portal_dir(self) -> Path:
        return self.root / "portal"

    @property
    def portal_ini(self) -> Path:
        return self.portal_dir / "ckan.ini"

    def venv(self, series: str) -> Path:
        return self.root / "venvs" / f"ckan-{series}"

    def ckan_command(self, series: str) -> Path:
        return self.venv(series) / "bin" / "ckan"

    # addresses
    def database_url(self, database: str) -> str:
        return f"postgresql://{DB_ROLE}:{DB_PASSWORD}@127.0.0.1:{self.postgres_port}/{database}"

    def solr_url(self, core: str) -> str:
        return f"http://127.0.0.1:{self.solr_port}/solr/{core}"

    def redis_url(self, database: int) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/{database}"

    @property
    def demo_sources_url(self) -> str:
        return f"http://127.0.0.1:{self.demo_sources_port}"

    @property
    def site_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"
