"""Matching beyond language: carers' ``attributes``, clients' hard ``requirements`` and
soft, weighted ``preferences`` (DOMAIN.md, Matching).

The contract refuses bad tags naming the field; ``requirements`` is an eligibility rule of
``optimiser.rules`` that the solver, the unassigned reasons, the validator and the greedy
baseline all apply; a preference is priced in the objective (the routing model's values
and the ruin-and-recreate's exact pricing) and reported as a KPI.
"""

from __future__ import annotations

import json

import pytest

from benchmarks.greedy import GreedyRoster
from optimiser import rules
from optimiser.compile import compile_problem
from optimiser.construct import Construction
from optimiser.engine import GREEDY_GLS, GREEDY_LNS, RoutingModel, solve
from optimiser.io import InputError, parse
from optimiser.kpis import build_kpis
from optimiser.model import MAX_MONEY, Carer, Client, Problem
from optimiser.validator import validate

from . import helpers_validator as tiny
from .builders import carer, client, problem, visit

# --------------------------------------------------------------------------- the contract


def _doc() -> dict:
    return problem([carer("ann"), carer("bea", 1, 0)], [client("c1", 0.5, 0)],
                   [visit("v1", "c1", "09:00", "09:30")]).model_dump(mode="json")


def test_the_fields_default_to_empty_and_round_trip() -> None:
    p = parse(Problem, json.dumps(_doc()))
    assert p.carers[0].attributes == [] and p.clients[0].requirements == [] and p.clients[0].preferences == {}
    doc = _doc()
    doc["carers"][0]["attributes"] = ["non_smoker", "gujarati_heritage"]
    doc["clients"][0].update(requirements=["non_smoker"], preferences={"gujarati_heritage": 2, "hindu": 0.5})
    p = parse(Problem, json.dumps(doc))
    assert p.clients[0].preferences == {"gujarati_heritage": 2.0, "hindu": 0.5}
    assert parse(Problem, p.model_dump_json()) == p


@pytest.mark.parametrize(("where", "field", "value", "message"), [
    ("carers", "attributes", "non_smoker", "carers.0.attributes: Input should be a valid array"),
    ("carers", "attributes", ["non_smoker", 7], "carers.0.attributes.1: Input should be a valid string"),
    ("carers", "attributes", [""], "carers.0.attributes.0: String should have at least 1 character"),
    ("carers", "attributes", ["x" * 129], "carers.0.attributes.0: String should have at most 128 characters"),
    ("carers", "attributes", ["non\nsmoker"], "carers.0.attributes.0: contains the control character"),
    ("clients", "requirements", [None], "clients.0.requirements.0: Input should be a valid string"),
    ("clients", "requirements", {"non_smoker": 1}, "clients.0.requirements: Input should be a valid array"),
    ("clients", "preferences", ["hindu"], "clients.0.preferences: Input should be an object"),
    ("clients", "preferences", {"hindu": "3"}, "clients.0.preferences.hindu: Input should be a valid number"),
    ("clients", "preferences", {"hindu": True}, "clients.0.preferences.hindu: Input should be a valid number"),
    ("clients", "preferences", {"hindu": -1}, "clients.0.preferences.hindu: Input should be greater than or equal to 0"),
    ("clients", "preferences", {"hindu": 2 * MAX_MONEY}, "clients.0.preferences.hindu: Input should be less than or equal to"),
    ("clients", "preferences", {"hindu": float("nan")}, "clients.0.preferences.hindu: Input should be a finite number"),
    ("clients", "preferences", {"hindu": MAX_MONEY, "halal": 1.0},
     "clients.0.preferences: the weights add up to 1,000,000,001.00, more than 1,000,000,000 (GBP per visit)"),
])
def test_bad_tags_are_refused_naming_the_field(where: str, field: str, value, message: str) -> None:
    doc = _doc()
    doc[where][0][field] = value
    with pytest.raises(InputError) as err:
        parse(Problem, json.dumps(doc, allow_nan=True))
    assert message in str(err.value)


def test_the_schema_states_the_fields_and_their_bounds() -> None:
    carer_schema, client_schema = Carer.model_json_schema(), Client.model_json_schema()
    tag = {"type": "string", "minLength": 1, "maxLength": 128}
    assert tag.items() <= carer_schema["properties"]["attributes"]["items"].items()
    assert tag.items() <= client_schema["properties"]["requirements"]["items"].items()
    preferences = client_schema["properties"]["preferences"]
    assert preferences["type"] == "object" and "patternProperties" not in preferences
    assert {"minLength": 1, "maxLength": 128}.items() <= preferences["propertyNames"].items()
    assert preferences["additionalProperties"] == {"type": "number", "minimum": 0, "maximum": MAX_MONEY}


def test_carerota_schema_shows_the_fields(capsys) -> None:
    from optimiser.cli import main

    assert main(["schema", "problem"]) == 0
    defs = json.loads(capsys.readouterr().out)["$defs"]
    assert "attributes" in defs["Carer"]["properties"]
    assert {"requirements", "preferences"} <= set(defs["Client"]["properties"])


# --------------------------------------------------------------------------- the hard rule


def test_the_rule_lives_in_rules() -> None:
    c = Carer.model_validate(carer("ann", attributes=["non_smoker", "hindu"]))
    needs = Client.model_validate(client("c1", requirements=["no_pets_allergy", "non_smoker", "no_pets_allergy"]))
    v = visit("v1", "c1", "09:00", "09:30")
    assert rules.REQUIREMENTS in rules.ELIGIBILITY
    assert rules.unmet_requirements(needs, c) == ["no_pets_allergy"]
    assert rules.ineligible(problem([carer("ann")], [client("c1")], [v]).visits[0], needs, c) == rules.REQUIREMENTS
    happy = Client.model_validate(client("c1", requirements=["hindu"], preferences={"muslim": 9.0}))
    assert rules.unmet_requirements(happy, c) == []
    assert rules.ineligible(problem([carer("ann")], [client("c1")], [v]).visits[0], happy, c) is None


def _unplaceable() -> Problem:
    """Nobody has every tag the client requires: one has one tag, one the other."""
    return problem(
        [carer("near", 0, 0, attributes=["non_smoker"]), carer("far", 3, 0, attributes=["no_pets_allergy", "hindu"])],
        [client("c1", 0.3, 0, requirements=["non_smoker", "no_pets_allergy"]), client("c2", 1, 0,
                                                                                     requirements=["muslim"])],
        [visit("v1", "c1", "09:00", "09:30"), visit("v2", "c2", "10:00", "10:30")],
    )


def test_a_visit_nobody_may_do_stays_unassigned_naming_the_rule_and_the_tags() -> None:
    p = _unplaceable()
    s = solve(p, time_limit=1)
    assert validate(p, s).violations == []
    reasons = {u.visit: u for u in s.unassigned}
    assert {u.rule for u in reasons.values()} == {"requirements"}
    assert reasons["v1"].reason == ("no carer with attributes 'no_pets_allergy', 'non_smoker' exists "
                                    "(none has them all)")
    assert reasons["v2"].reason == "no carer with attribute 'muslim' exists (none has 'muslim')"
    assert s.kpis["unassigned_by_rule"] == {"requirements": 2}


def test_the_rule_is_named_after_the_earlier_rules_left_carers() -> None:
    p = problem(
        [carer("ann", gender="male", attributes=["non_smoker"]), carer("bea", gender="female")],
        [client("c1", carer_gender="female", requirements=["non_smoker"])],
        [visit("v1", "c1", "09:00", "09:30")],
    )
    [u] = solve(p, time_limit=1).unassigned
    assert u.rule == "requirements"
    assert u.reason == "no female carer with attribute 'non_smoker' exists (none has 'non_smoker')"


def test_a_double_handed_visit_needs_two_carers_with_the_tags() -> None:
    p = problem(
        [carer("ann", attributes=["no_pets_allergy"]), carer("bea", 0.5, 0)],
        [client("c1", requirements=["no_pets_allergy"])],
        [visit("v1", "c1", "09:00", "09:30", carers_required=2)],
    )
    [u] = solve(p, time_limit=1).unassigned
    assert u.rule == "requirements" and u.reason.startswith("only 1 carer with attribute 'no_pets_allergy'")


def test_the_greedy_baseline_keeps_the_rule_too() -> None:
    p = _unplaceable()
    s = GreedyRoster(p).run()
    assert validate(p, s).violations == []
    assert {u.rule for u in s.unassigned} == {"requirements"}
    assert "no_pets_allergy, non_smoker" in next(u.reason for u in s.unassigned if u.visit == "v1")


# --------------------------------------------------------------------------- the soft preference


def _twins(prefer: dict[str, float], far: float = 0.0) -> Problem:
    """Two carers the same distance from the client (``far`` km more for 'b'), equal but
    for one tag each."""
    return problem(
        [carer("a", -1, 0, attributes=["christian", "non_smoker"]),
         carer("b", 1 + far, 0, attributes=["hindu", "non_smoker"])],
        [client("c1", 0, 0, requirements=["non_smoker"], preferences=prefer)],
        [visit("v1", "c1", "09:00", "09:30"), visit("v2", "c1", "12:00", "12:30")],
        policy={"new_carer_penalty": 0.0, "familiar_carer_reward": 0.0},
    )


def _doers(s) -> set[str]:
    return {r.carer for r in s.routes if r.stops}


@pytest.mark.parametrize("strategy", [GREEDY_LNS, GREEDY_GLS, "PARALLEL_CHEAPEST_INSERTION"])
@pytest.mark.parametrize("tag, carer_id", [("hindu", "b"), ("christian", "a")])
def test_a_preference_decides_between_two_otherwise_equal_carers(strategy: str, tag: str, carer_id: str) -> None:
    p = _twins({tag: 3.0})
    s = solve(p, time_limit=1, first_solution=strategy)
    assert validate(p, s).violations == []
    assert _doers(s) == {carer_id}
    assert s.kpis["preference_match_rate"] == 1.0 and s.kpis["preference_cost"] == 0.0


@pytest.mark.parametrize("strategy", [GREEDY_LNS, GREEDY_GLS])
def test_a_preference_outweighs_a_little_travel_but_not_a_lot(strategy: str) -> None:
    # b lives 0.5 km further: ~1 km more a visit there and back, well under 3 GBP
    assert _doers(solve(_twins({"hindu": 3.0}, far=0.5), time_limit=1, first_solution=strategy)) == {"b"}
    assert _doers(solve(_twins({"hindu": 0.0}, far=0.5), time_limit=1, first_solution=strategy)) == {"a"}
    # 20 km further: far more than 3 GBP of mileage
    assert _doers(solve(_twins({"hindu": 3.0}, far=20), time_limit=1, first_solution=strategy)) == {"a"}


def test_the_exact_pricing_charges_each_visit_the_weights_it_misses() -> None:
    p = _twins({"hindu": 3.0, "vegetarian_kitchen_ok": 0.5, "non_smoker": 7.0})
    model = RoutingModel(compile_problem(p))
    c = Construction(model.data, model.continuity, model.transit_matrices, model.cost_matrices,
                     model.penalty, model.work_targets)
    c.run()
    c.enable_exact_continuity()
    homes = [p.carers[c.route_of[n].home].id for n in c.client_nodes[0]]
    lacking = {"a": 3.5, "b": 0.5}  # both are non-smokers; only b is hindu; nobody vegetarian_kitchen_ok
    assert c.client_cost(0) == sum(round(lacking[h] * 1000) for h in homes)
    # the routing model's values charge the same per visit (no familiarity terms here)
    for carer_index, name in enumerate(("a", "b")):
        assert set(model.continuity[carer_index][model.data.n_homes:]) == {round(lacking[name] * 1000)}


# --------------------------------------------------------------------------- the KPI


def test_preference_match_rate_counts_each_preferred_tag_of_each_carer_visit() -> None:
    p = tiny.problem(
        [tiny.carer("A", attributes=["hindu"]), tiny.carer("B")],
        [tiny.client("X", preferences={"hindu": 2.0, "vegetarian_kitchen_ok": 1.0}), tiny.client("Y")],
        [tiny.visit("v1", "X", "08:00", "08:30"), tiny.visit("v2", "X", "10:00", "10:30"),
         tiny.visit("v3", "Y", "09:00", "09:30")],
    )
    k = build_kpis(p, tiny.roster(p, {"A": [("v1", "08:00")], "B": [("v2", "10:00"), ("v3", "09:00")]}))
    # v1 by A meets hindu, misses vegetarian (1.0); v2 by B misses both (3.0); Y prefers nothing
    assert k.preference_match_rate == pytest.approx(1 / 4)
    assert k.preference_cost == pytest.approx(4.0)
    assert k.per_client["X"].preference_match_rate == pytest.approx(1 / 4)
    assert k.per_client["X"].preference_cost == pytest.approx(4.0)
    assert k.per_client["Y"].preference_match_rate is None and k.per_client["Y"].preference_cost == 0.0
    nobody = build_kpis(p, tiny.roster(p, {"B": [("v3", "09:00")]}, ["v1", "v2"]))
    assert nobody.preference_match_rate is None and nobody.preference_cost == 0.0
