"""Installs what the stack needs and is missing: Debian packages, a CKAN virtualenv, Solr's jars.

Each step remembers what it installed (a stamp holding a hash of its inputs), so a second
run finds everything in place and returns at once.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from stack import processes
from stack.layout import REPO_ROOT, SUPPORTED_CKAN, Layout, StackError

# Debian package -> a file whose presence shows it is installed.
DEBIAN_PACKAGES = {
    "postgresql": "/usr/lib/postgresql",
    "redis-server": "/usr/bin/redis-server",
    "libpq-dev": "/usr/bin/pg_config",
    "libmagic1": "/usr/share/doc/libmagic1",
    "openjdk-17-jdk-headless": "/usr/lib/jvm/java-17-openjdk-amd64/bin/javac",
    "maven": "/usr/bin/mvn",
    "build-essential": "/usr/share/doc/build-essential",
    "curl": "/usr/bin/curl",
}


def _fingerprint(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _stamped(stamp: Path, fingerprint: str) -> bool:
    return stamp.exists() and stamp.read_text().strip() == fingerprint


def debian_packages() -> None:
    missing = [package for package, marker in DEBIAN_PACKAGES.items()
               if not Path(marker).exists() and not _dpkg_installed(package)]
    if not missing:
        return
    print(f"  installing Debian packages: {' '.join(missing)}", flush=True)
    prefix: list[str] = []
    if os.geteuid() != 0:
        if not shutil.which("sudo"):
            raise StackError(f"Debian packages missing and no root rights to install them: "
                             f"apt-get install {' '.join(missing)}")
        prefix = ["sudo"]
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    processes.run([*prefix, "apt-get", "update", "-q"], what="apt-get update", env=env, capture=True)
    processes.run([*prefix, "apt-get", "install", "-y", "-q", "--no-install-recommends", *missing],
                  what="installing Debian packages", env=env, capture=True)


def _dpkg_installed(package: str) -> bool:
    result = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True)
    return result.returncode == 0 and "install ok installed" in result.stdout


def requirements_file(series: str) -> Path:
    return REPO_ROOT / "requirements" / f"ckan-{series}.txt"


def virtualenv(layout: Layout, series: str) -> None:
    """The virtualenv of one CKAN release with the pinned requirements and this package (editable)."""
    venv = layout.venv(series)
    python = venv / "bin" / "python"
    requirements = requirements_file(series)
    stamp = venv / ".jena-installed"
    fingerprint = _fingerprint(requirements, REPO_ROOT / "setup.cfg", REPO_ROOT / "setup.py")
    if python.exists() and _stamped(stamp, fingerprint):
        return
    print(f"  installing CKAN {SUPPORTED_CKAN[series]} and the extensions into {venv}", flush=True)
    if not python.exists():
        processes.run([sys.executable, "-m", "venv", str(venv)], what="creating the virtualenv")
    pip = [str(python), "-m", "pip", "--disable-pip-version-check", "--quiet"]
    processes.run([*pip, "install", "-r", str(requirements)], what=f"installing {requirements.name}")
    processes.run([*pip, "install", "--no-deps", "-e", str(REPO_ROOT)], what="installing ckanext-jena-portal")
    processes.run([*pip, "check"], what="checking the installed requirements")
    stamp.write_text(fingerprint + "\n")


def solr_jars(layout: Layout) -> None:
    """Solr's runtime jars, resolved by Maven from Maven Central into the stack folder."""
    pom = REPO_ROOT / "stack" / "solr" / "pom.xml"
    stamp = layout.solr_lib / ".jena-installed"
    fingerprint = _fingerprint(pom)
    if _stamped(stamp, fingerprint):
        return
    print("  fetching Apache Solr's jars from Maven Central", flush=True)
    if layout.solr_lib.exists():
        shutil.rmtree(layout.solr_lib)
    layout.solr_lib.mkdir(parents=True)
    processes.run(["mvn", "-q", "-B", "-f", str(pom), f"-Dsolr.lib.dir={layout.solr_lib}",
                   "dependency:copy-dependencies"], what="fetching Solr's jars with Maven", capture=True)
    stamp.write_text(fingerprint + "\n")


def translations(layout: Layout, series: str) -> None:
    """Compile the gettext catalogs of ``i18n/`` next to their sources (editable installs read them there)."""
    pybabel = layout.venv(series) / "bin" / "pybabel"
    processes.run([str(pybabel), "compile", "-d", str(REPO_ROOT / "i18n"), "-D", "ckanext-jena", "--statistics"],
                  what="compiling translations", capture=True)


def everything(layout: Layout, series: str) -> None:
    debian_packages()
    virtualenv(layout, series)
    solr_jars(layout)
    translations(layout, series)
