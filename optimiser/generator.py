"""Realistic UK home-care days, generated from a seed (see ``../shared/DOMAIN.md``).

A day is built in the order a provider would meet it: clients and their care plans
(runs, medication, hoists, languages), the visits those plans need (15/30/45/60 min in
the 2/72/18/8 % mix, windows of planned time +-30 min, tighter for time-critical
medication), then the carers who cover them (split and full shifts sized to the load,
skills, languages, travel modes), and finally the history between them (known and
excluded carers). A repair pass makes sure every visit has carers who may do it and
are on duty when it is due, so a good roster can place (almost) everything.

What a day holds: clients with 1-4 calls in the morning (07:00-11:00), lunch
(11:30-14:30), tea (16:00-18:00) and bed (19:00-22:00) runs; windows inside the run;
time-critical medication (insulin +-15 min; Parkinson's +-15/30) is ``critical``, personal
care ``high``, meal calls ``normal``, social/domestic calls ``flexible``. Paracetamol
calls keep ``after`` >= 240 min from the previous medication call; an insulin call
starts when its meal call is over, at most 30 min later (``after`` with a max). About
10 % of calls are double-handed hoist transfers. Carers: ~85 % drive, the rest walk or
cycle from the centre; split and full shifts; a few are insulin-trained.

Matching beyond language (``attributes``, ``requirements``, ``preferences``): carers
carry tags for their language community's heritage (``gujarati_heritage``), a faith,
``non_smoker``, ``no_pets_allergy`` and the kitchens they keep (``halal_kitchen_ok``,
``vegetarian_kitchen_ok``); clients with a pet require ``no_pets_allergy``, clients with
a smoke allergy require ``non_smoker`` (hard), and some prefer a carer of their faith,
cultural background or diet (soft, ``preference_weight`` per visit). The shares are
:class:`GeneratorSettings` fields, with their sources there. Tags are drawn from a
random stream of their own, so they leave the rest of a seed's day as it was.

Night care (off by default, so a day's visits and carers do not change): the separate
out-of-hours service (DOMAIN.md: 21:15-07:00, up to 3 visits a night: a late call, a turn or
check in the small hours, an early call), sleep-ins and waking nights (22:00-07:00), done
by carers on a night shift 21:15-07:00 the next day (``night_clients``, ``sleep_ins``,
``waking_nights``, ``night_carers``). Night work is drawn with its own random stream
after the day is made, so the day part is the same with or without it.

Several days (``days`` > 1, :func:`optimiser.recurring.generate`): the same care plans
repeated over a horizon from a Monday, with carers' contracts, leave and sickness.

Places default to a Leicester-like town: a dense centre, suburbs and a few outlying
villages; the area grows with the number of visits so travel per visit stays
realistic. With ``osm_file`` the homes are put on residential streets of that
OpenStreetMap extract instead and the problem asks for road travel times.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date as Date
from datetime import datetime, timedelta
from importlib.resources import files
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from .io import InputError, describe_validation_error
from .model import (
    After,
    Carer,
    Client,
    Location,
    Priority,
    Problem,
    RoadNetwork,
    Shift,
    Travel,
    TravelMode,
    Visit,
    Window,
)
from .rules import (
    declined,
    ineligible,
    missing_skills,
    no_shared_language,
    unmet_requirements,
    wrong_gender,
)

# --------------------------------------------------------------------------- domain defaults

#: The four runs of a home-care day, in minutes after midnight (start, end).
RUNS: dict[str, tuple[int, int]] = {
    "morning": (7 * 60, 11 * 60),
    "lunch": (11 * 60 + 30, 14 * 60 + 30),
    "tea": (16 * 60, 18 * 60),
    "bed": (19 * 60, 22 * 60),
}
DURATIONS: tuple[int, ...] = (15, 30, 45, 60)
DURATION_MIX: tuple[float, ...] = (0.02, 0.72, 0.18, 0.08)
SKILLS: tuple[str, ...] = ("medication", "insulin", "hoist", "catheter", "peg", "dementia")

# Which runs a client with n visits a day receives, with weights. Tea is the shortest
# run (2 h) so fewer packages use it; morning and bed calls are the backbone.
PACKAGES: dict[int, list[tuple[tuple[str, ...], float]]] = {
    1: [(("morning",), 0.35), (("lunch",), 0.40), (("bed",), 0.25)],
    2: [
        (("morning", "bed"), 0.35),
        (("morning", "lunch"), 0.25),
        (("lunch", "bed"), 0.20),
        (("morning", "tea"), 0.10),
        (("lunch", "tea"), 0.10),
    ],
    3: [
        (("morning", "lunch", "bed"), 0.55),
        (("morning", "lunch", "tea"), 0.25),
        (("morning", "tea", "bed"), 0.20),
    ],
    4: [(("morning", "lunch", "tea", "bed"), 1.0)],
}
VISITS_PER_CLIENT: dict[int, float] = {1: 0.18, 2: 0.24, 3: 0.24, 4: 0.34}

# Shift patterns: (name, [(start, end) minutes], base weight). "long" covers all four
# runs and is what carers are moved onto when the requested carers are few for the load.
SHIFT_PATTERNS: dict[str, tuple[list[tuple[int, int]], float]] = {
    "split": ([(7 * 60, 11 * 60), (16 * 60, 22 * 60)], 0.30),
    "long": ([(7 * 60, 14 * 60 + 30), (16 * 60, 22 * 60)], 0.22),
    "early": ([(7 * 60, 15 * 60)], 0.22),
    "late": ([(14 * 60, 22 * 60)], 0.12),
    "morning": ([(7 * 60, 11 * 60 + 30)], 0.08),
    "evening": ([(16 * 60, 22 * 60)], 0.06),
}

# Leicester-like language shares (2021 census: ~28% Indian heritage).
CLIENT_LANGUAGES: dict[str, float] = {
    "Gujarati": 0.10,
    "Punjabi": 0.03,
    "Urdu": 0.02,
    "Polish": 0.02,
}
CARER_LANGUAGES: dict[str, float] = {
    "Gujarati": 0.17,
    "Punjabi": 0.07,
    "Urdu": 0.05,
    "Hindi": 0.06,
    "Polish": 0.06,
    "Romanian": 0.04,
}
CARER_SKILLS: dict[str, float] = {
    "medication": 0.85,
    "hoist": 0.70,
    "dementia": 0.65,
    "catheter": 0.40,
    "peg": 0.15,
    "insulin": 0.12,
}
#: Faith by language community in a Leicester-like town (the default of
#: ``GeneratorSettings.faith_by_community``). A working assumption read from the 2021
#: census for Leicester (ONS TS030: Christian ~25 %, Muslim ~24 %, Hindu ~18 %, Sikh ~4 %,
#: no religion ~23 %), where the Gujarati community is mostly Hindu with a large Muslim
#: minority and Punjabi speakers are mostly Sikh (unverified per community). "English"
#: is everyone without another community language; the rest of a row records no faith.
FAITH_BY_COMMUNITY: dict[str, dict[str, float]] = {
    "Gujarati": {"hindu": 0.70, "muslim": 0.25},
    "Punjabi": {"sikh": 0.60, "hindu": 0.15, "muslim": 0.20},
    "Urdu": {"muslim": 0.95},
    "Hindi": {"hindu": 0.85, "sikh": 0.05},
    "Polish": {"christian": 0.85},
    "Romanian": {"christian": 0.85},
    "English": {"christian": 0.45, "muslim": 0.08},
}
#: The kitchen a faith usually keeps, as a carer attribute (the tag a client of that faith
#: may prefer): halal for Muslims, vegetarian for Hindus and Sikhs (working assumption).
DIET_OF_FAITH: dict[str, str] = {
    "muslim": "halal_kitchen_ok",
    "hindu": "vegetarian_kitchen_ok",
    "sikh": "vegetarian_kitchen_ok",
}
NON_SMOKER = "non_smoker"
NO_PETS_ALLERGY = "no_pets_allergy"
NATIONAL_LIVING_WAGE = 12.71
#: The night shift and the out-of-hours run, in minutes after the day's midnight (DOMAIN.md:
#: e.g. 21:15-07:00): it ends the next morning.
NIGHT_SHIFT: tuple[int, int] = (21 * 60 + 15, 31 * 60)
#: The night service's calls (planned start range, minutes after the day's midnight):
#: a late call, a turn or check in the small hours, an early call; up to 3 a night.
NIGHT_CALLS: dict[str, tuple[int, int]] = {
    "late": (21 * 60 + 45, 23 * 60 + 30),
    "turn": (25 * 60, 27 * 60 + 30),
    "early": (29 * 60, 30 * 60 + 15),
}
#: How many calls a night-service client has (1-3), with weights, and which.
NIGHT_PACKAGES: list[tuple[tuple[str, ...], float]] = [
    (("late",), 0.25),
    (("late", "early"), 0.35),
    (("late", "turn", "early"), 0.40),
]
#: A sleep-in or waking night starts 21:45-22:00 and lasts until 06:45-07:00.
NIGHT_STAY: tuple[int, int, int] = (21 * 60 + 45, 22 * 60, 9 * 60)
#: Night-service clients one night carer is planned to cover: every client has a late
#: call, and the late round (about 21:15-00:00) is the busiest part of the night.
NIGHT_CLIENTS_PER_CARER = 3
#: Planning estimate of travel per carer-visit when sizing shifts (minutes).
TRAVEL_ESTIMATE_MINUTES = 8


#: The longest horizon the generator makes (days): four weeks, the longest period a
#: provider rosters ahead or banks hours over (DOMAIN.md: Rotherham's 4-week period).
MAX_DAYS = 28
#: Carers employed by contract (the default of ``GeneratorSettings.contract_mix``): a working
#: assumption, unverified (no public breakdown by these four kinds was found; DOMAIN.md only
#: says 43 % of domiciliary staff are on zero-hours contracts).
CONTRACT_MIX: dict[str, float] = {"full_time": 0.45, "part_time": 0.30, "weekend": 0.10, "student": 0.15}
#: Settings that only a horizon of several days reads.
HORIZON_ONLY: tuple[str, ...] = (
    "contract_mix", "day_centre_share", "weekend_family_share", "leave_share", "sickness_share"
)


class GeneratorSettings(BaseModel):
    """What kind of day (or days) to generate. Every knob has a realistic default.

    Bad values raise :class:`~optimiser.io.InputError` naming the setting, and so do
    settings that do not apply: a horizon's settings with ``days=1``, night care with
    ``days`` > 1.
    """

    model_config = ConfigDict(extra="forbid")

    def __init__(self, **data: object) -> None:
        try:
            super().__init__(**data)
        except ValidationError as err:
            raise InputError(f"generator settings: {describe_validation_error(err)}") from None

    visits: int = Field(
        default=300, ge=1, le=20_000, description="Visits; over several days, the calls a day the care plans hold"
    )
    carers: int = Field(
        default=40, ge=1, le=5_000, description="Carers; over several days, the carers employed"
    )
    days: int = Field(
        default=1,
        ge=1,
        le=MAX_DAYS,
        description="Days to generate: 1 is a day (generate_day); more is a horizon of recurring care "
        "plans starting on the Monday `date` names, or else the next Monday (optimiser.recurring)",
    )
    seed: int = 1
    date: str = Field(default="2026-11-23", description="The day, YYYY-MM-DD")
    osm_file: str | None = Field(
        default=None, description="Place homes on this .osm.pbf's residential streets"
    )
    centre_lat: float = Field(
        default=52.6362, ge=-90, le=90, description="Town centre (Leicester clock tower)"
    )
    centre_lon: float = Field(default=-1.1332, ge=-180, le=180)
    radius_km: float | None = Field(
        default=None,
        gt=0,
        description="Urban radius; default grows with visits (4 km at 300 visits)",
    )
    village_share: float = Field(
        default=0.08, ge=0, le=1, description="Clients in outlying villages"
    )
    walk_share: float = Field(default=0.10, ge=0, le=1, description="Carers who walk their rounds")
    bike_share: float = Field(default=0.05, ge=0, le=1, description="Carers on (e-)bikes")
    double_up_share: float = Field(
        default=0.10, ge=0, le=0.5, description="Visits needing two carers"
    )
    female_carer_share: float = Field(default=0.82, ge=0, le=1)
    contracted_share: float = Field(
        default=0.40, ge=0, le=1, description="Carers on guaranteed hours"
    )
    capacity_target: float = Field(
        default=1.5,
        gt=0,
        description="Aim for shift minutes in each run >= this x the run's demand",
    )
    night_clients: int = Field(
        default=0,
        ge=0,
        le=5_000,
        description="Clients of the out-of-hours night service (21:15-07:00): 1-3 calls each "
        "(late, turn, early); drawn from the day's clients first. 0 (default): no night service",
    )
    sleep_ins: int = Field(
        default=0, ge=0, le=5_000, description="Clients with a sleep-in tonight (22:00-07:00); 0 by default"
    )
    waking_nights: int = Field(
        default=0, ge=0, le=5_000, description="Clients with a waking night tonight (22:00-07:00); 0 by default"
    )
    night_carers: int | None = Field(
        default=None,
        ge=0,
        le=5_000,
        description="Carers on the night shift (21:15-07:00 the next day), besides `carers`; default: "
        f"one per sleep-in and waking night and one per {NIGHT_CLIENTS_PER_CARER} night-service clients",
    )
    # matching beyond language: carer attributes, client requirements and preferences
    non_smoker_share: float = Field(
        default=0.80,
        ge=0,
        le=1,
        description="Carers who do not smoke (attribute non_smoker). ONS, Adult smoking habits in "
        "the UK 2023: 11.9 % of adults smoke, more in routine and manual work; ~20 % assumed for carers",
    )
    no_pets_allergy_share: float = Field(
        default=0.90,
        ge=0,
        le=1,
        description="Carers who can work in a home with pets (attribute no_pets_allergy); "
        "pet allergy affects roughly 1 in 10 people (Allergy UK; unverified for carers)",
    )
    diet_trained_share: float = Field(
        default=0.50,
        ge=0,
        le=1,
        description="Carers outside a faith who keep its kitchen (halal_kitchen_ok, "
        "vegetarian_kitchen_ok) all the same; carers of the faith always do (working assumption)",
    )
    faith_by_community: dict[str, dict[str, float]] = Field(
        default_factory=lambda: {c: dict(f) for c, f in FAITH_BY_COMMUNITY.items()},
        description="Language community -> faith -> share, for clients and carers (see "
        "FAITH_BY_COMMUNITY for the source); 'English' is everyone without another community",
    )
    pets_share: float = Field(
        default=0.25,
        ge=0,
        le=1,
        description="Clients with a pet at home: they require no_pets_allergy. PDSA PAW report "
        "2024: 51 % of UK adults own a pet; fewer older people living alone (working assumption)",
    )
    smoke_allergy_share: float = Field(
        default=0.08,
        ge=0,
        le=1,
        description="Clients with a smoke allergy, asthma or home oxygen: they require non_smoker "
        "(working assumption)",
    )
    faith_preference_share: float = Field(
        default=0.25, ge=0, le=1, description="Clients of a faith who prefer a carer of it (unverified)"
    )
    heritage_preference_share: float = Field(
        default=0.50,
        ge=0,
        le=1,
        description="Clients of a language community who prefer a carer of the same cultural "
        "background (<language>_heritage; unverified)",
    )
    diet_preference_share: float = Field(
        default=0.40,
        ge=0,
        le=1,
        description="Clients of a faith with a kitchen rule (DIET_OF_FAITH) who prefer a carer "
        "keeping it (unverified)",
    )
    preference_weight: float = Field(
        default=3.0,
        ge=0,
        le=1_000,
        description="GBP-equivalent per visit by a carer lacking a preferred tag "
        "(as policy.language_preference_penalty)",
    )

    # a horizon of several days (days > 1; optimiser.recurring)
    contract_mix: dict[str, float] = Field(
        default_factory=lambda: dict(CONTRACT_MIX),
        description="Contract -> share of the carers employed: full_time (5 days a week, 2 days off "
        "together), part_time (3-4 days), weekend (Saturday and Sunday), student (2-4 weekday "
        "evenings). Horizon only; see CONTRACT_MIX for the source",
    )
    day_centre_share: float = Field(
        default=0.15,
        ge=0,
        le=1,
        description="Clients with a lunch call who spend 1-2 weekdays at a day centre, where lunch "
        "is served: the call is skipped those days. Horizon only (working assumption, unverified)",
    )
    weekend_family_share: float = Field(
        default=0.15,
        ge=0,
        le=1,
        description="Clients whose family covers a lunch or tea call at weekends: the call is "
        "skipped on Saturday and Sunday. Horizon only (working assumption, unverified)",
    )
    leave_share: float = Field(
        default=0.08,
        ge=0,
        le=1,
        description="Carers on leave in each calendar week (the whole week). Statutory leave is 5.6 "
        "weeks a year (GOV.UK), ~11 % of weeks, partly taken as single days and bank holidays; "
        "8 % as whole weeks is a working assumption. Horizon only",
    )
    sickness_share: float = Field(
        default=0.02,
        ge=0,
        le=1,
        description="Carer-days lost to sickness (the shift is gone). ~2 % is a working assumption "
        "(unverified). Horizon only",
    )

    @field_validator("contract_mix")
    @classmethod
    def _contracts(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(CONTRACT_MIX))
        if unknown:
            raise ValueError(f"unknown contract(s) {unknown}; the contracts are {sorted(CONTRACT_MIX)}")
        if any(not 0 <= share <= 1 for share in value.values()) or sum(value.values()) <= 0:
            raise ValueError("the shares must lie in [0, 1] and not all be 0")
        return value

    # a field validator runs only on a value given (defaults are not validated), after `days`
    @field_validator("night_clients", "sleep_ins", "waking_nights", "night_carers")
    @classmethod
    def _night_is_one_day(cls, value: int | None, info: ValidationInfo) -> int | None:
        days = info.data.get("days", 1)
        if days > 1 and value:
            raise ValueError(
                f"night care is generated for one day only (days=1), not yet over a horizon of {days} days"
            )
        return value

    @field_validator(*HORIZON_ONLY)
    @classmethod
    def _horizon_only(cls, value: object, info: ValidationInfo) -> object:
        default = cls.model_fields[str(info.field_name)].get_default(call_default_factory=True)
        if info.data.get("days", 1) == 1 and value != default:
            raise ValueError("applies to a horizon of several days (days > 1); days is 1")
        return value

    @field_validator("faith_by_community")
    @classmethod
    def _shares(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for community, faiths in value.items():
            if any(not 0 <= share <= 1 for share in faiths.values()) or sum(faiths.values()) > 1 + 1e-9:
                raise ValueError(f"the shares of {community!r} must lie in [0, 1] and add up to at most 1")
        return value

    @field_validator("date")
    @classmethod
    def _iso_date(cls, value: str) -> str:
        try:
            Date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"date {value!r} is not a YYYY-MM-DD date") from None
        return value

    @property
    def area_scale(self) -> float:
        """How much wider the patch is than a 300-visit one: density rises as it grows."""
        return (max(self.visits, 50) / 300) ** 0.3

    @property
    def urban_radius_km(self) -> float:
        return self.radius_km if self.radius_km is not None else 4.0 * self.area_scale


#: The settings the embedded example day was generated with.
EXAMPLE_SETTINGS = GeneratorSettings(visits=300, carers=40, seed=2026)
EXAMPLE_RESOURCE = "data/example_day.json"


# --------------------------------------------------------------------------- internal plan


@dataclass
class _Plan:
    """A visit before it becomes a :class:`Visit` (times in minutes after midnight)."""

    client: int
    run: str
    kind: str  # personal | meal | social | insulin
    skills: set[str] = field(default_factory=set)
    priority: Priority = "normal"
    half_width: int = 30
    double: bool = False
    duration: int = 30
    planned: int = 0
    after: int | None = None  # index into the plan list
    after_min: int = 0
    after_max: int | None = None
    id: str = ""

    @property
    def window(self) -> tuple[int, int]:
        return self.planned - self.half_width, self.planned + self.half_width


@dataclass
class _ClientPlan:
    runs: tuple[str, ...]
    conditions: set[str] = field(default_factory=set)
    visits: list[int] = field(default_factory=list)


def weighted(rng: random.Random, options: list[tuple[object, float]]):
    """One of ``options`` (value, weight), drawn by weight."""
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def _quota(n: int, shares: tuple[float, ...]) -> list[int]:
    """Split ``n`` into whole counts by ``shares`` (largest remainder)."""
    raw = [n * s / sum(shares) for s in shares]
    counts = [int(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - counts[i], reverse=True)[
        : n - sum(counts)
    ]:
        counts[i] += 1
    return counts


# --------------------------------------------------------------------------- clients and visits


def _plan_clients(
    settings: GeneratorSettings, rng: random.Random
) -> tuple[list[_ClientPlan], list[_Plan]]:
    """Care plans whose visits add up to exactly ``settings.visits``."""
    n = settings.visits
    quota15 = _quota(n, DURATION_MIX)[0]
    insulin_budget = round(0.75 * quota15)
    clients: list[_ClientPlan] = []
    budget = n
    # insulin clients first: a meal call then a short insulin call in the same run
    while insulin_budget > 0 and budget >= 2:
        doses = 2 if insulin_budget >= 2 and budget >= 4 and rng.random() < 0.5 else 1
        runs = ("morning", "tea", "bed") if doses == 2 else ("morning", "lunch", "bed")
        runs = runs[: max(1, min(len(runs), budget - doses, 4 - doses))]
        clients.append(_ClientPlan(runs=runs, conditions={"insulin", f"doses{doses}"}))
        budget -= len(runs) + doses
        insulin_budget -= doses
    while budget > 0:
        k = min(budget, weighted(rng, list(VISITS_PER_CLIENT.items())))
        clients.append(_ClientPlan(runs=weighted(rng, PACKAGES[k])))
        budget -= k
    rng.shuffle(clients)

    plans: list[_Plan] = []
    for ci, cp in enumerate(clients):
        if "insulin" not in cp.conditions:
            _draw_conditions(cp, rng)
        doses = 2 if "doses2" in cp.conditions else 1 if "insulin" in cp.conditions else 0
        for run in cp.runs:
            if run in ("morning", "bed"):
                kind = "personal"
            elif len(cp.runs) <= 2 and run == "lunch" and rng.random() < 0.5:
                kind = "social"
            elif run == "lunch" and rng.random() < 0.08:
                kind = "social"
            else:
                kind = "meal"
            cp.visits.append(len(plans))
            plans.append(_Plan(client=ci, run=run, kind=kind))
            if doses and run in ("morning", "tea"):
                doses -= 1
                meal = len(plans) - 1
                cp.visits.append(len(plans))
                plans.append(_Plan(client=ci, run=run, kind="insulin", after=meal))
    _apply_conditions(clients, plans, settings, rng)
    _assign_durations(plans, rng)
    return clients, plans


def _draw_conditions(cp: _ClientPlan, rng: random.Random) -> None:
    n = len(cp.runs)
    if n >= 3 and rng.random() < 0.04:
        cp.conditions.add("parkinsons")
    elif n >= 2 and rng.random() < 0.14:
        cp.conditions.add("paracetamol")
    elif rng.random() < 0.50:
        cp.conditions.add("medication")
    for cond, share in (("catheter", 0.05), ("peg", 0.015), ("dementia", 0.22)):
        if rng.random() < share:
            cp.conditions.add(cond)


def _apply_conditions(
    clients: list[_ClientPlan], plans: list[_Plan], settings: GeneratorSettings, rng: random.Random
) -> None:
    """Skills, priorities and window widths from each client's conditions; pick hoist clients."""
    for cp in clients:
        for i in cp.visits:
            p = plans[i]
            if p.kind == "insulin":
                p.skills, p.priority, p.half_width = {"insulin"}, "critical", 15
                continue
            p.priority = {"personal": "high", "meal": "normal", "social": "flexible"}[p.kind]
            if p.kind == "social":
                p.half_width = 60  # a sitting or shopping call can move within the run
            conds = cp.conditions
            if "parkinsons" in conds and p.kind != "social":
                p.skills.add("medication")
                p.priority, p.half_width = "critical", rng.choice((15, 30))
            elif ("paracetamol" in conds and p.kind != "social") or (
                "medication" in conds and p.run in ("morning", "bed")
            ):
                p.skills.add("medication")
            if "catheter" in conds and p.run in ("morning", "bed"):
                p.skills.add("catheter")
            if "peg" in conds and p.kind != "social":
                p.skills.add("peg")
                if p.priority in ("normal", "flexible"):
                    p.priority = "high"
            if "dementia" in conds:
                p.skills.add("dementia")
    if settings.carers < 2:
        return
    # hoist clients: every personal-care (and most meal) call is double-handed
    target = round(settings.double_up_share * len(plans))
    doubles = 0
    order = [ci for ci, cp in enumerate(clients) if "insulin" not in cp.conditions]
    rng.shuffle(order)
    for ci in order:
        if doubles >= target:
            break
        cp = clients[ci]
        eligible = [i for i in cp.visits if plans[i].kind in ("personal", "meal")]
        if not eligible or doubles + len(eligible) > target + 1:
            continue
        cp.conditions.add("hoist")
        for i in eligible:
            plans[i].double = True
            plans[i].skills.add("hoist")
            if plans[i].priority == "normal":
                plans[i].priority = "high"
        doubles += len(eligible)


def _assign_durations(plans: list[_Plan], rng: random.Random) -> None:
    """Durations in exactly the 2/72/18/8 % mix; longer calls go to personal care."""
    q15, q30, q45, q60 = _quota(len(plans), DURATION_MIX)
    rest = []
    for i, p in enumerate(plans):
        if p.kind == "insulin":
            p.duration = 15
            q15 -= 1
        else:
            rest.append(i)
    # morning calls (wash, dress, breakfast) run longest; bed calls are mostly 30 min
    bias = {"morning": 0.6, "lunch": 0.45, "tea": 0.1, "bed": 0.3}
    rest.sort(
        key=lambda i: (
            rng.random()
            + bias[plans[i].run]
            + (0.3 if plans[i].kind == "social" else 0.0)
            + (0.3 if plans[i].double else 0.0)
        ),
        reverse=True,
    )
    q15 = max(q15, 0)
    lengths = [60] * q60 + [45] * q45
    lengths += [30] * (len(rest) - len(lengths) - q15) + [15] * q15
    for i, minutes in zip(rest, lengths, strict=True):
        plans[i].duration = minutes


def _plan_times(clients: list[_ClientPlan], plans: list[_Plan], rng: random.Random) -> None:
    """Planned times on the quarter hour, windows inside their runs, `after` gaps."""
    for cp in clients:
        for i in cp.visits:
            p = plans[i]
            if p.kind == "insulin":
                meal = plans[p.after]
                p.planned = meal.planned + meal.duration
                # start once the meal call is over, at most 30 min after it ended
                p.after_min, p.after_max = meal.duration, meal.duration + 30
                continue
            start, end = RUNS[p.run]
            tail = p.duration
            nxt = plans[i + 1] if i + 1 < len(plans) and plans[i + 1].kind == "insulin" else None
            if nxt is not None and nxt.client == p.client:
                tail = p.duration + nxt.half_width + nxt.duration - p.half_width
            lo, hi = start + p.half_width, end - p.half_width - tail
            if hi < lo:  # a long call in a short run: narrow its window
                p.half_width = max(0, (end - start - tail) // 2 // 15 * 15)
                lo, hi = start + p.half_width, end - p.half_width - tail
            # the morning peaks early (people want to get up); other runs spread out
            x = (
                rng.triangular(lo, hi, lo + 0.4 * (hi - lo))
                if p.run == "morning"
                else rng.uniform(lo, hi)
            )
            p.planned = min(hi, lo + 15 * round((x - lo) / 15))
        if "paracetamol" in cp.conditions:
            _paracetamol_gaps(cp, plans)


def _paracetamol_gaps(cp: _ClientPlan, plans: list[_Plan], gap: int = 240) -> None:
    """At least 4 h between medication calls: push a call later when its run allows."""
    meds = [i for i in cp.visits if "medication" in plans[i].skills]
    for prev, cur in zip(meds, meds[1:], strict=False):
        a, b = plans[prev], plans[cur]
        need = a.planned + gap
        if b.planned < need:
            latest = RUNS[b.run][1] - b.half_width - b.duration
            if math.ceil(need / 15) * 15 > latest:
                continue
            b.planned = math.ceil(need / 15) * 15
        b.after, b.after_min = prev, gap


# --------------------------------------------------------------------------- places


def _offset(lat: float, lon: float, dx_km: float, dy_km: float) -> tuple[float, float]:
    return lat + dy_km / 110.574, lon + dx_km / (111.320 * math.cos(math.radians(lat)))


class _Town:
    """A Leicester-like town: a dense centre, suburbs, outlying villages."""

    def __init__(self, settings: GeneratorSettings, rng: random.Random):
        self.lat, self.lon = settings.centre_lat, settings.centre_lon
        r = settings.urban_radius_km
        self.core_sigma = 0.3 * r
        self.village_share = settings.village_share
        n_suburbs = max(4, round(6 * settings.area_scale))
        self.suburbs = []
        for k in range(n_suburbs):
            bearing = 2 * math.pi * (k + rng.uniform(-0.3, 0.3)) / n_suburbs
            dist = rng.uniform(0.55, 1.0) * r
            self.suburbs.append(
                (dist * math.cos(bearing), dist * math.sin(bearing), 0.15 * r + 0.4)
            )
        n_villages = 3 + settings.visits // 700
        self.villages = []
        for _ in range(n_villages):
            bearing = rng.uniform(0, 2 * math.pi)
            dist = r + rng.uniform(4.0, 9.0)  # villages sit a few miles out of town
            self.villages.append((dist * math.cos(bearing), dist * math.sin(bearing), 0.5))

    def sample(
        self, rng: random.Random, village_share: float | None = None, core_only: bool = False
    ) -> Location:
        share = self.village_share if village_share is None else village_share
        u = rng.random()
        if core_only:
            cx, cy, sigma = 0.0, 0.0, 0.6 * self.core_sigma
        elif u < share:
            cx, cy, sigma = rng.choice(self.villages)
        elif u < share + 0.45 * (1 - share):
            cx, cy, sigma = 0.0, 0.0, self.core_sigma
        else:
            cx, cy, sigma = rng.choice(self.suburbs)
        lat, lon = _offset(self.lat, self.lon, cx + rng.gauss(0, sigma), cy + rng.gauss(0, sigma))
        return Location(lat=round(lat, 6), lon=round(lon, 6))


class _Streets:
    """Points on the residential streets of an OpenStreetMap extract (via pyrosm)."""

    RESIDENTIAL = ("residential", "living_street", "unclassified", "tertiary", "service")

    def __init__(self, osm_file: str, settings: GeneratorSettings):
        from pyrosm import OSM  # lazily: only days placed on a map need it

        path = Path(osm_file)
        if not path.is_file():
            raise InputError(f"osm_file {osm_file!r} does not exist")
        try:
            edges = OSM(str(path)).get_network(network_type="driving")
        except Exception as err:  # pyrosm raises many kinds on a broken file
            raise InputError(
                f"osm_file {osm_file!r} cannot be read as OpenStreetMap PBF: {err}"
            ) from None
        if edges is None or len(edges) == 0:
            raise InputError(f"osm_file {osm_file!r} has no drivable streets")
        streets = edges[edges["highway"].isin(self.RESIDENTIAL)]
        if len(streets) == 0:
            streets = edges
        lines = []
        for geom in streets.geometry:
            lines.extend(getattr(geom, "geoms", [geom]))
        lines.sort(key=lambda g: g.coords[0])  # independent of the reader's row order
        lines = [g for g in lines if g.length > 0]
        # keep the densest town when the extract is large (an island, a county)
        cells: dict[tuple[int, int], float] = {}
        for g in lines:
            x, y = g.coords[0]
            key = (math.floor(x * 60), math.floor(y * 90))  # cells of roughly 1 km in the UK
            cells[key] = cells.get(key, 0.0) + g.length
        cx, cy = max(sorted(cells), key=lambda k: cells[k])
        self.centre = ((cy + 0.5) / 90, (cx + 0.5) / 60)  # (lat, lon)
        reach = 3.0 * settings.urban_radius_km
        near = [g for g in lines if self._km(g.coords[0]) <= reach]
        self.lines = near or lines
        self.weights = [g.length for g in self.lines]

    def _km(self, xy: tuple[float, float]) -> float:
        lon, lat = xy
        c_lat, c_lon = self.centre
        return math.hypot(
            (lat - c_lat) * 110.574, (lon - c_lon) * 111.320 * math.cos(math.radians(c_lat))
        )

    def sample(
        self, rng: random.Random, village_share: float | None = None, core_only: bool = False
    ) -> Location:
        for _ in range(50):
            line = rng.choices(self.lines, weights=self.weights)[0]
            point = line.interpolate(rng.random(), normalized=True)
            if not core_only or self._km((point.x, point.y)) <= 2.0:
                break
        return Location(lat=round(point.y, 6), lon=round(point.x, 6))


# --------------------------------------------------------------------------- carers


def run_demand(plans: list[_Plan]) -> dict[str, float]:
    """Carer-minutes each run needs, with a planning allowance for travel.

    Parameters
    ----------
    plans:
        The calls of one day (a double-up counts twice).

    Returns
    -------
    dict
        Run name -> minutes of visits and travel (TRAVEL_ESTIMATE_MINUTES a visit).
    """
    demand = dict.fromkeys(RUNS, 0.0)
    for p in plans:
        demand[p.run] += (p.duration + TRAVEL_ESTIMATE_MINUTES) * (2 if p.double else 1)
    return demand


def _run_supply(patterns: list[str]) -> dict[str, float]:
    supply = dict.fromkeys(RUNS, 0.0)
    for name in patterns:
        for s, e in SHIFT_PATTERNS[name][0]:
            for run, (rs, re_) in RUNS.items():
                supply[run] += max(0, min(e, re_) - max(s, rs))
    return supply


def _shift_patterns(
    n: int, demand: dict[str, float], target: float, rng: random.Random
) -> list[str]:
    """Draw shift patterns, then move carers onto long days until every run is covered."""
    base = [(name, w) for name, (_, w) in SHIFT_PATTERNS.items()]
    patterns = [weighted(rng, base) for _ in range(n)]
    while True:
        supply = _run_supply(patterns)
        ratio = {r: supply[r] / demand[r] for r in RUNS if demand[r] > 0}
        if not ratio:
            return patterns
        short = sorted((r for r in ratio if ratio[r] < target), key=ratio.get)
        for run in short:  # the worst-covered run that more carers could still cover
            rs, re_ = RUNS[run]
            uncovered = [
                i
                for i, p in enumerate(patterns)
                if not any(min(e, re_) - max(s, rs) >= re_ - rs for s, e in SHIFT_PATTERNS[p][0])
            ]
            if uncovered:
                patterns[rng.choice(uncovered)] = "long"
                break
        else:
            return patterns


def _at(day: datetime, minutes: int) -> datetime:
    return day + timedelta(minutes=minutes)


#: A carer's cap on paid minutes in a working day (minutes, weight): 9-11 h, as providers
#: cap a split or long day (working assumption, unverified).
DAILY_WORK_CAPS: list[tuple[int, float]] = [(540, 0.2), (600, 0.5), (660, 0.3)]
#: A guaranteed-hours carer is promised this share of the paid minutes her shifts could
#: hold, drawn uniformly, rounded down to the half hour (working assumption, unverified).
GUARANTEE_SHARE: tuple[float, float] = (0.45, 0.75)


@dataclass
class Person:
    """A carer's own traits, drawn before her shifts and pay."""

    mode: TravelMode
    home: Location
    skills: set[str]
    languages: list[str]


def draw_person(settings: GeneratorSettings, place, rng: random.Random) -> Person:
    """A carer's travel mode, home (walkers and cyclists near the centre), skills and languages.

    Parameters
    ----------
    settings:
        The walk and bike shares.
    place:
        Where homes are drawn (the town or the map's streets).
    rng:
        The stream to draw from.

    Returns
    -------
    Person
        Her traits, before shifts and pay.
    """
    u = rng.random()
    mode: TravelMode = (
        "walk"
        if u < settings.walk_share
        else ("bike" if u < settings.walk_share + settings.bike_share else "car")
    )
    home = place.sample(rng, village_share=0.05, core_only=mode != "car")
    skills = {s for s, share in CARER_SKILLS.items() if rng.random() < share}
    if "insulin" in skills:
        skills.add("medication")
    languages = ["English"] + [
        lang for lang, share in CARER_LANGUAGES.items() if rng.random() < share
    ]
    return Person(mode, home, skills, languages)


def make_carer(
    settings: GeneratorSettings,
    person: Person,
    cid: str,
    shifts: list[Shift],
    max_work: int,
    contracted: int | None,
    rng: random.Random,
) -> Carer:
    """The carer, with her wage and gender drawn.

    Parameters
    ----------
    settings:
        The share of female carers.
    person:
        Her traits (:func:`draw_person`).
    cid:
        Her id.
    shifts:
        Her shifts, on one day or across a horizon.
    max_work, contracted:
        Her cap on paid minutes and her guaranteed minutes over those shifts.
    rng:
        The stream to draw from.

    Returns
    -------
    Carer
        Paid the National Living Wage or a little more (insulin-trained carers more still).
    """
    wage = NATIONAL_LIVING_WAGE + weighted(rng, [(0.0, 0.6), (0.25, 0.25), (0.5, 0.15)])
    if "insulin" in person.skills:
        wage += 0.40
    return Carer(
        id=cid,
        home=person.home,
        travel_mode=person.mode,
        shifts=shifts,
        skills=sorted(person.skills),
        languages=person.languages,
        gender="female" if rng.random() < settings.female_carer_share else "male",
        max_work_minutes=max_work,
        contracted_minutes=contracted,
        hourly_wage=round(wage, 2),
    )


def carer_id(k: int, carers: int) -> str:
    """The id of the ``k``-th (from 0) of ``carers`` carers."""
    return f"carer-{k + 1:0{max(2, len(str(carers)))}d}"


def _make_carers(
    settings: GeneratorSettings, plans: list[_Plan], place, rng: random.Random, day: datetime
) -> list[Carer]:
    patterns = _shift_patterns(settings.carers, run_demand(plans), settings.capacity_target, rng)
    carers = []
    for k, pattern in enumerate(patterns):
        person = draw_person(settings, place, rng)
        spans = SHIFT_PATTERNS[pattern][0]
        on_duty = sum(e - s for s, e in spans)
        max_work = min(on_duty, weighted(rng, DAILY_WORK_CAPS))
        contracted = None
        if rng.random() < settings.contracted_share:
            contracted = int(max_work * rng.uniform(*GUARANTEE_SHARE)) // 30 * 30
        shifts = [Shift(start=_at(day, s), end=_at(day, e)) for s, e in spans]
        carers.append(make_carer(settings, person, carer_id(k, settings.carers), shifts, max_work, contracted, rng))
    return carers


# --------------------------------------------------------------------------- matching


def on_duty_for(carer: Carer, visit: Visit) -> bool:
    """Some start inside the window lets the whole visit fit in one of her shifts."""
    return _fits_a_shift(carer.shifts, visit)


def _fits_a_shift(shifts: list[Shift], visit: Visit) -> bool:
    for s in shifts:
        start = max(visit.window.start, s.start)
        if start <= visit.window.end and start + timedelta(minutes=visit.duration_minutes) <= s.end:
            return True
    return False


class _OnDuty:
    """:func:`on_duty_for` for many visits: each carer's shifts filed by the dates they
    touch, so a horizon of days looks only at the shifts of a visit's own days. A shift
    that can hold the visit meets its window, so it touches one of the window's dates."""

    def __init__(self, carers: list[Carer]) -> None:
        self._shifts: dict[tuple[str, Date], list[Shift]] = {}
        for c in carers:
            for s in c.shifts:
                for d in range((s.end.date() - s.start.date()).days + 1):
                    self._shifts.setdefault((c.id, s.start.date() + timedelta(days=d)), []).append(s)

    def __call__(self, carer: Carer, visit: Visit) -> bool:
        first, last = visit.window.start.date(), visit.window.end.date()
        return any(
            _fits_a_shift(self._shifts.get((carer.id, first + timedelta(days=d)), []), visit)
            for d in range((last - first).days + 1)
        )


def _draw_client(cid: str, location: Location, rng: random.Random) -> Client:
    languages, match = ["English"], "none"
    u = rng.random()
    for lang, share in CLIENT_LANGUAGES.items():
        if u < share:
            match = weighted(rng, [("required", 0.35), ("preferred", 0.45), ("none", 0.20)])
            languages = [lang] if match != "none" else [lang, "English"]
            break
        u -= share
    gender = weighted(rng, [("female", 0.28), ("male", 0.04), (None, 0.68)])
    return Client(
        id=cid, location=location, languages=languages, language_match=match, carer_gender=gender
    )


def _community(languages: list[str]) -> str:
    """A person's language community: her first language other than English."""
    return next((lang for lang in languages if lang != "English"), "English")


def _draw_attributes(
    settings: GeneratorSettings, clients: list[Client], carers: list[Carer], rng: random.Random
) -> None:
    """Carers' attributes, clients' requirements and preferences (see the settings' shares)."""

    def faith_of(languages: list[str]) -> str | None:
        shares = settings.faith_by_community.get(_community(languages), {})
        u = rng.random()
        for faith, share in shares.items():
            if u < share:
                return faith
            u -= share
        return None

    kitchens = sorted(set(DIET_OF_FAITH.values()))
    for carer in carers:
        faith, community = faith_of(carer.languages), _community(carer.languages)
        tags = {faith} if faith else set()
        if community != "English":
            tags.add(f"{community.lower()}_heritage")
        if rng.random() < settings.non_smoker_share:
            tags.add(NON_SMOKER)
        if rng.random() < settings.no_pets_allergy_share:
            tags.add(NO_PETS_ALLERGY)
        for kitchen in kitchens:
            if DIET_OF_FAITH.get(faith or "") == kitchen or rng.random() < settings.diet_trained_share:
                tags.add(kitchen)
        carer.attributes = sorted(tags)
    weight = settings.preference_weight
    for client in clients:
        faith, community = faith_of(client.languages), _community(client.languages)
        preferences: dict[str, float] = {}
        if faith and rng.random() < settings.faith_preference_share:
            preferences[faith] = weight
        if community != "English" and rng.random() < settings.heritage_preference_share:
            preferences[f"{community.lower()}_heritage"] = weight
        if faith in DIET_OF_FAITH and rng.random() < settings.diet_preference_share:
            preferences[DIET_OF_FAITH[faith]] = weight
        requirements = []
        if rng.random() < settings.pets_share:
            requirements.append(NO_PETS_ALLERGY)
        if rng.random() < settings.smoke_allergy_share:
            requirements.append(NON_SMOKER)
        client.requirements, client.preferences = requirements, preferences


def _repair(
    problem_clients: dict[str, Client], visits: list[Visit], carers: list[Carer], rng: random.Random
) -> None:
    """Train (or teach a language to) on-duty carers until each visit has a few who may do it.

    Only carers of the gender the client asks for and with the attributes she requires are
    trained; when none of them is on duty, the client's plan drops that wish instead."""
    by_id = {c.id: c for c in carers}
    on_duty = _OnDuty(carers)
    for visit in visits:
        client = problem_clients[visit.client]
        want = min(len(carers), 2 * visit.carers_required + 1)
        able = [c for c in carers if on_duty(c, visit) and ineligible(visit, client, c) is None]
        while len(able) < want:
            free = [
                c
                for c in carers
                if on_duty(c, visit) and not declined(client, c) and c not in able
            ]
            if not free:
                break
            fits = [c for c in free if not wrong_gender(client, c)]
            if not fits:
                if len(able) >= visit.carers_required:
                    break
                client.carer_gender = None  # nobody of that gender works then: the plan is relaxed
                continue
            fits = [c for c in fits if not unmet_requirements(client, c)]
            if not fits:
                if len(able) >= visit.carers_required:
                    break
                client.requirements = []  # nobody with those attributes works then: relaxed too
                continue
            gaps = {c.id: len(missing_skills(visit, c)) for c in fits}
            best = min(gaps.values())
            carer = by_id[rng.choice([cid for cid, gap in gaps.items() if gap == best])]
            training = set(visit.skills) | ({"medication"} if "insulin" in visit.skills else set())
            carer.skills = sorted(set(carer.skills) | training)
            if no_shared_language(client, carer):
                carer.languages = carer.languages + [client.languages[0]]
            able.append(carer)


def _history(
    clients: dict[str, Client],
    visits: list[Visit],
    carers: list[Carer],
    rng: random.Random,
    new_share: float = 0.1,
    days: int = 1,
) -> None:
    """known_carers: who served each client in the last 4 weeks, mostly carers living nearby.

    ``visits`` may span ``days`` days: the history counts 4 weeks of a day's calls, and a
    carer's weight follows the share of the client's calls she is on duty for."""
    from .travel import haversine_km

    on_duty = _OnDuty(carers)
    per_client: dict[str, list[Visit]] = {}
    for v in visits:
        per_client.setdefault(v.client, []).append(v)
    for cid, client in clients.items():
        if rng.random() < new_share:
            continue  # a new package: no history yet
        own = per_client.get(cid, [])
        able = [c for c in carers if all(ineligible(v, client, c) is None for v in own)]
        if not able:
            continue
        # who served her: carers living nearby who work when her calls are due
        weights = [
            (math.exp(-haversine_km(c.home, client.location) / 3.0) + 0.02)
            * (0.1 + sum(on_duty(c, v) for v in own) / max(1, len(own)))
            for c in able
        ]
        k = min(len(able), rng.randint(2, 6))
        chosen: list[Carer] = []
        while len(chosen) < k:
            pick = rng.choices(able, weights=weights)[0]
            if pick not in chosen:
                chosen.append(pick)
        total = int(sum(v.carers_required for v in own) * 28 * rng.uniform(0.6, 1.0) / days)
        shares = sorted((rng.random() ** 2 for _ in chosen), reverse=True)
        counts = {
            c.id: max(1, round(total * s / sum(shares)))
            for c, s in zip(chosen, shares, strict=True)
        }
        client.known_carers = dict(sorted(counts.items()))


# --------------------------------------------------------------------------- a day's care plans


@dataclass
class CarePlans:
    """A day's care plans: the clients and the calls each needs in a day, before dates.

    :func:`generate_day` turns them into one day's visits; :mod:`optimiser.recurring`
    repeats them over a horizon of days.
    """

    clients: dict[str, Client]
    client_plans: list[_ClientPlan]
    plans: list[_Plan]
    place: _Town | _Streets
    width: int  # digits in a client's number

    def client_id(self, ci: int) -> str:
        return f"client-{ci + 1:0{self.width}d}"

    def visit(self, i: int, day: datetime, suffix: str = "") -> Visit:
        """Plan ``i`` as a visit on ``day``; ``suffix`` tells the day's copies apart (its
        ``after`` names the same day's copy of the visit it follows)."""
        p = self.plans[i]
        return Visit(
            id=p.id + suffix,
            client=self.client_id(p.client),
            window=Window(start=_at(day, p.window[0]), end=_at(day, p.window[1])),
            duration_minutes=p.duration,
            carers_required=2 if p.double else 1,
            skills=sorted(p.skills),
            priority=p.priority,
            after=None
            if p.after is None
            else After(visit=self.plans[p.after].id + suffix, min_minutes=p.after_min, max_minutes=p.after_max),
        )


def care_plans(settings: GeneratorSettings, rng: random.Random) -> CarePlans:
    """The place, the clients and their care plans: ``settings.visits`` calls a day.

    Parameters
    ----------
    settings:
        Size, place and mix knobs.
    rng:
        The day's random stream; this is the first thing drawn from it.

    Returns
    -------
    CarePlans
        Clients (not yet matched to carers) and their calls, with times of day.
    """
    place = _Streets(settings.osm_file, settings) if settings.osm_file else _Town(settings, rng)
    client_plans, plans = _plan_clients(settings, rng)
    _plan_times(client_plans, plans, rng)
    out = CarePlans({}, client_plans, plans, place, width=max(3, len(str(len(client_plans)))))
    for ci, cp in enumerate(client_plans):
        cid = out.client_id(ci)
        out.clients[cid] = _draw_client(cid, place.sample(rng), rng)
        seen: dict[str, int] = {}
        for i in cp.visits:
            p = plans[i]
            tag = "insulin" if p.kind == "insulin" else p.run
            seen[tag] = seen.get(tag, 0) + 1
            p.id = f"{cid}-{tag}" + (f"-{seen[tag]}" if seen[tag] > 1 else "")
    return out


def match_people(
    settings: GeneratorSettings,
    clients: dict[str, Client],
    visits: list[Visit],
    carers: list[Carer],
    rng: random.Random,
    days: int = 1,
) -> None:
    """Who suits whom, once the carers are drawn.

    Draws carers' attributes and clients' requirements and preferences (from a stream of
    their own), excluded carers, then repairs the plans so that every visit has carers who
    may do it on duty, and draws the known_carers history. Changes the people in place.

    Parameters
    ----------
    settings:
        The shares of tags, requirements and preferences; the seed of the tags' stream.
    clients, visits, carers:
        The people and the visits, on one day or across a horizon.
    rng:
        The stream to draw exclusions, repairs and history from.
    days:
        How many days ``visits`` span: the history counts 4 weeks of a day's calls.
    """
    _draw_attributes(settings, list(clients.values()), carers, random.Random(f"carerota-tags-{settings.seed}"))
    carer_ids = [c.id for c in carers]
    for client in clients.values():
        if len(carers) > 3 and rng.random() < 0.06:
            client.excluded_carers = [rng.choice(carer_ids)]
    _repair(clients, visits, carers, rng)
    _history(clients, visits, carers, rng, days=days)


# --------------------------------------------------------------------------- the night


def _night(
    settings: GeneratorSettings,
    clients: dict[str, Client],
    place,
    day: datetime,
    width: int,
) -> tuple[list[Visit], list[Carer]]:
    """The night's visits (night-service calls, sleep-ins, waking nights) and the night
    carers; new clients are added to ``clients`` when the day has too few."""
    wanted = settings.night_clients + settings.sleep_ins + settings.waking_nights
    if not wanted:
        return [], []
    rng = random.Random(f"carerota-{settings.seed}-night")  # the day's stream is left alone
    ids = list(clients)
    rng.shuffle(ids)
    new_clients = []
    for k in range(wanted - len(ids)):
        cid = f"client-n{k + 1:0{width}d}"
        clients[cid] = _draw_client(cid, place.sample(rng), rng)
        new_clients.append(clients[cid])
        ids.append(cid)
    chosen = ids[:wanted]
    visits: list[Visit] = []
    for n, cid in enumerate(chosen):
        if n < settings.night_clients:
            package = weighted(rng, NIGHT_PACKAGES)
            medication = rng.random() < 0.5
            for call in package:
                lo, hi = NIGHT_CALLS[call]
                planned = lo + 15 * rng.randint(0, (hi - lo) // 15)
                visits.append(
                    Visit(
                        id=f"{cid}-night-{call}",
                        client=cid,
                        window=Window(start=_at(day, planned - 30), end=_at(day, planned + 30)),
                        duration_minutes=weighted(rng, [(15, 0.1), (30, 0.75), (45, 0.15)]),
                        skills=["medication"] if medication and call != "turn" else [],
                        priority="normal" if call == "turn" else "high",
                    )
                )
        else:
            kind = "sleep_in" if n < settings.night_clients + settings.sleep_ins else "waking_night"
            earliest, latest, length = NIGHT_STAY
            visits.append(
                Visit(
                    id=f"{cid}-{kind.replace('_', '-')}",
                    client=cid,
                    window=Window(start=_at(day, earliest), end=_at(day, latest)),
                    duration_minutes=length,
                    priority="high",
                    kind=kind,
                )
            )
    n_carers = settings.night_carers
    if n_carers is None:
        n_carers = settings.sleep_ins + settings.waking_nights + math.ceil(settings.night_clients / NIGHT_CLIENTS_PER_CARER)
    if n_carers == 0:
        raise InputError(
            f"generator settings: night_carers is 0 but the night has {len(visits)} visits; "
            "give at least 1, or leave it out to size it to the night's work"
        )
    width_c = max(2, len(str(n_carers)))
    carers = []
    for k in range(n_carers):
        skills = {s for s, share in CARER_SKILLS.items() if rng.random() < share}
        languages = ["English"] + [lang for lang, share in CARER_LANGUAGES.items() if rng.random() < share]
        carers.append(
            Carer(
                id=f"night-carer-{k + 1:0{width_c}d}",
                home=place.sample(rng, village_share=0.05),
                travel_mode="car",  # nobody walks the night round
                shifts=[Shift(start=_at(day, NIGHT_SHIFT[0]), end=_at(day, NIGHT_SHIFT[1]))],
                skills=sorted(skills),
                languages=languages,
                gender="female" if rng.random() < settings.female_carer_share else "male",
                max_work_minutes=600,  # a sleep-in is not working time: it does not count
                hourly_wage=round(NATIONAL_LIVING_WAGE + weighted(rng, [(0.0, 0.6), (0.5, 0.4)]), 2),
            )
        )
    _draw_attributes(settings, new_clients, carers, rng)  # tags as the day's carers and clients have
    _repair(clients, visits, carers, rng)
    return visits, carers


# --------------------------------------------------------------------------- the day


def generate_day(settings: GeneratorSettings | None = None) -> Problem:
    """A realistic UK home-care day; the same settings always give the same day.

    Parameters
    ----------
    settings:
        Size, seed, place and mix knobs (defaults: 300 visits, 40 carers, Leicester-like town).
        ``days`` must be 1: :func:`optimiser.recurring.generate` serves longer horizons.

    Returns
    -------
    Problem
        Carers, clients and visits; haversine travel, or road travel on ``osm_file``.
    """
    settings = settings or GeneratorSettings()
    if settings.days != 1:
        raise InputError(f"generator settings: days: generate_day makes one day, got days={settings.days}; "
                         "optimiser.recurring.generate makes a horizon of several days")
    rng = random.Random(f"carerota-{settings.seed}")
    day = datetime.combine(Date.fromisoformat(settings.date), datetime.min.time())
    plan = care_plans(settings, rng)
    clients, plans = plan.clients, plan.plans
    visits = [plan.visit(i, day) for cp in plan.client_plans for i in cp.visits]
    carers = _make_carers(settings, plans, plan.place, rng, day)
    match_people(settings, clients, visits, carers, rng)
    night_visits, night_carers = _night(settings, clients, plan.place, day, plan.width)
    night = ""
    if night_visits or night_carers:
        night = f"-night{settings.night_clients}s{settings.sleep_ins}w{settings.waking_nights}"
    return Problem(
        id=f"uk-day-{settings.date}-{settings.visits}v-{settings.carers}c-seed{settings.seed}{night}",
        carers=carers + night_carers,
        clients=list(clients.values()),
        visits=visits + night_visits,
        travel=travel_of(settings),
    )


def travel_of(settings: GeneratorSettings) -> Travel:
    """The travel section: road travel on ``osm_file``, else the default estimate."""
    if settings.osm_file:
        return Travel(road_network=RoadNetwork(osm_file=str(settings.osm_file)))
    return Travel()


def capacity_summary(problem: Problem) -> dict[str, dict[str, float]]:
    """Per run: carer-minutes the visits need (no travel) vs carer-minutes on duty.

    A visit counts in the run its window starts in; a double-up counts twice. Times are
    minutes from the first day's midnight, so a night shift (21:15-07:00) counts in the
    ``night`` run (22:00-07:00), listed when the problem has one; sleep-ins and waking
    nights count there too. A horizon of several days: :func:`optimiser.recurring.horizon_capacity`.
    """
    starts = [s.start for c in problem.carers for s in c.shifts] + [v.window.start for v in problem.visits]
    if not starts:
        return {}
    day = datetime.combine(min(starts).date(), datetime.min.time())
    runs = dict(RUNS)
    if any((s.end - day).total_seconds() / 60 > 24 * 60 for c in problem.carers for s in c.shifts):
        runs["night"] = (RUNS["bed"][1], NIGHT_SHIFT[1])
    return run_capacity(problem.visits, [s for c in problem.carers for s in c.shifts], day, runs)


def run_capacity(
    visits: list[Visit], shifts: list[Shift], day: datetime, runs: dict[str, tuple[int, int]]
) -> dict[str, dict[str, float]]:
    """Per run of ``day`` (minutes after its midnight ``day``): carer-minutes its visits
    need (no travel; a double-up twice) vs carer-minutes of ``shifts`` inside the run.

    A visit counts in the run its window starts in (any visit but a plain one in the
    ``night`` run, when ``runs`` has one); visits and shifts of other days fall outside."""

    def minute(t: datetime) -> float:
        return (t - day).total_seconds() / 60

    out: dict[str, dict[str, float]] = {}
    def run_of(v: Visit) -> str | None:
        if v.kind != "visit" and "night" in runs:
            return "night"
        return next((r for r, (rs, re_) in runs.items() if rs <= minute(v.window.start) < re_), None)

    for run, (rs, re_) in runs.items():
        need = sum(v.duration_minutes * v.carers_required for v in visits if run_of(v) == run)
        duty = 0.0
        for s in shifts:
            duty += max(0.0, min(minute(s.end), re_) - max(minute(s.start), rs))
        out[run] = {
            "visit_minutes": float(need),
            "carer_minutes": duty,
            "ratio": duty / need if need else math.inf,
        }
    return out


def example_problem() -> Problem:
    """The embedded example day (~300 visits, ~40 carers) shipped with the package."""
    text = files("optimiser").joinpath(EXAMPLE_RESOURCE).read_text(encoding="utf-8")
    return Problem.model_validate_json(text)


def example_json(problem: Problem | None = None) -> str:
    """The embedded example's text: compact (defaults left out) so the package stays small."""
    problem = problem or generate_day(EXAMPLE_SETTINGS)
    return problem.model_dump_json(indent=1, exclude_defaults=True) + "\n"


if __name__ == "__main__":  # python -m optimiser.generator: regenerate the embedded example
    target = Path(__file__).parent / EXAMPLE_RESOURCE
    target.write_text(example_json(), encoding="utf-8")
    print(f"wrote {target}")
