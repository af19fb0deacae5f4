"""The benchmark's pure parts: statistics, the deterministic workload, ratios and the table.

Nothing here starts a portal or times anything; the benchmark itself is ``python3 -m bench``.
"""
import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bench import __main__ as bench_main
from bench import harvest, measures, relevance, report, workload
from bench.portals import token_from_cli_output
from bench.proc import parent_of, parse_kib
from tests.dcat_catalogues import Catalogue

NAME = re.compile(r"^[a-z0-9_-]{2,100}$")
TAG = re.compile(r"^[\w .-]{2,100}$")


# statistics

def test_percentile_interpolates_between_ranks():
    values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert measures.percentile(values, 0) == 1
    assert measures.percentile(values, 100) == 10
    assert measures.percentile(values, 50) == pytest.approx(5.5)
    assert measures.percentile(values, 95) == pytest.approx(9.55)


def test_percentile_ignores_order_and_handles_one_value():
    assert measures.percentile([9, 1, 5], 50) == 5
    assert measures.percentile([0.25], 95) == 0.25


def test_percentile_rejects_nonsense():
    with pytest.raises(ValueError):
        measures.percentile([], 50)
    with pytest.raises(ValueError):
        measures.percentile([1, 2], 101)


def test_summary_is_in_milliseconds():
    stats = measures.summary([0.010, 0.020, 0.030])
    assert stats["n"] == 3
    assert stats["p50"] == pytest.approx(20)
    assert stats["min"] == pytest.approx(10)
    assert stats["max"] == pytest.approx(30)
    assert stats["mean"] == pytest.approx(20)


def test_abba_order_alternates():
    assert [list(measures.abba(["stock", "jena"], n)) for n in range(4)] == [
        ["stock", "jena"], ["jena", "stock"], ["stock", "jena"], ["jena", "stock"]]


def test_blocks_cover_every_dataset_once():
    parts = list(measures.blocks(120, 50))
    assert [len(part) for part in parts] == [50, 50, 20]
    assert [index for part in parts for index in part] == list(range(120))


def test_latency_figures_leave_portals_without_times_empty():
    figures = measures.latency_figures("x", "x", {"stock": [], "jena": [0.1, 0.3]})
    assert [figure.key for figure in figures] == ["x_p50", "x_p95"]
    assert figures[0].values["stock"] is None
    assert figures[0].values["jena"] == pytest.approx(200)
    assert figures[0].ratio() is None


# workload

def test_same_seed_same_payloads_other_seed_other_payloads():
    assert [workload.dataset(7, i) for i in range(20)] == [workload.dataset(7, i) for i in range(20)]
    assert workload.dataset(7, 3) != workload.dataset(8, 3)
    assert workload.queries(7, 30) == workload.queries(7, 30)
    assert workload.bbox_queries(7, 10) == workload.bbox_queries(7, 10)
    assert workload.page_picks(7, 500, 50) == workload.page_picks(7, 500, 50)


def test_dataset_does_not_depend_on_what_was_generated_before():
    workload.dataset(7, 0)
    later = workload.dataset(7, 41)
    assert workload.dataset(7, 41) == later


@pytest.mark.parametrize("index", range(0, 400, 7))
def test_payload_has_the_shape_package_create_accepts(index):
    payload = workload.dataset(11, index)
    organisations = {organisation["name"] for organisation in workload.organisation_payloads()}
    assert NAME.match(payload["name"]) and payload["name"].endswith(f"-{index:05d}")
    assert payload["title"] and payload["notes"]
    assert payload["owner_org"] in organisations
    assert payload["license_id"] in workload.LICENSES
    assert 2 <= len(payload["tags"]) <= 5
    assert all(TAG.match(tag["name"]) for tag in payload["tags"])
    assert 2 <= len(payload["resources"]) <= 3
    for resource in payload["resources"]:
        assert resource["url"].startswith("https://") and resource["format"] and resource["name"]
    keys = [extra["key"] for extra in payload["extras"]]
    assert len(keys) == len(set(keys)) == 3
    assert "spatial" not in keys   # a schema field of the jena portal, sent at the top level
    assert all(resource["format"] in workload.FORMAT_EXTENSIONS for resource in payload["resources"])
    assert all(isinstance(extra["value"], str) for extra in payload["extras"])
    json.dumps(payload)   # sent as JSON as it is


def test_names_are_unique_and_content_is_german():
    payloads = [workload.dataset(3, i) for i in range(1000)]
    assert len({payload["name"] for payload in payloads}) == 1000
    text = " ".join(payload["title"] + payload["notes"] for payload in payloads)
    assert all(letter in text for letter in "äöüß")
    assert len({payload["owner_org"] for payload in payloads}) == len(workload.ORGANISATIONS)


def test_spatial_field_is_a_polygon_inside_jena():
    west, south, east, north = workload.JENA_AREA
    spatial = [json.loads(payload["spatial"]) for payload in (workload.dataset(5, i) for i in range(300))
               if "spatial" in payload]
    assert 100 < len(spatial) < 300
    for geometry in spatial:
        assert geometry["type"] == "Polygon"
        for x, y in geometry["coordinates"][0]:
            assert west <= x <= east and south <= y <= north


def test_slug_spells_out_umlauts():
    assert workload.slug("Fortzüge Göschwitz – Straße (2019)") == "fortzuege-goeschwitz-strasse-2019"


def test_queries_mix_text_facets_and_filters_without_bbox():
    queries = workload.queries(1, 200)
    kinds = {query.kind for query in queries}
    assert {"text", "facets", "filter"} <= kinds
    assert any("q" in query.params for query in queries)
    assert any("fq" in query.params for query in queries)
    for query in queries:
        assert "ext_bbox" not in query.params
        assert '"GEOJSON"' not in query.params.get("fq", "")
        if "facet.field" in query.params:
            assert set(json.loads(query.params["facet.field"])) <= set(workload.FACET_FIELDS)


def test_bbox_queries_are_well_formed():
    for query in workload.bbox_queries(1, 20):
        west, south, east, north = map(float, query.params["ext_bbox"].split(","))
        assert west < east and south < north


def test_page_picks_stay_within_created_datasets():
    assert len(set(workload.page_picks(1, 100, 100))) == 100
    picks = workload.page_picks(1, 10, 50)
    assert len(picks) == 50 and all(0 <= pick < 10 for pick in picks)


# report

def test_ratio_and_its_formatting():
    assert report.ratio(12.0, 10.0) == pytest.approx(1.2)
    assert report.ratio(1.0, 0) is None
    assert report.ratio(None, 3.0) is None
    assert report.format_ratio(1.2) == "1.20×"
    assert report.format_ratio(None) == "n/a"


def test_reading_follows_which_direction_is_better():
    assert report.reading(1.25, "lower") == "+25% (worse)"
    assert report.reading(1.25, "higher") == "+25% (better)"
    assert report.reading(0.8, "higher") == "-20% (worse)"
    assert report.reading(0.9, "lower") == "-10% (better)"
    assert report.reading(1.01, "lower") == "about the same"
    assert report.reading(None, "lower") == ""


def test_table_has_a_row_per_figure_and_the_ratio():
    figures = [
        report.Figure("create", "dataset create", "datasets/s", "higher", {"stock": 10.0, "jena": 8.0}),
        report.Figure("bbox", "bbox search p50", "ms", "lower", {"stock": None, "jena": 12.5}),
    ]
    text = report.table(figures, ["stock", "jena"])
    lines = text.splitlines()
    assert "jena/stock" in lines[0]
    assert len(lines) == 4
    assert "10.00 datasets/s" in lines[2] and "0.80×" in lines[2] and "-20% (worse)" in lines[2]
    assert "–" in lines[3] and "12.5 ms" in lines[3] and "n/a" in lines[3]


def test_json_carries_ratio(tmp_path):
    figure = report.Figure("m", "memory", "MiB", "lower", {"stock": 200.0, "jena": 300.0})
    path = report.write_json(tmp_path, [figure], {"ckan": {"series": "2.12"}})
    data = json.loads(path.read_text(encoding="utf-8"))
    assert path.name.startswith("results-") and data["ckan"]["series"] == "2.12"
    assert data["figures"][0]["ratio_jena_stock"] == pytest.approx(1.5)


# parsing of CLI and /proc output

def test_token_is_read_from_ckan_cli_output():
    output = "2025-01-01 INFO [ckan] something\nAPI Token created:\n\teyJhbGciOi.abc.def\n"
    assert token_from_cli_output(output) == "eyJhbGciOi.abc.def"


def test_proc_parsing():
    status = "Name:\tgunicorn\nVmHWM:\t  123456 kB\nVmRSS:\t  100000 kB\n"
    assert parse_kib(status, "VmHWM") == 123456
    assert parse_kib(status, "Pss") is None
    assert parent_of("4711 (gunicorn: worker [x]) S 4700 4700 4700 0 -1") == 4700


# harvest measure

def test_catalogue_pages_are_served_under_the_paths_the_pages_link():
    catalogue = Catalogue.of("http://127.0.0.1:9", 250)
    pages = harvest.page_paths(catalogue, 100)
    assert list(pages) == ["/catalog.ttl?page=1", "/catalog.ttl?page=2", "/catalog.ttl?page=3"]
    assert [page.count(b"a dcat:Dataset") for page in pages.values()] == [100, 100, 50]
    assert b'hydra:nextPage "http://127.0.0.1:9/catalog.ttl?page=2"' in pages["/catalog.ttl?page=1"]
    assert b"hydra:nextPage" not in pages["/catalog.ttl?page=3"]


def test_catalogue_server_answers_pages_and_404():
    with harvest.CatalogueServer(120, per_page=100) as server:
        with urllib.request.urlopen(server.url, timeout=10) as answer:
            assert answer.headers.get_content_type() == "text/turtle"
            assert answer.read().count(b"a dcat:Dataset") == 100
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(server.url.replace("page=1", "page=3"), timeout=10)
        assert refused.value.code == 404
        assert server.requests == 2


def test_harvest_plugins_are_added_once_in_order():
    assert harvest.with_plugins("activity", ("harvest", "dcat_rdf_harvester")) == "activity harvest dcat_rdf_harvester"
    assert (harvest.with_plugins("jena harvest dcat", ("harvest", "jena_dcat_harvester"))
            == "jena harvest dcat jena_dcat_harvester")


def test_psql_rows_are_split_and_blank_lines_dropped():
    assert harvest.parse_rows("a|2024-01-01 10:00:00|active\n\nb|x|deleted\n") == [
        ["a", "2024-01-01 10:00:00", "active"], ["b", "x", "deleted"]]
    assert harvest.parse_rows("") == []


def test_compare_counts_new_modified_and_removed_datasets():
    before = {"a": "1 active", "b": "1 active", "c": "1 active"}
    after = {"a": "1 active", "b": "2 active", "d": "1 active"}
    changes = harvest.compare(before, after)
    assert (changes.new, changes.modified, changes.removed) == (1, 1, 1)
    assert changes.writes == 3
    assert harvest.compare(before, dict(before)).writes == 0


def test_writes_take_the_largest_trace():
    result = {"datasets_new": 0, "datasets_modified": 0, "datasets_removed": 0,
              "activities_added": 0, "solr_reindexed": 0}
    assert harvest._writes(result) == 0
    assert harvest._writes({**result, "solr_reindexed": 7}) == 7
    assert harvest._writes({**result, "datasets_modified": 5, "activities_added": 5}) == 5


def test_per_minute():
    assert harvest.per_minute(500, 120) == pytest.approx(250)
    with pytest.raises(ValueError):
        harvest.per_minute(500, 0)


def test_goal_notes_say_met_or_not():
    met = harvest.goal_notes({"stock": 100.0, "jena": 250.0}, {"stock": 400.0, "jena": 60.0},
                             {"stock": 500, "jena": 0})
    assert "2.50×" in met[0] and met[0].endswith("met") and "NOT" not in met[0]
    assert "60.0 s, 0 writes" in met[1] and "NOT" not in met[1]
    missed = harvest.goal_notes({"stock": 100.0, "jena": 150.0}, {"stock": 400.0, "jena": 200.0},
                                {"stock": 500, "jena": 0})
    assert missed[0].endswith("NOT met") and missed[1].endswith("NOT met")
    written = harvest.goal_notes({"stock": 100.0, "jena": 300.0}, {"stock": 400.0, "jena": 20.0},
                                 {"stock": 500, "jena": 3})
    assert written[1].endswith("NOT met")


def test_measured_child_reports_exit_time_and_its_own_peak_memory(tmp_path):
    # measured from a small parent, as the bench runs: a child's high-water mark starts with what
    # it shares with its parent until exec, and this test process holds all of CKAN
    grow = "import sys; block = bytearray(64 * 2**20); block[::4096] = b'x' * len(block[::4096]); sys.exit(3)"
    script = (
        "import json, sys; from pathlib import Path; from bench import harvest\n"
        f"child = harvest.measured_child([sys.executable, '-c', {grow!r}], Path({str(tmp_path / 'c.log')!r}))\n"
        f"small = harvest.measured_child([sys.executable, '-c', 'print(1)'], Path({str(tmp_path / 's.log')!r}))\n"
        "print(json.dumps([child.returncode, child.peak_rss_kib, child.seconds, small.returncode,"
        " small.peak_rss_kib, small.output]))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=Path(harvest.__file__).resolve().parent.parent, check=True)
    code, peak, seconds, small_code, small_peak, small_output = json.loads(result.stdout)
    assert code == 3 and small_code == 0 and small_output.strip() == "1"
    assert peak >= 64 * 1024 > small_peak
    assert seconds > 0


def test_options_select_the_harvest_part_and_its_size():
    arguments = bench_main.parse_arguments(["--only", "harvest", "--harvest-datasets", "500"])
    assert arguments.harvest_datasets == 500
    assert bench_main.selected_measures(arguments.only) == [harvest.harvest]
    assert harvest.harvest not in bench_main.selected_measures("web")
    assert bench_main.selected_measures(None) == measures.MEASURES
    assert measures.MEASURES[-1] is harvest.harvest
    assert bench_main.parse_arguments([]).harvest_datasets == 5000
    with pytest.raises(SystemExit):
        bench_main.parse_arguments(["--harvest-datasets", "0"])


def test_counts_are_shown_as_whole_numbers():
    assert report.format_value(0, "writes") == "0 writes"
    assert report.format_value(1234.5, "s") == "1,234.5 s"


def test_catalogue_pages_are_picked_within_the_catalogue():
    run = measures.Run(portals=[], seed=7, datasets=2000, queries=10, pages=10)

    paths = measures.catalogue_page_paths(run, "ttl", 12)

    assert len(paths) == 12 and len(set(paths)) == 12
    assert all(path.startswith("/catalog.ttl?page=") for path in paths)
    assert {int(path.rsplit("=", 1)[1]) for path in paths} <= set(range(1, 21))


def test_catalogue_pages_are_measured_only_where_the_catalogue_runs():
    run = measures.Run(portals=[], seed=7, datasets=20, queries=10, pages=10)

    assert measures.catalogue_pages(run) == []


# search relevance

def test_recall_at_ten_counts_expected_datasets_among_the_first_ten():
    ranked = [f"d{number}" for number in range(1, 13)]
    assert relevance.recall_at(ranked, ["d1", "d10"]) == 1
    assert relevance.recall_at(ranked, ["d1", "d11"]) == 0.5   # d11 is eleventh
    assert relevance.recall_at([], ["d1"]) == 0
    assert relevance.recall_at(ranked, ["d2", "d3", "d12"], k=2) == pytest.approx(1 / 3)
    with pytest.raises(ValueError):
        relevance.recall_at(ranked, [])


def test_reciprocal_rank_is_that_of_the_first_expected_dataset_within_ten():
    ranked = [f"d{number}" for number in range(1, 13)]
    assert relevance.reciprocal_rank(ranked, ["d1"]) == 1
    assert relevance.reciprocal_rank(ranked, ["d4", "d2"]) == 0.5
    assert relevance.reciprocal_rank(ranked, ["d10"]) == pytest.approx(0.1)
    assert relevance.reciprocal_rank(ranked, ["d11"]) == 0
    assert relevance.reciprocal_rank([], ["d1"]) == 0


def test_scores_average_over_the_queries_of_a_language():
    judged = [relevance.Judgement("Bäume", "de", ("a", "b")), relevance.Judgement("Lärm", "de", ("c",)),
              relevance.Judgement("trees", "en", ("a",))]
    results = {"Bäume": ["x", "a"], "Lärm": ["y"], "trees": ["a", "b"]}
    assert relevance.scores(results, judged, "de") == {"queries": 2, "recall_at_10": 0.25, "mrr": 0.25}
    assert relevance.scores(results, judged, "en") == {"queries": 1, "recall_at_10": 1, "mrr": 1}
    assert relevance.scores(results, judged)["mrr"] == pytest.approx(0.5)
    assert relevance.misses(results, judged) == {"Bäume": ["b"], "Lärm": ["c"]}
    with pytest.raises(ValueError):
        relevance.scores(results, judged, "fr")


def test_judgements_need_expected_datasets():
    data = {"queries": [{"q": "Kita", "language": "de", "expected": ["schulen"], "depends_on": ["compounds"]}]}
    assert relevance.judgements(data) == [relevance.Judgement("Kita", "de", ("schulen",), ("compounds",))]
    with pytest.raises(ValueError):
        relevance.judgements({"queries": [{"q": "Kita", "language": "de", "expected": []}]})


def test_stock_gets_a_demo_dataset_in_ckans_core_fields():
    dataset = {"name": "baumkataster", "organization": "kommunalservice-jena", "license": "dl-by-de/2.0",
               "title": {"de": "Baumkataster", "en": "Tree register"},
               "notes": {"de": "Bäume an Straßen.", "en": "Street trees."},
               "tags": {"de": ["Bäume", "Umwelt"], "en": ["trees", "Umwelt"]},
               "resources": [{"name": {"de": "Bäume", "en": "Trees"}, "format": "CSV", "file": "baeume.csv",
                              "description": {"de": "Eine Zeile je Baum.", "en": "One row per tree."}}]}
    payload = relevance.stock_dataset(dataset)
    assert payload["title"] == "Baumkataster" and payload["notes"] == "Bäume an Straßen."
    assert [tag["name"] for tag in payload["tags"]] == ["Bäume", "Umwelt", "trees"]
    assert {"key": "title_en", "value": "Tree register"} in payload["extras"]
    assert payload["resources"][0]["url"].endswith("/baeume.csv")
    assert "One row per tree." in payload["resources"][0]["description"]


def test_searches_are_kept_to_the_demo_datasets():
    assert relevance.demo_filter(["b", "a"]) == 'name:("a" OR "b")'
    seen = {}

    def search(params):
        seen.update(params)
        return {"results": [{"name": "a"}, {"name": "b"}]}
    assert relevance.ranked_names(search, "Bäume", ["a", "b"]) == ["a", "b"]
    assert seen == {"q": "Bäume", "fq": 'name:("a" OR "b")', "rows": "10"}


def test_the_relevance_measure_runs_before_memory():
    order = measures.WEB_MEASURES
    assert order.index(measures.search_relevance) < order.index(measures.memory)
    assert order.index(measures.create_datasets) < order.index(measures.search_relevance)
