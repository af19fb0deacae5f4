"""Solr home and cores: CKAN's schema from the installed ``ckan`` package plus the portal's additions.

The schema is never kept in the repository: CKAN checks the schema's version name against
its own, so each core takes it from the CKAN release that uses it.
"""
from __future__ import annotations

import importlib.util
import json
import shutil
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from stack import processes
from stack.layout import REPO_ROOT, Layout, StackError

SOLR_FILES = REPO_ROOT / "stack" / "solr"


def _schema_additions():
    """``stack/solr/schema_additions.py`` is a plain script (the Solr image's build uses it too)."""
    spec = importlib.util.spec_from_file_location("jena_schema_additions", SOLR_FILES / "schema_additions.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def ckan_schema_path(layout: Layout, series: str) -> Path:
    result = processes.run(
        [str(layout.venv(series) / "bin" / "python"), "-c",
         "import ckan, pathlib; print(pathlib.Path(ckan.__file__).parent / 'config' / 'solr' / 'schema.xml')"],
        what=f"locating CKAN {series}'s Solr schema", capture=True)
    path = Path(result.stdout.strip().splitlines()[-1])
    if not path.is_file():
        raise StackError(f"CKAN {series} ships no Solr schema at {path}")
    return path


def write_home(layout: Layout) -> None:
    layout.solr_home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SOLR_FILES / "solr.xml", layout.solr_home / "solr.xml")


def write_core(layout: Layout, core: str, series: str, with_additions: bool = True) -> bool:
    """Write the core's configuration; return whether anything changed.

    ``with_additions=False`` writes CKAN's schema exactly as shipped (the benchmark's stock portal).
    """
    write_home(layout)
    conf = layout.solr_home / core / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    additions = _schema_additions()
    schema = ckan_schema_path(layout, series).read_text(encoding="utf-8")
    if with_additions:
        schema = additions.add_fields(schema)
    wanted = {
        **{name: (SOLR_FILES / name).read_text(encoding="utf-8") for name in additions.CONF_FILES},
        "schema.xml": schema,
        "solrconfig.xml": (SOLR_FILES / "solrconfig.xml").read_text(encoding="utf-8"),
        "synonyms.txt": "# no synonyms yet\n",
        "protwords.txt": "# no protected words yet\n",
        "stopwords.txt": "# no stop words yet\n",
    }
    changed = False
    for name, content in wanted.items():
        target = conf / name
        if not target.exists() or target.read_text(encoding="utf-8") != content:
            target.write_text(content, encoding="utf-8")
            changed = True
    # core.properties is written by Solr itself when activate_core creates the core
    return changed


def _admin(layout: Layout, **parameters: str) -> dict:
    url = (f"http://127.0.0.1:{layout.solr_port}/solr/admin/cores?"
           + urllib.parse.urlencode({**parameters, "wt": "json"}))
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        detail = error.read().decode(errors="replace")[:2000]
        raise StackError(f"solr: {parameters.get('action')} of core {parameters.get('core') or parameters.get('name')} "
                         f"failed (HTTP {error.code}): {detail}") from None


def activate_core(layout: Layout, core: str, changed: bool) -> None:
    """Make a running Solr serve the core as written: create it, or reload a changed one."""
    status = _admin(layout, action="STATUS", core=core)
    failures = status.get("initFailures", {})
    if core in failures:
        raise StackError(f"solr: core {core} failed to load: {failures[core]}")
    if status.get("status", {}).get(core, {}).get("name") != core:
        _admin(layout, action="CREATE", name=core, instanceDir=str(layout.solr_home / core))
    elif changed:
        _reload(layout, core)


def _reload(layout: Layout, core: str, attempts: int = 30) -> None:
    """Reload a core; right after Solr starts, a core it lists may not be registered yet."""
    for attempt in range(attempts):
        try:
            _admin(layout, action="RELOAD", core=core)
            return
        except StackError as error:
            if "No such core" not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(1)


def empty_core(layout: Layout, core: str) -> None:
    """Delete every document of a core (the test core starts empty each run)."""
    request = urllib.request.Request(
        f"{layout.solr_url(core)}/update?commit=true", data=b'{"delete": {"query": "*:*"}}',
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60):
        pass


def schema_name(layout: Layout, core: str) -> str:
    """The ``name`` of the schema a core serves, as CKAN's version check reads it."""
    with urllib.request.urlopen(f"{layout.solr_url(core)}/schema?wt=json", timeout=30) as response:
        return json.load(response)["schema"]["name"]
