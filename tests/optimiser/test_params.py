"""The search's parameter objects: the measured defaults, errors that name the field, and
that the engine hands them to the search."""

from __future__ import annotations

import dataclasses
import doctest
import re

import pytest

from optimiser import lns, params, search
from optimiser.compile import compile_problem
from optimiser.engine import RoutingModel, solve, warm_up
from optimiser.errors import ParameterError
from optimiser.params import AnnealParams, LNSParams, SearchParams

from .builders import carer, client, problem, random_day, visit


def test_defaults_are_the_measured_values():
    """The values the search ran with before they became parameter objects."""
    assert dataclasses.asdict(LNSParams()) == {
        "size": (4, 25), "threshold": 30.0, "threshold_share": 0.02, "plateau": True, "focus_size": 40,
        "target_first": True, "route_share": 0.3, "string_share": 0.5, "free_share": 0.5,
    }
    search = SearchParams()
    assert (search.fleet_share, search.lns_share, search.linked_gls_limit) == (0.4, 0.5, 300)
    assert search.lns == LNSParams()


@pytest.mark.parametrize(("cls", "name", "value"), [
    (LNSParams, "size", (5, 2)),
    (LNSParams, "size", (-1, 3)),
    (LNSParams, "size", [4, 25]),
    (LNSParams, "size", (4.0, 25)),
    (LNSParams, "threshold", -1.0),
    (LNSParams, "threshold", float("nan")),
    (LNSParams, "threshold", "30"),
    (LNSParams, "threshold_share", 1.5),
    (LNSParams, "plateau", 1),
    (LNSParams, "focus_size", -3),
    (LNSParams, "focus_size", 2.5),
    (LNSParams, "target_first", None),
    (LNSParams, "route_share", 2),
    (LNSParams, "string_share", -0.1),
    (SearchParams, "fleet_share", 1.01),
    (SearchParams, "lns_share", True),
    (SearchParams, "linked_gls_limit", -1),
    (SearchParams, "lns", {"size": (4, 25)}),
])
def test_a_bad_value_names_the_field(cls, name, value):
    with pytest.raises(ParameterError, match=rf"^{cls.__name__}\.{name}: .+, got {re.escape(repr(value))}$"):
        cls(**{name: value})


def test_replace_checks_again_and_fields_are_frozen():
    assert dataclasses.replace(LNSParams(), size=(2, 10)).size == (2, 10)
    with pytest.raises(ParameterError, match="LNSParams.route_share"):
        dataclasses.replace(LNSParams(), route_share=3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        LNSParams().size = (1, 2)  # type: ignore[misc]


def test_module_examples_run():
    assert doctest.testmod(params).failed == 0


def test_the_linked_visits_limit_picks_the_search():
    """Double-handed visits below the limit leave OR-Tools GLS in the plan; a limit of 0
    makes them CP-heavy, so only the LNS runs."""
    p = problem(
        carers=[carer("a", 0, 0), carer("b", 1, 0), carer("c", 2, 0)],
        clients=[client("c1", 0.5, 0), client("c2", 1.5, 0)],
        visits=[visit("d", "c1", "09:00", "10:00", 30, carers_required=2), visit("s", "c2", "08:00", "12:00", 30)],
        policy={"break_after_minutes": None, "max_commute_minutes": None},
    )
    data = compile_problem(p)
    assert not RoutingModel(data).cp_heavy
    assert RoutingModel(data, SearchParams(linked_gls_limit=0)).cp_heavy


def _params_seen(monkeypatch, module) -> list:
    """The params objects ``module.improve`` is called with from now on."""
    seen = []
    improve = module.improve

    def spy(c, deadline, params=None, **kw):
        seen.append(params)
        return improve(c, deadline, params, **kw)

    monkeypatch.setattr(module, "improve", spy)
    return seen


def test_solve_hands_its_lns_params_to_the_search(monkeypatch):
    seen = _params_seen(monkeypatch, lns)
    mine = LNSParams(size=(2, 6), focus_size=0, string_share=0.0)
    s = solve(random_day(30, 5, seed=4), time_limit=1.0, seed=1, params=SearchParams(lns=mine),
              first_solution="GREEDY_INSERTION+LNS")
    assert s.statistics.strategy == "GREEDY_INSERTION+LNS"
    assert seen == [mine]


def test_solve_hands_its_anneal_params_to_the_compiled_search(monkeypatch):
    warm_up()  # (its own small search, once per process)
    seen = _params_seen(monkeypatch, search)
    mine = AnnealParams(string_mean=4.0, blink=0.0)
    s = solve(random_day(30, 5, seed=4), time_limit=1.0, seed=1, params=SearchParams(anneal=mine))
    assert s.statistics.strategy == "GREEDY_INSERTION+SISR"
    assert seen == [mine]
