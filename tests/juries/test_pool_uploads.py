"""Uploaded pool files waiting for the officer's confirmation (engage/juries/uploads.py)."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

from engage.juries import uploads


def test_staged_files_come_back_once_and_only_for_their_jury(tmp_path: Path) -> None:
    token = uploads.stage(
        tmp_path, 7, b"id,gender\n1,f\n", b"feature,value,min,max\n", replace=True
    )

    staged = uploads.load(tmp_path, 7, token)
    assert staged == uploads.StagedUpload(b"id,gender\n1,f\n", b"feature,value,min,max\n", True)
    assert uploads.load(tmp_path, 8, token) is None  # another jury's address
    people = tmp_path / "7" / token / "people.csv"
    assert stat.S_IMODE(people.stat().st_mode) == 0o600  # personal data: the server's user only

    uploads.discard(tmp_path, 7, token)
    assert uploads.load(tmp_path, 7, token) is None
    assert not (tmp_path / "7" / token).exists()


def test_a_people_file_alone_is_staged_without_quotas(tmp_path: Path) -> None:
    token = uploads.stage(tmp_path, 1, b"id\n1\n", None, replace=False)
    assert uploads.load(tmp_path, 1, token) == uploads.StagedUpload(b"id\n1\n", None, False)


def test_tokens_cannot_reach_outside_the_upload_folder(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "people.csv").write_bytes(b"not yours")
    base = tmp_path / "uploads"
    for token in ("../secret", "..", "", "a/b", "x" * 65, "short"):
        assert uploads.load(base, 1, token) is None
        uploads.discard(base, 1, token)
    assert (secret / "people.csv").exists()


def test_uploads_expire_after_an_hour(tmp_path: Path) -> None:
    old = uploads.stage(tmp_path, 1, b"old", None, replace=False)
    hour_ago = time.time() - uploads.LIFETIME_SECONDS - 1
    os.utime(tmp_path / "1" / old, (hour_ago, hour_ago))
    assert uploads.load(tmp_path, 1, old) is None
    assert not (tmp_path / "1" / old).exists()

    forgotten = uploads.stage(tmp_path, 2, b"forgotten", None, replace=False)
    os.utime(tmp_path / "2" / forgotten, (hour_ago, hour_ago))
    fresh = uploads.stage(tmp_path, 3, b"new", None, replace=False)  # sweeps the old ones
    assert not (tmp_path / "2" / forgotten).exists()
    assert uploads.load(tmp_path, 3, fresh) is not None


def test_loading_sweeps_away_abandoned_uploads_too(tmp_path: Path) -> None:
    fresh = uploads.stage(tmp_path, 2, b"fresh", None, replace=False)
    abandoned = uploads.stage(tmp_path, 3, b"left at its preview", None, replace=False)
    hour_ago = time.time() - uploads.LIFETIME_SECONDS - 1
    os.utime(tmp_path / "3" / abandoned, (hour_ago, hour_ago))  # expired since the last upload

    assert uploads.load(tmp_path, 2, fresh) is not None  # the preview of another upload ...
    assert not (tmp_path / "3" / abandoned).exists()  # ... sweeps the abandoned one away


def test_a_purged_jurys_uploads_all_go(tmp_path: Path) -> None:
    first = uploads.stage(tmp_path, 1, b"one", None, replace=False)
    second = uploads.stage(tmp_path, 1, b"two", None, replace=True)
    other = uploads.stage(tmp_path, 2, b"other", None, replace=False)
    uploads.discard_jury(tmp_path, 1)
    assert uploads.load(tmp_path, 1, first) is None and uploads.load(tmp_path, 1, second) is None
    assert not (tmp_path / "1").exists()
    assert uploads.load(tmp_path, 2, other) is not None
    uploads.discard_jury(tmp_path, 7)  # nothing there: nothing to do
