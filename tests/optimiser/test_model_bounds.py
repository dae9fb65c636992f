"""The contract's bounds: finite numbers, capped ints and strings, local date-times.

Every hostile value is refused when the document is parsed, with a message that names
the field, so nothing reaches the engine (an overflow, speed 0 searching for 25 s) or
the server's disk. Legitimate data (the example, generated days, every benchmark
family) still loads: those tests pin the caps from below.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from optimiser.generator import GeneratorSettings, generate_day
from optimiser.io import InputError, parse
from optimiser.model import (
    HORIZON_DAYS,
    LOCAL_DATETIME_PATTERN,
    MAX_MINUTES,
    Interval,
    Problem,
    Solution,
    Stop,
)

from .builders import carer, client, problem, visit

EXAMPLE = Path(__file__).resolve().parents[2] / "optimiser" / "data" / "example_day.json"


def _doc() -> dict[str, Any]:
    """A small valid problem as JSON data, with a matrix so every travel field is present."""
    return problem(
        [carer("ann", 0, 0), carer("bea", 1, 1, hourly_wage=13.0, capacity=10)],
        [client("c1", 1, 0, known_carers={"ann": 3}, excluded_carers=["bea"]), client("c2", 2, 0)],
        [
            visit("v1", "c1", "08:00", "09:00", 30, demand=2),
            visit("v2", "c1", "12:00", "13:00", 30, after={"visit": "v1", "min_minutes": 120, "max_minutes": 300}),
            visit("v3", "c2", "10:00", "11:00", 45, pinned_carers=["ann"], late_limit_minutes=30),
        ],
        travel={
            "matrix": {
                "points": ["ann", "bea", "c1", "c2"],
                "minutes": {"car": [[0, 5, 5, 5], [5, 0, 5, 5], [5, 5, 0, 5], [5, 5, 5, 0]]},
                "km": {"car": [[0, 2, 2, 2], [2, 0, 2, 2], [2, 2, 0, 2], [2, 2, 2, 0]]},
            }
        },
    ).model_dump(mode="json")


def _refused(mutate: Callable[[dict], Any], *fragments: str) -> str:
    """Parse the mutated document as JSON text; assert an InputError naming ``fragments``."""
    doc = _doc()
    mutate(doc)
    # allow_nan: the JSON tokens NaN and Infinity, which pydantic's JSON parser reads
    with pytest.raises(InputError) as err:
        parse(Problem, json.dumps(doc, allow_nan=True))
    message = str(err.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} missing from: {message}"
    assert "pydantic" not in message and "errors.pydantic.dev" not in message
    return message


def test_the_small_document_is_valid() -> None:
    parse(Problem, json.dumps(_doc()))


# --------------------------------------------------------------------------- finite numbers

NON_FINITE = [float("nan"), float("inf"), float("-inf")]


@pytest.mark.parametrize("value", NON_FINITE, ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize(
    "where, mutate",
    [
        ("travel.haversine.speed_kmh.car", lambda d, x: d["travel"].update(haversine={"speed_kmh": {"car": x}})),
        ("policy.drop_penalty.normal", lambda d, x: d["policy"].update(drop_penalty={"normal": x})),
        ("policy.mileage_per_mile.car", lambda d, x: d["policy"].update(mileage_per_mile={"car": x})),
        ("policy.hourly_wage", lambda d, x: d["policy"].update(hourly_wage=x)),
        ("policy.lateness_per_minute", lambda d, x: d["policy"].update(lateness_per_minute=x)),
        ("carers.1.hourly_wage", lambda d, x: d["carers"][1].update(hourly_wage=x)),
        ("carers.0.fixed_cost", lambda d, x: d["carers"][0].update(fixed_cost=x)),
        ("carers.0.home.lat", lambda d, x: d["carers"][0]["home"].update(lat=x)),
        ("travel.matrix.minutes.car.1.2", lambda d, x: d["travel"]["matrix"]["minutes"]["car"][1].__setitem__(2, x)),
        ("travel.matrix.km.car.3.0", lambda d, x: d["travel"]["matrix"]["km"]["car"][3].__setitem__(0, x)),
        ("options.time_limit_seconds", lambda d, x: d["options"].update(time_limit_seconds=x)),
    ],
)
def test_nan_and_infinity_are_refused_everywhere(where: str, mutate: Callable, value: float) -> None:
    """allow_inf_nan=False reaches floats nested in dicts and lists too."""
    message = _refused(lambda d: mutate(d, value), where)
    if where not in ("carers.0.home.lat", "policy.hourly_wage", "carers.1.hourly_wage", "options.time_limit_seconds"):
        assert "finite" in message or "less than" in message or "greater than" in message


def test_nan_from_python_data_is_refused_too() -> None:
    doc = _doc()
    doc["policy"]["drop_penalty"] = {"critical": float("nan")}
    with pytest.raises(InputError, match=r"policy\.drop_penalty\.critical: Input should be a finite number"):
        parse(Problem, doc)


# --------------------------------------------------------------------------- number bounds

BIG = 2**63  # beyond int64: must never reach numpy or OR-Tools


@pytest.mark.parametrize(
    "case, mutate, fragment",
    [
        ("speed 0", lambda d: d["travel"].update(haversine={"speed_kmh": {"walk": 0}}), "travel.haversine.speed_kmh.walk"),
        ("speed < 0", lambda d: d["travel"].update(haversine={"speed_kmh": {"car": -30}}), "speed_kmh.car"),
        ("policy wage 0", lambda d: d["policy"].update(hourly_wage=0), "policy.hourly_wage"),
        ("policy wage huge", lambda d: d["policy"].update(hourly_wage=1e6), "policy.hourly_wage"),
        ("carer wage < 0", lambda d: d["carers"][0].update(hourly_wage=-1), "carers.0.hourly_wage"),
        ("carer wage huge", lambda d: d["carers"][0].update(hourly_wage=1e12), "carers.0.hourly_wage"),
        ("drop penalty < 0", lambda d: d["policy"].update(drop_penalty={"high": -1}), "policy.drop_penalty.high"),
        ("drop penalty huge", lambda d: d["policy"].update(drop_penalty={"high": 1e300}), "policy.drop_penalty.high"),
        ("fixed cost huge", lambda d: d["carers"][0].update(fixed_cost=1e300), "carers.0.fixed_cost"),
        ("matrix cell < 0", lambda d: d["travel"]["matrix"]["minutes"]["car"][0].__setitem__(1, -1),
         "travel.matrix.minutes.car.0.1"),
        ("matrix cell huge", lambda d: d["travel"]["matrix"]["km"]["car"][2].__setitem__(3, 1e300),
         "travel.matrix.km.car.2.3"),
        ("time limit 0", lambda d: d["options"].update(time_limit_seconds=0), "options.time_limit_seconds"),
        ("time limit > 1 day", lambda d: d["options"].update(time_limit_seconds=86_401), "options.time_limit_seconds"),
        ("seed < 0", lambda d: d["options"].update(seed=-1), "options.seed"),
        ("seed > int32", lambda d: d["options"].update(seed=2**31), "options.seed"),
        ("duration huge", lambda d: d["visits"][0].update(duration_minutes=BIG), "visits.0.duration_minutes"),
        ("late limit huge", lambda d: d["visits"][2].update(late_limit_minutes=BIG), "visits.2.late_limit_minutes"),
        ("demand huge", lambda d: d["visits"][0].update(demand=BIG), "visits.0.demand"),
        ("capacity huge", lambda d: d["carers"][1].update(capacity=BIG), "carers.1.capacity"),
        ("known count huge", lambda d: d["clients"][0].update(known_carers={"ann": BIG}), "clients.0.known_carers.ann"),
        ("known count < 0", lambda d: d["clients"][0].update(known_carers={"ann": -1}), "clients.0.known_carers.ann"),
        ("after.min huge", lambda d: d["visits"][1]["after"].update(min_minutes=-BIG), "visits.1.after.min_minutes"),
        ("after.max huge", lambda d: d["visits"][1]["after"].update(max_minutes=BIG), "visits.1.after.max_minutes"),
        ("max work huge", lambda d: d["carers"][0].update(max_work_minutes=BIG), "carers.0.max_work_minutes"),
        ("contracted huge", lambda d: d["carers"][0].update(contracted_minutes=BIG), "carers.0.contracted_minutes"),
        ("break after huge", lambda d: d["policy"].update(break_after_minutes=BIG), "policy.break_after_minutes"),
        ("break huge", lambda d: d["policy"].update(break_minutes=MAX_MINUTES + 1), "policy.break_minutes"),
        ("snap limit huge", lambda d: d["travel"].update(
            matrix=None, road_network={"osm_file": "x.osm.pbf", "snap_limit_m": 1e300}),
         "travel.road_network.snap_limit_m"),
        ("detour huge", lambda d: d["travel"].update(haversine={"detour_factor": 1e300}), "travel.haversine.detour_factor"),
        ("travel weight huge", lambda d: d["policy"].update(travel_weight=1e300), "policy.travel_weight"),
        ("on-cost rate huge", lambda d: d["policy"].update(ni_pension_rate=1e300), "policy.ni_pension_rate"),
    ],
)
def test_numbers_out_of_bounds_are_refused(case: str, mutate: Callable, fragment: str) -> None:
    _refused(mutate, fragment)


def test_bound_messages_read_well() -> None:
    message = _refused(lambda d: d["travel"].update(haversine={"speed_kmh": {"car": 0}}), "")
    assert message.endswith("travel.haversine.speed_kmh.car: Input should be greater than 0")
    message = _refused(lambda d: d["options"].update(time_limit_seconds=1e9), "")
    assert message.endswith("options.time_limit_seconds: Input should be less than or equal to 86400")


# --------------------------------------------------------------------------- strings

LONG = "x" * 129


@pytest.mark.parametrize(
    "mutate, fragment",
    [
        (lambda d: d.update(id=LONG), "id: String should have at most 128 characters"),
        (lambda d: d["carers"][0].update(id=LONG), "carers.0.id"),
        (lambda d: d["clients"][0].update(id=LONG), "clients.0.id"),
        (lambda d: d["visits"][0].update(id=LONG), "visits.0.id"),
        (lambda d: d["visits"][0].update(client=LONG), "visits.0.client"),
        (lambda d: d["visits"][2].update(pinned_carers=[LONG]), "visits.2.pinned_carers.0"),
        (lambda d: d["visits"][1]["after"].update(visit=LONG), "visits.1.after.visit"),
        (lambda d: d["clients"][0].update(excluded_carers=[LONG]), "clients.0.excluded_carers.0"),
        (lambda d: d["clients"][0].update(known_carers={LONG: 1}), "clients.0.known_carers"),
        (lambda d: d["travel"]["matrix"]["points"].__setitem__(0, LONG), "travel.matrix.points.0"),
        (lambda d: d["carers"][0].update(skills=[LONG]), "carers.0.skills.0"),
    ],
)
def test_long_ids_are_refused(mutate: Callable, fragment: str) -> None:
    _refused(mutate, fragment)


@pytest.mark.parametrize("char", ["\x00", "\n", "\x1b", "\x7f", "\x85"], ids=["NUL", "newline", "ESC", "DEL", "NEL"])
@pytest.mark.parametrize(
    "mutate, fragment",
    [
        (lambda d, c: d.update(id=f"day{c}"), "id: contains the control character"),
        (lambda d, c: d["carers"][0].update(id=f"ann{c}"), "carers.0.id"),
        (lambda d, c: d["visits"][0].update(client=f"c1{c}"), "visits.0.client"),
        (lambda d, c: d["visits"][2].update(pinned_carers=[f"{c}ann"]), "visits.2.pinned_carers.0"),
        (lambda d, c: d["clients"][0].update(excluded_carers=[f"b{c}ea"]), "clients.0.excluded_carers.0"),
        (lambda d, c: d["clients"][0].update(known_carers={f"ann{c}": 1}), "clients.0.known_carers"),
        (lambda d, c: d["visits"][1]["after"].update(visit=f"v1{c}"), "visits.1.after.visit"),
        (lambda d, c: d["travel"].update(matrix=None, road_network={"osm_file": f"a{c}.osm.pbf"}),
         "travel.road_network.osm_file"),
        (lambda d, c: d["travel"].update(matrix=None, road_network={"place": f"Rutland{c}"}),
         "travel.road_network.place"),
    ],
)
def test_control_characters_are_refused(mutate: Callable, fragment: str, char: str) -> None:
    _refused(lambda d: mutate(d, char), fragment, "control character")


@pytest.mark.parametrize("key", ["osm_file", "place"])
def test_long_road_network_strings_are_refused(key: str) -> None:
    _refused(
        lambda d: d["travel"].update(matrix=None, road_network={key: "a" * 5000}),
        f"travel.road_network.{key}: String should have at most 1024 characters",
    )


def test_ids_at_the_caps_are_accepted() -> None:
    doc = _doc()
    long_id = "é" * 128  # characters, not bytes
    doc["carers"][0]["id"] = long_id
    doc["visits"][2]["pinned_carers"] = [long_id]
    doc["clients"][0]["known_carers"] = {long_id: 1_000_000}
    doc["travel"]["matrix"]["points"][0] = long_id
    doc["travel"]["matrix"]["minutes"]["car"][0][1] = MAX_MINUTES
    doc["options"]["seed"] = 2**31 - 1
    doc["options"]["time_limit_seconds"] = 86_400
    parse(Problem, json.dumps(doc))


# --------------------------------------------------------------------------- the horizon


def test_problem_spanning_more_than_the_horizon_is_refused() -> None:
    far = (datetime(2026, 11, 23) + timedelta(days=HORIZON_DAYS + 1)).isoformat(timespec="minutes")

    def mutate(d: dict) -> None:
        d["visits"][2]["window"] = {"start": far, "end": far}

    _refused(
        mutate,
        "visits[2].window.start: 2027-11-25T00:00 is 366.7 days after carers[0].shifts[0].start (2026-11-23T07:00)",
        f"must lie within {HORIZON_DAYS} days of each other",
    )


def test_problem_spanning_most_of_the_horizon_is_accepted() -> None:
    doc = _doc()
    late = (datetime(2026, 11, 23) + timedelta(days=HORIZON_DAYS - 1)).isoformat(timespec="minutes")
    doc["carers"][1]["shifts"].append({"start": late, "end": late[:-5] + "23:00"})
    parse(Problem, json.dumps(doc))


# --------------------------------------------------------------------------- local date-times


def _schema_patterns(schema: dict) -> set[str]:
    """Every ``pattern`` of a date-time field in a JSON Schema."""
    found = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            assert node.get("format") != "date-time", node
            if node.get("pattern") and "T" in node["pattern"]:
                found.add(node["pattern"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return found


def test_schema_declares_local_datetimes_by_pattern_not_format() -> None:
    for model in (Problem, Solution):
        for mode in ("validation", "serialization"):
            assert _schema_patterns(model.model_json_schema(mode=mode)) == {LOCAL_DATETIME_PATTERN}


def test_every_time_in_the_example_matches_the_schema() -> None:
    (pattern,) = _schema_patterns(Problem.model_json_schema())
    text = EXAMPLE.read_text()
    times = re.findall(r'"(?:start|end)": "([^"]*)"', text)
    assert len(times) > 600
    assert all(re.fullmatch(pattern, t) for t in times)
    parse(Problem, text)


def test_solution_times_match_the_schema() -> None:
    stop = Stop(visit="v1", arrival="2026-11-23T07:55", start="2026-11-23T08:00", end="2026-11-23T08:30:15.250",
                travel_minutes=5, travel_km=2)
    data = json.loads(stop.model_dump_json())
    assert all(re.fullmatch(LOCAL_DATETIME_PATTERN, data[k]) for k in ("arrival", "start", "end"))


@pytest.mark.parametrize("zone", ["Z", "+01:00", "-0500", "+00"])
def test_a_time_zone_is_refused_clearly(zone: str) -> None:
    value = "2026-11-23T08:00" + zone
    assert not re.fullmatch(LOCAL_DATETIME_PATTERN, value)
    message = _refused(
        lambda d: d["visits"][0]["window"].update(start=value),
        "visits.0.window.start",
        f"has a time zone ({zone!r}); times are local date-times without a zone, like 2026-11-23T07:30",
    )
    assert message.count("visits.0.window.start") == 1


def test_an_aware_datetime_from_python_is_refused() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        Interval(start=datetime(2026, 11, 23, 8, tzinfo=UTC), end=datetime(2026, 11, 23, 9))


@pytest.mark.parametrize(
    "value",
    ["2026-11-23 08:00", "2026-11-23", "20261123T0800", "2026-13-01T08:00", "2026-11-31T08:00", "2027-02-29T08:00",
     "1900-02-29T08:00", "2026-11-23T24:00", "2026-11-23T08:00:60", "2026-11-23T08", "0999-01-01T00:00",
     "2026-11-23T08:00\n", "１２３４-11-23T08:00"],
)
def test_text_the_pattern_refuses_is_refused(value: str) -> None:
    assert not re.fullmatch(LOCAL_DATETIME_PATTERN, value)
    _refused(lambda d: d["visits"][0]["window"].update(start=value), "visits.0.window.start", "is not a local date-time")


def test_a_unix_timestamp_is_refused() -> None:
    _refused(lambda d: d["visits"][0]["window"].update(start=1_795_000_000), "visits.0.window.start")


@pytest.mark.parametrize(
    "value", ["2026-11-23T08:00", "2026-11-23T08:00:59", "2026-11-23T08:00:00.5", "2026-11-23T08:00:00.123456",
              "2028-02-29T23:59", "2000-02-29T00:00", "1000-01-01T00:00", "9999-12-31T23:59"],
)
def test_text_the_pattern_accepts_is_accepted(value: str) -> None:
    assert re.fullmatch(LOCAL_DATETIME_PATTERN, value)
    Interval.model_validate_json(json.dumps({"start": value, "end": value}))


@settings(max_examples=300, deadline=None)
@given(st.from_regex(LOCAL_DATETIME_PATTERN, fullmatch=True))
def test_generated_strings_matching_the_pattern_are_accepted(value: str) -> None:
    """What a schema-following client generates from the pattern parses."""
    interval = Interval.model_validate_json(json.dumps({"start": value, "end": value}))
    assert interval.start.tzinfo is None


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(1000, 1, 1)))
def test_every_naive_datetime_written_as_iso_matches_the_pattern(when: datetime) -> None:
    text = when.isoformat()
    assert re.fullmatch(LOCAL_DATETIME_PATTERN, text)
    assert Interval.model_validate_json(json.dumps({"start": text, "end": text})).start == when


# --------------------------------------------------------------------------- legitimate data still loads


def test_the_embedded_example_loads() -> None:
    parse(Problem, EXAMPLE.read_text())


@pytest.mark.parametrize("seed", [1, 7])
def test_generated_days_round_trip(seed: int) -> None:
    day = generate_day(GeneratorSettings(visits=60, carers=10, seed=seed))
    again = parse(Problem, day.model_dump_json())
    assert again == day


def test_solution_documents_round_trip() -> None:
    doc = copy.deepcopy(_doc())
    solution = Solution.model_validate(
        {"problem_id": doc["id"], "status": "partial",
         "routes": [{"carer": "ann", "stops": [{"visit": "v1", "arrival": "2026-11-23T07:55", "start": "2026-11-23T08:00",
                                                 "end": "2026-11-23T08:30", "travel_minutes": 5, "travel_km": 2}],
                     "breaks": [{"start": "2026-11-23T11:00", "end": "2026-11-23T11:20"}]}],
         "unassigned": [{"visit": "v3", "reason": "no carer", "rule": None}]}
    )
    assert parse(Solution, solution.model_dump_json()) == solution


WIDEST = {
    # family: instance nearest the caps (found by converting every instance): longest
    # span, latest due times (late_limit_minutes) or largest travel-matrix cell
    "solomon": "C208.txt",  # 235 days once stretched to whole minutes (x 100)
    "gehring-homberger": "c2_4_9.txt",  # 256 days: why HORIZON_DAYS is 366, not 62
    "mankowska": "InstanzVNS_HCSRP_300_6.txt.gz",  # 153 days, late limit 206,876 min
    "kummer": "HHCRSP_200_40_82_1.0_C_R.json.gz",  # 221 days, late limit 256,000 min
    "bredstrom": "Bred_06L.txt",  # travel cells up to 5,400 min
}


def _convert(family: str) -> Problem:
    from benchmarks.readers import bredstrom, hhc, kummer, mankowska, solomon

    name = WIDEST[family]
    if family in ("solomon", "gehring-homberger"):
        files = solomon.solomon_files() if family == "solomon" else solomon.gehring_homberger_files(400)
        return solomon.to_problem(solomon.read(next(f for f in files if f.name == name)))
    module, read = {
        "mankowska": (mankowska, mankowska.read),
        "kummer": (kummer, kummer.read_iolab),
        "bredstrom": (bredstrom, bredstrom.read),
    }[family]
    return hhc.to_problem(read(next(f for f in module.files() if f.name == name)))


@pytest.mark.parametrize("family", sorted(WIDEST))
def test_benchmark_instances_nearest_the_caps_load(shared_dir: Path, family: str) -> None:
    if not (shared_dir / "data" / "benchmarks").is_dir():
        pytest.skip("benchmark data absent")
    converted = _convert(family)
    # and again through JSON, as the CLI and the API read it
    assert parse(Problem, converted.model_dump_json()) == converted
