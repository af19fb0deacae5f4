"""Figures and how they are shown: a table for people, a JSON file for later comparison.

Every figure holds one value per portal and says whether higher or lower is better, so
the ratio jena/stock can be read the same way for every row: the ratio itself, and the
change in percent with "better" or "worse" from the jena portal's point of view.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

SAME_WITHIN = 0.02   # changes below 2 % are shown as "about the same"


@dataclass
class Figure:
    """One measured quantity for every portal (``None`` where it does not apply)."""

    key: str
    label: str
    unit: str
    better: str                                   # "higher" or "lower"
    values: dict[str, float | None]
    samples: int = 0
    detail: dict = field(default_factory=dict)    # extra numbers, kept in the JSON only

    def ratio(self, numerator: str = "jena", denominator: str = "stock") -> float | None:
        return ratio(self.values.get(numerator), self.values.get(denominator))


def ratio(value: float | None, reference: float | None) -> float | None:
    if value is None or reference is None or reference == 0:
        return None
    return value / reference


def format_ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}×"


def reading(value: float | None, better: str) -> str:
    """How a ratio reads for the jena portal: ``+25% (worse)``, ``-8% (better)``, ``about the same``."""
    if value is None:
        return ""
    change = value - 1
    if abs(change) < SAME_WITHIN:
        return "about the same"
    good = change > 0 if better == "higher" else change < 0
    return f"{change:+.0%} ({'better' if good else 'worse'})"


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,} {unit}"
    if unit == "ms" or unit == "MiB" or unit == "s":
        return f"{value:,.1f} {unit}"
    return f"{value:,.2f} {unit}"


def table(figures: list[Figure], portals: list[str]) -> str:
    """A plain-text table: one row per figure, one column per portal, then ratio and reading."""
    header = ["measure", *portals, "jena/stock", "reads as (for jena)"]
    rows = [header]
    for figure in figures:
        rows.append([figure.label, *(format_value(figure.values.get(name), figure.unit) for name in portals),
                     format_ratio(figure.ratio()), reading(figure.ratio(), figure.better)])
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = []
    for number, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:-1], widths[1:-1])]
        cells.append(row[-1])
        lines.append("  ".join(cells).rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def as_json(figures: list[Figure], meta: dict) -> dict:
    return {**meta, "figures": [{**asdict(figure), "ratio_jena_stock": figure.ratio()} for figure in figures]}


def write_json(folder: Path, figures: list[Figure], meta: dict) -> Path:
    """Write ``results-<timestamp>.json`` (local time, to the second) and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"results-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(as_json(figures, meta), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
