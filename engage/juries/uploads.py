"""Uploaded pool files kept between the preview and the officer's confirmation.

The preview page must import exactly the files it showed, without asking for them again. They
wait in the instance folder under a random token (``<base>/<jury id>/<token>/``), readable only by
the server's user, and are deleted after the import, or an hour after upload at the next upload
or preview of any upload, and all of a jury's at once when its personal data is purged (they
hold personal data, so they never linger). Nothing here knows Flask or the database.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

LIFETIME_SECONDS = 3600
FOLDER = "jury-uploads"  # inside the app's instance folder
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


@dataclass(frozen=True)
class StagedUpload:
    people: bytes
    quotas: bytes | None
    replace: bool


def base_folder(instance_path: str | Path) -> Path:
    """Where uploads wait, given the app's instance folder."""
    return Path(instance_path) / FOLDER


def _folder(base: Path, jury_id: int, token: str) -> Path | None:
    if not _TOKEN.fullmatch(token):
        return None
    return base / str(jury_id) / token


def _write(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def sweep(base: Path, *, now: float | None = None) -> None:
    """Delete uploads older than their lifetime."""
    now = time.time() if now is None else now
    try:
        folders = [folder for jury in base.iterdir() if jury.is_dir() for folder in jury.iterdir()]
    except OSError:  # no uploads yet, or a folder removed by another request meanwhile
        return
    for folder in folders:
        try:
            expired = now - folder.stat().st_mtime > LIFETIME_SECONDS
        except OSError:
            continue
        if expired:
            shutil.rmtree(folder, ignore_errors=True)


def stage(base: Path, jury_id: int, people: bytes, quotas: bytes | None, *, replace: bool) -> str:
    """Keep the files; return the token that finds them again."""
    sweep(base)
    token = secrets.token_urlsafe(24)
    folder = base / str(jury_id) / token
    folder.mkdir(parents=True, mode=0o700)
    _write(folder / "people.csv", people)
    if quotas is not None:
        _write(folder / "quotas.csv", quotas)
    _write(folder / "meta.json", json.dumps({"replace": replace}).encode())
    return token


def load(base: Path, jury_id: int, token: str, *, now: float | None = None) -> StagedUpload | None:
    """The staged files, or None when the token is unknown, expired or already used. Sweeps
    away every expired upload too, so one abandoned at its preview does not wait for the next
    upload."""
    now = time.time() if now is None else now
    sweep(base, now=now)
    folder = _folder(base, jury_id, token)
    if folder is None or not (folder / "people.csv").is_file():
        return None
    quotas_path = folder / "quotas.csv"
    try:
        meta = json.loads((folder / "meta.json").read_text())
        return StagedUpload(
            people=(folder / "people.csv").read_bytes(),
            quotas=quotas_path.read_bytes() if quotas_path.is_file() else None,
            replace=bool(meta.get("replace")),
        )
    except (OSError, ValueError):
        return None


def discard(base: Path, jury_id: int, token: str) -> None:
    folder = _folder(base, jury_id, token)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def discard_jury(base: Path, jury_id: int) -> None:
    """Delete every upload staged for this jury (when its personal data is purged)."""
    shutil.rmtree(base / str(jury_id), ignore_errors=True)
