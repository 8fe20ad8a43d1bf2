"""`engage juries select`: the command-line contract checked from outside (both CSV formats,
the result's keys and ids, exit status 2 with the explanation for infeasible quotas)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from engage.cli import juries_select

DATA = Path(__file__).parent / "data"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(juries_select, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_paper_format_names_people_by_row_number(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    code, _, stderr = run(
        "--people", str(DATA / "example_small_20" / "respondents.csv"),
        "--quotas", str(DATA / "example_small_20" / "categories.csv"),
        "--size", "20", "--seed", "town hall", "--out", str(out),
    )  # fmt: skip
    assert code == 0, stderr
    result = json.loads(out.read_text())
    assert set(result) == {
        "algorithm", "panels", "probabilities", "marginals", "min_probability", "selected",
        "seconds",
    }  # fmt: skip
    assert result["algorithm"] == "leximin"
    assert set(result["marginals"]) == {str(i) for i in range(200)}
    assert result["min_probability"] == pytest.approx(0.1, abs=1e-5)
    assert sum(result["probabilities"]) == pytest.approx(1)
    assert len(result["selected"]) == 20
    assert result["selected"] in result["panels"]
    # The same seed draws the same panel.
    again = tmp_path / "again.json"
    run(
        "--people", str(DATA / "example_small_20" / "respondents.csv"),
        "--quotas", str(DATA / "example_small_20" / "categories.csv"),
        "--size", "20", "--seed", "town hall", "--out", str(again),
    )  # fmt: skip
    assert json.loads(again.read_text())["selected"] == result["selected"]


@pytest.mark.parametrize("algorithm", ["maximin", "legacy"])
def test_sortition_foundation_format_with_households(tmp_path: Path, algorithm: str) -> None:
    out = tmp_path / "result.json"
    code, _, stderr = run(
        "--people", str(DATA / "scotland_150" / "candidates.csv"),
        "--quotas", str(DATA / "scotland_150" / "features.csv"),
        "--size", "22", "--algorithm", algorithm, "--households", "--out", str(out),
    )  # fmt: skip
    assert code == 0, stderr
    result = json.loads(out.read_text())
    assert result["algorithm"] == algorithm
    assert set(result["marginals"]) == {f"p{i}" for i in range(150)}
    assert all(len(panel) == 22 for panel in result["panels"])
    assert len(set(result["selected"])) == 22


def test_infeasible_quotas_exit_2_with_the_relaxation_on_stderr(tmp_path: Path) -> None:
    quotas = tmp_path / "features.csv"
    original = (DATA / "scotland_150" / "features.csv").read_text()
    quotas.write_text(original.replace("age_bracket,16-29,5,7,0,7", "age_bracket,16-29,9,12,0,12"))
    out = tmp_path / "result.json"
    code, _, stderr = run(
        "--people", str(DATA / "scotland_150" / "candidates.csv"),
        "--quotas", str(quotas), "--size", "22", "--out", str(out),
    )  # fmt: skip
    assert code == 2
    assert "age_bracket" in stderr
    assert "lower the minimum" in stderr or "raise the maximum" in stderr
    assert not out.exists()


def test_bad_rows_exit_1_listing_each_with_its_line(tmp_path: Path) -> None:
    quotas = tmp_path / "categories.csv"
    quotas.write_text("category,feature,min,max\ngender,female,x,20\ngender,male,9,-1\n")
    code, _, stderr = run(
        "--people", str(DATA / "example_small_20" / "respondents.csv"),
        "--quotas", str(quotas), "--size", "20", "--out", str(tmp_path / "r.json"),
    )  # fmt: skip
    assert code == 1
    assert "line 2" in stderr
    assert "line 3" in stderr
