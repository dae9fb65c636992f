"""The input boundary shared by the command line and the service (``optimiser.intake``)."""

from __future__ import annotations

import json

import pytest

from optimiser.cli import EXIT_BAD_INPUT, main
from optimiser.errors import InputError, TooLarge
from optimiser.generator import GeneratorSettings, generate_day
from optimiser.intake import Limits, Sources, admit, check_size, parse_json

LIMITS = Limits(visits=10, carers=3, clients=5, matrix_points=4)


@pytest.mark.parametrize(("doc", "message"), [
    ({"visits": [{}] * 11}, "visits: 11 visits is more than the limit of 10 (CAREROTA_MAX_VISITS)"),
    ({"carers": [{}] * 4}, "carers: 4 carers is more than the limit of 3 (CAREROTA_MAX_CARERS)"),
    ({"clients": [{}] * 6}, "clients: 6 clients is more than the limit of 5 (CAREROTA_MAX_CLIENTS)"),
    ({"travel": {"matrix": {"points": ["a"] * 5}}},
     "travel.matrix.points: 5 matrix points is more than the limit of 4 (CAREROTA_MAX_MATRIX_POINTS)"),
])
def test_size_limits_name_the_field_the_limit_and_the_setting(doc, message):
    with pytest.raises(TooLarge) as err:
        check_size(doc, LIMITS)
    assert str(err.value) == message


@pytest.mark.parametrize("doc", [
    {}, [], None, 3, {"visits": "many"}, {"travel": None}, {"travel": {"matrix": 7}},
    {"visits": [{}] * 10, "carers": [{}] * 3, "clients": [{}] * 5, "travel": {"matrix": {"points": [1] * 4}}},
])
def test_within_limits_or_malformed_is_left_to_the_contract(doc):
    check_size(doc, LIMITS)  # no error: shapes are the model's business


@pytest.mark.parametrize(("text", "where"), [
    (b'{"id": "x", "carers": [', "line 1 column 23"),
    (b'{"a": 1} trailing', "line 1 column 10"),
    (b"\xff\xfe", "line 1 column 1"),
])
def test_json_errors_name_the_place(text, where):
    with pytest.raises(InputError, match="body is not valid JSON") as err:
        parse_json(text, "body")
    assert where in str(err.value)


def test_admit_checks_size_before_the_contract():
    # a document that is both too large and invalid: the cheap size check answers first
    doc = {"id": "x", "carers": [], "clients": [], "visits": [{"nonsense": True}] * 11}
    with pytest.raises(TooLarge):
        admit(json.dumps(doc), LIMITS, Sources())


def test_a_place_needs_online_lookups_allowed():
    problem = generate_day(GeneratorSettings(visits=5, carers=2, seed=1)).model_dump(mode="json")
    problem["travel"] = {"road_network": {"place": "Oakham, UK"}}
    big = Limits(100, 100, 100, 100)
    with pytest.raises(InputError, match="travel.road_network.place: this server does not look places up online"):
        admit(json.dumps(problem), big, Sources(osm_dirs=(), online=False))
    assert admit(json.dumps(problem), big, Sources()).travel.road_network.place == "Oakham, UK"


def test_the_command_line_applies_the_same_limits(tmp_path, monkeypatch, capsys):
    path = tmp_path / "day.json"
    path.write_text(generate_day(GeneratorSettings(visits=12, carers=3, seed=1)).model_dump_json())
    monkeypatch.setenv("CAREROTA_MAX_VISITS", "10")
    assert main(["validate", str(path), str(path)]) == EXIT_BAD_INPUT
    assert "visits: 12 visits is more than the limit of 10 (CAREROTA_MAX_VISITS)" in capsys.readouterr().err
    monkeypatch.setenv("CAREROTA_MAX_VISITS", "lots")
    assert main(["solve", str(path), "-o", str(tmp_path / "out.json")]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "CAREROTA_MAX_VISITS: Input should be a valid integer" in err and "Traceback" not in err
