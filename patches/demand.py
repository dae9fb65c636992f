"""Demand: anonymised client points with weekly care plans.

Read from CSV or GeoJSON, or generated from the settlements of an OSM extract
(towns denser, villages sparser, with an ageing-population knob). Each client is
classified rural or urban from the OSM settlement types (``place=*``) around it; the
rule is :data:`CLASSIFICATION_RULE` and is printed in every report.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator

from optimiser.io import InputError, describe_validation_error
from optimiser.model import Float, Id, Int, PathText

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Setting = Literal["urban", "rural"]

URBAN_PLACES = ("city", "town", "suburb", "borough", "quarter")
RURAL_PLACES = ("village", "hamlet", "isolated_dwelling", "farm", "locality")
# how far a settlement of each type reaches (km): a point belongs to the settlement
# whose node is nearest relative to this reach
PLACE_REACH_KM = {
    "city": 5.0, "town": 2.0, "borough": 2.0, "suburb": 1.0, "quarter": 0.8,
    "village": 0.8, "hamlet": 0.4, "locality": 0.4, "isolated_dwelling": 0.2, "farm": 0.2,
}
CLASSIFICATION_RULE = (
    "Each client takes the settlement type (OSM place=*) of the settlement node nearest to her, "
    "distance measured relative to the settlement's reach (city 5 km, town 2 km, suburb 1 km, "
    "village 0.8 km, hamlet 0.4 km, isolated dwelling/farm 0.2 km): city/town/suburb = urban; "
    "village/hamlet/isolated dwelling/farm = rural."
)
DENSITY_RULE = (
    "No OSM settlements given: a client is urban when at least {n} other clients live within "
    "{km} km of her (density rule), rural otherwise."
)


class _Doc(BaseModel):
    # the same rules as the roster contract (optimiser.model): no NaN or infinity, numbers as numbers
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


class PlanVisit(_Doc):
    """One line of a weekly care plan: a visit at ``time`` on each of ``days``."""

    days: list[Day] = Field(min_length=1)
    time: str = Field(description="Planned start, HH:MM")
    duration_minutes: Int = Field(gt=0, le=1440)
    carers_required: Literal[1, 2] = 1
    time_critical: StrictBool = Field(default=False, description="Medication: tighter window.")

    @field_validator("days", mode="before")
    @classmethod
    def _days(cls, value: object) -> object:
        return parse_days(value) if isinstance(value, str) else value

    @field_validator("time")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        hh, _, mm = value.partition(":")
        if not (hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60):
            raise ValueError(f"time {value!r} is not HH:MM")
        return f"{int(hh):02d}:{int(mm):02d}"

    @property
    def minute_of_day(self) -> int:
        hh, mm = self.time.split(":")
        return int(hh) * 60 + int(mm)


class ClientPlan(_Doc):
    """An anonymised client: a point and a weekly plan."""

    id: Id
    lat: Float = Field(ge=-90, le=90)
    lon: Float = Field(ge=-180, le=180)
    plan: list[PlanVisit] = Field(min_length=1, max_length=100)
    setting: Setting | None = Field(default=None, description="urban/rural; classified when absent")
    settlement: Id | None = None

    def visits_on(self, day: Day) -> list[PlanVisit]:
        return sorted((v for v in self.plan if day in v.days), key=lambda v: v.minute_of_day)

    def carer_minutes(self, day: Day | None = None) -> int:
        """Contact minutes (a double-handed visit counts twice) on ``day``, or in the week."""
        days = DAYS if day is None else (day,)
        return sum(v.duration_minutes * v.carers_required * sum(d in v.days for d in days) for v in self.plan)


class Demand(_Doc):
    clients: list[ClientPlan]
    source: PathText | None = Field(default=None, description="Where it came from (file or generator settings)")
    classification: str = Field(default=CLASSIFICATION_RULE, description="The rural/urban rule used")

    @field_validator("clients")
    @classmethod
    def _unique(cls, clients: list[ClientPlan]) -> list[ClientPlan]:
        seen: set[str] = set()
        for c in clients:
            if c.id in seen:
                raise ValueError(f"duplicate client id {c.id!r}")
            seen.add(c.id)
        return clients

    def weekly_hours(self) -> float:
        return sum(c.carer_minutes() for c in self.clients) / 60

    def busiest_day(self) -> Day:
        """The day with the most contact minutes: a design must cope with it."""
        return max(DAYS, key=lambda d: (sum(c.carer_minutes(d) for c in self.clients), -DAYS.index(d)))


class Settlement(_Doc):
    name: str
    place: str
    lat: float
    lon: float


# --------------------------------------------------------------------------- parsing


def parse_days(text: str) -> list[Day]:
    """``daily``, ``weekdays``, ``weekends``, ``mon-fri``, ``mon wed fri``, ``mon;wed``."""
    text = text.strip().lower()
    named = {"daily": DAYS, "everyday": DAYS, "weekdays": DAYS[:5], "weekends": DAYS[5:]}
    if text in named:
        return list(named[text])
    days: list[Day] = []
    for part in text.replace(",", " ").replace(";", " ").split():
        if "-" in part:
            a, _, b = part.partition("-")
            if a[:3] not in DAYS or b[:3] not in DAYS:
                raise ValueError(f"days {text!r}: unknown day in {part!r}")
            i, j = DAYS.index(a[:3]), DAYS.index(b[:3])  # type: ignore[arg-type]
            days.extend(DAYS[i : j + 1])
        elif part[:3] in DAYS:
            days.append(part[:3])  # type: ignore[arg-type]
        else:
            raise ValueError(f"days {text!r}: unknown day {part!r} (use mon..sun, daily, weekdays)")
    if not days:
        raise ValueError("days is empty")
    return sorted(set(days), key=DAYS.index)


def load_demand(path: str | Path, settlements: list[Settlement] | None = None) -> Demand:
    """Read demand from GeoJSON (Point features with ``id`` and ``plan``) or CSV.

    CSV: one row per plan line with columns ``client, lat, lon, days, time,
    duration_minutes`` and optional ``carers_required, time_critical, setting``.
    Clients without a ``setting`` are classified from ``settlements`` (OSM) or, when
    none are given, by the density rule.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"demand file {path} does not exist")
    try:
        if path.suffix.lower() == ".csv":
            demand = _demand_from_csv(path)
        else:
            demand = _demand_from_geojson(json.loads(path.read_text()), str(path))
    except ValidationError as err:
        raise InputError(f"demand {path}: {describe_validation_error(err)}") from err
    except (ValueError, KeyError) as err:
        raise InputError(f"demand {path}: {err}") from err
    return classify(demand, settlements)


def _demand_from_geojson(doc: dict, source: str) -> Demand:
    if doc.get("type") != "FeatureCollection":
        raise ValueError("expected a GeoJSON FeatureCollection of client points")
    clients = []
    for i, f in enumerate(doc.get("features", [])):
        geom, props = f.get("geometry") or {}, dict(f.get("properties") or {})
        if geom.get("type") != "Point":
            raise ValueError(f"features[{i}].geometry: client points must be Points, got {geom.get('type')!r}")
        lon, lat = geom["coordinates"][:2]
        cid = props.pop("id", None) or props.pop("client", None) or f.get("id")
        if cid is None:
            raise ValueError(f"features[{i}].properties.id is missing")
        clients.append(ClientPlan(id=str(cid), lat=lat, lon=lon, **props))
    return Demand(clients=clients, source=doc.get("source", source))


def _demand_from_csv(path: Path) -> Demand:
    rows: dict[str, dict] = {}
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        need = {"client", "lat", "lon", "days", "time", "duration_minutes"}
        missing = need - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"CSV is missing column(s) {sorted(missing)}")
        for n, row in enumerate(reader, start=2):
            cid = row["client"].strip()
            entry = rows.setdefault(
                cid, {"id": cid, "lat": float(row["lat"]), "lon": float(row["lon"]), "plan": []}
            )
            if row.get("setting"):
                entry["setting"] = row["setting"].strip()
            try:
                entry["plan"].append(
                    PlanVisit(
                        days=row["days"],
                        time=row["time"],
                        duration_minutes=int(row["duration_minutes"]),
                        carers_required=int(row.get("carers_required") or 1),
                        time_critical=str(row.get("time_critical", "")).strip().lower() in ("1", "true", "yes"),
                    )
                )
            except (ValidationError, ValueError) as err:
                msg = describe_validation_error(err) if isinstance(err, ValidationError) else str(err)
                raise ValueError(f"line {n} (client {cid!r}): {msg}") from err
    return Demand(clients=[ClientPlan(**r) for r in rows.values()], source=str(path))


def demand_geojson(demand: Demand) -> dict:
    """The demand as a GeoJSON FeatureCollection (what :func:`load_demand` reads)."""
    features = []
    for c in demand.clients:
        props = c.model_dump(exclude={"lat", "lon"}, exclude_none=True)
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [c.lon, c.lat]}, "properties": props})
    return {"type": "FeatureCollection", "source": demand.source, "classification": demand.classification, "features": features}


# --------------------------------------------------------------------------- settlements and rural/urban


def settlements(osm_file: str | Path) -> list[Settlement]:
    """Named OSM ``place=*`` nodes of the extract (cities down to isolated dwellings)."""
    from geo import places

    found = [
        Settlement(**{k: p[k] for k in ("name", "place", "lat", "lon")})
        for p in places(str(osm_file))
        if p.get("name")
    ]
    return [s for s in found if s.place in PLACE_REACH_KM]


def _km_matrix(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Equirectangular km between two point sets (good to <0.5% at county scale)."""
    mean_lat = math.radians(float(np.mean(np.concatenate([lat1, lat2]))))
    dy = (lat1[:, None] - lat2[None, :]) * 111.195
    dx = (lon1[:, None] - lon2[None, :]) * 111.195 * math.cos(mean_lat)
    return np.hypot(dx, dy)


def nearest_settlements(points: Iterable[tuple[float, float]], places: list[Settlement]) -> list[Settlement]:
    """For each ``(lat, lon)``, the settlement nearest relative to its reach."""
    pts = np.array(list(points), dtype=float).reshape(-1, 2)
    lat = np.array([s.lat for s in places])
    lon = np.array([s.lon for s in places])
    reach = np.array([PLACE_REACH_KM[s.place] for s in places])
    scaled = _km_matrix(pts[:, 0], pts[:, 1], lat, lon) / reach[None, :]
    return [places[i] for i in np.argmin(scaled, axis=1)]


def classify(
    demand: Demand, places: list[Settlement] | None, *, density_km: float = 1.0, density_n: int = 15
) -> Demand:
    """Fill each client's ``setting`` (and ``settlement``) where it is missing."""
    todo = [c for c in demand.clients if c.setting is None]
    if places:
        for c, s in zip(todo, nearest_settlements(((c.lat, c.lon) for c in todo), places), strict=True):
            c.setting = "urban" if s.place in URBAN_PLACES else "rural"
            c.settlement = s.name
        demand.classification = CLASSIFICATION_RULE
    elif todo:
        lat = np.array([c.lat for c in demand.clients])
        lon = np.array([c.lon for c in demand.clients])
        neighbours = (_km_matrix(lat, lon, lat, lon) <= density_km).sum(axis=1) - 1
        count = dict(zip((c.id for c in demand.clients), neighbours, strict=True))
        for c in todo:
            c.setting = "urban" if count[c.id] >= density_n else "rural"
        demand.classification = DENSITY_RULE.format(n=density_n, km=density_km)
    return demand


# --------------------------------------------------------------------------- synthetic demand

# relative client density per settlement node (a town node stands for thousands of homes)
PLACE_WEIGHT = {
    "city": 60.0, "town": 20.0, "borough": 20.0, "suburb": 6.0, "quarter": 4.0,
    "village": 1.0, "hamlet": 0.25, "locality": 0.1, "isolated_dwelling": 0.05, "farm": 0.05,
}
RUNS = {  # planned start range (minutes of day) per run
    "morning": (7 * 60 + 30, 10 * 60),
    "lunch": (11 * 60 + 45, 12 * 60 + 30),
    "tea": (16 * 60 + 30, 17 * 60 + 30),
    "bed": (19 * 60 + 30, 21 * 60),
}
RUNS_BY_VISITS = {1: ("morning",), 2: ("morning", "tea"), 3: ("morning", "lunch", "bed"), 4: tuple(RUNS)}
DURATIONS = (15, 30, 45, 60)
DURATION_MIX = (0.02, 0.72, 0.18, 0.08)  # one council's real mix (DOMAIN.md)


def synthetic_demand(
    osm_file: str | Path,
    clients: int = 300,
    *,
    seed: int = 1,
    ageing: float = 1.0,
    places: list[Settlement] | None = None,
) -> Demand:
    """A county's weekly home-care demand placed on the extract's streets.

    Clients are spread over the OSM settlements by type (a town node weighs 20
    villages, a hamlet a quarter of one) and placed on drivable street nodes within
    the settlement's reach. ``ageing`` (1.0 = today) scales the rural share of
    clients (villages are older) and shifts packages towards more visits a day and
    more double-handed care.
    """
    if clients < 1:
        raise InputError("clients must be at least 1")
    if ageing <= 0:
        raise InputError("ageing must be positive (1.0 = today's population)")
    rng = np.random.default_rng(seed)
    places = places if places is not None else settlements(osm_file)
    if not places:
        raise InputError(f"{osm_file}: no named place=* settlements to put demand around")
    weights = np.array(
        [PLACE_WEIGHT[s.place] * (ageing if s.place in RURAL_PLACES else 1.0) for s in places]
    )
    home_of = rng.choice(len(places), size=clients, p=weights / weights.sum())
    nodes = _street_nodes(osm_file)
    used: set[int] = set()
    visit_mix = np.array([0.32, 0.28, 0.15, 0.25])
    heavier = np.array([-0.10, -0.05, 0.05, 0.10]) * (ageing - 1.0)
    visit_mix = np.clip(visit_mix + heavier, 0.02, None)
    visit_mix /= visit_mix.sum()
    out: list[ClientPlan] = []
    for n, p in enumerate(home_of, start=1):
        s = places[p]
        lat, lon = _street_point(nodes, s, rng, used)
        per_day = int(rng.choice([1, 2, 3, 4], p=visit_mix))
        double = bool(rng.random() < min(0.5, 0.06 * ageing)) and per_day >= 2
        plan = []
        for run in RUNS_BY_VISITS[per_day]:
            lo, hi = RUNS[run]
            minute = int(rng.integers(lo // 15, hi // 15 + 1)) * 15
            days = list(DAYS)
            if run == "lunch" and rng.random() < 0.2:
                days = list(DAYS[:5])  # family covers weekend lunches
            if per_day == 1 and rng.random() < 0.25:
                days = list(DAYS[::2])  # mon wed fri sun: a lighter package
            plan.append(
                PlanVisit(
                    days=days,
                    time=f"{minute // 60:02d}:{minute % 60:02d}",
                    duration_minutes=int(rng.choice(DURATIONS, p=DURATION_MIX)),
                    carers_required=2 if double and run in ("morning", "bed") else 1,
                    time_critical=bool(run == "morning" and rng.random() < 0.15),
                )
            )
        out.append(ClientPlan(id=f"c{n:04d}", lat=lat, lon=lon, plan=plan, settlement=s.name))
    source = f"synthetic: {Path(osm_file).name}, {clients} clients, seed {seed}, ageing {ageing}"
    return classify(Demand(clients=out, source=source), places)


def _street_nodes(osm_file: str | Path) -> np.ndarray:
    """``(lat, lon)`` of every node on a drivable way (pyrosm), for placing homes."""
    from pyrosm import OSM

    nodes, _ = OSM(str(osm_file)).get_network(network_type="driving", nodes=True)
    if nodes is None or len(nodes) == 0:
        raise InputError(f"{osm_file}: no drivable streets found")
    return np.column_stack([nodes["lat"].to_numpy(float), nodes["lon"].to_numpy(float)])


def _street_point(nodes: np.ndarray, s: Settlement, rng: np.random.Generator, used: set[int]) -> tuple[float, float]:
    d = _km_matrix(np.array([s.lat]), np.array([s.lon]), nodes[:, 0], nodes[:, 1])[0]
    near = np.flatnonzero(d <= PLACE_REACH_KM[s.place])
    free = [i for i in near if i not in used]
    i = int(rng.choice(free)) if free else int(np.argmin(d)) if not len(near) else int(rng.choice(near))
    used.add(i)
    return float(nodes[i, 0]), float(nodes[i, 1])
