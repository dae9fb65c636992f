"""The JSON contract (v1): one pydantic definition of every document.

The CLI, the API, the validator and the tests all use these classes. Times are
ISO-8601 local datetimes without a zone (``2026-11-23T07:30``); durations are whole
minutes. Field-level checks live on the fields; checks that need the whole problem
(unknown ids, duplicates, a visit longer than every shift, the time horizon) live in
:meth:`Problem._check_references`, so a bad document always fails with a message
that names the field.

Every number is finite and bounded and every string has a length cap (see the
bounds below), so a document that parses cannot overflow the engine later.
"""

from __future__ import annotations

import numbers
import re
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    NaiveDatetime,
    Strict,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

TravelMode = Literal["car", "walk", "bike"]
TRAVEL_MODES: tuple[TravelMode, ...] = ("car", "walk", "bike")
Priority = Literal["critical", "high", "normal", "flexible"]
PRIORITIES: tuple[Priority, ...] = ("critical", "high", "normal", "flexible")
Gender = Literal["female", "male"]
VisitKind = Literal["visit", "sleep_in", "waking_night"]
VISIT_KINDS: tuple[VisitKind, ...] = ("visit", "sleep_in", "waking_night")


# --------------------------------------------------------------------------- bounds
#
# Every number and string a client sends is bounded, so that nothing it sends can
# overflow the engine's int64 arithmetic (money is scaled to milli-pounds, times are
# minutes from the problem's first midnight) or make the server allocate without
# limit. The caps are far above any real home-care day and every public benchmark.

ID_MAX_LENGTH = 128
"""Characters in an id, a reference to one, a skill or a language."""
PATH_MAX_LENGTH = 1024
"""Characters in ``travel.road_network.osm_file`` and ``place``."""
HORIZON_DAYS = 366
"""All shifts and visit windows of a problem lie within this many days (benchmark
instances stretched to whole minutes span up to 257 days)."""
MAX_MINUTES = HORIZON_DAYS * 24 * 60
"""Any duration, gap, lateness or travel time in minutes (527,040)."""
MAX_COUNT = 1_000_000
"""Visits counted in ``known_carers``."""
MAX_LOAD = 1_000_000_000
"""A visit's ``demand`` and a carer's ``capacity``."""
MAX_SEED = 2**31 - 1
MAX_TIME_LIMIT_SECONDS = 86_400.0
"""One day of search."""
MAX_HOURLY = 1_000.0
"""GBP per hour: wages and fees."""
MAX_PER_MINUTE = 10_000.0
"""GBP per minute: lateness, overtime and shortfall prices."""
MAX_PER_MILE = 100.0
"""GBP per mile of mileage."""
MAX_MONEY = 1_000_000_000.0
"""GBP for one charge: a carer's fixed cost, a dropped visit, a care-quality penalty."""
MAX_KM = 1_000_000.0
"""One travel-matrix leg (benchmarks use their own distance units here)."""
MAX_SPEED_KMH = 1_000.0
MAX_FACTOR = 10.0
"""Detour factor and peak slowdown."""
MAX_SNAP_M = 100_000.0
MAX_RATE = 10.0
"""On-cost rates, as a share of wages."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
PRINTABLE_PATTERN = r"^[^\u0000-\u001f\u007f-\u009f]*$"
"""No control characters (NUL, tab, newline, DEL ...), as a JSON Schema pattern."""


def control_character(text: str) -> str | None:
    """The first control character in ``text`` (C0, DEL or C1), or ``None``."""
    found = _CONTROL.search(text)
    return found.group() if found else None


def _printable(value: Any) -> Any:
    # before whitespace stripping, so a trailing newline is refused, as the pattern says
    if isinstance(value, str):
        bad = control_character(value)
        if bad is not None:
            raise ValueError(f"contains the control character {bad!r}; only printable characters are allowed")
    return value


def _text(max_length: int) -> WithJsonSchema:
    return WithJsonSchema(
        {"type": "string", "minLength": 1, "maxLength": max_length, "pattern": PRINTABLE_PATTERN}
    )


Id = Annotated[
    str, StringConstraints(min_length=1, max_length=ID_MAX_LENGTH), BeforeValidator(_printable), _text(ID_MAX_LENGTH)
]
"""An id, or a reference to one: 1 to 128 printable characters."""
Label = Id
"""A skill, a language or a strategy name: the same rules as an id."""
PathText = Annotated[
    str, StringConstraints(min_length=1, max_length=PATH_MAX_LENGTH), BeforeValidator(_printable), _text(PATH_MAX_LENGTH)
]
"""A file path or a place name: 1 to 1024 printable characters."""

def _integral(value: Any) -> Any:
    # 30.0 is an integer to JSON Schema (and to spreadsheets that export it): accept it;
    # so are numpy's integers, which the solver's own code hands over
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    return value


def whole(**bounds: int) -> Any:
    """A whole number as JSON writes one (``30`` or ``30.0``, never ``"30"`` or ``true``)
    within ``bounds`` (``ge``, ``gt``, ``le``, ``lt``). The bounds sit inside, before the
    validator, so the JSON Schema states them (``minimum`` ...) rather than pydantic's names."""
    return Annotated[int, Strict(), Field(**bounds), BeforeValidator(_integral)]


Int = whole()
"""A whole number as JSON writes one; bounds may be given on the field."""
Float = Annotated[float, Strict()]
"""A number as JSON writes one: never ``"1.5"`` or ``true`` (pydantic's lax mode takes both)."""

KnownCarers = Annotated[
    dict[Id, whole(ge=0, le=MAX_COUNT)],
    # pydantic would declare the key pattern as patternProperties, which leaves other keys free
    WithJsonSchema(
        {
            "type": "object",
            "propertyNames": {"minLength": 1, "maxLength": ID_MAX_LENGTH, "pattern": PRINTABLE_PATTERN},
            "additionalProperties": {"type": "integer", "minimum": 0, "maximum": MAX_COUNT},
        }
    ),
]
"""Carer id -> visits in the last 4 weeks."""

Minutes = whole(ge=0, le=MAX_MINUTES)
PositiveMinutes = whole(gt=0, le=MAX_MINUTES)
Gap = whole(ge=-MAX_MINUTES, le=MAX_MINUTES)
Money = Annotated[Float, Field(ge=0, le=MAX_MONEY)]

def _total_weight(value: dict[str, float]) -> dict[str, float]:
    # a visit's cost adds the weights its carer misses: their sum is one charge, bounded as one
    total = sum(value.values())
    if total > MAX_MONEY:
        raise ValueError(f"the weights add up to {total:,.2f}, more than {MAX_MONEY:,.0f} (GBP per visit)")
    return value


Preferences = Annotated[
    dict[Label, Money],
    AfterValidator(_total_weight),
    # as KnownCarers: every key is a label, every value a bounded weight
    WithJsonSchema(
        {
            "type": "object",
            "propertyNames": {"minLength": 1, "maxLength": ID_MAX_LENGTH, "pattern": PRINTABLE_PATTERN},
            "additionalProperties": {"type": "number", "minimum": 0, "maximum": MAX_MONEY},
        }
    ),
]
"""Attribute tag -> GBP-equivalent cost of each visit by a carer without it (the weights
add up to at most :data:`MAX_MONEY`, so a visit's cost is bounded as any one charge)."""

_YEAR = "[1-9][0-9]{3}"
_LEAP_YEAR = "(?:[1-9][0-9](?:0[48]|[2468][048]|[13579][26])|(?:[2468][048]|[13579][26])00)"
_MONTH_DAY = (
    "(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    "|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
_CLOCK = "(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\\.[0-9]{1,6})?)?"
LOCAL_DATETIME_PATTERN = f"^(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)T{_CLOCK}$"
"""A local ISO-8601 date-time without a zone: ``2026-11-23T07:30``, optional seconds
and fraction; years 1000-9999; real calendar dates only (29 February in leap years)."""
_LOCAL_DATETIME = re.compile(LOCAL_DATETIME_PATTERN)
_ZONE = re.compile(r"(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)$", re.IGNORECASE)


def _local_datetime(value: Any) -> Any:
    # the JSON text must match the declared pattern exactly: pydantic alone would also
    # take "2026-11-23 07:30", a bare date or a Unix timestamp, which the schema does not offer
    if not isinstance(value, (str, datetime)):  # a Unix timestamp would be read as UTC
        raise ValueError(f"{value!r} is not a local date-time like 2026-11-23T07:30")
    if isinstance(value, str) and not _LOCAL_DATETIME.fullmatch(value):
        zone = _ZONE.search(value)
        if zone and _LOCAL_DATETIME.fullmatch(value[: zone.start()]):
            raise ValueError(
                f"{value!r} has a time zone ({zone.group()!r}); times are local date-times "
                "without a zone, like 2026-11-23T07:30"
            )
        raise ValueError(
            f"{value!r} is not a local date-time like 2026-11-23T07:30 "
            "(YYYY-MM-DDTHH:MM, optional :SS and fraction, a real calendar date, no zone)"
        )
    return value


LocalDateTime = Annotated[
    NaiveDatetime,  # a zone offset is refused (and could not be compared)
    BeforeValidator(_local_datetime),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": LOCAL_DATETIME_PATTERN,
            "description": "Local date-time without a zone, e.g. 2026-11-23T07:30",
            "examples": ["2026-11-23T07:30", "2026-11-23T07:30:00"],
        }
    ),
]
"""A local date-time: a naive ``datetime`` in Python, the pattern's text in JSON."""


class _Doc(BaseModel):
    # allow_inf_nan=False reaches floats inside dicts and lists too (speeds, penalties, matrix cells)
    model_config = ConfigDict(extra="forbid", frozen=False, str_strip_whitespace=True, allow_inf_nan=False)


# --------------------------------------------------------------------------- places, times


class Location(_Doc):
    """A point on the map (WGS84 degrees)."""

    lat: Float = Field(ge=-90, le=90)
    lon: Float = Field(ge=-180, le=180)


class Interval(_Doc):
    """A closed time interval ``[start, end]``."""

    start: LocalDateTime
    end: LocalDateTime

    @model_validator(mode="after")
    def _ordered(self) -> Interval:
        if self.end < self.start:
            raise ValueError(
                f"end {self.end:%Y-%m-%dT%H:%M} is before start {self.start:%Y-%m-%dT%H:%M}"
            )
        return self

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60


class Shift(Interval):
    """A stretch of duty. Visits must lie inside a shift; travel from home before the
    first visit and back home after the last is the carer's unpaid commute."""

    @model_validator(mode="after")
    def _not_empty(self) -> Shift:
        if self.end == self.start:
            raise ValueError("shift has zero length (end equals start)")
        return self


class Window(Interval):
    """When a visit may START (the service must begin inside the window)."""


# --------------------------------------------------------------------------- people and visits


class Carer(_Doc):
    """A carer. Shifts that touch (one ends as the next starts) are read as one stretch
    of duty: she does not go home between them (see the ``between_shifts`` rule)."""

    id: Id
    home: Location
    travel_mode: TravelMode = "car"
    shifts: list[Shift] = Field(min_length=1, description="Several shifts a day (split shifts) are normal.")
    skills: list[Label] = []
    languages: list[Label] = []
    gender: Gender | None = None
    attributes: list[Label] = Field(
        default=[],
        description="Free-form tags the provider defines (non_smoker, no_pets_allergy, a faith, "
        "a cultural background ...), matched against clients' requirements and preferences.",
    )
    max_work_minutes: Minutes | None = Field(
        default=None, description="Cap on paid working time (visits + travel between visits) in a calendar "
        "week (Monday to Sunday); a one-day problem: that day. policy.max_week_minutes caps it too."
    )
    wtr_opt_out: bool = Field(
        default=False, description="She has opted out of the Working Time Regulations' 48 h average week "
        "(reg 4): policy.max_week_minutes does not apply to her (her own max_work_minutes still does)."
    )
    contracted_minutes: Minutes | None = Field(
        default=None, description="Guaranteed/contracted paid minutes the roster should give her."
    )
    hourly_wage: Float | None = Field(
        default=None, gt=0, le=MAX_HOURLY, description="GBP per hour; policy default when absent."
    )
    capacity: whole(ge=0, le=MAX_LOAD) | None = Field(
        default=None, description="Optional load capacity (benchmark VRPs); visits' `demand` must fit."
    )
    fixed_cost: Float = Field(default=0.0, ge=0, le=MAX_MONEY, description="Cost (GBP) of using this carer at all.")
    max_commute_minutes: Minutes | None = Field(
        default=None,
        description="Longest trip from home to a shift's first visit, or from its last visit home; "
        "policy.max_commute_minutes for her travel mode when absent.",
    )

    @model_validator(mode="after")
    def _join_touching_shifts(self) -> Carer:
        # a coordinator who writes 07:00-12:00 and 12:00-17:00 means one working day: with
        # two shifts, the between_shifts rule would send her home and back in no time
        shifts = sorted(self.shifts, key=lambda s: s.start)
        if any(b.start == a.end for a, b in zip(shifts, shifts[1:], strict=False)):
            joined = [shifts[0]]
            for s in shifts[1:]:
                if s.start == joined[-1].end:
                    joined[-1] = Shift(start=joined[-1].start, end=s.end)
                else:
                    joined.append(s)
            self.shifts = joined
        return self


class Client(_Doc):
    id: Id
    location: Location
    languages: list[Label] = []
    language_match: Literal["required", "preferred", "none"] = "none"
    carer_gender: Gender | None = None
    excluded_carers: list[Id] = []
    known_carers: KnownCarers = Field(
        default_factory=dict, description="carer id -> visits in the last 4 weeks"
    )
    requirements: list[Label] = Field(
        default=[],
        description="Hard: every tag listed must be among the carer's attributes "
        "(a client with a dog requires no_pets_allergy).",
    )
    preferences: Preferences = Field(
        default_factory=dict,
        description="Soft: tag -> GBP-equivalent cost of each visit by a carer whose attributes lack the tag.",
    )


class After(_Doc):
    """Start-to-start gap to another visit of the same client (applies when both are placed)."""

    visit: Id
    min_minutes: Gap = 0
    max_minutes: Gap | None = None

    @model_validator(mode="after")
    def _ordered(self) -> After:
        if self.max_minutes is not None and self.max_minutes < self.min_minutes:
            raise ValueError(f"max_minutes {self.max_minutes} is below min_minutes {self.min_minutes}")
        return self


class Visit(_Doc):
    id: Id
    client: Id
    window: Window
    duration_minutes: PositiveMinutes
    carers_required: Literal[1, 2] = 1
    skills: list[Label] = []
    priority: Priority = "normal"
    pinned_carers: list[Id] = []
    after: After | None = None
    kind: VisitKind = Field(
        default="visit",
        description="'visit': an ordinary call, paid working time. 'sleep_in': the carer sleeps at the "
        "client's home, on call; not working time (Mencap, UK Supreme Court 2021), so it ends a working "
        "stretch like a break, adds nothing to paid minutes (max_work_minutes, contracted_minutes) and is "
        "paid policy.sleep_in_allowance instead of the hourly wage. 'waking_night': the carer stays awake "
        "at the client's home all night; working time paid by the hour, with on-site breaks "
        "(policy.waking_night_break_after_minutes, waking_night_break_minutes).",
    )
    demand: Int = Field(default=0, ge=0, le=MAX_LOAD, description="Load used against carer `capacity`.")
    late_limit_minutes: Minutes = Field(
        default=0,
        description="Soft lateness: the start may fall up to this many minutes after window.end, "
        "priced per minute by policy.lateness_per_minute.",
    )


# --------------------------------------------------------------------------- travel


class TravelMatrix(_Doc):
    """Explicit matrices. ``points`` are client and carer ids; rows are origins."""

    points: list[Id]
    # cells are checked one by one, so an error names the cell (minutes.car.3.7)
    minutes: dict[TravelMode, list[list[Annotated[Float, Field(ge=0, le=MAX_MINUTES)]]]]
    km: dict[TravelMode, list[list[Annotated[Float, Field(ge=0, le=MAX_KM)]]]] = {}

    @model_validator(mode="after")
    def _square(self) -> TravelMatrix:
        n = len(self.points)
        if len(set(self.points)) != n:
            raise ValueError("points contains duplicate ids")
        for kind, table in (("minutes", self.minutes), ("km", self.km)):
            for mode, rows in table.items():
                if len(rows) != n or any(len(r) != n for r in rows):
                    raise ValueError(f"{kind}.{mode} must be {n} x {n} (one row and column per point)")
        return self


class RoadNetwork(_Doc):
    """Road travel times from OpenStreetMap (see the ``geo`` package)."""

    osm_file: PathText | None = Field(
        default=None, description="Path to .osm.pbf / .osm / .osm.xml / .graphml, taken literally (no ~ or $VARIABLES)"
    )
    place: PathText | None = Field(default=None, description="Place name to fetch with osmnx (needs internet)")
    modes: list[TravelMode] = ["car", "walk", "bike"]
    snap_limit_m: Float = Field(default=500.0, gt=0, le=MAX_SNAP_M)
    peak_slowdown: Float = Field(default=1.0, ge=1.0, le=MAX_FACTOR, description="Multiply car times (urban peak).")

    @model_validator(mode="after")
    def _one_source(self) -> RoadNetwork:
        if (self.osm_file is None) == (self.place is None):
            raise ValueError("give exactly one of osm_file or place")
        return self


class Haversine(_Doc):
    """Straight-line estimate: great-circle km x detour factor, at a per-mode speed."""

    speed_kmh: dict[TravelMode, Annotated[Float, Field(gt=0, le=MAX_SPEED_KMH)]] = {
        "car": 30.0,
        "walk": 4.5,
        "bike": 15.0,
    }
    detour_factor: Float = Field(default=1.3, ge=1.0, le=MAX_FACTOR)


class Travel(_Doc):
    matrix: TravelMatrix | None = None
    road_network: RoadNetwork | None = None
    haversine: Haversine = Haversine()


# --------------------------------------------------------------------------- policy and options


class Policy(_Doc):
    """Rules and prices. Money is GBP. Defaults follow DOMAIN.md (2026/27)."""

    # working-time rules
    break_after_minutes: PositiveMinutes | None = Field(
        default=360, description="A working stretch longer than this needs a break; null switches it off."
    )
    break_minutes: PositiveMinutes = Field(
        default=20, description="Idle time (gap minus travel) at least this long is a break; it ends a working stretch."
    )
    waking_night_break_after_minutes: PositiveMinutes | None = Field(
        default=360,
        description="A working stretch holding waking-night work longer than this needs a break, taken on site "
        "during the night (the carer cannot leave the client); null switches it off. The Working Time "
        "Regulations' 20 min after 6 h (reg 12) apply to night work too; taken on site as the rest that "
        "continuity of care allows (regs 21(c), 24). Working assumption: the break is part of the paid night.",
    )
    waking_night_break_minutes: PositiveMinutes = Field(
        default=20, description="Length of an on-site break in a waking night."
    )
    max_week_minutes: PositiveMinutes | None = Field(
        default=2880,
        description="Paid working minutes in a calendar week (Monday to Sunday), for carers who have not "
        "opted out (wtr_opt_out): the Working Time Regulations' 48 h average week (reg 4), held in every "
        "week of the horizon. null switches it off.",
    )
    daily_rest_minutes: PositiveMinutes | None = Field(
        default=660,
        description="Rest between one working day's last work and the next working day's first (WTR reg 10: "
        "11 h in each 24 h). Between the parts of one day's split shift it does not apply (the split-shift "
        "exception with compensatory rest, regs 21-24). null switches it off.",
    )
    weekly_rest_minutes: PositiveMinutes | None = Field(
        default=1440,
        description="Uninterrupted rest in each 7-day period of the horizon, counted from its first midnight "
        "(WTR reg 11: 24 h in each 7 days). null switches it off.",
    )
    max_consecutive_days: whole(ge=1, le=366) | None = Field(
        default=6,
        description="Most calendar days in a row a carer works. Working assumption (provider policy; the "
        "weekly rest already stops a 7th day in most rotas). null switches it off.",
    )
    max_commute_minutes: dict[TravelMode, Minutes] | None = Field(
        default={"car": 45, "bike": 30, "walk": 25},
        description="Longest commute leg (home to a shift's first visit, last visit to home) per travel "
        "mode; a carer's own max_commute_minutes wins. A mode left out, or null for all, has no "
        "limit (vehicle-routing benchmarks, where the depot legs are the route).",
    )
    # pay and costs
    hourly_wage: Float = Field(default=12.71, gt=0, le=MAX_HOURLY, description="National Living Wage from April 2026.")
    mileage_per_mile: dict[TravelMode, Annotated[Float, Field(ge=0, le=MAX_PER_MILE)]] = {
        "car": 0.45,
        "bike": 0.20,
        "walk": 0.0,
    }
    sleep_in_allowance: Float = Field(
        default=75.0,
        ge=0,
        le=MAX_MONEY,
        description="GBP paid per sleep-in instead of the hourly wage. Working assumption: the middle of the "
        "usual £50-£100 a night (DOMAIN.md); unverified.",
    )
    ni_pension_rate: Float = Field(default=0.11, ge=0, le=MAX_RATE, description="Employer NI + pension, share of wages.")
    other_on_cost_rate: Float = Field(
        default=0.19, ge=0, le=MAX_RATE, description="Holiday, training, sickness: share of wages."
    )
    business_cost_share: Float = Field(default=0.25, ge=0, lt=1, description="Running the business, share of price.")
    profit_share: Float = Field(default=0.029, ge=0, lt=1)
    fee_per_hour: Float = Field(default=24.10, ge=0, le=MAX_HOURLY, description="What the council pays per contact hour.")
    # objective weights (GBP-equivalent)
    travel_weight: Float = Field(
        default=1.0, ge=0, le=1_000, description="Multiplier on paid travel time + mileage cost."
    )
    commute_weight: Float = Field(
        default=0.1,
        ge=0,
        le=1_000,
        description="The unpaid commute's time priced at this share of the carer's hourly wage "
        "(times travel_weight), so that between rosters otherwise near equal, carers get the "
        "visits near home. Paid time comes first: at 0.1 the solver buys ten minutes less "
        "commute with at most one minute more paid travel (max_commute_minutes bounds each "
        "leg in any case).",
    )
    new_carer_penalty: Money = Field(
        default=6.0, description="Per distinct carer a client sees who is not in known_carers."
    )
    familiar_carer_reward: Money = Field(default=1.0, description="Per visit by a known carer.")
    language_preference_penalty: Money = Field(default=3.0, description="Per visit without a preferred language.")
    contracted_shortfall_per_minute: Float = Field(default=0.15, ge=0, le=MAX_PER_MINUTE)
    overtime_per_minute: Float = Field(default=0.05, ge=0, le=MAX_PER_MINUTE, description="Above contracted minutes.")
    lateness_per_minute: Float = Field(default=1.0, ge=0, le=MAX_PER_MINUTE)
    after_planned_per_minute: Float = Field(
        default=0.05,
        ge=0,
        le=MAX_PER_MINUTE,
        description="Per minute a visit that may not be late starts after its planned time (the middle of "
        "its window): time consistency, a client's calls at about the same time every day. At 0.05 half an "
        "hour past it weighs GBP 1.50: four minutes of paid travel by car with its mileage, seven on foot.",
    )
    drop_penalty: dict[Priority, Money] = {
        "critical": 100_000.0,
        "high": 10_000.0,
        "normal": 1_000.0,
        "flexible": 150.0,
    }


class Options(_Doc):
    time_limit_seconds: Float = Field(default=30.0, gt=0, le=MAX_TIME_LIMIT_SECONDS)
    seed: Int = Field(default=0, ge=0, le=MAX_SEED)
    first_solution: Label | None = Field(default=None, description="OR-Tools first-solution strategy name.")
    max_steps: whole(gt=0, le=MAX_SEED) | None = Field(
        default=None,
        description="Stop the search after this many steps as well as at the time limit: the same seed and "
                    "step budget give the same roster when the time limit is not reached first.",
    )


# --------------------------------------------------------------------------- problem


class Problem(_Doc):
    id: Id
    carers: list[Carer]
    clients: list[Client]
    visits: list[Visit]
    travel: Travel = Travel()
    policy: Policy = Policy()
    options: Options = Options()

    @model_validator(mode="after")
    def _check_references(self) -> Problem:
        errors: list[str] = []
        _unique("carers", [c.id for c in self.carers], errors)
        _unique("clients", [c.id for c in self.clients], errors)
        _unique("visits", [v.id for v in self.visits], errors)
        clash = {c.id for c in self.carers} & {c.id for c in self.clients}
        if clash:
            errors.append(f"carers/clients: ids must differ between carers and clients, both use {sorted(clash)}")
        carer_ids = {c.id for c in self.carers}
        visit_by_id = {v.id: v for v in self.visits}
        client_ids = {c.id for c in self.clients}
        longest_shift = max((s.minutes for c in self.carers for s in c.shifts), default=0)
        _within_horizon(self, errors)
        for i, carer in enumerate(self.carers):
            shifts = sorted(carer.shifts, key=lambda s: s.start)
            for a, b in zip(shifts, shifts[1:], strict=False):
                if b.start < a.end:
                    errors.append(f"carers[{i}].shifts: carer {carer.id!r} has overlapping shifts")
        for i, client in enumerate(self.clients):
            where = f"clients[{i}]"
            # every reference to a carer is checked the same way: a typo must not let a
            # declined carer through, or count a stranger as familiar
            for c in client.excluded_carers:
                if c not in carer_ids:
                    errors.append(f"{where}.excluded_carers: client {client.id!r} excludes unknown carer {c!r}")
            for c in client.known_carers:
                if c not in carer_ids:
                    errors.append(f"{where}.known_carers: client {client.id!r} knows unknown carer {c!r}")
            if client.language_match == "required" and not client.languages:
                errors.append(
                    f"{where}.languages: client {client.id!r} requires a language match "
                    "(language_match: required) but lists no language"
                )
        for i, v in enumerate(self.visits):
            where = f"visits[{i}]"
            if v.client not in client_ids:
                errors.append(f"{where}.client: visit {v.id!r} names unknown client {v.client!r}")
            if v.duration_minutes > longest_shift:
                errors.append(
                    f"{where}.duration_minutes: visit {v.id!r} lasts {v.duration_minutes} min, "
                    f"longer than any shift ({longest_shift:.0f} min)"
                )
            for c in v.pinned_carers:
                if c not in carer_ids:
                    errors.append(f"{where}.pinned_carers: visit {v.id!r} is pinned to unknown carer {c!r}")
            if len(v.pinned_carers) > v.carers_required:
                errors.append(
                    f"{where}.pinned_carers: visit {v.id!r} pins {len(v.pinned_carers)} carers "
                    f"but needs {v.carers_required}"
                )
            if v.after is not None:
                other = visit_by_id.get(v.after.visit)
                if other is None:
                    errors.append(f"{where}.after.visit: visit {v.id!r} follows unknown visit {v.after.visit!r}")
                elif other.id == v.id:
                    errors.append(f"{where}.after.visit: visit {v.id!r} cannot follow itself")
                elif other.client != v.client:
                    errors.append(
                        f"{where}.after.visit: {v.id!r} and {other.id!r} belong to different clients"
                    )
        if self.travel.matrix is not None:
            missing = (carer_ids | client_ids) - set(self.travel.matrix.points)
            if missing:
                errors.append(f"travel.matrix.points: missing {sorted(missing)[:5]}")
            modes = {c.travel_mode for c in self.carers} - set(self.travel.matrix.minutes)
            if modes:
                errors.append(f"travel.matrix.minutes: no matrix for travel mode(s) {sorted(modes)}")
        if errors:
            raise ValueError("; ".join(errors))
        return self

    # convenience lookups (not part of the JSON)
    def carer(self, carer_id: str) -> Carer:
        return next(c for c in self.carers if c.id == carer_id)

    def client(self, client_id: str) -> Client:
        return next(c for c in self.clients if c.id == client_id)

    def visit(self, visit_id: str) -> Visit:
        return next(v for v in self.visits if v.id == visit_id)

    def locations(self) -> dict[str, Location]:
        """Every point a travel matrix is indexed by: carer homes and client homes."""
        points = {c.id: c.home for c in self.carers}
        points.update({c.id: c.location for c in self.clients})
        return points


def _within_horizon(problem: Problem, errors: list[str]) -> None:
    """All shifts and visit windows within :data:`HORIZON_DAYS`, so minute offsets stay small."""
    times: list[tuple[datetime, str]] = []
    for i, carer in enumerate(problem.carers):
        for j, s in enumerate(carer.shifts):
            times += [(s.start, f"carers[{i}].shifts[{j}].start"), (s.end, f"carers[{i}].shifts[{j}].end")]
    for i, v in enumerate(problem.visits):
        times += [(v.window.start, f"visits[{i}].window.start"), (v.window.end, f"visits[{i}].window.end")]
    if not times:
        return
    first, first_where = min(times, key=lambda t: t[0])
    last, last_where = max(times, key=lambda t: t[0])
    if last - first > timedelta(days=HORIZON_DAYS):
        errors.append(
            f"{last_where}: {last:%Y-%m-%dT%H:%M} is {(last - first) / timedelta(days=1):.1f} days after {first_where} "
            f"({first:%Y-%m-%dT%H:%M}); a problem's shifts and visit windows must lie within "
            f"{HORIZON_DAYS} days of each other"
        )


def _unique(field: str, ids: list[str], errors: list[str]) -> None:
    seen: set[str] = set()
    dup = sorted({i for i in ids if i in seen or seen.add(i)})  # type: ignore[func-returns-value]
    if dup:
        errors.append(f"{field}: duplicate id(s) {dup[:5]}")


# --------------------------------------------------------------------------- solution


class Stop(_Doc):
    visit: Id
    arrival: LocalDateTime
    start: LocalDateTime
    end: LocalDateTime
    travel_minutes: Float = Field(ge=0, description="From the previous stop of the shift, or from home.")
    travel_km: Float = Field(ge=0)


class Break(_Doc):
    start: LocalDateTime
    end: LocalDateTime


class Route(_Doc):
    carer: Id
    stops: list[Stop] = []
    breaks: list[Break] = []


class Unassigned(_Doc):
    visit: Id
    reason: str
    rule: str | None = Field(default=None, description="The binding rule's name, e.g. 'skills'.")


class Progress(_Doc):
    """What the solver reports while it searches."""

    elapsed_seconds: Float
    solutions: Int
    objective: Float | None
    unassigned: Int | None


class Statistics(_Doc):
    runtime_seconds: Float = 0.0
    first_solution_seconds: Float | None = None
    solutions: Int = 0
    objective: Float | None = None
    history: list[tuple[Float, Float]] = Field(default_factory=list, description="(seconds, objective)")
    strategy: str | None = None
    steps: Int = Field(default=0, description="Ruin-and-recreate steps the search ran")
    compile_seconds: Float = Field(
        default=0.0, description="Seconds spent compiling the search's loops (first run only; not in the time limit)"
    )


SolutionStatus = Literal["feasible", "partial", "no_solution"]


class Solution(_Doc):
    problem_id: Id
    status: SolutionStatus
    routes: list[Route] = []
    unassigned: list[Unassigned] = []
    kpis: dict[str, Any] = Field(default_factory=dict, description="Filled by optimiser.kpis")
    statistics: Statistics = Statistics()
