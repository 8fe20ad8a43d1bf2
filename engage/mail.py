"""Outgoing mail through a configurable backend: the log (development), SMTP, or memory (tests)."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from flask import Flask, current_app

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


class LogBackend:
    def send(self, mail: Mail) -> None:
        log.warning("Mail to %s: %s\n%s", mail.to, mail.subject, mail.body)


class MemoryBackend:
    def __init__(self) -> None:
        self.outbox: list[Mail] = []

    def send(self, mail: Mail) -> None:
        self.outbox.append(mail)


class SMTPBackend:
    def __init__(self, app: Flask) -> None:
        self.config = app.config

    def send(self, mail: Mail) -> None:
        message = EmailMessage()
        message["From"] = self.config["MAIL_SENDER"]
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message.set_content(mail.body)
        with smtplib.SMTP(self.config["SMTP_HOST"], self.config["SMTP_PORT"], timeout=30) as smtp:
            if self.config["SMTP_STARTTLS"]:
                smtp.starttls()
            if self.config["SMTP_USERNAME"]:
                smtp.login(self.config["SMTP_USERNAME"], self.config["SMTP_PASSWORD"])
            smtp.send_message(message)


MailBackend = LogBackend | MemoryBackend | SMTPBackend


def make_backend(app: Flask) -> MailBackend:
    name = app.config["MAIL_BACKEND"]
    if name == "log":
        return LogBackend()
    if name == "memory":
        return MemoryBackend()
    if name == "smtp":
        return SMTPBackend(app)
    raise RuntimeError(f"ENGAGE_MAIL_BACKEND must be log, smtp or memory, not {name!r}")


def send(mail: Mail) -> None:
    backend: MailBackend = current_app.extensions["engage.mail"]
    backend.send(mail)
