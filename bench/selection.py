"""Our LEXIMIN and MAXIMIN on the shared sortition instances, beside sortition-algorithms' MAXIMIN.

Run by hand, not by the tests:

    python bench/selection.py                         # s300, s800, s1700, scotland_150; both
    python bench/selection.py --instances s300,scotland_150 --algorithms maximin
    python bench/selection.py --households --skip-library --timeout 900

Every run happens in a fresh child process (this script again, in its hidden `--one` mode), so
the peak memory printed is that run's own: ru_maxrss of the child, which counts the interpreter,
the libraries it imported, the pool and the solver's C memory. Times cover the computation of
the distribution only, not reading the CSV files.

When the Sortition Foundation's library `sortition-algorithms` is installed (the optional
`bench` extra: `pip install -e '.[bench]'`; GPL-3.0, called here, never imported by engage), its
MAXIMIN with the HiGHS backend runs on every instance our MAXIMIN runs on, and the table gives
the ratio of its time to ours. The household rule (--households) is matched on its side with
`check_same_address` on the columns that engage reads households from.

The minimum selection probability is compared with the optimum listed in the data folder's
README.md (valid without the household rule, or with it when nobody shares a household). Exit
status 1 when a run failed, timed out or missed that optimum by more than 1e-5.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = PROJECT_ROOT.parent / "shared" / "data" / "sortition"
LIBRARY = "library"  # the `--one` algorithm name of sortition-algorithms' MAXIMIN
LIBRARY_PACKAGE = "sortition-algorithms"
LIBRARY_BACKEND = "highspy"
ALGORITHMS = ("leximin", "maximin")
TOLERANCE = 1e-5
SPEEDUP_TARGET = 3.0  # issue 3: our MAXIMIN at least 3x faster than the library's ...
SPEEDUP_INSTANCES = ("s300", "s800")  # ... on these
LEXIMIN_TARGET_INSTANCE = "s1700"  # issue 3: our LEXIMIN here under 10 minutes and 2 GB
LEXIMIN_TARGET_SECONDS = 600.0
LEXIMIN_TARGET_MB = 2048.0


@dataclass(frozen=True)
class Spec:
    """An instance of the shared data folder and how each side reads it."""

    name: str
    folder: str
    people: str
    quotas: str
    panel_size: int
    id_column: str  # the library's `id_column`
    household_columns: tuple[str, ...]  # the library's `check_same_address_columns`


# The library compares the listed columns (lower-cased) for its address check; engage reads a
# `household` column when there is one, else the address columns (see engage/juries/pooldata.py).
_SCOTLAND_ADDRESS = ("primary_address1", "primary_address2", "primary_city", "primary_zip")
INSTANCES = {
    spec.name: spec
    for spec in (
        Spec("s300", "synthetic/s300", "people.csv", "quotas.csv", 30, "id", ("household",)),
        Spec("s800", "synthetic/s800", "people.csv", "quotas.csv", 40, "id", ("household",)),
        Spec("s1700", "synthetic/s1700", "people.csv", "quotas.csv", 110, "id", ("household",)),
        Spec(
            "scotland_150",
            "scotland_150",
            "candidates.csv",
            "features.csv",
            22,
            "nationbuilder_id",
            _SCOTLAND_ADDRESS,
        ),
    )
}

# A row of the data README's table: | `synthetic/s300` | 0.069930 | 0.1000 | 9.7 s |
_REFERENCE_ROW = re.compile(
    r"^\|\s*`(?:[\w]+/)?(?P<name>\w+)`\s*\|\s*(?P<optimum>[0-9.]+)\s*\|[^|]*\|"
    r"\s*(?P<seconds>[0-9.]+)\s*s\s*\|",
    re.MULTILINE,
)


@dataclass(frozen=True)
class Reference:
    optimum: float
    library_seconds: float


@dataclass(frozen=True)
class Run:
    """One child process's answer; ``problem`` is set when it gave none."""

    instance: str
    algorithm: str  # "leximin", "maximin" or LIBRARY
    problem: str = ""
    n: int = 0
    k: int = 0
    households: int = 0  # distinct households the run saw
    seconds: float = 0.0
    peak_mb: float = 0.0
    loaded_mb: float = 0.0  # peak before the computation started
    panels: int = 0
    min_probability: float = 0.0


def read_references(data: Path) -> dict[str, Reference]:
    """The optimum and the library's MAXIMIN time per instance, from the data README."""
    try:
        text = (data / "README.md").read_text(encoding="utf-8")
    except OSError:
        return {}
    return {
        found["name"]: Reference(float(found["optimum"]), float(found["seconds"]))
        for found in _REFERENCE_ROW.finditer(text)
    }


def peak_mb() -> float:
    """This process's peak resident memory (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- the child: one run, answered as one JSON line -------------------------------------------


def run_ours(folder: Path, spec: Spec, algorithm: str, households: bool) -> dict[str, Any]:
    from engage.juries.pooldata import read_pool
    from engage.juries.selection import Algorithm, select

    pool = read_pool((folder / spec.people).read_bytes(), (folder / spec.quotas).read_bytes())
    instance = pool.instance(spec.panel_size)
    loaded = peak_mb()
    started = time.perf_counter()
    distribution = select(instance, Algorithm(algorithm), households=households)
    seconds = time.perf_counter() - started
    return {
        "n": len(instance.ids),
        "k": instance.panel_size,
        "households": len(set(instance.households or ())),
        "seconds": seconds,
        "peak_mb": peak_mb(),
        "loaded_mb": loaded,
        "panels": len(distribution.panels),
        "min_probability": distribution.min_probability,
    }


def run_library(folder: Path, spec: Spec, households: bool) -> dict[str, Any]:
    from sortition_algorithms import CSVFileDataSource, SelectionData, Settings
    from sortition_algorithms.committee_generation import find_distribution_maximin

    source = CSVFileDataSource(
        features_file=folder / spec.quotas,
        people_file=folder / spec.people,
        already_selected_file=None,
        selected_file=Path(os.devnull),  # only written by its output functions, never called
        remaining_file=Path(os.devnull),
    )
    settings = Settings(
        id_column=spec.id_column,
        columns_to_keep=[],
        check_same_address=households,
        check_same_address_columns=list(spec.household_columns) if households else [],
        selection_algorithm="maximin",
        solver_backend=LIBRARY_BACKEND,
    )
    data = SelectionData(source)
    features, _ = data.load_features(spec.panel_size)
    people, _ = data.load_people(settings, features)
    loaded = peak_mb()
    started = time.perf_counter()
    committees, probabilities, _ = find_distribution_maximin(
        features,
        people,
        spec.panel_size,
        settings.normalised_address_columns,
        settings.solver_backend,
    )
    seconds = time.perf_counter() - started
    marginals = dict.fromkeys(people, 0.0)
    for committee, probability in zip(committees, probabilities, strict=True):
        for person in committee:
            marginals[person] += probability
    return {
        "n": people.count,
        "k": spec.panel_size,
        "households": len(people.households(settings.normalised_address_columns))
        if households
        else people.count,
        "seconds": seconds,
        "peak_mb": peak_mb(),
        "loaded_mb": loaded,
        "panels": sum(1 for probability in probabilities if probability > 0),
        "min_probability": min(marginals.values()),
    }


def one(data: Path, name: str, algorithm: str, households: bool) -> int:
    spec = INSTANCES[name]
    # Whatever the libraries print goes to stderr: stdout carries the answer alone.
    with contextlib.redirect_stdout(sys.stderr):
        if algorithm == LIBRARY:
            answer = run_library(data / spec.folder, spec, households)
        else:
            answer = run_ours(data / spec.folder, spec, algorithm, households)
    print(json.dumps(answer))
    return 0


# --- the parent: a child per run, then the table ---------------------------------------------


def measure(
    data: Path, name: str, algorithm: str, *, households: bool, timeout: float | None
) -> Run:
    command = [sys.executable, __file__, "--one", name, algorithm, "--data", str(data)]
    if households:
        command.append("--households")
    try:
        child = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, cwd=PROJECT_ROOT
        )
    except subprocess.TimeoutExpired:
        return Run(name, algorithm, problem=f"timed out after {timeout:.0f} s")
    # The answer is the last line; a solver writing straight to file descriptor 1 may add others.
    lines = child.stdout.strip().splitlines()
    if child.returncode != 0 or not lines or not lines[-1].startswith("{"):
        detail = (child.stderr.strip().splitlines() or [f"exit status {child.returncode}"])[-1]
        return Run(name, algorithm, problem=f"failed: {detail}")
    answer = json.loads(lines[-1])
    return Run(
        name,
        algorithm,
        n=int(answer["n"]),
        k=int(answer["k"]),
        households=int(answer["households"]),
        seconds=float(answer["seconds"]),
        peak_mb=float(answer["peak_mb"]),
        loaded_mb=float(answer["loaded_mb"]),
        panels=int(answer["panels"]),
        min_probability=float(answer["min_probability"]),
    )


def agreement(run: Run, reference: Reference | None, households: bool) -> str:
    """Whether the run's minimum is the reference optimum: yes, NO, or n/a."""
    if run.problem or reference is None:
        return "n/a"
    if households and run.households < run.n:  # the optimum listed is without the rule
        return "n/a"
    return "yes" if abs(run.min_probability - reference.optimum) <= TOLERANCE else "NO"


def library_version() -> str | None:
    if importlib.util.find_spec("sortition_algorithms") is None:
        return None
    try:
        return importlib.metadata.version(LIBRARY_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return "(version unknown)"


def table(rows: list[list[str]]) -> str:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        cells = [
            cell.ljust(width) if column < 4 else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def header(args: argparse.Namespace, version: str | None, specs: list[Spec]) -> list[str]:
    load = os.getloadavg()[0]
    highspy = importlib.metadata.version("highspy")
    lines = [
        f"date:           {date.today().isoformat()}",
        f"machine:        {os.cpu_count()} CPUs, load average {load:.1f} at the start; "
        f"Python {platform.python_version()}, highspy {highspy}",
        f"data:           {args.data}",
        "ours:           engage.juries.selection.select (HiGHS); time = select() only, CSV "
        "reading excluded",
    ]
    if args.households:
        rule = "on: at most one person per household"
        library_rule = "check_same_address = true on " + "; ".join(
            f"{spec.name}: {', '.join(spec.household_columns)}" for spec in specs
        )
    else:
        rule = "off"
        library_rule = "check_same_address = false"
    lines.append(f"household rule: {rule}")
    if args.skip_library:
        lines.append(f"library:        {LIBRARY_PACKAGE} skipped (--skip-library)")
    elif version is None:
        lines.append(
            f"library:        {LIBRARY_PACKAGE} is not installed (pip install -e '.[bench]'): "
            "its MAXIMIN is not run"
        )
    elif "maximin" not in args.algorithms:
        lines.append(f"library:        {LIBRARY_PACKAGE} not run (only compared with our MAXIMIN)")
    else:
        lines.append(
            f"library:        {LIBRARY_PACKAGE} {version}, MAXIMIN with solver_backend = "
            f'"{LIBRARY_BACKEND}", {library_rule}; time = find_distribution_maximin() only, CSV '
            "reading excluded"
        )
    lines.append(
        "peak MB:        ru_maxrss of a fresh child process per run (interpreter, libraries, "
        "pool and the solver's C memory)"
    )
    return lines


def report(
    runs: list[Run], references: dict[str, Reference], households: bool
) -> tuple[list[str], bool]:
    """The table, the notes under it, and whether everything ran and agreed."""
    rows = [
        [
            "instance",
            "n",
            "k",
            "algorithm",
            *(["households"] if households else []),
            "seconds",
            "peak MB",
            "panels",
            "min probability",
            "optimum",
            "agrees",
            "library s",
            "library/ours",
        ]
    ]
    library = {run.instance: run for run in runs if run.algorithm == LIBRARY and not run.problem}
    good = True
    for run in runs:
        reference = references.get(run.instance)
        label = f"{LIBRARY_PACKAGE} maximin" if run.algorithm == LIBRARY else run.algorithm
        optimum = f"{reference.optimum:.6f}" if reference else "-"
        if run.problem:
            good = False
            failed = "timeout" if run.problem.startswith("timed out") else "failed"
            rows.append(
                [
                    *(run.instance, "-", "-", label),
                    *(["-"] if households else []),
                    *(failed, "-", "-", "-", optimum, "n/a", "", ""),
                ]
            )
            continue
        agrees = agreement(run, reference, households)
        good = good and agrees != "NO"
        theirs = library.get(run.instance) if run.algorithm == "maximin" else None
        rows.append(
            [
                run.instance,
                str(run.n),
                str(run.k),
                label,
                *([str(run.households)] if households else []),
                f"{run.seconds:.2f}",
                f"{run.peak_mb:.0f}",
                str(run.panels),
                f"{run.min_probability:.6f}",
                optimum,
                agrees,
                f"{theirs.seconds:.2f}" if theirs else "",
                f"{theirs.seconds / run.seconds:.1f}x" if theirs and run.seconds > 0 else "",
            ]
        )
    if not any(run.algorithm == LIBRARY for run in runs):  # no library: no columns for it
        rows = [row[:-2] for row in rows]
    return [table(rows), *notes(runs, references, households)], good


def notes(runs: list[Run], references: dict[str, Reference], households: bool) -> list[str]:
    lines = [""]
    lines += [f"{run.instance} {run.algorithm}: {run.problem}" for run in runs if run.problem]
    done = [run for run in runs if not run.problem]
    if done:
        low, high = min(run.loaded_mb for run in done), max(run.loaded_mb for run in done)
        held = f"{low:.0f}" if round(low) == round(high) else f"{low:.0f}-{high:.0f}"
        lines.append(
            f"Before computing, the children already held {held} MB (interpreter, libraries, pool)."
        )
    published = [
        f"{name} {references[name].library_seconds:g} s"
        for name in dict.fromkeys(run.instance for run in runs if run.algorithm == LIBRARY)
        if name in references
    ]
    if published:
        lines.append(
            "The data README's times for the library's MAXIMIN: " + ", ".join(published) + "."
        )
    ours = {(run.instance, run.algorithm): run for run in done}
    targets = []
    for name in SPEEDUP_INSTANCES:
        mine, theirs = ours.get((name, "maximin")), ours.get((name, LIBRARY))
        if mine and theirs and mine.seconds > 0:
            ratio = theirs.seconds / mine.seconds
            verdict = "met" if ratio >= SPEEDUP_TARGET else "NOT met"
            targets.append(
                f"  our MAXIMIN at least {SPEEDUP_TARGET:g}x faster than the library on {name}: "
                f"{ratio:.1f}x, {verdict}"
            )
    mine = ours.get((LEXIMIN_TARGET_INSTANCE, "leximin"))
    if mine:
        met = mine.seconds < LEXIMIN_TARGET_SECONDS and mine.peak_mb < LEXIMIN_TARGET_MB
        targets.append(
            f"  our LEXIMIN on {LEXIMIN_TARGET_INSTANCE} under {LEXIMIN_TARGET_SECONDS:g} s and "
            f"{LEXIMIN_TARGET_MB:g} MB: {mine.seconds:.0f} s, {mine.peak_mb:.0f} MB, "
            f"{'met' if met else 'NOT met'}"
        )
    if targets:
        rule = ", household rule on (the issue's targets are without it)" if households else ""
        lines += [f"Targets of issue 3 (2-core machine{rule}):", *targets]
    return lines


def names(text: str, known: tuple[str, ...], what: str) -> list[str]:
    chosen = [name.strip().removeprefix("synthetic/") for name in text.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in known]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"unknown {what} {', '.join(unknown) or '(none given)'}; choose from {', '.join(known)}"
        )
    return list(dict.fromkeys(chosen))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--instances",
        type=lambda text: names(text, tuple(INSTANCES), "instance"),
        default=list(INSTANCES),
        help=f"comma-separated, from {','.join(INSTANCES)} (default: all)",
    )
    parser.add_argument(
        "--algorithms",
        type=lambda text: names(text, ALGORITHMS, "algorithm"),
        default=list(ALGORITHMS),
        help="comma-separated, from leximin,maximin (default: both)",
    )
    parser.add_argument(
        "--households", action="store_true", help="at most one person per household"
    )
    parser.add_argument(
        "--skip-library", action="store_true", help=f"do not run the MAXIMIN of {LIBRARY_PACKAGE}"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=1800.0,
        help="seconds each run may take before it is stopped (default 1800; 0: no limit)",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help=f"the sortition data folder (default {DEFAULT_DATA})",
    )
    parser.add_argument("--one", nargs=2, metavar=("INSTANCE", "ALGORITHM"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.one:
        name, algorithm = args.one
        if name not in INSTANCES or algorithm not in (*ALGORITHMS, LIBRARY):
            parser.error(f"--one: unknown instance or algorithm {name} {algorithm}")
        return one(args.data, name, algorithm, args.households)

    missing = [
        str(args.data / INSTANCES[name].folder)
        for name in args.instances
        if not (args.data / INSTANCES[name].folder).is_dir()
    ]
    if missing:
        parser.error(f"no instance folder {', '.join(missing)} (see --data)")
    version = None if args.skip_library else library_version()
    with_library = version is not None and "maximin" in args.algorithms
    specs = [INSTANCES[name] for name in args.instances]
    print("\n".join(header(args, version, specs)), flush=True)

    timeout = args.timeout if args.timeout > 0 else None
    runs = []
    for name in args.instances:
        for algorithm in [*args.algorithms, *([LIBRARY] if with_library else [])]:
            print(f"  running {name} {algorithm} ...", file=sys.stderr, flush=True)
            run = measure(args.data, name, algorithm, households=args.households, timeout=timeout)
            outcome = run.problem or f"{run.seconds:.2f} s, {run.peak_mb:.0f} MB"
            print(f"  {name} {algorithm}: {outcome}", file=sys.stderr, flush=True)
            runs.append(run)
    lines, good = report(runs, read_references(args.data), args.households)
    print()
    print("\n".join(lines))
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
