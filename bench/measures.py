"""What is measured, one function per measure, and the statistics the figures use.

Each measure takes the ``Run`` (the running portals and the options) and returns figures;
``MEASURES`` lists them in the order they run. A new measure (catalogue pages in RDF
formats, …) is one more function added to that list. Measures that create data through the
web come first, memory comes after them so it covers everything before it; the harvest
(``bench/harvest.py``) runs last, in child processes of its own.

Fairness: the portals are measured alternately under the same conditions, both running
side by side. Dataset creation alternates in blocks (block 1 stock then jena, block 2 jena
then stock, …), reads alternate request by request in the same ABBA order, so drift on the
machine (other load, Solr merging, growing tables) falls on both portals alike.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from bench import harvest, relevance, workload
from bench.client import BenchError
from bench.portals import SYSADMIN, Portal
from bench.report import Figure

T = TypeVar("T")

METHOD = ("interleaved: both portals run side by side; dataset creation alternates in blocks, "
          "reads alternate request by request, in ABBA order (stock-jena, jena-stock, ...)")


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0–100) with linear interpolation between ranks (NumPy's default)."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile {p} outside 0..100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * p / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(seconds: Sequence[float]) -> dict[str, float]:
    """Latency statistics in milliseconds."""
    milliseconds = [value * 1000 for value in seconds]
    return {"n": len(milliseconds), "p50": percentile(milliseconds, 50), "p95": percentile(milliseconds, 95),
            "mean": sum(milliseconds) / len(milliseconds), "min": min(milliseconds), "max": max(milliseconds)}


def abba(portals: Sequence[T], round_number: int) -> Sequence[T]:
    """The portals in the order of one round: as given in even rounds, reversed in odd ones."""
    return portals if round_number % 2 == 0 else list(reversed(portals))


def blocks(total: int, size: int) -> Iterator[range]:
    for start in range(0, total, size):
        yield range(start, min(start + size, total))


@dataclass
class Run:
    """Everything a measure needs: the running portals, the workload's size and seed, and a printer."""

    portals: list[Portal]
    seed: int
    datasets: int
    queries: int
    pages: int
    clients: int = 4
    block: int = 50
    harvest_datasets: int = 5000
    say: Callable[[str], None] = print
    notes: list[str] = field(default_factory=list)

    def names(self) -> list[str]:
        return [portal.name for portal in self.portals]


def latency_figures(key: str, label: str, times: dict[str, list[float]], detail: dict | None = None
                    ) -> list[Figure]:
    """p50 and p95 figures from per-portal request times (seconds); portals without times get ``None``."""
    stats = {name: summary(values) if values else None for name, values in times.items()}
    samples = max((len(values) for values in times.values()), default=0)
    figures = []
    for p in ("p50", "p95"):
        values = {name: stat[p] if stat else None for name, stat in stats.items()}
        figures.append(Figure(f"{key}_{p}", f"{label} {p}", "ms", "lower", values, samples,
                              {"summary_ms": stats, **(detail or {})} if p == "p50" else {}))
    return figures


def prepare(run: Run) -> None:
    """Create what every dataset refers to (the organisations) on each portal; not timed."""
    for portal in run.portals:
        if portal.admin is None:
            raise BenchError(f"{portal.name}: no sysadmin token")
        for payload in workload.organisation_payloads():
            portal.admin.action("organization_create", payload)


def create_datasets(run: Run) -> list[Figure]:
    """Dataset creation: package_create over the action API as a sysadmin, several clients at once."""
    times: dict[str, list[float]] = {name: [] for name in run.names()}
    busy = {name: 0.0 for name in run.names()}
    executor = ThreadPoolExecutor(max_workers=run.clients, thread_name_prefix="bench-create")
    block_list = list(blocks(run.datasets, run.block))
    reported = 0   # tenths of the blocks done, for the progress lines
    try:
        for number, indices in enumerate(block_list):
            payloads = [workload.dataset(run.seed, index) for index in indices]
            for portal in abba(run.portals, number):
                create = _creator(portal)
                started = time.perf_counter()
                times[portal.name].extend(executor.map(create, payloads))
                busy[portal.name] += time.perf_counter() - started
            tenths = (number + 1) * 10 // len(block_list)
            if tenths > reported:
                reported = tenths
                rates = ", ".join(f"{name} {indices.stop / busy[name]:.1f}/s" for name in run.names())
                run.say(f"    created {indices.stop:,} of {run.datasets:,} datasets on each portal ({rates})")
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    for portal in run.portals:
        count = portal.anonymous.action("package_search", params={"rows": "0"})[0]["count"]
        if count != run.datasets:
            raise BenchError(f"{portal.name}: {count} datasets in the search index, expected {run.datasets}")
    throughput = {name: run.datasets / busy[name] for name in run.names()}
    return [
        Figure("create_throughput", f"dataset create ({run.clients} clients)", "datasets/s", "higher",
               throughput, run.datasets, {"seconds": busy, "block": run.block, "clients": run.clients}),
        *latency_figures("create_latency", "dataset create, per request", times),
    ]


def _creator(portal: Portal) -> Callable[[dict], float]:
    admin = portal.admin
    if admin is None:
        raise BenchError(f"{portal.name}: no sysadmin token")

    def create(payload: dict) -> float:
        return admin.action("package_create", payload)[1]
    return create


def alternating(portals: list[Portal], items: Iterable[T],
                 request: Callable[[Portal, T], tuple[float, object]]) -> tuple[dict[str, list[float]],
                                                                                 dict[str, list[object]]]:
    """Send every item to every portal, alternating ABBA; collect seconds and answers per portal."""
    times: dict[str, list[float]] = {portal.name: [] for portal in portals}
    answers: dict[str, list[object]] = {portal.name: [] for portal in portals}
    for number, item in enumerate(items):
        for portal in abba(portals, number):
            seconds, answer = request(portal, item)
            times[portal.name].append(seconds)
            answers[portal.name].append(answer)
    return times, answers


def _search(portal: Portal, query: workload.Query) -> tuple[float, int]:
    result, seconds = portal.anonymous.action("package_search", params=query.params)
    return seconds, result["count"]


def search_latency(run: Run) -> list[Figure]:
    """Search: package_search with one mix of free text, facets and filters for both (no ext_bbox)."""
    alternating(run.portals, workload.queries(run.seed + 1, 5), _search)   # warm-up, not counted
    queries = workload.queries(run.seed, run.queries)
    times, counts = alternating(run.portals, queries, _search)
    first, *others = run.names()
    differing = sum(1 for number in range(len(queries))
                    if any(counts[name][number] != counts[first][number] for name in others))
    if differing:
        run.notes.append(f"package_search: {differing} of {len(queries)} queries found different numbers "
                         f"of datasets on the portals")
    kinds = sorted({query.kind for query in queries})
    by_kind = {kind: {name: summary([t for t, q in zip(times[name], queries) if q.kind == kind])["p50"]
                      for name in run.names()} for kind in kinds}
    detail = {"p50_ms_by_kind": by_kind, "queries_with_different_counts": differing,
              "mean_hits": {name: sum(values) / len(values) for name, values in counts.items()}}
    return latency_figures("search", "package_search", times, detail)


def bbox_search_latency(run: Run) -> list[Figure]:
    """Spatial search: package_search with ext_bbox, only where spatial_query runs (stock shows –)."""
    spatial = [portal for portal in run.portals if "spatial_query" in portal.option("ckan.plugins").split()]
    if not spatial:
        return []
    count = max(10, run.queries // 4)
    alternating(spatial, workload.bbox_queries(run.seed + 1, 3), _search)
    times, counts = alternating(spatial, workload.bbox_queries(run.seed, count), _search)
    all_times = {name: times.get(name, []) for name in run.names()}
    detail = {"portals": [portal.name for portal in spatial],
              "mean_hits": {name: sum(values) / len(values) for name, values in counts.items()}}
    return latency_figures("search_bbox", "package_search with ext_bbox", all_times, detail)


def _page(portal: Portal, name: str) -> tuple[float, int]:
    status, content, seconds = portal.anonymous.get(f"/dataset/{name}")
    if status != 200:
        raise BenchError(f"{portal.name}: /dataset/{name} answered HTTP {status}")
    return seconds, len(content)


def dataset_pages(run: Run) -> list[Figure]:
    """Dataset pages: the HTML page /dataset/<name> of randomly picked datasets."""
    warm = [workload.dataset_name(run.seed, index) for index in workload.page_picks(run.seed + 1, run.datasets, 3)]
    alternating(run.portals, warm, _page)
    names = [workload.dataset_name(run.seed, index)
             for index in workload.page_picks(run.seed, run.datasets, run.pages)]
    times, sizes = alternating(run.portals, names, _page)
    detail = {"mean_page_bytes": {name: sum(values) / len(values) for name, values in sizes.items()}}
    return latency_figures("dataset_page", "dataset page", times, detail)


CATALOGUE_FORMATS = ("ttl", "rdf", "jsonld")
# ckanext-dcat's own DCAT-AP 3 profile, the reference the portal's profile is compared with
REFERENCE_PROFILE = "euro_dcat_ap_3"
CATALOGUE_PAGE_SIZE = 100  # ckanext.dcat.datasets_per_page, unchanged in both configurations


def catalogue_page_paths(run: Run, fmt: str, samples: int) -> list[str]:
    """Catalogue pages of 100 datasets each, picked like the dataset pages."""
    pages = max(1, -(-run.datasets // CATALOGUE_PAGE_SIZE))
    picks = workload.page_picks(run.seed + 7, pages, samples)
    return [f"/catalog.{fmt}?page={index + 1}" for index in picks]


def catalogue_pages(run: Run) -> list[Figure]:
    """DCAT catalogue pages (100 datasets) in each RDF format, on the portal with its profile
    against the same pages written by ckanext-dcat's DCAT-AP 3 profile (stock CKAN has no
    catalogue, so the column "stock" holds that reference here)."""
    jena = next((portal for portal in run.portals if portal.name == "jena"), None)
    if jena is None or "dcat" not in jena.option("ckan.plugins").split():
        return []
    samples = max(5, run.pages // 10)
    figures = []
    for fmt in CATALOGUE_FORMATS:
        times: dict[str, list[float]] = {"stock": [], "jena": []}
        for round_number, path in enumerate(catalogue_page_paths(run, fmt, samples + 2)):
            for variant in abba(["jena", "stock"], round_number):
                query = path if variant == "jena" else f"{path}&profiles={REFERENCE_PROFILE}"
                status, _, seconds = jena.anonymous.get(query)
                if status != 200:
                    raise BenchError(f"jena: {query} answered HTTP {status}")
                if round_number >= 2:  # the first two rounds warm up
                    times[variant].append(seconds)
        figures.extend(latency_figures(
            f"catalogue_{fmt}", f"catalogue page .{fmt} (100 datasets; stock = {REFERENCE_PROFILE} profile)",
            times, {"reference_profile": REFERENCE_PROFILE}))
    return figures


def load_demo_content(portal: Portal, content: dict) -> None:
    """The demo datasets on one portal: the Jena portal's own loader, or CKAN's core fields on stock."""
    if "jena" in portal.option("ckan.plugins").split():
        portal.ckan("jena", "demo", "load", "--user", SYSADMIN)
        return
    admin = portal.admin
    if admin is None:
        raise BenchError(f"{portal.name}: no sysadmin token")
    existing = set(admin.action("organization_list", params={"limit": "1000"})[0])
    for organization in content["organizations"]:
        if organization["name"] not in existing:
            admin.action("organization_create", relevance.stock_organization(organization))
    for dataset in content["datasets"]:
        admin.action("package_create", relevance.stock_dataset(dataset))


def search_relevance(run: Run) -> list[Figure]:
    """Search relevance: recall@10 and MRR of the judged German and English queries over the demo datasets."""
    python = run.portals[0].layout.venv(run.portals[0].series) / "bin" / "python"
    content = relevance.read_yaml(python, relevance.CONTENT_FILE)
    judged = relevance.judgements(relevance.read_yaml(python, relevance.JUDGEMENTS_FILE))
    names = [dataset["name"] for dataset in content["datasets"]]
    for portal in run.portals:
        load_demo_content(portal, content)

    def ranked(portal: Portal, judgement: relevance.Judgement) -> tuple[float, list[str]]:
        started = time.perf_counter()
        found = relevance.ranked_names(
            lambda params: portal.anonymous.action("package_search", params=params)[0], judgement.query, names)
        return time.perf_counter() - started, found

    run.notes.append(f"search relevance: {len(judged)} judged queries ({relevance.JUDGEMENTS_FILE.name}) over the "
                     f"{len(names)} demo datasets, loaded on both portals after the generated ones; stock keeps "
                     "them in CKAN's core fields with CKAN's Solr schema (see bench/relevance.py)")
    _, answers = alternating(run.portals, judged, ranked)
    results = {name: {judgement.query: ranking for judgement, ranking in zip(judged, rankings)}
               for name, rankings in answers.items()}
    figures = []
    for language, label in ((None, "de+en"), ("de", "German"), ("en", "English")):
        chosen = [judgement for judgement in judged if language in (None, judgement.language)]
        per_portal = {name: relevance.scores(found, judged, language) for name, found in results.items()}
        key = f"_{language}" if language else ""
        detail = {"misses": {name: relevance.misses(found, chosen) for name, found in results.items()}} if not language else {}
        figures.append(Figure(f"search_recall_at_10{key}", f"search relevance: recall@10, {label} ({len(chosen)} queries)",
                              "", "higher", {name: values["recall_at_10"] for name, values in per_portal.items()},
                              len(chosen), detail))
        figures.append(Figure(f"search_mrr{key}", f"search relevance: MRR, {label} ({len(chosen)} queries)",
                              "", "higher", {name: values["mrr"] for name, values in per_portal.items()}, len(chosen)))
    return figures


def memory(run: Run) -> list[Figure]:
    """Memory: each gunicorn (master + 2 workers) after warm-up and after everything above ran."""
    usage = {portal.name: portal.memory().as_mib() for portal in run.portals}
    start = {portal.name: portal.memory_after_warm_up.as_mib() if portal.memory_after_warm_up else None
             for portal in run.portals}
    processes = max(int(values["processes"]) for values in usage.values())
    return [
        Figure("memory_rss_after_warm_up", "gunicorn RSS after warm-up (sum)", "MiB", "lower",
               {name: values["rss_mib"] if values else None for name, values in start.items()}, processes,
               {"per_portal": start}),
        Figure("memory_peak_rss", "gunicorn peak RSS (sum)", "MiB", "lower",
               {name: values["peak_rss_mib"] for name, values in usage.items()}, processes, {"per_portal": usage}),
        Figure("memory_pss", "gunicorn PSS after run (sum)", "MiB", "lower",
               {name: values["pss_mib"] for name, values in usage.items()}, processes),
    ]


WEB_MEASURES: list[Callable[[Run], list[Figure]]] = [
    create_datasets,
    search_latency,
    bbox_search_latency,
    dataset_pages,
    catalogue_pages,
    search_relevance,
    memory,
]
# After the web measures: the harvested datasets must not change their searches and pages, and
# the harvest runs in child processes of its own, not in the gunicorns whose memory is measured.
HARVEST_MEASURES: list[Callable[[Run], list[Figure]]] = [harvest.harvest]
MEASURES = WEB_MEASURES + HARVEST_MEASURES
PARTS = {"web": WEB_MEASURES, "harvest": HARVEST_MEASURES}
