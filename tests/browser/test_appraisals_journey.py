"""A citizen-science project walked in Chromium: an officer builds its form; a resident sends an
air-quality reading with a photo and a point clicked on the map, then a reading out of range that
comes back with the error beside the field; an evaluator approves the first; the public map and
list show it; and the GeoJSON export holds it, longitude first, as RFC 7946 asks."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import geojson  # type: ignore[import-untyped]  # no types published
import pytest
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import FilePayload, Page, expect

from engage.appraisals.models import Photo, Submission
from engage.security import Role
from tests.browser.conftest import LiveServer, Tab, sign_in
from tests.factories import make_area, make_mission, make_user

# Kentish Town, as (west, south, east, north): the resident's point falls inside it.
AREA_BOX = (-0.15, 51.54, -0.13, 51.56)
CAMERA = "Engage Test Camera"
READING_LABEL = "PM2.5 reading (µg/m³)"
# The public point is the centre of a ~500 m cell: at most ~355 m from the real one.
GENERALISED_DEGREES = 0.006


@pytest.mark.browser
def test_a_citizen_science_observation_from_the_form_builder_to_the_geojson_export(
    live_server: LiveServer, new_tab: Callable[[], Tab]
) -> None:
    with live_server.session() as session:
        officer = make_user(session, role=Role.OFFICER, display_name="Olu Officer")
        resident = make_user(session, display_name="Amira")
        evaluator = make_user(session, role=Role.EVALUATOR, display_name="Eve Evaluator")
        mission = make_mission(session, title="Healthy streets")
        make_area(session, mission, name="Kentish Town", box=AREA_BOX)
        mission_slug = mission.slug
        emails = {
            "officer": officer.email,
            "resident": resident.email,
            "evaluator": evaluator.email,
        }

    # The officer creates the project and builds its form, question by question.
    officer_tab = new_tab()
    page = officer_tab.page
    sign_in(page, emails["officer"])
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Citizen science").click()
    page.get_by_role("link", name="New project").click()
    page.get_by_label("Mission").select_option(label="Healthy streets")
    page.get_by_label("Title").fill("Air near schools")
    page.get_by_label("Summary").fill("Residents measure fine particles outside schools.")
    page.get_by_label("Protocol").fill("Hold the sensor at head height for one minute.")
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_role("status").first).to_contain_text("Project created")
    _add_question(
        page,
        "Decimal number",
        "PM2.5 reading",
        name="pm25",
        required=True,
        unit="µg/m³",
        low="0",
        high="1000",
    )
    _add_question(page, "Location (a point on a map)", "Where were you?", required=True)
    _add_question(page, "Photo (JPEG or PNG)", "Photo of the sensor")
    questions = page.get_by_role("region", name="Questions")
    expect(questions.get_by_role("listitem")).to_have_count(3)
    expect(questions).to_contain_text("Allowed: from 0 to 1,000.")
    page.get_by_role("button", name="Open the project to residents").click()
    expect(page.get_by_role("status").first).to_contain_text("The project is open")
    page.get_by_role("link", name="Air near schools").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Air near schools")
    project_url = page.url
    assert officer_tab.console_errors == []

    # A resident sends a reading with a photo, placing the point by clicking the map.
    resident_tab = new_tab()
    page = resident_tab.page
    sign_in(page, emails["resident"])
    page.goto(f"/missions/{mission_slug}")
    page.get_by_role("link", name=re.compile("^Citizen science: measure")).click()
    page.get_by_role("link", name="Air near schools").click()
    page.get_by_role("link", name="Send an observation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Send an observation")
    page.get_by_label(READING_LABEL).fill("35.5")
    picker = page.get_by_role("region", name="Map for placing your point")
    expect(picker).to_be_visible()
    expect(page.get_by_label("Latitude")).to_have_value("")
    picker.click()  # the middle of the map, which is fitted to the mission's area
    expect(page.get_by_title("Your point")).to_be_visible()
    latitude = float(page.get_by_label("Latitude").input_value())
    longitude = float(page.get_by_label("Longitude").input_value())
    west, south, east, north = AREA_BOX
    assert south < latitude < north and west < longitude < east, (latitude, longitude)
    page.get_by_label(re.compile("^Photo of the sensor")).set_input_files(_photo("sensor.jpg"))
    page.get_by_role("button", name="Send the observation").click()
    expect(page.get_by_role("status").first).to_contain_text("your observation is stored")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"Observation \d+"))
    expect(page.get_by_text("35.5 µg/m³", exact=True)).to_be_visible()
    photo = page.get_by_role("img", name="Photo for “Photo of the sensor”")
    expect(photo).to_be_visible()
    assert photo.evaluate("image => image.complete && image.naturalWidth") > 0
    full = page.get_by_role("link", name=re.compile("The full photo"))
    stored = page.request.get(str(full.get_attribute("href")))
    assert stored.ok and stored.headers["content-type"] == "image/jpeg"
    assert CAMERA.encode() not in stored.body()
    assert not Image.open(io.BytesIO(stored.body())).getexif(), "EXIF is stripped"

    # ... then another, whose reading is out of range: it comes back with the error beside the
    # field and what was typed, and nothing is stored.
    page.get_by_role("link", name="Send another observation").click()
    reading = page.get_by_label(READING_LABEL)
    reading.fill("2000")
    page.get_by_label("Latitude").fill(f"{latitude:.6f}")
    page.get_by_label("Longitude").fill(f"{longitude:.6f}")
    page.get_by_label(re.compile("^Photo of the sensor")).set_input_files(_photo("again.jpg"))
    page.get_by_role("button", name="Send the observation").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(reading).to_have_value("2000")
    expect(reading).to_have_attribute("aria-invalid", "true")
    described_by = str(reading.get_attribute("aria-describedby")).split()
    error_ids = [id_ for id_ in described_by if id_.endswith("-error")]
    assert len(error_ids) == 1, described_by
    error = page.locator(f"[id='{error_ids[0]}']")
    expect(error).to_be_visible()
    expect(error).to_contain_text("Enter a value from 0 µg/m³ to 1000 µg/m³.")
    expect(page.get_by_label("Latitude")).to_have_value(f"{latitude:.6f}")
    with live_server.session() as session:
        assert session.scalar(sa.select(sa.func.count(Submission.id))) == 1
        assert session.scalar(sa.select(sa.func.count(Photo.id))) == 1
    assert resident_tab.console_errors == [] and resident_tab.csp_violations == []

    # An evaluator finds it in the review queue and approves it.
    evaluator_tab = new_tab()
    page = evaluator_tab.page
    sign_in(page, emails["evaluator"])
    page.goto(project_url)
    page.get_by_role("link", name="Review submissions").click()
    expect(page.get_by_role("status").first).to_contain_text("1 submission matches")
    page.get_by_role("link", name=re.compile(r"^#\d+$")).click()
    expect(page.get_by_role("region", name="Answers")).to_contain_text("35.5 µg/m³")
    expect(
        page.get_by_role("img", name=re.compile("Photo for “Photo of the sensor”"))
    ).to_be_visible()
    page.get_by_label("Approved", exact=True).check()
    page.get_by_role("button", name="Save the review").click()
    expect(page.get_by_role("status").first).to_contain_text("the submission is now “Approved”")
    expect(page.get_by_role("region", name="History")).to_contain_text("Eve Evaluator")
    assert evaluator_tab.console_errors == [] and evaluator_tab.csp_violations == []

    # Anyone sees it on the map, and the same observation in the list.
    public = new_tab()
    page = public.page
    page.goto(project_url)
    page.get_by_role("link", name="Map of approved observations").click()
    observations_map = page.get_by_role("region", name="Map of approved observations")
    expect(page.get_by_role("status")).to_have_text("One observation on the map.")
    # The points are drawn on a canvas (there are too many for one element each): the fitted map
    # is centred on the only one, so a click in the middle opens its popup.
    expect(observations_map.locator("canvas")).to_be_visible()
    observations_map.click()
    expect(observations_map.get_by_text("Observations here: 1.")).to_be_visible()
    expect(observations_map.get_by_role("listitem")).to_contain_text(
        "Kentish Town · PM2.5 reading: 35.5 µg/m³"
    )
    observations_map.get_by_role("link", name="See it in the list").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Observations")
    expect(page.get_by_role("status")).to_have_text("1 approved observation.")
    table = page.get_by_role("table", name="Approved observations, newest first")
    row = table.get_by_role("row").filter(has_text="35.5 µg/m³")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Kentish Town")
    expect(row).to_contain_text("location shown to ~500 m")
    assert public.console_errors == [] and public.csp_violations == []

    # The officer exports the approved observations as GeoJSON.
    page = officer_tab.page
    page.goto(project_url)
    page.get_by_role("link", name="Review submissions").click()
    page.get_by_role("navigation", name="Review and exports").get_by_role(
        "link", name="Export", exact=True
    ).click()
    page.get_by_label(re.compile("^GeoJSON")).check()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".geojson")
    text = Path(download.path()).read_text(encoding="utf-8")
    assert geojson.loads(text).is_valid
    collection = json.loads(text)
    assert collection["type"] == "FeatureCollection"
    [feature] = collection["features"]
    assert feature["geometry"]["type"] == "Point"
    exported_longitude, exported_latitude = feature["geometry"]["coordinates"]
    assert abs(exported_longitude - longitude) < GENERALISED_DEGREES, "longitude comes first"
    assert abs(exported_latitude - latitude) < GENERALISED_DEGREES
    properties = feature["properties"]
    assert all(not isinstance(value, dict | list) for value in properties.values()), "flat"
    assert properties["pm25"] == 35.5
    assert properties["state"] == "approved"
    assert properties["location_generalised"] is True
    assert properties["area"] == "Kentish Town"
    assert "Amira" not in text and emails["resident"] not in text
    assert officer_tab.console_errors == [] and officer_tab.csp_violations == []


def _add_question(
    page: Page,
    type_label: str,
    label: str,
    *,
    name: str = "",
    required: bool = False,
    unit: str = "",
    low: str = "",
    high: str = "",
) -> None:
    page.get_by_label("Type of answer").select_option(label=type_label)
    page.get_by_label("Question", exact=True).fill(label)
    if name:
        page.get_by_label("Name in exports").fill(name)
    if required:
        page.get_by_label("An answer is required").check()
    if unit:
        page.get_by_label("Unit (numbers only)").fill(unit)
    if low:
        page.get_by_label("Lowest allowed value (numbers only)").fill(low)
    if high:
        page.get_by_label("Highest allowed value (numbers only)").fill(high)
    page.get_by_role("button", name="Add question").click()
    expect(page.get_by_role("status").first).to_contain_text(f"Question “{label}” added")


def _photo(name: str) -> FilePayload:
    """A small JPEG with EXIF metadata (the camera's make), as a phone would send."""
    image = Image.new("RGB", (64, 48), (90, 140, 60))
    exif = Image.Exif()
    exif[0x010F] = CAMERA  # Make
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    assert CAMERA.encode() in buffer.getvalue()
    return {"name": name, "mimeType": "image/jpeg", "buffer": buffer.getvalue()}
