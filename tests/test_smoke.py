from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.factories import make_mission


def test_public_mission_page_shows_current_statement(client: FlaskClient, session: Session) -> None:
    mission = make_mission(session, statements=("First words.", "Second, better words."))
    page = client.get(f"/missions/{mission.slug}")
    assert page.status_code == 200
    assert "Second, better words." in page.get_data(as_text=True)
