"""Hand-made DCAT-AP.de catalogues in Turtle, paged with Hydra as ckanext-dcat and piveau page them.

Used by the harvester tests and by ``make bench`` (which harvests 5,000 generated datasets).
"""
from __future__ import annotations

from dataclasses import dataclass, field

PREFIXES = """\
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix dcatde: <http://dcat-ap.de/def/dcatde/> .
"""

THEMES = ("ENVI", "TRAN", "SOCI", "ECON", "GOVE", "EDUC")
KEYWORDS = ("Umwelt", "Verkehr", "Bevölkerung", "Wirtschaft", "Verwaltung", "Bildung")


@dataclass
class CatalogueDataset:
    """One dataset of a generated catalogue; ``revision`` changes its modification date and text."""
    number: int
    revision: int = 0
    extra_turtle: str = ""
    title: str | None = None
    formats: tuple[str, ...] = ("CSV",)

    @property
    def identifier(self) -> str:
        return f"https://daten.example.org/id/datensatz-{self.number:05d}"


@dataclass
class Catalogue:
    base: str
    datasets: list[CatalogueDataset] = field(default_factory=list)

    @classmethod
    def of(cls, base: str, count: int, start: int = 1) -> "Catalogue":
        return cls(base.rstrip("/"), [CatalogueDataset(number) for number in range(start, start + count)])

    def dataset_iri(self, dataset: CatalogueDataset) -> str:
        return f"{self.base}/dataset/{dataset.number:05d}"

    def page_url(self, page: int) -> str:
        return f"{self.base}/catalog.ttl?page={page}"

    def pages(self, per_page: int) -> list[str]:
        """The catalogue as Turtle pages of ``per_page`` datasets (one page if it is empty)."""
        chunks = [self.datasets[start:start + per_page]
                  for start in range(0, len(self.datasets), per_page)] or [[]]
        return [self._page(number, chunk, len(chunks))
                for number, chunk in enumerate(chunks, start=1)]

    def _page(self, number: int, chunk: list[CatalogueDataset], last: int) -> str:
        lines = [PREFIXES,
                 f'<{self.base}/catalog> a dcat:Catalog ; dct:title "Beispielkatalog"@de ;',
                 '  dct:description "Ein Katalog für Tests"@de ;',
                 '  dct:publisher [ a foaf:Agent ; foaf:name "Beispielamt" ] ;']
        lines.append("  " + " ;\n  ".join(
            [f"dcat:dataset <{self.dataset_iri(item)}>" for item in chunk] or ['dct:language "de"'])
            + " .")
        paging = [f'<{self.page_url(number)}> a hydra:PagedCollection ;',
                  f'  hydra:totalItems "{len(self.datasets)}"^^xsd:integer ;',
                  f'  hydra:itemsPerPage "{max(len(chunk), 1)}"^^xsd:integer ;',
                  f'  hydra:firstPage "{self.page_url(1)}" ;',
                  f'  hydra:lastPage "{self.page_url(last)}"']
        if number < last:
            paging[-1] += " ;"
            paging.append(f'  hydra:nextPage "{self.page_url(number + 1)}"')
        lines.append("\n".join(paging) + " .")
        lines.extend(self.dataset_turtle(item) for item in chunk)
        return "\n".join(lines) + "\n"

    def dataset_turtle(self, dataset: CatalogueDataset) -> str:
        iri = self.dataset_iri(dataset)
        theme = THEMES[dataset.number % len(THEMES)]
        keyword = KEYWORDS[dataset.number % len(KEYWORDS)]
        title = dataset.title or f"Messwerte Nummer {dataset.number} für Jena-Süd"
        distributions = " , ".join(f"<{iri}/{fmt.lower()}>" for fmt in dataset.formats)
        turtle = f"""
<{iri}> a dcat:Dataset ;
  dct:identifier "{dataset.identifier}" ;
  dct:title "{title}"@de , "Readings number {dataset.number} for Jena South"@en ;
  dct:description "Stand {dataset.revision}: Messwerte aus dem Stadtgebiet, täglich erhoben. Größe und Maße."@de ;
  dcat:keyword "{keyword}"@de , "Messwerte"@de ;
  dcat:theme <http://publications.europa.eu/resource/authority/data-theme/{theme}> ;
  dct:publisher [ a foaf:Agent ; foaf:name "Beispielamt Jena" ] ;
  dcat:contactPoint [ a vcard:Organization ; vcard:fn "Open-Data-Team" ;
                      vcard:hasEmail <mailto:opendata@example.org> ] ;
  dct:license <http://dcat-ap.de/def/licenses/dl-by-de/2.0> ;
  dct:issued "2023-01-15"^^xsd:date ;
  dct:modified "2024-{1 + dataset.revision % 12:02d}-01"^^xsd:date ;
  dcat:distribution {distributions} {dataset.extra_turtle}.
"""
        for fmt in dataset.formats:
            turtle += f"""
<{iri}/{fmt.lower()}> a dcat:Distribution ;
  dct:title "Daten als {fmt}"@de ;
  dcat:accessURL <{self.base}/files/{dataset.number:05d}.{fmt.lower()}> ;
  dcat:downloadURL <{self.base}/files/{dataset.number:05d}.{fmt.lower()}> ;
  dct:format <http://publications.europa.eu/resource/authority/file-type/{fmt}> ;
  dct:license <http://dcat-ap.de/def/licenses/dl-by-de/2.0> .
"""
        return turtle
