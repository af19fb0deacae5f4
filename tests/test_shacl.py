"""The DCAT-AP.de export against the official SHACL shapes, as GovData's validator runs them.

Shapes and vocabularies are the copies in ``tests/data/shacl`` (see the README there): the
vocabularies are loaded into the data graph with RDFS inference instead of following the shapes'
``owl:imports``. The demo catalogue and a fully filled dataset must give no violation:

* the catalogue of profile ``jena_dcat_ap_de`` against DCAT-AP.de 3.0,
* the catalogue of profile ``jena_dcat_ap_de_2`` against DCAT-AP.de 2.0 with GovData's conventions.

The two profiles differ only in the datatype of dcat:byteSize, where the two shape sets contradict
each other. The remaining warnings are listed in ``docs/shacl-warnings.md``; regenerate it with
``JENA_UPDATE_SHACL_WARNINGS=1 make test PYTEST_ARGS=tests/test_shacl.py``.
"""
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF, SKOS

from ckan.tests import factories, helpers
from ckanext.dcat.profiles import DCAT
from ckanext.jena.demo.loader import DemoLoader

from tests.test_rdf_profile import full_dataset

PLUGINS = "jena scheming_datasets dcat jena_dcat"
pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.ckan_config("ckanext.dcat.rdf.profiles", "jena_dcat_ap_de"),
    pytest.mark.ckan_config("ckanext.dcat.datasets_per_page", "1000"),
    pytest.mark.usefixtures("with_plugins"),
]

REPO_ROOT = Path(__file__).resolve().parent.parent
SHACL_DIR = REPO_ROOT / "tests" / "data" / "shacl"
WARNINGS_DOC = REPO_ROOT / "docs" / "shacl-warnings.md"
UPDATE_VARIABLE = "JENA_UPDATE_SHACL_WARNINGS"
SH = Namespace("http://www.w3.org/ns/shacl#")
CONTRIBUTORS = URIRef("http://dcat-ap.de/def/contributors")
SHAPE_SETS = {"3.0": "DCAT-AP.de 3.0", "2.0": "DCAT-AP.de 2.0 + Konventionen"}
PROFILES = {"3.0": "jena_dcat_ap_de", "2.0": "jena_dcat_ap_de_2"}
PREFIXES = {
    "http://purl.org/dc/terms/": "dct:", "http://www.w3.org/ns/dcat#": "dcat:", "http://dcat-ap.de/def/dcatde/": "dcatde:",
    "http://spdx.org/rdf/terms#": "spdx:", "http://www.w3.org/2004/02/skos/core#": "skos:",
    "http://www.w3.org/2006/vcard/ns#": "vcard:", "http://xmlns.com/foaf/0.1/": "foaf:",
    "http://data.europa.eu/r5r/": "dcatap:", "http://data.europa.eu/930/": "geodcatap:",
}


@dataclass(frozen=True)
class Result:
    severity: str
    shape: str
    path: str
    message: str
    value: str
    focus: str


class Validator:
    """The shape sets and vocabularies, loaded once; validates graphs the way GovData's validator does."""

    def __init__(self):
        vocabularies = sorted(path for path in (SHACL_DIR / "vocabularies").iterdir() if path.suffix in (".ttl", ".rdf"))
        self.ontologies = self._load(path for path in vocabularies if path.name.startswith("ontology-"))
        self.terms = self._load(path for path in vocabularies if not path.name.startswith("ontology-"))
        self.shapes = {version: self._load(sorted((SHACL_DIR / f"v{version}").glob("*.ttl"))) for version in SHAPE_SETS}

    @staticmethod
    def _load(paths) -> Graph:
        graph = Graph()
        for path in paths:
            graph.parse(path)
        return graph

    def _data_graph(self, data: Graph) -> Graph:
        """The data with the ontologies and the vocabulary entries of the IRIs it uses (all that
        the shapes can look at), which keeps RDFS inference fast."""
        graph = Graph()
        graph += data
        graph += self.ontologies
        for node in set(data.subjects()) | set(data.objects()):
            if isinstance(node, URIRef):
                for predicate, value in self.terms.predicate_objects(node):
                    graph.add((node, predicate, value))
        return graph

    def results(self, data: Graph, version: str) -> list[Result]:
        _conforms, report, _text = validate(self._data_graph(data), shacl_graph=self.shapes[version],
                                            inference="rdfs", do_owl_imports=False, allow_warnings=True)
        found = []
        for result in report.subjects(RDF.type, SH.ValidationResult):
            def value_of(predicate):
                value = report.value(result, predicate)
                return "" if value is None else str(value)
            found.append(Result(
                severity=value_of(SH.resultSeverity).rsplit("#", 1)[-1],
                shape=value_of(SH.sourceShape),
                path=value_of(SH.resultPath),
                message=value_of(SH.resultMessage),
                value=value_of(SH.value),
                focus=value_of(SH.focusNode),
            ))
        return found


@pytest.fixture(scope="session")
def validator():
    missing = [path for path in (SHACL_DIR / "v3.0", SHACL_DIR / "v2.0", SHACL_DIR / "vocabularies") if not path.is_dir()]
    if missing:
        pytest.fail(f"The SHACL test data is missing: {', '.join(str(path) for path in missing)}")
    return Validator()


def violations(results):
    return [result for result in results if result.severity == "Violation"]


def listed_contributor_id(validator):
    """A contributor ID of the official list: any listed ID satisfies K12/K13. Jena's own will be
    assigned by GovData; until then a stand-in shows that the configured ID reaches the export."""
    return str(min(validator.terms.subjects(SKOS.inScheme, CONTRIBUTORS)))


_exports: dict[str, str] = {}


def fetch(app, path, **params):
    response = app.get(path, query_string=params)
    assert response.status_code == 200, response.body
    return response.body


def _export_each_way(app, ckan_config, monkeypatch, contributor_id, subject, path):
    for contributor, key in ((contributor_id, "with-id"), (None, "without-id")):
        with monkeypatch.context() as patch:
            if contributor:
                patch.setitem(ckan_config, "ckanext.jena.contributor_id", contributor)
            for version, profile in PROFILES.items():
                _exports[f"{subject} {version} {key}"] = fetch(app, path, profiles=profile)


@pytest.fixture
def exports(app, ckan_config, monkeypatch, reset_db, reset_index, validator):
    """Turtle of the demo catalogue and of the fully filled dataset, per profile, with and without a
    contributor ID. Loading the demo takes a while, so it is done once for the whole module."""
    if not _exports:
        reset_db()
        reset_index()
        sysadmin = factories.Sysadmin()
        DemoLoader(sysadmin["name"]).load()
        _export_each_way(app, ckan_config, monkeypatch, listed_contributor_id(validator), "demo", "/catalog.ttl")
        organization = factories.Organization(name="shacl-test", title="Fachdienst Umweltschutz")
        dataset = helpers.call_action("package_create", {"user": sysadmin["name"]}, **full_dataset(organization["id"]))
        _export_each_way(app, ckan_config, monkeypatch, listed_contributor_id(validator), "full",
                         f"/dataset/{dataset['id']}.ttl")
    return {name: Graph().parse(data=text, format="turtle") for name, text in _exports.items()}


def demo_size(graph):
    return len(set(graph.subjects(RDF.type, DCAT.Dataset)))


def test_the_set_up_reproduces_the_reference_results(validator):
    example = Graph().parse(REPO_ROOT / "tests/data/dcat-ap-de-examples/v2.0/dcat_ap_de-RefImp_TTL_ADVANCED.ttl")
    assert violations(validator.results(example, "2.0")) == []


@pytest.mark.parametrize("subject", ["demo", "full"])
@pytest.mark.parametrize("version", ["3.0", "2.0"])
def test_no_violations_with_the_profile_of_each_version(exports, validator, subject, version):
    graph = exports[f"{subject} {version} with-id"]
    if subject == "demo":
        assert demo_size(graph) >= 20
    assert violations(validator.results(graph, version)) == []


def test_dcat_ap_de_3_needs_no_contributor_id(exports, validator):
    assert violations(validator.results(exports["demo 3.0 without-id"], "3.0")) == []


def test_without_a_contributor_id_only_k12_fails_for_govdata(exports, validator):
    graph = exports["demo 2.0 without-id"]
    found = violations(validator.results(graph, "2.0"))
    assert {result.shape for result in found} == {"http://dcat-ap.de/def/dcatde/Konv12_13_contributorID_v_List"}
    assert len(found) == demo_size(graph)


def test_the_shape_sets_disagree_only_on_the_datatype_of_byte_sizes(exports, validator):
    """One graph cannot meet both: 3.0 wants xsd:nonNegativeInteger, 2.0 xsd:decimal."""
    for subject in ("demo", "full"):
        for version, other in (("3.0", "2.0"), ("2.0", "3.0")):
            found = violations(validator.results(exports[f"{subject} {version} with-id"], other))
            assert found and {result.path for result in found} == {str(DCAT.byteSize)}, (subject, version)


def _short(iri: str) -> str:
    for namespace, prefix in PREFIXES.items():
        if iri.startswith(namespace):
            return prefix + iri[len(namespace):]
    return iri


def render_warnings(exports, validator) -> str:
    lines = [
        "# SHACL warnings of the DCAT-AP.de export",
        "",
        "Generated by `tests/test_shacl.py` (`JENA_UPDATE_SHACL_WARNINGS=1 make test PYTEST_ARGS=tests/test_shacl.py`);",
        "a test fails when this file no longer matches the export. The shapes and vocabularies are",
        "those of `tests/data/shacl`; there are no violations (the tests make sure of it), so what",
        "remains are warnings (sh:Warning) and notes (sh:Info). Values are listed when they do not",
        "depend on the test run (addresses of datasets and blank nodes are left out).",
    ]
    for subject, title in (("demo", "Demo catalogue"), ("full", "Fully filled dataset")):
        for version, shape_set in SHAPE_SETS.items():
            graph = exports[f"{subject} {version} with-id"]
            results = validator.results(graph, version)
            counts = Counter(result.severity for result in results)
            size = f" ({demo_size(graph)} datasets)" if subject == "demo" else ""
            lines += [
                "",
                f"## {title}{size}: profile `{PROFILES[version]}`, shapes {shape_set}",
                "",
                f"Violations: {counts['Violation']}, warnings: {counts['Warning']}, notes: {counts['Info']}.",
            ]
            groups = Counter((result.severity, _short(result.path), " ".join(result.message.split()),
                              _short(result.value) if result.value.startswith("http") and "test.ckan.net" not in result.value
                              else "") for result in results if result.severity != "Violation")
            if groups:
                lines += ["", "| severity | count | property | message | value |", "|---|---|---|---|---|"]
                for (severity, path, message, value), count in sorted(groups.items()):
                    cells = [severity, str(count), f"`{path}`" if path else "", message.replace("|", "\\|"),
                             f"`{value}`" if value else ""]
                    lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def test_the_list_of_warnings_is_up_to_date(exports, validator):
    rendered = render_warnings(exports, validator)
    if os.environ.get(UPDATE_VARIABLE):
        WARNINGS_DOC.write_text(rendered, encoding="utf-8")
    assert WARNINGS_DOC.is_file() and WARNINGS_DOC.read_text(encoding="utf-8") == rendered, (
        f"{WARNINGS_DOC.relative_to(REPO_ROOT)} is out of date: run "
        f"{UPDATE_VARIABLE}=1 make test PYTEST_ARGS=tests/test_shacl.py")
