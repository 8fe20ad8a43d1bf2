"""Typed coordinates, the ~500 m grid the public sees, and distances."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from engage.appraisals.geo import (
    METRES_PER_DEGREE,
    Point,
    distance_metres,
    generalise,
    parse_point,
)


@pytest.mark.parametrize(
    ("latitude", "longitude", "point"),
    [
        ("51.55", "-0.14", Point(51.55, -0.14)),
        (" 51,55 ", "-0,14", Point(51.55, -0.14)),
        ("-90", "180", Point(-90.0, 180.0)),
        ("0", "-180", Point(0.0, -180.0)),
        ("+12.5", ".5", Point(12.5, 0.5)),
    ],
)
def test_coordinates_in_decimal_degrees_are_read(
    latitude: str, longitude: str, point: Point
) -> None:
    assert parse_point(latitude, longitude) == (point, {})


def test_no_point_at_all_is_no_point() -> None:
    assert parse_point("", "  ") == (None, {})


@pytest.mark.parametrize(
    ("latitude", "longitude", "wrong"),
    [
        ("91", "0", {"latitude"}),
        ("-90.0001", "0", {"latitude"}),
        ("0", "180.5", {"longitude"}),
        ("north", "0", {"latitude"}),
        ("nan", "inf", {"latitude", "longitude"}),
        ("1e2", "0", {"latitude"}),
        ("51.5", "", {"longitude"}),
        ("", "-0.1", {"latitude"}),
        ("5" * 400, "0", {"latitude"}),
    ],
)
def test_a_bad_or_half_given_point_is_refused_beside_its_box(
    latitude: str, longitude: str, wrong: set[str]
) -> None:
    point, errors = parse_point(latitude, longitude)

    assert point is None
    assert set(errors) == wrong


def test_the_distance_between_two_points() -> None:
    # One degree of latitude is about 111 km; London to Paris about 344 km.
    assert distance_metres(Point(0, 0), Point(1, 0)) == pytest.approx(111_195, rel=1e-4)
    assert distance_metres(Point(51.5074, -0.1278), Point(48.8566, 2.3522)) == pytest.approx(
        343_500, rel=0.01
    )
    assert distance_metres(Point(10, 20), Point(10, 20)) == 0


@pytest.mark.parametrize("latitude", [0.0, 51.55, -33.9, 64.1, 78.2])
def test_grid_cells_are_about_500_metres_square_everywhere(latitude: float) -> None:
    centre = generalise(latitude, 10.0)
    # Step out of the cell northwards and eastwards: the next centres lie one cell away. (The
    # next row has its own columns, so only its latitude is compared.)
    row_step = 500 / METRES_PER_DEGREE
    north = generalise(centre.latitude + row_step, centre.longitude)
    column_step = 500 / (METRES_PER_DEGREE * math.cos(math.radians(centre.latitude)))
    east = generalise(centre.latitude, centre.longitude + column_step * 1.01)

    assert (north.latitude - centre.latitude) * METRES_PER_DEGREE == pytest.approx(500, abs=1)
    assert east.latitude == centre.latitude
    assert 500 <= distance_metres(centre, east) < 505


def test_every_point_of_a_cell_gives_its_centre_never_far_from_the_point() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        point = Point(rng.uniform(-80, 80), rng.uniform(-180, 180))
        centre = generalise(point.latitude, point.longitude)
        assert distance_metres(point, centre) <= 500 * math.sqrt(2) / 2 + 2
        assert generalise(centre.latitude, centre.longitude) == centre


def test_points_close_together_usually_share_a_cell_and_the_public_cannot_tell_them_apart() -> None:
    near_school = [
        (51.5550 + dy, -0.1420 + dx) for dy, dx in itertools.product((0, 0.0004), repeat=2)
    ]
    centres = {generalise(lat, lon) for lat, lon in near_school}

    assert len(centres) <= 2
    assert all((c.latitude, c.longitude) not in near_school for c in centres)


def test_the_grid_holds_at_the_poles_and_the_antimeridian() -> None:
    for latitude, longitude in [(90, 0), (-90, 45), (89.9999, 179.9999), (0, 180), (0, -180)]:
        centre = generalise(latitude, longitude)
        assert -90 <= centre.latitude <= 90
        assert -180 <= centre.longitude <= 180
        assert distance_metres(Point(latitude, longitude), centre) < 600
