"""Opinion groups on a large round, and many residents voting on statements at the same time.

Run by hand, not by the tests:

    python bench/opinion.py                           # both parts
    python bench/opinion.py --part groups             # 10,000 participants x 500 statements
    python bench/opinion.py --part voting --voters 50 --workers 4

groups: synthesises a statements round with planted opinion camps (fixed seed): participants
fall into three camps of 50 %, 30 % and 20 %; each camp agrees or disagrees with every statement
(one statement in ten planted as common ground, the same side for every camp; elsewhere each
camp's side is drawn by lot), and each participant votes on a random sample of statements (100
on average), casting their camp's vote with probability 0.8 and a random agree/disagree/pass
otherwise. It times `vote_matrix` on the (participant, statement, vote)
triples and `map_opinions` on the matrix, as the round's opinion job does after reading the
votes, and prints the seconds, the peak memory, the groups found and how well they match the
planted camps (adjusted Rand index). Peak memory is the process's ru_maxrss: what the operating
system gave the process (interpreter, libraries, the triples, numpy and LAPACK buffers), which is
what a 1 GB limit on a worker is about; tracemalloc would count only the allocations Python and
numpy report to it, not LAPACK's workspace.

voting: builds a temporary SQLite database (Alembic migrations), an officer, an active mission,
a process and an open statements round with seed statements (through the co-design services),
and the voters' accounts; serves engage with gunicorn; signs every voter in through /sign-in,
then lets all of them vote at once, each one statement per request on
/codesign/rounds/<id>/vote until no statement is left. It prints the votes sent, the latency of
the vote submissions (POST to the redirect back), the throughput, the CPU spent by gunicorn's
workers and by the bench while voting, and the rows stored in codesign_votes, which must equal
the submissions that were answered with the redirect and hold the votes sent.

Exit status 1 when the groups do not recover the planted camps, or when a vote failed or the
rows stored do not match.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import importlib.metadata
import os
import platform
import random
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

# The sibling bench's helpers for a gunicorn on a free port (bench/ is on sys.path when run).
from concurrent_writes import free_port, wait_until_serving

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# --- groups: the planted round and the targets -----------------------------------------------

CAMP_SHARES = (0.5, 0.3, 0.2)  # planted camps and their share of the participants
SHARED_STATEMENTS = 0.1  # planted common ground: every camp on the same side (others: by lot)
FIDELITY = 0.8  # chance that a vote is the participant's camp's; otherwise a random vote
RECOVERED_ARI = 0.9  # the camps count as recovered at this adjusted Rand index or above
GROUPS_TARGET_SECONDS = 30.0  # issue 4: vote_matrix + map_opinions on 10,000 x 500 ...
GROUPS_TARGET_MB = 1024.0  # ... under 30 s and 1 GB

# --- voting ------------------------------------------------------------------------------------

PASSWORD = "violet harbour lantern 42"  # noqa: S105 (throwaway accounts' password)
CHOICES = ("agree", "disagree", "pass")


def peak_mb() -> float:
    """This process's peak resident memory so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def header() -> list[str]:
    versions = ", ".join(
        f"{package} {importlib.metadata.version(package)}"
        for package in ("numpy", "scipy", "scikit-learn", "gunicorn")
    )
    return [
        f"date:     {date.today().isoformat()}",
        f"machine:  {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start; "
        f"Python {platform.python_version()}, {versions}",
    ]


# === Part 1: opinion groups on 10,000 participants x 500 statements ===========================


@dataclass(frozen=True)
class PlantedRound:
    triples: list[tuple[int, int, int]]  # (participant id, statement id, vote), shuffled
    statement_ids: list[int]
    camp_of: dict[int, int]  # participant id -> planted camp
    same_side: int  # statements on which every camp takes the same side


def plant_round(participants: int, statements: int, votes_each: int, seed: int) -> PlantedRound:
    """A round whose votes come from :data:`CAMP_SHARES` camps plus noise (see the docstring)."""
    rng = np.random.default_rng(seed)
    camps = rng.choice(len(CAMP_SHARES), size=participants, p=CAMP_SHARES)
    stances = rng.choice(np.array([-1, 1]), size=(len(CAMP_SHARES), statements))
    shared = rng.random(statements) < SHARED_STATEMENTS
    stances[:, shared] = stances[0, shared]

    # Each participant votes on between half and one and a half times `votes_each` statements,
    # the first ones of their own random order of the statements.
    counts = rng.integers(votes_each // 2, votes_each * 3 // 2, size=participants, endpoint=True)
    counts = np.minimum(counts, statements)
    order = np.argsort(rng.random((participants, statements)), axis=1)
    rows = np.repeat(np.arange(participants), counts)
    columns = order[np.arange(statements) < counts[:, None]]  # row by row, as `rows`
    values = stances[camps[rows], columns]
    noisy = rng.random(len(rows)) >= FIDELITY
    values[noisy] = rng.choice(np.array([-1, 0, 1]), size=int(noisy.sum()))

    # Database ids start at 1; the votes arrive in no particular order.
    shuffle = rng.permutation(len(rows))
    triples = list(
        zip(
            (rows[shuffle] + 1).tolist(),
            (columns[shuffle] + 1).tolist(),
            values[shuffle].tolist(),
            strict=True,
        )
    )
    return PlantedRound(
        triples=triples,
        statement_ids=list(range(1, statements + 1)),
        camp_of={pid + 1: int(camp) for pid, camp in enumerate(camps)},
        same_side=int((stances == stances[0]).all(axis=0).sum()),
    )


def run_groups(participants: int, statements: int, votes_each: int, seed: int) -> bool:
    """Part 1; prints its figures and returns whether the planted camps were recovered."""
    from sklearn.metrics import adjusted_rand_score  # type: ignore[import-untyped]

    from engage.codesign.opinion import map_opinions, vote_matrix

    print(
        f"\n== groups: {participants:,} participants x {statements:,} statements, "
        f"about {votes_each} votes each, seed {seed}",
        flush=True,
    )
    started = time.perf_counter()
    planted = plant_round(participants, statements, votes_each, seed)
    synthesis_seconds = time.perf_counter() - started
    before_mb = peak_mb()

    started = time.perf_counter()
    matrix, participant_ids, statement_ids = vote_matrix(
        planted.triples, statement_ids=planted.statement_ids
    )
    matrix_seconds = time.perf_counter() - started
    started = time.perf_counter()
    result = map_opinions(matrix, participant_ids, statement_ids)
    map_seconds = time.perf_counter() - started
    used_mb = peak_mb()  # the triples stay alive throughout, as in the round's opinion job

    if result.problem is not None:
        print(f"no groups: {result.problem}")
        return False
    found = {point.participant_id: point.group for point in result.points}
    placed = sorted(found)
    ari = float(
        adjusted_rand_score(
            [planted.camp_of[pid] for pid in placed], [found[pid] for pid in placed]
        )
    )
    planted_sizes = sorted(Counter(planted.camp_of.values()).values(), reverse=True)
    recovered = result.k == len(CAMP_SHARES) and ari >= RECOVERED_ARI
    total_seconds = matrix_seconds + map_seconds
    scores = ", ".join(f"k={score.k} {score.silhouette:.3f}" for score in result.scores)

    print(
        f"votes:               {len(planted.triples):,} (synthesised in {synthesis_seconds:.1f} s)"
    )
    print(f"vote_matrix:         {matrix_seconds:.2f} s")
    print(f"map_opinions:        {map_seconds:.2f} s")
    print(f"together:            {total_seconds:.2f} s")
    print(f"peak memory:         {used_mb:.0f} MB (ru_maxrss of this process)")
    print(
        f"  before computing:  {before_mb:.0f} MB (interpreter, libraries, synthesis, the triples)"
    )
    print(f"placed:              {len(placed):,} ({len(result.too_few_votes)} with too few votes)")
    print(f"groups found:        {result.k} (planted {len(CAMP_SHARES)})")
    print(
        f"group sizes:         {' / '.join(f'{len(g.participant_ids):,}' for g in result.groups)}"
        f" (planted {' / '.join(f'{size:,}' for size in planted_sizes)})"
    )
    print(f"silhouette:          {scores}")
    print(
        f"explained variance:  {', '.join(f'{share:.3f}' for share in result.explained_variance)}"
    )
    print(
        f"consensus/divisive:  {len(result.consensus)} / {len(result.divisive)} statements "
        f"(planted: every camp on the same side of {planted.same_side}, "
        f"camps apart on {len(planted.statement_ids) - planted.same_side})"
    )
    print(
        f"adjusted Rand index: {ari:.4f} against the planted camps; "
        f"{'recovered' if recovered else 'NOT recovered'} (needs {len(CAMP_SHARES)} groups and "
        f"ARI >= {RECOVERED_ARI:g})"
    )
    met = total_seconds < GROUPS_TARGET_SECONDS and used_mb < GROUPS_TARGET_MB
    print(
        f"target (issue 4):    under {GROUPS_TARGET_SECONDS:g} s and {GROUPS_TARGET_MB:g} MB: "
        f"{total_seconds:.1f} s, {used_mb:.0f} MB, {'met' if met else 'NOT met'}"
    )
    return recovered


# === Part 2: many residents voting at once through gunicorn ====================================


@dataclass(frozen=True)
class SeededRound:
    round_id: int
    statements: int
    emails: list[str]


def seed_database(voters: int, statements: int) -> SeededRound:
    """Migrate the database named by ENGAGE_DATABASE_URL and fill it: an officer, an active
    mission, a process, an open statements round with ``statements`` seed statements (through
    the co-design services, as an officer would) and ``voters`` resident accounts."""
    from engage import create_app, schema
    from engage.accounts import services as accounts
    from engage.accounts.models import User
    from engage.codesign import services as codesign
    from engage.codesign.models import Moderation, RoundKind
    from engage.db import utcnow
    from engage.extensions import db
    from engage.missions import services as missions
    from engage.missions.models import MissionStatus
    from engage.security import Role

    app = create_app()
    with app.app_context():
        schema.upgrade(app)
        session = db.session
        officer = accounts.create_user(
            session,
            display_name="Bench officer",
            email="officer@example.org",
            password=PASSWORD,
            roles={Role.OFFICER},
            actor=None,
        )
        mission = missions.create_mission(
            session,
            missions.MissionFields(
                title="Healthy streets",
                slug="",
                challenge="Air on many streets is unhealthy.",
                team="Mission team",
                target_date=None,
                status=MissionStatus.ACTIVE,
            ),
            "Every street healthy by 2030.",
            actor=officer,
        )
        process = codesign.create_process(
            session,
            mission.slug,
            codesign.ProcessFields(title="Healthy streets co-design", description=""),
            actor=officer,
        )
        now = utcnow()
        round_ = codesign.create_round(
            session,
            process.id,
            codesign.RoundFields(
                kind=RoundKind.STATEMENTS,
                title="Where do you stand?",
                prompt="Agree, disagree or pass on each statement.",
                opens_at=now - timedelta(hours=1),
                closes_at=now + timedelta(days=7),
                moderation=Moderation.AFTER,
                priority_method=None,
                points_budget=None,
                items=[
                    f"Statement {n}: our street needs change number {n}." for n in range(statements)
                ],
            ),
            actor=officer,
        )
        codesign.open_round(session, round_.id, actor=officer)
        # One hash for every account: argon2 is slow on purpose and the accounts share a password.
        password_hash = accounts.hash_password(PASSWORD)
        emails = [f"voter{n}@example.org" for n in range(voters)]
        session.add_all(
            User(email=email, display_name=f"Voter {n}", password_hash=password_hash)
            for n, email in enumerate(emails)
        )
        session.commit()
        return SeededRound(round_.id, statements, emails)


def stored_votes(database_url: str, round_id: int) -> dict[tuple[str, str], int]:
    """The round's rows in codesign_votes: (voter's e-mail, statement id) -> value."""
    engine = sa.create_engine(database_url)
    query = sa.text(
        "SELECT users.email, codesign_votes.statement_id, codesign_votes.value "
        "FROM codesign_votes JOIN users ON users.id = codesign_votes.user_id "
        "WHERE codesign_votes.round_id = :round_id"
    )
    try:
        with engine.connect() as connection:
            rows = connection.execute(query, {"round_id": round_id}).all()
    finally:
        engine.dispose()
    return {(email, str(statement_id)): int(value) for email, statement_id, value in rows}


class _Inputs(HTMLParser):
    """The values of every <input> on a page, by name, in page order."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        name = named.get("name")
        if tag == "input" and name:
            self.values.setdefault(name, []).append(named.get("value") or "")


def form_inputs(page: str) -> dict[str, list[str]]:
    parser = _Inputs()
    parser.feed(page)
    parser.close()
    return parser.values


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass(frozen=True)
class Answer:
    status: int  # 0: no HTTP answer at all
    location: str  # the path redirected to, if any
    body: str
    problem: str = ""


class Browser:
    """One resident's browser: a cookie jar, no automatic redirects, and their own address.

    Every browser sends its own X-Forwarded-For (and gunicorn runs with ENGAGE_PROXY_COUNT=1),
    so the sign-in limit of 20 attempts per address counts each resident apart, as it would for
    residents on their own connections, instead of throttling the whole bench at 127.0.0.1."""

    def __init__(self, base_url: str, address: str) -> None:
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirects()
        )
        self.opener.addheaders = [("X-Forwarded-For", address)]

    def get(self, path: str) -> Answer:
        return self._open(path, None)

    def post(self, path: str, fields: dict[str, str]) -> Answer:
        return self._open(path, urllib.parse.urlencode(fields).encode())

    def _open(self, path: str, data: bytes | None) -> Answer:
        what = f"{'POST' if data else 'GET'} {path}"
        try:
            with self.opener.open(self.base_url + path, data=data, timeout=120) as response:
                return Answer(response.status, "", response.read().decode())
        except urllib.error.HTTPError as answer:  # a redirect (not followed) or an error status
            location = urllib.parse.urlsplit(answer.headers.get("Location", "")).path
            body = answer.read().decode(errors="replace")
            problem = "" if answer.code in (302, 303) else f"{what}: status {answer.code}"
            return Answer(answer.code, location, body, problem)
        except (urllib.error.URLError, OSError) as error:
            return Answer(0, "", "", f"{what}: {error}")


@dataclass
class VoterRun:
    """What one voter did: the votes answered with the redirect (statement id as on the page ->
    agree, disagree or pass), latencies in seconds, and why they stopped early, if they did."""

    email: str
    sent: dict[str, str] = field(default_factory=dict)
    vote_seconds: list[float] = field(default_factory=list)  # answered with the redirect
    page_seconds: list[float] = field(default_factory=list)
    attempted: int = 0
    finished: bool = False  # reached the page with no statement left
    problem: str = ""


def sign_in(browser: Browser, email: str) -> str:
    """Sign in through the real form; an empty string when it worked, else what went wrong."""
    page = browser.get("/sign-in")
    tokens = form_inputs(page.body).get("csrf_token")
    if page.status != 200 or not tokens:
        return page.problem or "no CSRF token on /sign-in"
    fields = {"csrf_token": tokens[0], "email": email, "password": PASSWORD}
    answer = browser.post("/sign-in", fields)
    if answer.status not in (302, 303) or answer.location.startswith("/sign-in"):
        return answer.problem or f"POST /sign-in: status {answer.status}, not signed in"
    return ""


def vote_until_done(browser: Browser, email: str, round_id: int, statements: int) -> VoterRun:
    """Vote on the statement the page shows until it shows none; stop at the first problem.

    The page may also list the voter's earlier votes, each with a form (and a ``statement_id``)
    to change it, so the statement to vote on is the first one on the page this voter has not
    voted on yet; when there is none, the voter is done."""
    path = f"/codesign/rounds/{round_id}/vote"
    choose = random.Random(email).choice  # each voter's own, reproducible choices
    run = VoterRun(email)
    for _ in range(statements + 1):  # one page per statement and the last, empty one
        started = time.perf_counter()
        page = browser.get(path)
        run.page_seconds.append(time.perf_counter() - started)
        if page.status != 200:
            run.problem = page.problem or f"GET {path}: status {page.status}"
            return run
        inputs = form_inputs(page.body)
        unvoted = [sid for sid in inputs.get("statement_id", []) if sid not in run.sent]
        if not unvoted:
            run.finished = True
            if len(run.sent) != statements:  # a vote answered with the redirect but not taken
                run.problem = f"no statement left after {len(run.sent)} votes on {statements}"
            return run
        statement_id, choice = unvoted[0], choose(CHOICES)
        fields = {
            "csrf_token": inputs.get("csrf_token", [""])[0],
            "statement_id": statement_id,
            "vote": choice,
        }
        run.attempted += 1
        started = time.perf_counter()
        answer = browser.post(path, fields)
        seconds = time.perf_counter() - started
        if answer.status not in (302, 303) or answer.location != path:
            run.problem = answer.problem or f"POST {path}: redirected to {answer.location!r}"
            return run
        run.vote_seconds.append(seconds)
        run.sent[statement_id] = choice
    run.problem = f"still shown a statement after {statements} votes"
    return run


@dataclass(frozen=True)
class Snapshot:
    wall: float  # time.perf_counter()
    client_cpu: float  # this process's CPU seconds
    server_cpu: float  # gunicorn workers' CPU seconds


@dataclass(frozen=True)
class Voting:
    """What the voters did, with the time and CPU spent between the barrier and the end."""

    runs: list[VoterRun]
    sign_in_problems: list[str]
    seconds: float
    client_cpu: float
    server_cpu: float


def vote_together(base_url: str, seeded: SeededRound, server: subprocess.Popen[bytes]) -> Voting:
    """Every voter signs in, waits at a barrier, then all vote at once."""

    def snapshot() -> Snapshot:
        mine = resource.getrusage(resource.RUSAGE_SELF)
        return Snapshot(
            time.perf_counter(), mine.ru_utime + mine.ru_stime, children_cpu(server.pid)
        )

    released: list[Snapshot] = []
    barrier = threading.Barrier(len(seeded.emails), action=lambda: released.append(snapshot()))

    def voter(number: int, email: str) -> VoterRun | str:
        browser = Browser(base_url, f"10.0.{number // 250}.{number % 250 + 1}")
        problem = sign_in(browser, email)
        if problem:
            barrier.abort()
            return f"{email}: {problem}"
        try:
            barrier.wait(timeout=300)
        except threading.BrokenBarrierError:
            return f"{email}: another voter could not sign in"
        return vote_until_done(browser, email, seeded.round_id, seeded.statements)

    with ThreadPoolExecutor(max_workers=len(seeded.emails)) as pool:
        outcomes = list(pool.map(voter, range(len(seeded.emails)), seeded.emails))
    end = snapshot()
    start = released[0] if released else end
    return Voting(
        runs=[outcome for outcome in outcomes if isinstance(outcome, VoterRun)],
        sign_in_problems=[outcome for outcome in outcomes if isinstance(outcome, str)],
        seconds=end.wall - start.wall,
        client_cpu=end.client_cpu - start.client_cpu,
        server_cpu=end.server_cpu - start.server_cpu,
    )


def children_cpu(pid: int) -> float:
    """CPU seconds (user and system) spent so far by the child processes of ``pid``: gunicorn's
    workers, which are never replaced during a run (Linux /proc)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    ticks = 0
    for child in children:
        try:
            stat = Path(f"/proc/{child}/stat").read_text()
        except OSError:  # it has just ended
            continue
        fields = stat.rsplit(")", 1)[1].split()  # from the third field, after the command name
        ticks += int(fields[11]) + int(fields[12])  # utime and stime, in clock ticks
    return ticks / os.sysconf("SC_CLK_TCK")


def milliseconds(seconds: list[float]) -> str:
    if not seconds:
        return "n/a"
    ninety_fifth = (
        statistics.quantiles(seconds, n=20, method="inclusive")[18]
        if len(seconds) > 1
        else seconds[0]
    )
    return (
        f"median {statistics.median(seconds) * 1000:.0f} ms, "
        f"95th percentile {ninety_fifth * 1000:.0f} ms"
    )


def run_voting(voters: int, statements: int, workers: int) -> bool:
    """Part 2; prints its figures and returns whether every vote went through and was stored."""
    print(
        f"\n== voting: {voters} voters at once, {statements} seed statements, "
        f"gunicorn with {workers} workers on SQLite",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="engage-bench-") as scratch:
        database_url = f"sqlite:///{Path(scratch) / 'bench.sqlite3'}"
        # The bench process (the setup) and gunicorn read the same settings.
        os.environ.update(
            {
                "ENGAGE_DATABASE_URL": database_url,
                "ENGAGE_SECRET_KEY": secrets.token_hex(32),
                "ENGAGE_INSTANCE_PATH": str(Path(scratch) / "instance"),
                "ENGAGE_PROXY_COUNT": "1",  # see Browser: one address per voter
            }
        )
        started = time.perf_counter()
        seeded = seed_database(voters, statements)
        print(f"setup:               {time.perf_counter() - started:.1f} s (migrations, accounts)")

        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        log_path = Path(scratch) / "gunicorn.log"
        with log_path.open("wb") as log:
            server = subprocess.Popen(
                [
                    *(sys.executable, "-m", "gunicorn", "-w", str(workers)),
                    *("-b", f"127.0.0.1:{port}", "engage:create_app()"),
                ],
                cwd=PROJECT_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                wait_until_serving(base_url + "/", server)
                voting = vote_together(base_url, seeded, server)
            except RuntimeError as error:
                print(f"error: {error}", file=sys.stderr)
                print(log_path.read_text(errors="replace")[-4000:], file=sys.stderr)
                return False
            finally:
                server.terminate()
                try:
                    server.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()
        stored = stored_votes(database_url, seeded.round_id)
        server_errors = log_path.read_text(errors="replace").count("Traceback")
    return report_voting(seeded, voting, stored, server_errors)


def report_voting(
    seeded: SeededRound, voting: Voting, stored: dict[tuple[str, str], int], server_errors: int
) -> bool:
    """Print the voting figures; whether every vote went through and was stored as sent."""
    from engage.codesign.services import VOTE_VALUES

    runs = voting.runs
    votes = [latency for run in runs for latency in run.vote_seconds]
    pages = [latency for run in runs for latency in run.page_seconds]
    attempted = sum(run.attempted for run in runs)
    problems = voting.sign_in_problems + [run.problem for run in runs if run.problem]
    finished = sum(run.finished for run in runs)
    as_sent = sum(
        stored.get((run.email, statement_id)) == VOTE_VALUES[choice]
        for run in runs
        for statement_id, choice in run.sent.items()
    )
    voters = len(seeded.emails)
    every = voters * seeded.statements
    requests = len(votes) + len(pages)

    print(f"signed in:           {voters - len(voting.sign_in_problems)} of {voters}")
    print(f"finished voting:     {finished} of {voters} (reached the page with no statement left)")
    print(f"votes attempted:     {attempted:,} (every voter on every statement: {every:,})")
    print(f"votes redirected:    {len(votes):,} (POST answered with 302 to the vote page)")
    print(f"vote POST latency:   {milliseconds(votes)}")
    print(f"vote page GET:       {milliseconds(pages)}")
    if voting.seconds > 0:
        print(
            f"wall time:           {voting.seconds:.2f} s from the barrier to the last voter's end"
        )
        print(f"throughput:          {len(votes) / voting.seconds:.1f} votes per second")
    if requests:
        print(
            f"CPU while voting:    gunicorn's workers {voting.server_cpu:.1f} s "
            f"({voting.server_cpu / requests * 1000:.0f} ms per request, GET or POST); "
            f"this process {voting.client_cpu:.1f} s (the voters' requests and page parsing)"
        )
    print(f"rows in codesign_votes: {len(stored):,}, {as_sent:,} of them with the vote sent")
    print(f"server tracebacks:   {server_errors} in gunicorn's log")
    for problem, count in Counter(problems).most_common(5):
        print(f"problem:             {problem}{f' ({count} voters)' if count > 1 else ''}")
    if len(stored) != len(votes) or as_sent != len(votes):
        print(
            f"FAIL: {len(stored):,} rows stored ({as_sent:,} as sent) for {len(votes):,} votes "
            "answered with the redirect"
        )
        return False
    if problems:
        print(f"FAIL: {len(problems)} voters stopped early (see the problems above)")
        return False
    print("OK: every vote answered with the redirect was stored, as sent")
    return True


# === Command line =============================================================================


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--part", choices=("groups", "voting", "all"), default="all")
    groups = parser.add_argument_group("groups")
    groups.add_argument("--participants", type=int, default=10_000)
    groups.add_argument("--statements", type=int, default=500)
    groups.add_argument(
        "--votes-per-participant", type=int, default=100, help="on average (default 100)"
    )
    groups.add_argument("--seed", type=int, default=2026, help="of the planted round")
    voting = parser.add_argument_group("voting")
    voting.add_argument("--voters", type=int, default=50, help="voting at once (default 50)")
    voting.add_argument("--seed-statements", type=int, default=60, help="in the round")
    voting.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    args = parser.parse_args()
    if min(args.participants, args.statements, args.votes_per_participant) < 1:
        parser.error("--participants, --statements and --votes-per-participant must be positive")
    if min(args.voters, args.seed_statements, args.workers) < 1:
        parser.error("--voters, --seed-statements and --workers must be positive")

    print("\n".join(header()), flush=True)
    good = True
    # Groups first: its peak memory is this process's, and the voting part would add to it.
    if args.part in ("groups", "all"):
        good &= run_groups(
            args.participants, args.statements, args.votes_per_participant, args.seed
        )
    if args.part in ("voting", "all"):
        good &= run_voting(args.voters, args.seed_statements, args.workers)
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
