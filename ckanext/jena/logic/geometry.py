"""Checks of GeoJSON geometries and the boxes the portal derives geometries from.

Only plain geometries are accepted (what ckanext-spatial indexes). The checks are written out
here rather than left to a geometry library so that malformed or huge input is rejected quickly
with a message that says what is wrong, before anything reaches the database or Solr.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

import ckan.plugins.toolkit as tk

GEOMETRY_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon")
# depth of the "coordinates" arrays, counted down to a position
_NESTING = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}
MAX_POSITIONS = 100_000


class GeometryError(ValueError):
    """A geometry that cannot be accepted; the message is already translated."""


@dataclass(frozen=True)
class Bounds:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    @classmethod
    def parse(cls, value: str | list[str]) -> "Bounds":
        """Bounds from "min_lon min_lat max_lon max_lat" (the configuration's format)."""
        parts = value.replace(",", " ").split() if isinstance(value, str) else value
        numbers = [float(part) for part in parts]
        if len(numbers) != 4:
            raise ValueError(f"Expected four numbers, got {value!r}")
        return cls(*numbers)

    def intersects(self, other: "Bounds") -> bool:
        return not (other.max_lon < self.min_lon or other.min_lon > self.max_lon
                    or other.max_lat < self.min_lat or other.min_lat > self.max_lat)


def plausible_bounds() -> Bounds:
    return Bounds.parse(tk.config.get("ckanext.jena.spatial_bounds"))


def parse_geometry(value: Any) -> dict[str, Any]:
    """The geometry as a dict, from a dict or a JSON text."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        raise GeometryError(tk._("The spatial extent must be a GeoJSON geometry as text or object."))
    try:
        decoded = json.loads(value)
    except (ValueError, RecursionError):
        raise GeometryError(tk._("The spatial extent is not valid JSON."))
    if not isinstance(decoded, dict):
        raise GeometryError(tk._("The spatial extent must be a GeoJSON geometry as text or object."))
    return decoded


def _positions(coordinates: Any, depth: int, geometry_type: str) -> Iterator[list[float]]:
    """Every position of a coordinates array of the given nesting depth; checks the nesting."""
    invalid = GeometryError(
        tk._("The coordinates of the spatial extent are not valid for a {type}.").format(type=geometry_type)
    )
    if depth == 0:
        if (not isinstance(coordinates, list) or len(coordinates) not in (2, 3)
                or not all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in coordinates)):
            raise invalid
        yield coordinates
        return
    if not isinstance(coordinates, list) or not coordinates:
        raise invalid
    for part in coordinates:
        yield from _positions(part, depth - 1, geometry_type)


def _check_parts(geometry_type: str, coordinates: list[Any]) -> None:
    """The minimal sizes GeoJSON asks for: 2 positions per line, closed rings of 4 or more."""
    invalid = GeometryError(
        tk._("The coordinates of the spatial extent are not valid for a {type}.").format(type=geometry_type)
    )
    if geometry_type == "LineString":
        lines = [coordinates]
    elif geometry_type == "MultiLineString":
        lines = coordinates
    else:
        lines = []
    if any(len(line) < 2 for line in lines):
        raise invalid
    if geometry_type == "Polygon":
        rings = coordinates
    elif geometry_type == "MultiPolygon":
        rings = [ring for polygon in coordinates for ring in polygon]
    else:
        rings = []
    if any(len(ring) < 4 or ring[0] != ring[-1] for ring in rings):
        raise invalid


def check_geometry(geometry: dict[str, Any], bounds: Bounds) -> Bounds:
    """Validate a GeoJSON geometry; returns its bounding box.

    Rejects other GeoJSON objects, wrong nesting, unclosed rings, positions outside WGS84's
    range, more than MAX_POSITIONS positions and geometries that lie entirely outside ``bounds``.
    """
    geometry_type = geometry.get("type")
    if geometry_type not in GEOMETRY_TYPES:
        raise GeometryError(tk._(
            "The spatial extent must be a GeoJSON geometry of type Point, MultiPoint, LineString, "
            "MultiLineString, Polygon or MultiPolygon."
        ))
    coordinates = geometry.get("coordinates")
    lons: list[float] = []
    lats: list[float] = []
    for count, position in enumerate(_positions(coordinates, _NESTING[geometry_type], geometry_type), 1):
        if count > MAX_POSITIONS:
            raise GeometryError(
                tk._("The spatial extent has too many points: at most {max} are allowed.").format(max=MAX_POSITIONS)
            )
        lon, lat = position[0], position[1]
        if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
            raise GeometryError(tk._(
                "Coordinates must be longitude (-180 to 180) and latitude (-90 to 90) in WGS84, in that order."
            ))
        lons.append(lon)
        lats.append(lat)
    _check_parts(geometry_type, coordinates)
    extent = Bounds(min(lons), min(lats), max(lons), max(lats))
    if not bounds.intersects(extent):
        raise GeometryError(tk._("The spatial extent lies outside the Jena region (Thuringia)."))
    return extent


def bbox_polygon(bbox: Iterable[float]) -> dict[str, Any]:
    """A GeoJSON polygon for ``[min_lon, min_lat, max_lon, max_lat]``."""
    min_lon, min_lat, max_lon, max_lat = bbox
    ring = [[min_lon, min_lat], [max_lon, min_lat], [max_lon, max_lat], [min_lon, max_lat], [min_lon, min_lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def union_bbox(boxes: list[list[float]]) -> list[float]:
    return [
        min(box[0] for box in boxes),
        min(box[1] for box in boxes),
        max(box[2] for box in boxes),
        max(box[3] for box in boxes),
    ]
