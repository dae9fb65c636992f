"""Bad input reaches the user as one clear paragraph and exit code 2, never a traceback."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from optimiser.cli import EXIT_BAD_INPUT, main


def _problem() -> dict:
    return {
        "id": "tiny",
        "carers": [
            {
                "id": "ann",
                "home": {"lat": 52.63, "lon": -1.13},
                "travel_mode": "car",
                "shifts": [{"start": "2026-11-23T07:00", "end": "2026-11-23T13:00"}],
                "gender": "female",
            }
        ],
        "clients": [{"id": "c1", "location": {"lat": 52.64, "lon": -1.12}}],
        "visits": [
            {
                "id": "v1",
                "client": "c1",
                "window": {"start": "2026-11-23T08:00", "end": "2026-11-23T08:30"},
                "duration_minutes": 30,
            }
        ],
    }


def _break(mutate) -> dict:
    doc = _problem()
    mutate(doc)
    return doc


BAD = {
    "unknown client": (
        lambda d: d["visits"][0].update(client="nobody"),
        ["visits[0].client", "unknown client 'nobody'"],
    ),
    "window end before start": (
        lambda d: d["visits"][0]["window"].update(end="2026-11-23T07:00"),
        ["visits.0.window", "before start"],
    ),
    "duplicate ids": (lambda d: d["visits"].append(dict(d["visits"][0])), ["visits", "duplicate id", "v1"]),
    "carer without shifts": (lambda d: d["carers"][0].update(shifts=[]), ["carers.0.shifts", "at least 1"]),
    "negative duration": (
        lambda d: d["visits"][0].update(duration_minutes=-5),
        ["visits.0.duration_minutes", "greater than 0"],
    ),
    "visit longer than any shift": (
        lambda d: d["visits"][0].update(duration_minutes=400),
        ["visits[0].duration_minutes", "longer than any shift"],
    ),
    "unknown field": (lambda d: d["clients"][0].update(nmae="x"), ["clients.0.nmae", "not permitted"]),
    "bad travel mode": (lambda d: d["carers"][0].update(travel_mode="horse"), ["carers.0.travel_mode"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_problem_is_a_clear_error(case: str, tmp_path: Path, capsys) -> None:
    mutate, expected = BAD[case]
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(_break(mutate)))
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    code = main(["validate", str(path), str(path)])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT
    assert err.startswith("carerota: error: ")
    for fragment in expected:
        assert fragment in err, f"{fragment!r} missing from: {err}"
    assert "Traceback" not in err
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before  # input never modified


def test_malformed_json_and_missing_file(tmp_path: Path, capsys) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"id": "x", "carers": [')
    assert main(["solve", str(path), "-o", str(tmp_path / "out.json")]) == EXIT_BAD_INPUT
    assert "broken.json is not valid JSON: EOF while parsing a list at line 1 column 23" in capsys.readouterr().err
    assert main(["solve", str(tmp_path / "absent.json")]) == EXIT_BAD_INPUT
    assert "cannot read" in capsys.readouterr().err
    assert not (tmp_path / "out.json").exists()


def test_command_line_exit_code_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(_break(lambda d: d["visits"][0].update(client="nobody"))))
    run = subprocess.run(
        [sys.executable, "-m", "optimiser.cli", "solve", str(path)], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == EXIT_BAD_INPUT
    assert "unknown client 'nobody'" in run.stderr
    assert "Traceback" not in run.stderr


def test_schema_lists_both_documents(capsys) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert {"problem", "solution"} == set(schema)
    assert "visits" in schema["problem"]["properties"]
    assert "routes" in schema["solution"]["properties"]


def test_max_steps_repeats_a_solve(tmp_path: Path, capsys) -> None:
    """Two solves of the example with the same seed and step budget write the same roster."""
    rosters = []
    for k in range(2):
        out = tmp_path / f"r{k}.json"
        assert main(["solve", "--max-steps", "300", "--seed", "2", "--time-limit", "120", "-o", str(out)]) == 0
        rosters.append(json.loads(out.read_text())["routes"])
    assert rosters[0] == rosters[1]
    assert main(["solve", "--max-steps", "0"]) == EXIT_BAD_INPUT
    assert "--max-steps" in capsys.readouterr().err


def test_solve_says_what_it_solves_over_which_days(tmp_path: Path, capsys) -> None:
    from optimiser.generator import GeneratorSettings
    from optimiser.io import write_json
    from optimiser.recurring import generate

    week = generate(GeneratorSettings(days=3, visits=10, carers=4, seed=2))
    write_json(week, tmp_path / "week.json")
    assert main(["solve", str(tmp_path / "week.json"), "--max-steps", "20", "--time-limit", "30",
                 "-o", str(tmp_path / "r.json")]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first == (f"solving {len(week.visits)} visits for {len(week.clients)} clients with 4 carers over 3 days, "
                     "Mon 23 Nov to Wed 25 Nov 2026; time limit 30 s")


def test_cost_itemises_a_roster_under_each_employment_model(tmp_path: Path, capsys) -> None:
    from optimiser.employment import employment_cost, employment_model
    from optimiser.generator import example_problem
    from optimiser.io import read_solution, write_json
    from optimiser.kpis import build_kpis

    problem = example_problem()
    write_json(problem, tmp_path / "p.json")
    assert main(["solve", "--max-steps", "50", "-o", str(tmp_path / "r.json")]) == 0
    capsys.readouterr()
    assert main(["cost", str(tmp_path / "p.json"), str(tmp_path / "r.json"), "--json",
                 "--employment", "zero_hours,ethical_care_charter"]) == 0
    costs = json.loads(capsys.readouterr().out)
    roster = read_solution(tmp_path / "r.json")
    kpis = build_kpis(problem, roster)
    for name in ("zero_hours", "ethical_care_charter"):
        expected = employment_cost(problem, roster, kpis, employment_model(name))
        assert costs[name]["cost_per_contact_hour"] == pytest.approx(expected.cost_per_contact_hour)
    assert costs["ethical_care_charter"]["total"] > costs["zero_hours"]["total"]
    assert main(["cost", str(tmp_path / "p.json"), str(tmp_path / "r.json")]) == 0
    table = capsys.readouterr().out
    assert "Cost per contact hour" in table and "Salaried shifts" in table
    assert main(["cost", str(tmp_path / "p.json"), str(tmp_path / "r.json"), "--employment", "salaried"]) == EXIT_BAD_INPUT
    assert "--employment: unknown employment model 'salaried'" in capsys.readouterr().err
