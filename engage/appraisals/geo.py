"""Points on the Earth: reading typed coordinates, the ~500 m grid the public sees, distances.

Pure: no framework, no database. Coordinates are WGS 84 decimal degrees, latitude first, as
people type them ("51.55", "-0.14", or with a decimal comma "51,55").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from engage.i18n import N_, Message

EARTH_RADIUS_METRES = 6_371_008.8  # the mean radius (IUGG)
METRES_PER_DEGREE = EARTH_RADIUS_METRES * math.pi / 180  # along a meridian
GRID_METRES = 500
MAX_CHARACTERS = 30

_DEGREES = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float


def _degrees(text: str) -> float | None:
    compact = text.strip().replace(" ", "")
    if compact.count(",") == 1 and "." not in compact:
        compact = compact.replace(",", ".")
    if len(compact) > MAX_CHARACTERS or not _DEGREES.fullmatch(compact):
        return None
    return float(compact)


def parse_point(latitude: str, longitude: str) -> tuple[Point | None, dict[str, Message]]:
    """The point typed into the two boxes, or None when both are empty, and the problems by
    box ("latitude", "longitude"). Both or neither must be given."""
    errors: dict[str, Message] = {}
    lat_text, lon_text = (latitude or "").strip(), (longitude or "").strip()
    if not lat_text and not lon_text:
        return None, errors
    lat = _degrees(lat_text) if lat_text else None
    lon = _degrees(lon_text) if lon_text else None
    if not lat_text:
        errors["latitude"] = Message(N_("Give the latitude too, or leave both boxes empty."))
    elif lat is None:
        errors["latitude"] = Message(N_("Enter the latitude in decimal degrees, like 51.5550."))
    elif not -90 <= lat <= 90:
        errors["latitude"] = Message(N_("A latitude lies between -90 and 90 degrees."))
    if not lon_text:
        errors["longitude"] = Message(N_("Give the longitude too, or leave both boxes empty."))
    elif lon is None:
        errors["longitude"] = Message(N_("Enter the longitude in decimal degrees, like -0.1420."))
    elif not -180 <= lon <= 180:
        errors["longitude"] = Message(N_("A longitude lies between -180 and 180 degrees."))
    if errors or lat is None or lon is None:
        return None, errors
    return Point(lat, lon), errors


def generalise(latitude: float, longitude: float, cell_metres: float = GRID_METRES) -> Point:
    """The centre of the grid cell holding the point: every point of a cell gives the same
    centre, at most about 0.71 cells away.

    Rows are ``cell_metres`` of latitude. Each row is cut into the whole number of columns that
    are at least ``cell_metres`` wide at the row's middle latitude, so cells stay about square
    everywhere (and a row near a pole is a single cell, whose centre is on the meridian 0)."""
    row_degrees = cell_metres / METRES_PER_DEGREE
    rows = math.ceil(180 / row_degrees)
    row = min(max(math.floor((latitude + 90) / row_degrees), 0), rows - 1)
    middle = min(-90 + (row + 0.5) * row_degrees, 90.0)
    metres_per_degree_east = METRES_PER_DEGREE * math.cos(math.radians(middle))
    columns = max(1, math.floor(360 * metres_per_degree_east / cell_metres))
    column_degrees = 360 / columns
    column = min(max(math.floor((longitude + 180) / column_degrees), 0), columns - 1)
    centre = -180 + (column + 0.5) * column_degrees
    return Point(round(middle, 6), round(centre, 6))


def distance_metres(a: Point, b: Point) -> float:
    """The great-circle distance (haversine) on a sphere of the Earth's mean radius."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_METRES * math.asin(min(1.0, math.sqrt(h)))
