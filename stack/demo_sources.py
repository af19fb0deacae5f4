"""Sample harvest sources for the local portal: a DCAT-AP.de catalogue, an older CKAN portal and
a department's spreadsheet, served from ``ckanext/jena/demo/sources/`` on 127.0.0.1.

``make portal`` runs this server as the stack's ``demo-sources`` service, so each Jena harvester
has something real to read without the internet. Standard library only, like the rest of the stack.

    /dcat/catalog.ttl?page=N        Turtle page N (file dcat/catalog-N.ttl; no page: page 1)
    /dcat/datensatz/<slug>          303 to the catalogue page that describes the dataset
    /ckan/api/3/action/package_search   CKAN's search over ckan/packages.json (q=*:*, fq, sort, rows, start)
    /ckan/api/3/action/package_show?id= one package
    /ckan/dataset/<name>            a small HTML page of one package (the harvester's original URL)
    /tabelle/<file>                 the department's sheet
    /files/<file>                   the data files the records link to (sources/dateien, then
                                    the demo content's files/)

The text ``{base}`` in the CKAN packages and the sheet becomes the address the request was made to, so the
records link to this server whatever its port.
"""
from __future__ import annotations

import argparse
import html
import http.server
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
SOURCES_DIR = REPO_ROOT / "ckanext" / "jena" / "demo" / "sources"
FILES_DIR = REPO_ROOT / "ckanext" / "jena" / "demo" / "files"
DEFAULT_PORT = 5080
MAX_ROWS = 1000  # CKAN's default ckan.search.rows_max
SORTS = {
    "metadata_created asc, id asc": lambda package: (package["metadata_created"], package["id"]),
    "name asc": lambda package: package["name"],
}
MEDIA_TYPES = {".ttl": "text/turtle; charset=utf-8", ".json": "application/json; charset=utf-8",
               ".csv": "text/csv; charset=utf-8", ".geojson": "application/geo+json",
               ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
FILTER = re.compile(r'\+?(?P<field>dataset_type|organization):(?P<value>\([^)]*\)|"[^"]*"|\S+)')


class SearchError(Exception):
    """A request the real CKAN would refuse; answered as CKAN answers it."""


def packages(root: Path = SOURCES_DIR) -> list[dict]:
    return json.loads((root / "ckan" / "packages.json").read_text(encoding="utf-8"))


def filter_packages(items: list[dict], fq: str) -> list[dict]:
    """The few filters the CKAN harvester sends: dataset type and organisations."""
    remaining = FILTER.sub("", fq).strip()
    if remaining:
        raise SearchError(f"Search error: this sample portal understands only dataset_type and "
                          f"organization filters, not {remaining!r}")
    for match in FILTER.finditer(fq):
        values = {value.strip('"') for value in re.split(r"\s+OR\s+", match["value"].strip("()"))}
        if match["field"] == "dataset_type":
            items = [item for item in items if item.get("type", "dataset") in values]
        else:
            items = [item for item in items if (item.get("organization") or {}).get("name") in values]
    return items


def package_search(items: list[dict], query: dict[str, list[str]]) -> dict:
    """CKAN's ``package_search`` result for the query parameters; raises SearchError as CKAN refuses."""
    def number(name: str, default: int) -> int:
        value = query.get(name, [str(default)])[0]
        if not value.isdigit():
            raise SearchError(f"{name}: Must be a natural number")
        return int(value)

    if query.get("q", ["*:*"])[0] not in ("*:*", ""):
        raise SearchError("Search error: this sample portal answers only q=*:*")
    sort = query.get("sort", ["metadata_created asc, id asc"])[0]
    if sort not in SORTS:
        raise SearchError(f"Search error: unknown sort {sort!r}")
    rows, start = min(number("rows", 10), MAX_ROWS), number("start", 0)
    found = sorted(filter_packages(items, query.get("fq", [""])[0]), key=SORTS[sort])
    return {"count": len(found), "sort": sort, "facets": {}, "search_facets": {},
            "results": found[start:start + rows]}


class DemoSourceHandler(http.server.BaseHTTPRequestHandler):
    server_version = "JenaDemoSources/1"
    root: Path = SOURCES_DIR
    files: Path = FILES_DIR

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        url = urlsplit(self.path)
        path, query = unquote(url.path), parse_qs(url.query)
        if path in ("/dcat/catalog.ttl", "/dcat/catalog.ttl/"):
            page = query.get("page", ["1"])[0]
            return self._file(self.root / "dcat" / f"catalog-{page}.ttl" if page.isdigit() else None)
        if path.startswith("/dcat/datensatz/"):
            return self._dataset_redirect(path.rsplit("/", 1)[-1])
        if path == "/ckan/api/3/action/package_search":
            return self._search(query)
        if path == "/ckan/api/3/action/package_show":
            return self._package_show(query.get("id", [""])[0])
        if path.startswith("/ckan/dataset/"):
            return self._package_page(path.rsplit("/", 1)[-1])
        if path.startswith("/tabelle/"):
            return self._file(self._inside(self.root / "tabelle", path[len("/tabelle/"):]))
        if path.startswith("/files/"):
            name = path[len("/files/"):]
            return self._file(self._inside(self.root / "dateien", name)
                              or self._inside(self.files, name))
        self._send(404, b"Not Found", "text/plain; charset=utf-8")

    do_HEAD = do_GET

    # -- answers ---------------------------------------------------------------------------------

    def _file(self, path: Path | None) -> None:
        if path is None or not path.is_file():
            return self._send(404, b"Not Found", "text/plain; charset=utf-8")
        body = path.read_bytes()
        if path.parent.name in ("ckan", "tabelle") and path.suffix in (".json", ".csv"):
            body = body.replace(b"{base}", self._base().encode("utf-8"))
        self._send(200, body, MEDIA_TYPES.get(path.suffix, "application/octet-stream"))

    def _dataset_redirect(self, slug: str) -> None:
        """A dataset IRI leads to the catalogue page describing it, as linked data does."""
        needle = f"<datensatz/{slug}>".encode("utf-8")
        for page in sorted((self.root / "dcat").glob("catalog-*.ttl")):
            if re.fullmatch(r"[a-z0-9-]+", slug) and needle in page.read_bytes():
                number = page.stem.rsplit("-", 1)[-1]
                return self._send(303, b"", None, {"Location": f"/dcat/catalog.ttl?page={number}"})
        self._send(404, b"Not Found", "text/plain; charset=utf-8")

    def _search(self, query: dict[str, list[str]]) -> None:
        try:
            result = package_search(self._packages(), query)
        except SearchError as error:
            return self._json(400, {"success": False, "error": {
                "__type": "Search Query Error", "message": str(error)}})
        self._json(200, {"help": f"{self._base()}/ckan/api/3/action/help_show?name=package_search",
                         "success": True, "result": result})

    def _package_show(self, name_or_id: str) -> None:
        for package in self._packages():
            if name_or_id in (package["id"], package["name"]):
                return self._json(200, {"success": True, "result": package})
        self._json(404, {"success": False, "error": {"__type": "Not Found Error",
                                                     "message": "Not found"}})

    def _package_page(self, name: str) -> None:
        for package in self._packages():
            if name in (package["id"], package["name"]):
                links = "".join(f'<li><a href="{html.escape(item["url"])}">{html.escape(item["name"])}</a></li>'
                                for item in package.get("resources", []))
                page = (f'<!DOCTYPE html><html lang="de"><meta charset="utf-8">'
                        f'<title>{html.escape(package["title"])}</title>'
                        f'<h1>{html.escape(package["title"])}</h1><p>{html.escape(package["notes"])}</p>'
                        f"<ul>{links}</ul></html>")
                return self._send(200, page.encode("utf-8"), "text/html; charset=utf-8")
        self._send(404, b"Not Found", "text/plain; charset=utf-8")

    # -- plumbing --------------------------------------------------------------------------------

    def _packages(self) -> list[dict]:
        text = (self.root / "ckan" / "packages.json").read_text(encoding="utf-8")
        return json.loads(text.replace("{base}", self._base()))

    def _base(self) -> str:
        host = self.headers.get("Host") or f"127.0.0.1:{self.server.server_address[1]}"
        return f"http://{host}"

    @staticmethod
    def _inside(folder: Path, name: str) -> Path | None:
        """An existing file directly in ``folder``; nothing outside it, whatever the request says."""
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or name.startswith("."):
            return None
        return folder / name if (folder / name).is_file() else None

    def _json(self, status: int, value: dict) -> None:
        self._send(status, json.dumps(value, ensure_ascii=False).encode("utf-8"),
                   "application/json; charset=utf-8")

    def _send(self, status: int, body: bytes, content_type: str | None,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def make_server(port: int = DEFAULT_PORT, host: str = "127.0.0.1") -> http.server.ThreadingHTTPServer:
    server = http.server.ThreadingHTTPServer((host, port), DemoSourceHandler)
    server.daemon_threads = True
    return server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python3 -m stack.demo_sources", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    arguments = parser.parse_args(argv)
    server = make_server(arguments.port)
    print(f"demo sources on http://127.0.0.1:{arguments.port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
