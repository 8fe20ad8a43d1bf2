"""Forms of the members' workspace: starting, revising and commenting on a draft recommendation,
and recording its adoption at a meeting."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # newer than the stubs
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from engage.advisory.models import DraftStatus
from engage.forms import BaseForm

DRAFT_STATUS = {
    DraftStatus.DRAFTING: _l("Being drafted"),
    DraftStatus.ADOPTED: _l("Adopted"),
    DraftStatus.WITHDRAWN: _l("Withdrawn"),
}

TEXT_MAX = 20_000
COMMENT_MAX = 5_000


def _wording(label: Any) -> TextAreaField:
    return TextAreaField(
        label,
        validators=[DataRequired(_l("Write the recommendation.")), Length(max=TEXT_MAX)],
        description=_l("What the group recommends the city does, and why."),
    )


class DraftForm(BaseForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Give the recommendation a title.")), Length(max=200)],
        description=_l("The recommendation in a few words."),
    )
    text = _wording(_l("Recommendation"))


class RevisionForm(BaseForm):
    text = _wording(_l("New wording"))
    note = StringField(
        _l("What changed"),
        validators=[DataRequired(_l("Say in a line what changed.")), Length(max=300)],
        description=_l("One line, for example “Added a date for the first school streets.”"),
    )


class CommentForm(BaseForm):
    comment = TextAreaField(
        _l("Your comment"),
        validators=[DataRequired(_l("Write your comment.")), Length(max=COMMENT_MAX)],
    )


class AdoptionForm(BaseForm):
    meeting_id = SelectField(
        _l("Adopted at the meeting"),
        coerce=int,
        validators=[InputRequired(_l("Choose the meeting at which the group adopted it."))],
        description=_l("Meetings that have taken place or are under way."),
    )
    response_due = DateField(
        _l("Response due by (optional)"),
        validators=[Optional()],
        description=_l("Leave it empty for the usual eight weeks after the meeting."),
    )
    mission_id = SelectField(
        _l("Mission"),
        coerce=int,
        validators=[InputRequired(_l("Choose the mission whose register receives it."))],
        description=_l(
            "This group advises the whole city: choose the mission that answers this"
            " recommendation in its register."
        ),
    )

    def __init__(
        self,
        *args: Any,
        meetings: Sequence[tuple[int, str]],
        missions: Sequence[tuple[int, str]] | None,
        **kwargs: Any,
    ) -> None:
        """``missions`` is None for a mission's own group, whose register is its mission's."""
        super().__init__(*args, **kwargs)
        self.meeting_id.choices = [SelectChoice(value, label) for value, label in meetings]
        if missions is None:
            del self.mission_id
        else:
            self.mission_id.choices = [SelectChoice(value, label) for value, label in missions]
