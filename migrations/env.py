"""Alembic environment: the app decides the database; the models decide the schema."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context

from engage import create_app
from engage.evaluation.models import is_search_object
from engage.extensions import db
from engage.models import Base

config = context.config
if config.config_file_name and not config.attributes.get("app"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

app = config.attributes.get("app") or create_app()


def run_migrations() -> None:
    with app.app_context(), db.engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
            compare_type=True,
            include_name=lambda name, type_, parent_names: not is_search_object(name),
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("engage migrations run online only: they need the app's database")
run_migrations()
