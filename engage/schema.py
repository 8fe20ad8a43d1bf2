"""Schema migrations through Alembic, for the command line and the tests."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from flask import Flask

from engage import PROJECT_ROOT


def alembic_config(app: Flask) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["app"] = app
    return config


def upgrade(app: Flask, revision: str = "head") -> None:
    command.upgrade(alembic_config(app), revision)


def downgrade(app: Flask, revision: str) -> None:
    command.downgrade(alembic_config(app), revision)
