"""`engage advisory`: commands for standing advisory groups, run by an operator or from cron."""

from __future__ import annotations

import sys
from datetime import date, datetime

import click
from flask import current_app, render_template
from flask.cli import AppGroup
from flask_babel import gettext

from engage.advisory import workspace
from engage.mail import Mail


@click.group("advisory", cls=AppGroup)
def advisory_group() -> None:
    """Standing advisory groups."""


def reminder_mail(reminder: workspace.Reminder) -> Mail:
    """The reminder as an e-mail, in the deployment's language, with links to where the officer
    records each response."""
    assert reminder.officer is not None  # only reminders with an officer are sent
    # Outside a request, a request context at the public address builds the links and gives the
    # default locale.
    with current_app.test_request_context("/", base_url=current_app.config["BASE_URL"]):
        return Mail(
            to=reminder.officer.email,
            subject=gettext(
                "Overdue responses to advisory group recommendations (%(num)s)",
                num=len(reminder.entries),
            ),
            body=render_template("advisory/workspace/reminder_mail.txt", reminder=reminder),
        )


@advisory_group.command("remind")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The date to count overdue responses from (default: today), as YYYY-MM-DD.",
)
def advisory_remind(today: datetime | None) -> None:
    """E-mail each responsible officer the advisory groups' recommendations whose response is
    overdue (run it daily or weekly, e.g. from cron). Exit status 1 if a reminder could not go."""
    from engage import mail
    from engage.extensions import db

    day = today.date() if today else date.today()
    reminders = workspace.remind_overdue(
        db.session, day, lambda reminder: mail.send(reminder_mail(reminder))
    )
    if not reminders:
        click.echo(f"No overdue response on {day.isoformat()}: no reminder sent.")
        return
    for reminder in reminders:
        count = len(reminder.entries)
        groups = ", ".join(overdue.group.name for overdue in reminder.groups)
        officer = reminder.officer
        failed = officer is None or not reminder.sent
        if officer is not None and reminder.sent:
            click.echo(f"Reminded {officer.email} of {count} overdue response(s): {groups}")
        else:
            click.echo(
                f"Not sent ({reminder.failure}): {count} overdue response(s): {groups}", err=True
            )
        for entry in reminder.entries:
            click.echo(f"  - {entry.title} (due {entry.response_due.isoformat()})", err=failed)
    if not all(reminder.sent for reminder in reminders):
        sys.exit(1)
