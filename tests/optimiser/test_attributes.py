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

from optimiser.io import InputError, parse
from optimiser.model import MAX_MONEY, Carer, Client, Problem

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
