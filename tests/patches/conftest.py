"""Small hand-made demand: two market towns 10 km apart and a west/east design."""

from __future__ import annotations

import pytest
from shapely.geometry import box

from patches.demand import ClientPlan, Demand, PlanVisit
from patches.designs import Design, Patch
from patches.evaluate import CarerHome, EvaluationSettings, Supply

WEST_TOWN = (52.60, -0.70)
EAST_TOWN = (52.60, -0.555)


def assert_tables_square(md: str) -> None:
    """Every Markdown table row of a report has as many cells as its header."""
    table: list[int] = []
    for line in [*md.splitlines(), ""]:
        if line.startswith("|"):
            table.append(line.count("|"))
        elif table:
            assert set(table) == {table[0]}, table
            table = []


def _client(cid: str, lat: float, lon: float, setting: str, visits: int = 2, double: bool = False) -> ClientPlan:
    times = ["08:00", "17:30", "12:00", "20:00"][:visits]
    plan = [PlanVisit(days="daily", time=t, duration_minutes=30, carers_required=2 if double and t == "08:00" else 1) for t in times]
    return ClientPlan(id=cid, lat=lat, lon=lon, plan=plan, setting=setting)


def make_demand(per_town: int = 6) -> Demand:
    clients = []
    for town, (lat0, lon0) in (("w", WEST_TOWN), ("e", EAST_TOWN)):
        for i in range(per_town):
            rural = i >= per_town - 2  # the last two live out in the villages
            d = 0.02 if rural else 0.004
            clients.append(
                _client(f"{town}{i}", lat0 + d * ((i % 3) - 1), lon0 + d * ((i // 3) - 0.5), "rural" if rural else "urban",
                        visits=1 + i % 3, double=(i == 0 and town == "w"))
            )
    return Demand(clients=clients, source="tests")


@pytest.fixture
def demand() -> Demand:
    return make_demand()


@pytest.fixture
def supply() -> Supply:
    return make_supply()


def make_supply() -> Supply:
    return Supply(carers=[
        CarerHome(id="kw1", lat=WEST_TOWN[0], lon=WEST_TOWN[1]),
        CarerHome(id="kw2", lat=WEST_TOWN[0] + 0.003, lon=WEST_TOWN[1]),
        CarerHome(id="kw3", lat=WEST_TOWN[0] - 0.003, lon=WEST_TOWN[1]),
        CarerHome(id="ke1", lat=EAST_TOWN[0], lon=EAST_TOWN[1]),
        CarerHome(id="ke2", lat=EAST_TOWN[0] + 0.003, lon=EAST_TOWN[1]),
    ])


@pytest.fixture
def west_east() -> Design:
    return make_west_east()


def make_west_east() -> Design:
    return Design("west-east", [
        Patch("West", box(-0.80, 52.50, -0.6275, 52.70)),
        Patch("East", box(-0.6275, 52.50, -0.45, 52.70)),
    ])


@pytest.fixture
def settings() -> EvaluationSettings:
    return EvaluationSettings(time_limit=1.0, probe_time_limit=1.0, max_probes=2, search_carers=False)
