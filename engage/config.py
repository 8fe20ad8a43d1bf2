"""Configuration: defaults, overridden by ENGAGE_* environment variables, then by create_app(config)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

# Every setting a deployment may change, with its default and what it does. The README's
# configuration table is this list.
SETTINGS: dict[str, tuple[str, str]] = {
    "ENGAGE_ENV": ("development", "development or production (production turns on secure cookies)"),
    "ENGAGE_SECRET_KEY": ("", "signs sessions, CSRF and reset tokens; required in production"),
    "ENGAGE_DATABASE_URL": ("", "SQLAlchemy URL; default sqlite:///instance/engage.sqlite3"),
    "ENGAGE_INSTANCE_PATH": (
        "",
        "folder for the SQLite file and the development secret; default instance/",
    ),
    "ENGAGE_JOB_RUNNER": ("thread", "thread (in the web process) or rq (separate workers)"),
    "ENGAGE_REDIS_URL": ("redis://127.0.0.1:6379/0", "Redis for the rq job runner"),
    "ENGAGE_RATELIMIT_STORAGE_URL": (
        "memory://",
        "where sign-in attempts are counted; redis://… in production",
    ),
    "ENGAGE_MAIL_BACKEND": ("log", "log (write mail to the log), smtp, or memory (tests)"),
    "ENGAGE_MAIL_SENDER": ("engage@localhost", "From: address of outgoing mail"),
    "ENGAGE_SMTP_HOST": ("localhost", "SMTP server for the smtp mail backend"),
    "ENGAGE_SMTP_PORT": ("587", "SMTP port"),
    "ENGAGE_SMTP_USERNAME": ("", "SMTP user name (empty: no login)"),
    "ENGAGE_SMTP_PASSWORD": ("", "SMTP password"),
    "ENGAGE_SMTP_STARTTLS": ("true", "use STARTTLS"),
    "ENGAGE_BASE_URL": ("http://127.0.0.1:5000", "public address, used in links sent by e-mail"),
    "ENGAGE_DEFAULT_LOCALE": ("en", "language shown when the browser asks for none we have"),
    "ENGAGE_PROXY_COUNT": (
        "0",
        "reverse proxies in front of the app whose X-Forwarded-* headers to trust",
    ),
    "ENGAGE_MAP_TILE_URL": (
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "map tiles ({z}/{x}/{y} template); empty: maps show points on a plain background",
    ),
    "ENGAGE_MAP_ATTRIBUTION": (
        "© OpenStreetMap contributors",
        "the credit the tile server requires, shown on every map",
    ),
    "ENGAGE_SOURCE_URL": (
        "",
        "where users can get this deployment's source code (AGPL section 13)",
    ),
}


def _env(name: str) -> str:
    return os.environ.get(name, SETTINGS[name][0])


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def default_database_url(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "engage.sqlite3")


def load(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the Flask config mapping from defaults, the environment and explicit overrides."""
    env = _env("ENGAGE_ENV")
    production = env == "production"
    secret = _env("ENGAGE_SECRET_KEY")
    if not secret:
        if production:
            raise RuntimeError("ENGAGE_SECRET_KEY must be set when ENGAGE_ENV=production")
        secret = _development_secret(instance_path)
    config: dict[str, Any] = {
        "ENGAGE_ENV": env,
        "SECRET_KEY": secret,
        "DATABASE_URL": _env("ENGAGE_DATABASE_URL") or default_database_url(instance_path),
        "JOB_RUNNER": _env("ENGAGE_JOB_RUNNER"),
        "REDIS_URL": _env("ENGAGE_REDIS_URL"),
        "RATELIMIT_STORAGE_URI": _env("ENGAGE_RATELIMIT_STORAGE_URL"),
        # Always given: Flask-Limiter's limiter is one object shared by every app in a process,
        # and keeps an earlier app's value for any setting a later app leaves out.
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_HEADERS_ENABLED": False,
        "MAIL_BACKEND": _env("ENGAGE_MAIL_BACKEND"),
        "MAIL_SENDER": _env("ENGAGE_MAIL_SENDER"),
        "SMTP_HOST": _env("ENGAGE_SMTP_HOST"),
        "SMTP_PORT": int(_env("ENGAGE_SMTP_PORT")),
        "SMTP_USERNAME": _env("ENGAGE_SMTP_USERNAME"),
        "SMTP_PASSWORD": _env("ENGAGE_SMTP_PASSWORD"),
        "SMTP_STARTTLS": _flag(_env("ENGAGE_SMTP_STARTTLS")),
        "BASE_URL": _env("ENGAGE_BASE_URL"),
        "BABEL_DEFAULT_LOCALE": _env("ENGAGE_DEFAULT_LOCALE"),
        "PROXY_COUNT": int(_env("ENGAGE_PROXY_COUNT")),
        "SOURCE_URL": _env("ENGAGE_SOURCE_URL"),
        "MAP_TILE_URL": _env("ENGAGE_MAP_TILE_URL"),
        "MAP_ATTRIBUTION": _env("ENGAGE_MAP_ATTRIBUTION"),
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "PASSWORD_RESET_MAX_AGE": 60 * 60,
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,  # tied to the session instead, so long forms do not expire
    }
    config.update(overrides or {})
    return config


def _development_secret(instance_path: str) -> str:
    """A per-installation random key kept in instance/, so development sessions survive restarts."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
