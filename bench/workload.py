"""Deterministic workload: organisations, datasets, search queries and page picks.

Both portals must get exactly the same work, and two runs with the same seed must too, so
every item is derived from the seed alone: dataset ``i`` from its own ``random.Random``
seeded with ``"<seed>/dataset/<i>"`` (string seeds are hashed with SHA-512, independent of
``PYTHONHASHSEED``). Nothing is held in memory beyond what is asked for, so 50,000 datasets
cost no more than 2,000. The content imitates a municipal open data portal: German titles
and descriptions (with umlauts), offices of the city as organisations, tags, 2–3 resources,
three free extras and, for most datasets, a ``spatial`` field (GeoJSON) inside the city's area.

The payloads use CKAN's core fields, as any API client or harvester would, and are valid on
both portals: stock CKAN ignores the top-level ``spatial`` (it is no field of its schema),
the Jena portal validates and indexes it and derives its bilingual DCAT-AP.de fields and
contact point from the core fields. Licences are ids of the DCAT-AP.de list and formats EU
file-type codes, so both portals store (and facet on) the same values; stock CKAN takes any
string there.
"""
from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field

DEFAULT_SEED = 20240601

# (name, title, description)
ORGANISATIONS = [
    ("fd-umweltschutz", "Fachdienst Umweltschutz", "Luft, Lärm, Wasser und Stadtgrün in Jena."),
    ("kommunalservice-jena", "Kommunalservice Jena", "Straßenreinigung, Abfallwirtschaft und Grünpflege."),
    ("jenaer-nahverkehr", "Jenaer Nahverkehr", "Straßenbahn und Bus in Jena und Umgebung."),
    ("team-statistik", "Team Statistik und Wahlen", "Bevölkerungs-, Wahl- und Strukturdaten der Stadt."),
    ("fd-stadtplanung", "Fachdienst Stadtplanung", "Bebauungspläne, Geodaten und Stadtentwicklung."),
    ("fd-finanzen", "Fachdienst Finanzen", "Haushaltspläne, Jahresabschlüsse und Beteiligungen."),
    ("jenakultur", "JenaKultur", "Museen, Bibliotheken, Veranstaltungen und Tourismus."),
    ("fd-bildung", "Fachdienst Jugend und Bildung", "Schulen, Kindertagesstätten und Jugendarbeit."),
]

# topic -> organisation, subjects (for titles), tags, resource formats
TOPICS = {
    "Umwelt": ("fd-umweltschutz",
               ["Luftqualitätsmessungen", "Lärmkartierung", "Baumkataster", "Pegelstände der Saale",
                "Niederschlagsmengen", "Feinstaubbelastung", "Grünflächenverzeichnis"],
               ["Umwelt", "Luftqualität", "Lärm", "Bäume", "Klima", "Saale", "Grünflächen"],
               ["CSV", "JSON", "GEOJSON", "PDF"]),
    "Abfall": ("kommunalservice-jena",
               ["Abfuhrkalender", "Standorte der Wertstoffcontainer", "Straßenreinigungsplan",
                "Winterdienst-Streupläne", "Öffentliche Toiletten"],
               ["Abfall", "Müllabfuhr", "Straßenreinigung", "Winterdienst", "Wertstoffhöfe"],
               ["CSV", "ICS", "GEOJSON", "XLSX"]),
    "Verkehr": ("jenaer-nahverkehr",
                ["Haltestellen des Nahverkehrs", "Fahrplandaten (GTFS)", "Verkehrszählungen",
                 "Parkhausbelegung", "Radverkehrszählstellen", "Baustellen im Straßenverkehr"],
                ["Verkehr", "Nahverkehr", "Straßenbahn", "Radverkehr", "Parken", "Mobilität"],
                ["CSV", "GTFS", "JSON", "GEOJSON"]),
    "Bevölkerung": ("team-statistik",
                    ["Einwohner nach Ortsteilen", "Geburten und Sterbefälle", "Zu- und Fortzüge",
                     "Altersstruktur der Bevölkerung", "Haushalte nach Größe", "Wahlergebnisse"],
                    ["Bevölkerung", "Statistik", "Einwohner", "Wahlen", "Demografie", "Ortsteile"],
                    ["CSV", "XLSX", "JSON", "PDF"]),
    "Stadtplanung": ("fd-stadtplanung",
                     ["Bebauungspläne", "Flächennutzungsplan", "Denkmalliste", "Straßenverzeichnis",
                      "Gebäudeumringe", "Baulücken und Brachflächen"],
                     ["Stadtplanung", "Geodaten", "Bebauungsplan", "Denkmalschutz", "Straßen", "Flächen"],
                     ["GEOJSON", "SHP", "PDF", "CSV", "GML"]),
    "Finanzen": ("fd-finanzen",
                 ["Haushaltsplan der Stadt Jena", "Jahresabschluss", "Zuwendungen an Vereine",
                  "Beteiligungsbericht", "Gewerbesteuereinnahmen"],
                 ["Finanzen", "Haushalt", "Steuern", "Beteiligungen", "Zuschüsse"],
                 ["CSV", "XLSX", "PDF", "JSON"]),
    "Kultur": ("jenakultur",
               ["Veranstaltungskalender", "Besucherzahlen der Museen", "Ausleihen der Stadtbibliothek",
                "Sehenswürdigkeiten", "Übernachtungen in Beherbergungsbetrieben"],
               ["Kultur", "Tourismus", "Museen", "Bibliothek", "Veranstaltungen", "Freizeit"],
               ["CSV", "JSON", "ICS", "PDF"]),
    "Bildung": ("fd-bildung",
                ["Schulen und Schülerzahlen", "Kindertagesstätten", "Spielplätze",
                 "Jugendfreizeiteinrichtungen", "Schulwegpläne"],
                ["Bildung", "Schulen", "Kita", "Spielplätze", "Jugend", "Familie"],
                ["CSV", "GEOJSON", "PDF", "XLSX"]),
}

DISTRICTS = ["Jena-Zentrum", "Jena-Nord", "Jena-Ost", "Jena-West", "Jena-Süd", "Lobeda", "Winzerla",
             "Göschwitz", "Löbstedt", "Zwätzen", "Wöllnitz", "Kunitz", "Drackendorf", "Ammerbach",
             "Burgau", "Maua", "Isserstedt", "Cospeda", "Lützeroda", "Closewitz", "Wenigenjena",
             "Ziegenhain", "Münchenroda", "Vierzehnheiligen", "Krippendorf", "Leutra", "Wogau"]

INTERVALS = ["täglich", "wöchentlich", "monatlich", "vierteljährlich", "jährlich", "unregelmäßig"]
# ids of the DCAT-AP.de licence list
LICENSES = ["dl-by-de/2.0", "dl-zero-de/2.0", "cc-by/4.0", "cc-zero", "odbl"]

SENTENCES = [
    "Der Datensatz enthält {subject} für {place} aus dem Jahr {year}.",
    "Die Daten werden {interval} vom {office} erhoben und über das Portal veröffentlicht.",
    "Angaben vor {earlier} sind nur eingeschränkt vergleichbar, da sich die Erhebungsmethode geändert hat.",
    "Für Rückfragen wenden Sie sich bitte an das Bürgerbüro in der Löbderstraße oder an den {office}.",
    "Die Werte sind vorläufig; Korrekturen werden im Folgejahr eingepflegt.",
    "Grundlage sind die Meldungen der zuständigen Stellen sowie eigene Zählungen vor Ort.",
    "Räumlicher Bezug: {place}; Koordinatenangaben im Bezugssystem ETRS89 / UTM Zone 32N.",
    "Die Datei ist maschinenlesbar und enthält eine Zeile je Eintrag mit Überschriften in der ersten Zeile.",
    "Bitte beachten Sie die Hinweise zur Nutzung und nennen Sie die Stadt Jena als Quelle.",
    "Änderungen gegenüber der Vorversion sind in der Beschreibung der Ressourcen vermerkt.",
]

# EU file-type codes and the file extension of each
FORMAT_EXTENSIONS = {"CSV": "csv", "JSON": "json", "GEOJSON": "geojson", "PDF": "pdf", "XLSX": "xlsx",
                     "ICS": "ics", "GTFS": "zip", "SHP": "zip", "GML": "gml"}

# Formats that stock CKAN stores under another spelling (its own format list says "GeoJSON"),
# while the Jena portal keeps the EU code: filtering on them would find different datasets.
RENAMED_BY_CKAN = {"GEOJSON"}

# The city's area (WGS84): west, south, east, north.
JENA_AREA = (11.45, 50.85, 11.70, 50.98)

FACET_FIELDS = ["organization", "tags", "res_format", "license_id"]
SORTS = ["score desc, metadata_modified desc", "metadata_modified desc", "title_string asc"]

_UMLAUTS = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"}


def slug(text: str) -> str:
    """A CKAN name from a German title: umlauts spelled out, lower case, hyphens."""
    for letter, spelled in _UMLAUTS.items():
        text = text.replace(letter, spelled)
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def organisation_payloads() -> list[dict]:
    """The ``organization_create`` payloads, created before any dataset."""
    return [{"name": name, "title": title, "description": description}
            for name, title, description in ORGANISATIONS]


def _office_title(organisation: str) -> str:
    return next(title for name, title, _ in ORGANISATIONS if name == organisation)


def _box(rng: random.Random) -> tuple[float, float, float, float]:
    west, south, east, north = JENA_AREA
    width, height = rng.uniform(0.005, 0.06), rng.uniform(0.004, 0.04)
    x, y = rng.uniform(west, east - width), rng.uniform(south, north - height)
    return round(x, 5), round(y, 5), round(x + width, 5), round(y + height, 5)


def _polygon(box: tuple[float, float, float, float]) -> str:
    west, south, east, north = box
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def dataset(seed: int, index: int) -> dict:
    """The ``package_create`` payload of dataset number ``index`` (0-based); the same for the same seed."""
    rng = random.Random(f"{seed}/dataset/{index}")
    topic = rng.choice(sorted(TOPICS))
    organisation, subjects, tags, formats = TOPICS[topic]
    office = _office_title(organisation)
    subject = rng.choice(subjects)
    place = rng.choice(DISTRICTS)
    year = rng.randint(2005, 2024)
    title = rng.choice([f"{subject} {place} {year}", f"{subject} – {place} ({year})",
                        f"{subject} der Stadt Jena {year}"])
    values = {"subject": subject, "place": place, "year": year, "earlier": year - rng.randint(2, 8),
              "interval": rng.choice(INTERVALS), "office": office}
    sentences = rng.sample(SENTENCES, rng.randint(3, 5))
    notes = " ".join(sentence.format(**values) for sentence in sentences)
    if rng.random() < 0.5:
        notes += "\n\n**Hinweis:** " + SENTENCES[-1].format(**values)
    name = f"{slug(title)[:80].strip('-')}-{index:05d}"
    chosen_formats = rng.sample(formats, rng.randint(2, 3))
    resources = [{
        "name": f"{subject} {year} ({fmt})",
        "url": f"https://opendata.jena.de/dateien/{name}/daten-{number}.{FORMAT_EXTENSIONS[fmt]}",
        "format": fmt,
        "description": f"{subject} für {place}, Stand {rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{year}.",
    } for number, fmt in enumerate(chosen_formats, start=1)]
    extras = [
        {"key": "Aktualisierungsintervall", "value": values["interval"]},
        {"key": "Zeitraum", "value": f"{year}-01-01/{year}-12-31"},
        {"key": "Quelle", "value": f"Stadt Jena, {office}"},
    ]
    payload = {
        "name": name,
        "title": title,
        "notes": notes,
        "owner_org": organisation,
        "license_id": rng.choice(LICENSES),
        "author": office,
        "maintainer": "Open-Data-Team der Stadt Jena",
        "maintainer_email": "opendata@jena.de",
        "version": f"{year}.{rng.randint(1, 4)}",
        "tags": [{"name": tag} for tag in sorted(set(rng.sample(tags, rng.randint(2, 4)) + [place]))],
        "resources": resources,
        "extras": extras,
    }
    if rng.random() < 0.7:
        payload["spatial"] = _polygon(_box(rng))
    return payload


def dataset_name(seed: int, index: int) -> str:
    return dataset(seed, index)["name"]


@dataclass
class Query:
    """One ``package_search`` call: its kind (for per-kind figures) and its GET parameters."""

    kind: str
    params: dict[str, str] = field(default_factory=dict)


def _text(rng: random.Random, topic: str) -> str:
    _, subjects, tags, _ = TOPICS[topic]
    words = [rng.choice(tags), re.split(r"[^\w]+", rng.choice(subjects))[0], rng.choice(DISTRICTS)]
    return " ".join(rng.sample(words, rng.randint(1, 2)))


def _filter(rng: random.Random, topic: str) -> str:
    """A facet filter as a user would click it, on the same topic as the rest of the query."""
    organisation, _, tags, formats = TOPICS[topic]
    kind = rng.randrange(4)
    if kind == 0:
        return f"organization:{organisation}"
    if kind == 1:
        return f'tags:"{rng.choice(tags)}"'
    if kind == 2:
        return f'res_format:"{rng.choice([fmt for fmt in formats if fmt not in RENAMED_BY_CKAN])}"'
    return f"license_id:{rng.choice(LICENSES)}"


def queries(seed: int, count: int) -> list[Query]:
    """``count`` searches mixing free text, facets and filters; no ``ext_bbox`` (see ``bbox_queries``)."""
    rng = random.Random(f"{seed}/queries")
    result = []
    for _ in range(count):
        kind = rng.choices(["text", "facets", "filter", "text+filter+facets"], weights=[4, 2, 2, 2])[0]
        topic = rng.choice(sorted(TOPICS))
        params: dict[str, str] = {"rows": "20"}
        if "text" in kind:
            params["q"] = _text(rng, topic)
        if "filter" in kind:
            params["fq"] = " AND ".join(sorted({_filter(rng, topic) for _ in range(rng.randint(1, 2))}))
        if "facets" in kind:
            params["facet.field"] = json.dumps(rng.sample(FACET_FIELDS, rng.randint(2, 4)))
            params["facet.limit"] = "20"
        if rng.random() < 0.3:
            params["sort"] = rng.choice(SORTS)
        if rng.random() < 0.2:
            params["start"] = str(20 * rng.randint(1, 3))
        result.append(Query(kind, params))
    return result


def bbox_queries(seed: int, count: int) -> list[Query]:
    """Searches with an ``ext_bbox`` inside the city (only ckanext-spatial's ``spatial_query`` reads it)."""
    rng = random.Random(f"{seed}/bbox")
    result = []
    for _ in range(count):
        box = _box(rng)
        params = {"rows": "20", "ext_bbox": ",".join(str(value) for value in box)}
        if rng.random() < 0.5:
            params["q"] = _text(rng, rng.choice(sorted(TOPICS)))
        result.append(Query("bbox", params))
    return result


def page_picks(seed: int, datasets: int, count: int) -> list[int]:
    """Indices of the datasets whose pages are requested: distinct while there are enough."""
    rng = random.Random(f"{seed}/pages")
    if count <= datasets:
        return rng.sample(range(datasets), count)
    return [rng.randrange(datasets) for _ in range(count)]
