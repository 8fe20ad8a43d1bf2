"""Forms officers fill in to run co-design: processes, rounds, moderation and syntheses; and the
labels people see for the co-design enums, which the public pages use too.

The mission list of the new-process form is handed over by the view; no form reads the database."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # newer than the stubs
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from engage.codesign.models import (
    ContributionKind,
    Moderation,
    PriorityMethod,
    RoundKind,
    RoundStatus,
    Visibility,
)
from engage.codesign.moderation import ModerationAction
from engage.codesign.services import Phase
from engage.forms import BaseForm

# --- Labels people see for stored values; templates use these too -----------------------------

ROUND_KIND = {
    RoundKind.IDEAS: _l("Ideas"),
    RoundKind.STATEMENTS: _l("Statements to vote on"),
    RoundKind.DRAFT_REVIEW: _l("Draft review"),
    RoundKind.PRIORITIES: _l("Priorities"),
}
ROUND_KIND_HINT = {
    RoundKind.IDEAS: _l(
        "Residents post ideas, support each other's and discuss them. Nothing to prepare."
    ),
    RoundKind.STATEMENTS: _l(
        "Residents agree or disagree with short statements, one at a time, and may add their "
        "own; opinion groups are found in the votes. Prepare a few seed statements."
    ),
    RoundKind.DRAFT_REVIEW: _l(
        "Residents rate a draft and comment on each paragraph. Paste the draft, its paragraphs "
        "separated by a blank line."
    ),
    RoundKind.PRIORITIES: _l(
        "Residents rank options or share out points between them. List at least two options."
    ),
}
ROUND_STATUS = {
    RoundStatus.DRAFT: _l("Draft (only staff can see it)"),
    RoundStatus.OPEN: _l("Published"),
    RoundStatus.CLOSED: _l("Closed, awaiting its synthesis"),
    RoundStatus.SYNTHESISED: _l("Synthesis published"),
}
PHASE = {
    Phase.DRAFT: _l("Draft (only staff can see it)"),
    Phase.UPCOMING: _l("Not open yet"),
    Phase.OPEN: _l("Open"),
    Phase.ENDED: _l("Closing date passed"),
    Phase.CLOSED: _l("Closed"),
    Phase.SYNTHESISED: _l("Synthesis published"),
}
MODERATION = {
    Moderation.BEFORE: _l("Before publication: an officer approves each contribution first"),
    Moderation.AFTER: _l("After publication: contributions appear at once and can be hidden"),
}
PRIORITY_METHOD = {
    PriorityMethod.RANKING: _l("Ranking: residents put the options in order"),
    PriorityMethod.POINTS: _l("Points: residents share out a budget of points"),
}
VISIBILITY = {
    Visibility.PENDING: _l("Waiting for approval"),
    Visibility.VISIBLE: _l("Published"),
    Visibility.REPORTED: _l("Hidden after reports, awaiting review"),
    Visibility.HIDDEN: _l("Hidden by an officer"),
}
MODERATION_ACTION = {
    ModerationAction.APPROVE: _l("Approve"),
    ModerationAction.HIDE: _l("Hide"),
    ModerationAction.RESTORE: _l("Restore"),
}
CONTRIBUTION_KIND = {
    ContributionKind.IDEA: _l("Idea"),
    ContributionKind.STATEMENT: _l("Statement"),
    ContributionKind.OPTION: _l("Option"),
    ContributionKind.PARAGRAPH: _l("Paragraph of the draft"),
}

TEXT_MAX_LENGTH = 10_000
# A whole draft under review fits in the items box.
ITEMS_MAX_LENGTH = 50_000
MAX_POINTS = 10_000
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _choices(labels: dict[Any, Any]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


def _enum_choice(
    field_class: Any,
    label: Any,
    enum_type: Any,
    labels: dict[Any, Any],
    message: Any,
    **kwargs: Any,
) -> Any:
    """A radio group or select of an enum's values. Nothing chosen, or a value that is none of
    them, gets one message that says what to do."""
    return field_class(
        label,
        choices=_choices(labels),
        coerce=enum_type,
        invalid_choice_message=message,
        invalid_value_message=message,
        **kwargs,
    )


# --- Processes --------------------------------------------------------------------------------


class ProcessForm(BaseForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Give the process a title.")), Length(max=200)],
    )
    description = TextAreaField(
        _l("Description"),
        description=_l("What the process is for and how residents' input will be used."),
        validators=[Optional(), Length(max=TEXT_MAX_LENGTH)],
    )


class NewProcessForm(ProcessForm):
    mission_id = SelectField(
        _l("Mission"),
        coerce=int,
        validate_choice=True,
        validators=[InputRequired(_l("Choose the mission this process shapes."))],
    )

    def __init__(self, *args: Any, missions: Sequence[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mission_id.choices = [SelectChoice(mid, title) for mid, title in missions]


# --- Rounds -----------------------------------------------------------------------------------

# Fields an officer can change only while a round is a draft (the service refuses the rest).
PREPARED_FIELDS = ("kind", "priority_method", "points_budget", "items")


class RoundForm(BaseForm):
    kind = _enum_choice(
        RadioField, _l("Type of round"), RoundKind, ROUND_KIND, _l("Choose the type of round.")
    )
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Give the round a title.")), Length(max=200)]
    )
    prompt = TextAreaField(
        _l("Question or prompt"),
        description=_l("What residents are asked, shown at the top of the round."),
        validators=[DataRequired(_l("Write what residents are asked.")), Length(max=5000)],
    )
    opens_at = DateTimeLocalField(
        _l("Opens"),
        format=DATETIME_FORMAT,
        validators=[InputRequired(_l("Give the date and time the round opens."))],
    )
    closes_at = DateTimeLocalField(
        _l("Closes"),
        format=DATETIME_FORMAT,
        validators=[InputRequired(_l("Give the date and time the round closes."))],
    )
    moderation = _enum_choice(
        RadioField,
        _l("Moderation"),
        Moderation,
        MODERATION,
        _l("Choose how contributions are moderated."),
        default=Moderation.AFTER,
    )
    priority_method = _enum_choice(
        RadioField,
        _l("How residents set priorities"),
        PriorityMethod,
        PRIORITY_METHOD,
        _l("Choose ranking or points."),
        description=_l("Only for a priorities round."),
        default=PriorityMethod.RANKING,
    )
    points_budget = IntegerField(
        _l("Points each resident shares out"),
        description=_l("Only for a priorities round with points, for example 100."),
        validators=[
            Optional(),
            NumberRange(
                1, MAX_POINTS, _l("Give a whole number from 1 to %(max)s.", max=MAX_POINTS)
            ),
        ],
    )
    items = TextAreaField(
        _l("What residents respond to"),
        description=_l(
            "One statement or option per line. For a draft review, paste the draft with its "
            "paragraphs separated by a blank line. Leave empty for an ideas round."
        ),
        validators=[Optional(), Length(max=ITEMS_MAX_LENGTH)],
    )

    def __init__(self, *args: Any, prepared_editable: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not prepared_editable:
            # Once residents take part, the round's type and prepared items stay as they are.
            for name in PREPARED_FIELDS:
                delattr(self, name)

    def item_list(self) -> list[str]:
        """The items as typed: a draft's paragraphs are separated by a blank line, statements
        and options by a line break."""
        return split_items(self.items.data or "", self.kind.data)


def split_items(text: str, kind: RoundKind | None) -> list[str]:
    text = text.replace("\r\n", "\n")
    parts = re.split(r"\n[ \t]*\n", text) if kind is RoundKind.DRAFT_REVIEW else text.split("\n")
    return [part.strip() for part in parts if part.strip()]


def join_items(items: Sequence[str], kind: RoundKind) -> str:
    """The text ``split_items`` turns back into ``items``, for editing."""
    return ("\n\n" if kind is RoundKind.DRAFT_REVIEW else "\n").join(items)


class RoundStatusForm(BaseForm):
    # Sent by the Open or Close button.
    action = SelectField(
        _l("Action"),
        choices=[SelectChoice("open", _l("Open round")), SelectChoice("close", _l("Close round"))],
    )


class MoveRoundForm(BaseForm):
    # Sent by the Move earlier or Move later button: the round's new place is one step away.
    direction = SelectField(
        _l("Direction"),
        choices=[SelectChoice("up", _l("Earlier")), SelectChoice("down", _l("Later"))],
    )

    @property
    def offset(self) -> int:
        return -1 if self.direction.data == "up" else 1


# --- Moderation and syntheses -----------------------------------------------------------------


class ModerationForm(BaseForm):
    # Sent by the button pressed: approve, hide or restore.
    action = _enum_choice(
        SelectField,
        _l("Decision"),
        ModerationAction,
        MODERATION_ACTION,
        _l("Choose to approve, hide or restore."),
    )
    reason = TextAreaField(
        _l("Reason people will see"),
        description=_l("Needed to hide or restore; shown in place of a hidden item."),
        validators=[Optional(), Length(max=2000)],
    )

    def identify(self, key: str) -> ModerationForm:
        """Give this item's fields ids of their own: the queue page holds one form per item."""
        for field in (self.action, self.reason):
            field.id = f"{key}-{field.name}"
            field.label.field_id = field.id
        return self


SYNTHESIS_ACTIONS = {"save": _l("Save draft"), "publish": _l("Publish")}


class SynthesisForm(BaseForm):
    text = TextAreaField(
        _l("Synthesis"),
        description=_l(
            "What you made of the round and why. Cite contributions by their number, like #12: "
            "each citation links to it, and its author can follow what became of it."
        ),
        validators=[DataRequired(_l("Write the synthesis.")), Length(max=TEXT_MAX_LENGTH * 2)],
    )
    new_version = BooleanField(
        _l("Publish a new mission statement version with it"),
        description=_l(
            "When you publish, the statement below becomes the mission's new version, with the "
            "synthesis as its rationale and the cited contributions as its sources."
        ),
    )
    statement = TextAreaField(
        _l("New mission statement"),
        validators=[Optional(), Length(max=TEXT_MAX_LENGTH)],
    )
    # Sent by the button pressed: save or publish.
    action = SelectField(
        _l("Action"),
        choices=_choices(SYNTHESIS_ACTIONS),
        invalid_choice_message=_l("Choose to save or to publish."),  # type: ignore[call-arg]  # newer than the stubs
    )

    def validate(self, extra_validators: Any = None) -> bool:
        valid: bool = super().validate(extra_validators)
        if (
            valid
            and self.action.data == "publish"
            and self.new_version.data
            and not self.statement.data
        ):
            self.statement.errors = [
                *self.statement.errors,
                gettext("Write the new statement, or untick the box above."),
            ]
            valid = False
        return valid

    @property
    def publishing(self) -> bool:
        return bool(self.action.data == "publish")

    def new_statement(self) -> str | None:
        return (self.statement.data or None) if self.new_version.data else None
