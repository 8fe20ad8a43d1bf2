"""100,000 citizen-science submissions: how fast the review queue, the public list and the map
data page, and how much memory the CSV and GeoJSON exports take while they stream.

Run by hand, not by the tests:

    python bench/submissions.py                       # a temporary SQLite file, 100,000 rows
    python bench/submissions.py --submissions 20000 --requests 100
    python bench/submissions.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench

It migrates the database (`engage db upgrade`'s migrations, or the models' tables with
--create-all), creates an officer, a mission with twelve areas over a city's box and an open
project (a PM2.5 reading in µg/m³, a site type, a note, a location), then bulk-inserts the
submissions: spread over a year and over the box (more of them near the centre), from 2,000
residents, about half approved and the rest received, has issues or rejected, one in thirty
flagged out of range. Then, through the app's test client (no server, so the times are the
app's and the database's own), it times GETs of random pages of the review queue (all states,
as the officer), of the public list, and of map.json (walking the whole keyset, then from random
ids), and prints for each the count, median, 95th percentile and maximum in milliseconds against
the target (95th percentile under 200 ms). Last, in a fresh child process per format, it streams
the CSV and the GeoJSON export of every approved submission and prints the rows, bytes, seconds
and the child's peak memory (its ru_maxrss, and how much it grew during the export) against the
target (peak under 200 MB). Exit status 1 when a target is missed.

A database given with --database-url must be empty: the script creates the schema and removes it
again at the end (--keep leaves it, with the data, for a second look).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

PASSWORD = "violet harbour lantern 42"  # noqa: S105 (a throwaway account's password)
OFFICER_EMAIL = "bench-officer@example.org"
PROJECT_SLUG = "bench-air-quality"
# A city's box (west, south, east, north): most of inner London.
BOX = (-0.25, 51.44, 0.05, 51.60)
AREA_COLUMNS, AREA_ROWS = 4, 3
RESIDENTS = 2000
INSERT_BATCH = 5000
TARGET_MS = 200.0
TARGET_MB = 200.0
STATES = (("approved", 0.5), ("received", 0.3), ("has_issues", 0.1), ("rejected", 0.1))
SITES = ("school", "road", "park")
NOTES = (
    "Buses idling at the stop.",
    "Smell of wood smoke.",
    "Roadworks all week.",
    "Quiet morning, light wind.",
)


def peak_mb() -> float:
    """This process's peak resident memory so far. Linux keeps ru_maxrss across exec, so a
    child would report its parent's size at the fork: read the memory map's own high-water mark
    (VmHWM, reset by exec) where there is one."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def bench_config(database_url: str, secret: str) -> dict[str, Any]:
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": secret,
        "WTF_CSRF_ENABLED": False,  # the test client posts the sign-in form without a token
        "RATELIMIT_STORAGE_URI": "memory://",
        "MAIL_BACKEND": "memory",
        "JOB_RUNNER": "thread",
        "MAP_TILE_URL": "",
    }


def table_names(database_url: str) -> list[str]:
    engine = sa.create_engine(database_url)
    try:
        return sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def generalise(
    latitude: float, longitude: float, cell_metres: float = 500.0
) -> tuple[float, float]:
    """The centre of the point's ~500 m grid cell (rows of latitude, columns as wide at the
    row's middle latitude), as the submission service stores it."""
    row_height = cell_metres / 111_320
    row = math.floor(latitude / row_height)
    middle = (row + 0.5) * row_height
    column_width = cell_metres / (111_320 * math.cos(math.radians(middle)))
    column = math.floor(longitude / column_width)
    return round(middle, 6), round((column + 0.5) * column_width, 6)


def area_index(latitude: float, longitude: float) -> int:
    west, south, east, north = BOX
    column = min(int((longitude - west) / (east - west) * AREA_COLUMNS), AREA_COLUMNS - 1)
    row = min(int((latitude - south) / (north - south) * AREA_ROWS), AREA_ROWS - 1)
    return row * AREA_COLUMNS + column


def seed(app: Any, submissions: int, rng: random.Random) -> str:
    """Fill the database; returns the project's slug."""
    from engage.accounts import services as accounts
    from engage.accounts.models import User
    from engage.appraisals.models import (
        Area,
        FieldType,
        FlagKind,
        FormField,
        Project,
        QualityFlag,
        Status,
        Submission,
        SubmissionState,
    )
    from engage.extensions import db
    from engage.missions.models import Mission, MissionStatus
    from engage.security import Role

    with app.app_context():
        session = db.session
        officer = accounts.create_user(
            session,
            display_name="Bench officer",
            email=OFFICER_EMAIL,
            password=PASSWORD,
            roles={Role.OFFICER},
            actor=None,
        )
        mission = Mission(
            slug="bench-healthy-streets",
            title="Healthy streets",
            challenge="Air on many streets is unhealthy.",
            team="Mission team",
            status=MissionStatus.ACTIVE,
        )
        west, south, east, north = BOX
        width, height = (east - west) / AREA_COLUMNS, (north - south) / AREA_ROWS
        areas = [
            Area(
                mission=mission,
                slug=f"area-{row}-{column}",
                name=f"Area {row * AREA_COLUMNS + column + 1}",
                west=west + column * width,
                east=west + (column + 1) * width,
                south=south + row * height,
                north=south + (row + 1) * height,
            )
            for row in range(AREA_ROWS)
            for column in range(AREA_COLUMNS)
        ]
        project = Project(
            mission=mission,
            slug=PROJECT_SLUG,
            title="Air quality on our streets",
            protocol="Hold the sensor at head height for two minutes.",
            status=Status.OPEN,
            created_by_id=officer.id,
            fields=[
                FormField(
                    position=1, name="pm25", label="PM2.5 reading", type=FieldType.DECIMAL,
                    required=True, unit="µg/m³", min_value=0, max_value=1000, expected_min=0,
                    expected_max=150,
                ),
                FormField(
                    position=2, name="site", label="Where were you?", type=FieldType.SINGLE_CHOICE,
                    choices=[{"value": value, "label": value.title()} for value in SITES],
                ),
                FormField(position=3, name="note", label="Anything else?", type=FieldType.LONG_TEXT),
                FormField(
                    position=4, name="location", label="Where", type=FieldType.LOCATION,
                    required=True,
                ),
            ],
        )  # fmt: skip
        session.add_all([mission, project, *areas])
        session.commit()
        area_ids = [area.id for area in areas]
        project_id = project.id

        password_hash = accounts.hash_password(PASSWORD)
        users = sa.insert(User).returning(User.id)
        resident_ids = list(
            session.scalars(
                users,
                [
                    {
                        "email": f"bench-resident-{n}@example.org",
                        "display_name": f"Resident {n}",
                        "password_hash": password_hash,
                    }
                    for n in range(RESIDENTS)
                ],
            )
        )
        session.commit()

        start = datetime(2025, 11, 1, tzinfo=UTC)
        seconds = 365 * 24 * 3600
        times = sorted(rng.uniform(0, seconds) for _ in range(submissions))
        states = [state for state, _ in STATES]
        weights = [weight for _, weight in STATES]
        centre = ((south + north) / 2, (west + east) / 2)
        began = time.monotonic()
        for offset in range(0, submissions, INSERT_BATCH):
            rows: list[dict[str, Any]] = []
            for n in range(offset, min(offset + INSERT_BATCH, submissions)):
                latitude = min(max(rng.gauss(centre[0], (north - south) / 5), south), north)
                longitude = min(max(rng.gauss(centre[1], (east - west) / 5), west), east)
                public = generalise(latitude, longitude)
                share_exact = rng.random() < 0.1
                answers: dict[str, Any] = {
                    "pm25": round(rng.lognormvariate(2.8, 0.6), 1),
                    "site": rng.choice(SITES),
                }
                if rng.random() < 0.3:
                    answers["note"] = rng.choice(NOTES)
                rows.append(
                    {
                        "project_id": project_id,
                        "client_id": f"{n:036d}",
                        "author_id": rng.choice(resident_ids),
                        "submitted_at": start + timedelta(seconds=times[n]),
                        "answers": answers,
                        "latitude": latitude,
                        "longitude": longitude,
                        "share_exact": share_exact,
                        "public_latitude": latitude if share_exact else public[0],
                        "public_longitude": longitude if share_exact else public[1],
                        "area_id": area_ids[area_index(latitude, longitude)],
                        "state": SubmissionState(rng.choices(states, weights)[0]),
                    }
                )
            ids = list(session.scalars(sa.insert(Submission).returning(Submission.id), rows))
            flags = [
                {
                    "submission_id": submission_id,
                    "kind": FlagKind.OUT_OF_RANGE,
                    "field_name": "pm25",
                }
                for submission_id, row in zip(ids, rows, strict=True)
                if row["answers"]["pm25"] > 150 or rng.random() < 0.02
            ]
            if flags:
                session.execute(sa.insert(QualityFlag), flags)
            session.commit()
            done = offset + len(rows)
            if done % 10_000 < INSERT_BATCH or done == submissions:
                rate = done / max(time.monotonic() - began, 1e-9)
                print(
                    f"  inserted {done:,} of {submissions:,} ({rate:,.0f} per second)", flush=True
                )
    return PROJECT_SLUG


def signed_in_client(app: Any) -> Any:
    """A client holding the officer's session, as Flask-Login leaves it after signing in.
    Signing in through the form would add argon2's 64 MB to the export child's memory, and
    signing in is not what is measured."""
    from engage.accounts import services as accounts
    from engage.extensions import db

    with app.app_context():
        officer = accounts.get_user_by_email(db.session, OFFICER_EMAIL)
        if officer is None:
            raise RuntimeError("the bench's officer is missing: was the database seeded?")
        officer_id = officer.id
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["_user_id"] = str(officer_id)
        cookie["_fresh"] = True
    return client


def timed(get: Callable[[], Any]) -> float:
    began = time.perf_counter()
    response = get()
    elapsed = (time.perf_counter() - began) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"status {response.status_code} from {response.request.path}")
    return elapsed


def summary(name: str, times: list[float]) -> tuple[str, bool]:
    ordered = sorted(times)
    p95 = ordered[max(0, math.ceil(len(ordered) * 0.95) - 1)]
    met = p95 < TARGET_MS
    line = (
        f"{name:<34} {len(times):>5} {statistics.median(times):>9.1f} {p95:>9.1f} "
        f"{max(times):>9.1f}   {'met' if met else 'MISSED'}"
    )
    return line, met


def time_pages(app: Any, slug: str, requests: int, rng: random.Random) -> bool:
    from engage.appraisals.models import Submission, SubmissionState
    from engage.appraisals.review import MAP_LIMIT_MAX, PER_PAGE, PUBLIC_PER_PAGE
    from engage.extensions import db

    with app.app_context():
        total = db.session.scalar(sa.select(sa.func.count(Submission.id))) or 0
        approved_ids = list(
            db.session.scalars(
                sa.select(Submission.id)
                .where(Submission.state == SubmissionState.APPROVED)
                .order_by(Submission.id)
            )
        )
    officer = signed_in_client(app)
    visitor = app.test_client()
    queue_pages = max(1, math.ceil(total / PER_PAGE))
    list_pages = max(1, math.ceil(len(approved_ids) / PUBLIC_PER_PAGE))
    base = f"/science/{slug}"
    # Warm up: the first request of each kind compiles templates and fills caches.
    for client, path in (
        (officer, f"{base}/review?state=all"),
        (visitor, f"{base}/observations"),
        (visitor, f"{base}/map.json"),
    ):
        client.get(path)

    results = []
    queue = [
        timed(lambda: officer.get(f"{base}/review?state=all&page={rng.randint(1, queue_pages)}"))
        for _ in range(requests)
    ]
    results.append(summary(f"review queue (of {queue_pages:,} pages)", queue))
    received = [
        timed(lambda: officer.get(f"{base}/review?page={rng.randint(1, queue_pages // 3 or 1)}"))
        for _ in range(requests)
    ]
    results.append(summary("review queue, received only", received))
    listing = [
        timed(lambda: visitor.get(f"{base}/observations?page={rng.randint(1, list_pages)}"))
        for _ in range(requests)
    ]
    results.append(summary(f"public list (of {list_pages:,} pages)", listing))
    walk: list[float] = []
    after: int | None = 0
    while after is not None:
        began = time.perf_counter()
        answer = visitor.get(f"{base}/map.json?after={after}&limit={MAP_LIMIT_MAX}")
        walk.append((time.perf_counter() - began) * 1000)
        after = answer.json["next_after"]
    results.append(summary(f"map.json, whole keyset by {MAP_LIMIT_MAX}", walk))
    random_after = [
        timed(
            lambda: visitor.get(
                f"{base}/map.json?after={rng.choice(approved_ids) if approved_ids else 0}"
                f"&limit={MAP_LIMIT_MAX}"
            )
        )
        for _ in range(requests)
    ]
    results.append(summary("map.json, random after", random_after))

    print(f"\n{'GET':<34} {'count':>5} {'median ms':>9} {'p95 ms':>9} {'max ms':>9}   target")
    print("-" * 80)
    for line, _ in results:
        print(line)
    print(f"(target: 95th percentile under {TARGET_MS:.0f} ms)")
    return all(met for _, met in results)


def stream_export(client: Any, fmt: str) -> dict[str, Any]:
    began = time.perf_counter()
    response = client.post(
        f"/science/{PROJECT_SLUG}/export",
        data={"format": fmt, "state": "approved"},
        buffered=False,
    )
    size = 0
    rows = -1 if fmt == "csv" else 0  # the CSV's header line is no row
    first_byte = None
    for chunk in response.iter_encoded():
        if first_byte is None:
            first_byte = time.perf_counter() - began
        size += len(chunk)
        # Rows end with a line break (a note's own line breaks would be quoted: none here);
        # features are written whole, a chunk never splits one.
        rows += chunk.count(b"\r\n") if fmt == "csv" else chunk.count(b'{"type":"Feature"')
    response.close()
    seconds = time.perf_counter() - began
    return {
        "status": response.status_code,
        "streamed": response.is_streamed,
        "bytes": size,
        "rows": rows,
        "seconds": seconds,
        "first_byte": first_byte or seconds,
    }


def export_child(database_url: str, secret: str, fmt: str) -> None:
    """Hidden mode: stream one export through the test client and answer in JSON: once as it
    is (time, and how far the process's peak resident memory rose), then once more under
    tracemalloc (the peak of what Python allocated during the export)."""
    from engage import create_app

    app = create_app(bench_config(database_url, secret))
    client = signed_in_client(app)
    client.get(f"/science/{PROJECT_SLUG}/export")  # warm up: templates, the form
    before = peak_mb()
    found = stream_export(client, fmt)
    found |= {"before_mb": before, "peak_mb": peak_mb()}
    tracemalloc.start()
    stream_export(client, fmt)
    found["traced_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(json.dumps(found))


def measure_exports(database_url: str, secret: str) -> bool:
    print(f"\n{'export':<8} {'status':>6} {'rows':>8} {'MB':>7} {'seconds':>8} {'first byte':>10} "
          f"{'peak MB':>8} {'rise MB':>8} {'traced MB':>9}   target")  # fmt: skip
    print("-" * 92)
    met = True
    for fmt in ("csv", "geojson"):
        child = subprocess.run(
            [sys.executable, __file__, "--export-child", fmt, "--database-url", database_url],
            env={**os.environ, "BENCH_SECRET": secret},
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode != 0:
            print(f"{fmt:<8} failed:\n{child.stderr[-2000:]}")
            met = False
            continue
        found = json.loads(child.stdout.strip().splitlines()[-1])
        rise = found["peak_mb"] - found["before_mb"]
        # The export's own memory: how far it raised the process's peak, and what Python
        # allocated while it streamed. (The process holds ~190 MB before any export: see below.)
        ok = (
            found["status"] == 200
            and found["streamed"]
            and rise < TARGET_MB
            and found["traced_mb"] < TARGET_MB
        )
        met = met and ok
        print(
            f"{fmt:<8} {found['status']:>6} {found['rows']:>8,} {found['bytes'] / 1e6:>7.1f} "
            f"{found['seconds']:>8.2f} {found['first_byte']:>10.3f} {found['peak_mb']:>8.0f} "
            f"{rise:>8.0f} {found['traced_mb']:>9.1f}   {'met' if ok else 'MISSED'}"
        )
    print(
        f"(target: the export's peak memory under {TARGET_MB:.0f} MB: rise MB, how far the export "
        "raised the child's peak\n resident memory, and traced MB, the peak of what Python "
        "allocated during a second, traced\n run. Peak MB is the child's whole peak, about 190 "
        "MB of it there before any export: the\n interpreter and the scientific libraries "
        "(scipy, scikit-learn) that create_app imports.)"
    )
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--submissions", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200, help="timed GETs of each kind")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--database-url", default="", help="an empty database instead of a temporary SQLite file"
    )
    parser.add_argument(
        "--create-all", action="store_true", help="the models' tables instead of the migrations"
    )
    parser.add_argument("--keep", action="store_true", help="leave the schema and data behind")
    parser.add_argument("--export-child", choices=["csv", "geojson"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_child:
        export_child(args.database_url, os.environ["BENCH_SECRET"], args.export_child)
        return 0
    if args.submissions < 1 or args.requests < 1:
        parser.error("--submissions and --requests must be at least 1")

    from engage import create_app, schema
    from engage.extensions import db
    from engage.models import Base

    with tempfile.TemporaryDirectory(prefix="engage-bench-") as scratch:
        os.environ["ENGAGE_INSTANCE_PATH"] = str(Path(scratch) / "instance")
        database_url = args.database_url or f"sqlite:///{Path(scratch) / 'bench.sqlite3'}"
        if table_names(database_url):
            sys.exit("the database has tables already: give an empty one")
        secret = os.urandom(32).hex()
        app = create_app(bench_config(database_url, secret))
        print(f"date:     {datetime.now(UTC).date().isoformat()}")
        print(
            f"machine:  {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the "
            f"start; Python {platform.python_version()}, SQLAlchemy {sa.__version__}"
        )
        print(f"database: {sa.make_url(database_url).get_backend_name()}")
        try:
            with app.app_context():
                if args.create_all:
                    Base.metadata.create_all(db.engine)
                else:
                    schema.upgrade(app)
            began = time.monotonic()
            print(f"\n== inserting {args.submissions:,} submissions")
            slug = seed(app, args.submissions, random.Random(args.seed))
            print(f"  done in {time.monotonic() - began:.1f} s")
            if sa.make_url(database_url).get_backend_name() == "postgresql":
                with app.app_context():
                    db.session.execute(sa.text("ANALYZE"))
                    db.session.commit()
            pages_met = time_pages(app, slug, args.requests, random.Random(args.seed + 1))
            exports_met = measure_exports(database_url, secret)
        finally:
            with app.app_context():
                db.session.close()
                if args.database_url and not args.keep:
                    if args.create_all:
                        Base.metadata.drop_all(db.engine)
                    else:
                        schema.downgrade(app, "base")
                        with db.engine.begin() as connection:
                            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
                db.engine.dispose()
    print()
    print("all targets met" if pages_met and exports_met else "FAIL: a target was missed")
    return 0 if pages_met and exports_met else 1


if __name__ == "__main__":
    sys.exit(main())
