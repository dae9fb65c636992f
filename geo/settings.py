"""Every number the geo package assumes, in one settings object.

Defaults follow UK practice (DOMAIN.md): speed limits in mph, walking 4.5 km/h,
cycling 15 km/h. Override in code (``GeoSettings(walk_kph=4.0)``) or with environment
variables prefixed ``CAREROTA_GEO_`` (``CAREROTA_GEO_WALK_KPH=4``); the cache folder
comes from ``CAREROTA_CACHE`` (default ``~/.cache/carerota``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from optimiser.io import InputError
from optimiser.settings import settings

MPH = 1.609344  # km per mile


def default_cache_dir() -> Path:
    """``$CAREROTA_CACHE`` or ``~/.cache/carerota`` (the project-wide setting)."""
    return settings().cache.expanduser()


# Typical speeds (mph) when an edge has no usable maxspeed tag. UK limits are 70 on
# motorways and dual carriageways, 60 on single carriageways (the national limit),
# 30 in built-up areas; lanes and estates are driven well below their limit.
UK_DEFAULT_MPH: dict[str, float] = {
    "motorway": 70,
    "motorway_link": 40,
    "trunk": 60,
    "trunk_link": 35,
    "primary": 50,
    "primary_link": 30,
    "secondary": 45,
    "secondary_link": 25,
    "tertiary": 40,
    "tertiary_link": 20,
    "unclassified": 30,
    "road": 30,
    "busway": 30,
    "residential": 25,
    "living_street": 10,
    "service": 10,
    "track": 10,
}

# Which OSM highway values each travel mode may use (osmnx's drive/walk/bike rules, simplified).
CAR_HIGHWAYS = frozenset(UK_DEFAULT_MPH) - {"track", "busway"}
# Trunk roads are not excluded outright: in rural England an A-road is often the only
# link out of a village lane, and walking or cycling it is legal. They are avoided instead.
WALK_EXCLUDED = frozenset({"motorway", "motorway_link", "busway", "construction", "proposed", "raceway", "abandoned", "platform", "bus_guideway", "escape", "corridor", "elevator", "rest_area"})


class GeoSettings(BaseSettings):
    """Speeds, mode rules, snapping and caching for road-network travel times."""

    model_config = SettingsConfigDict(env_prefix="CAREROTA_GEO_", extra="forbid")

    default_mph: dict[str, float] = Field(
        default_factory=lambda: dict(UK_DEFAULT_MPH),
        description="Speed (mph) per highway type when maxspeed is missing.",
    )
    fallback_mph: float = Field(default=20.0, gt=0, description="Unknown highway types without maxspeed.")
    national_mph: float = Field(default=60.0, gt=0, description="maxspeed=national / GB:nsl_single.")
    car_speed_factor: float = Field(
        default=1.0, gt=0, le=1.0, description="Share of the posted limit actually driven (1 = at the limit)."
    )
    peak_slowdown: float = Field(default=1.0, ge=1.0, description="Multiplies car travel times (urban peak).")
    walk_kph: float = Field(default=4.5, gt=0)
    bike_kph: float = Field(default=15.0, gt=0)
    snap_kph: float = Field(
        default=4.5, gt=0, description="Speed over the gap between a home and its nearest road node."
    )
    snap_limit_m: float = Field(default=500.0, gt=0, description="Farther than this from any road is an error.")
    car_highways: frozenset[str] = CAR_HIGHWAYS
    walk_bike_excluded: frozenset[str] = WALK_EXCLUDED
    walk_bike_avoided: frozenset[str] = frozenset({"trunk", "trunk_link"})
    avoid_factor: float = Field(
        default=4.0,
        ge=1.0,
        description="Walkers' and cyclists' time on avoided roads is multiplied by this, so they take "
        "a trunk road only where nothing else goes (a conservative time where they must).",
    )
    cache_dir: Path = Field(default_factory=default_cache_dir)
    matrix_cache: bool = Field(default=True, description="Store computed matrices as .npz in cache_dir.")

    def speed_fingerprint(self) -> str:
        """A hash of everything that changes travel times (not the cache folder)."""
        data = self.model_dump(mode="json", exclude={"cache_dir", "matrix_cache", "snap_limit_m"})
        data = {k: sorted(v) if isinstance(v, list) else v for k, v in data.items()}  # sets: no hash-seed order
        text = json.dumps(data, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def geo_settings() -> GeoSettings:
    """Settings from the environment; a bad ``CAREROTA_GEO_*`` value is an InputError naming it."""
    try:
        return GeoSettings()
    except ValidationError as err:
        problems = "; ".join(
            f"CAREROTA_GEO_{str(e['loc'][0]).upper()}: {e['msg']}" for e in err.errors()
        )
        raise InputError(f"geo settings from the environment: {problems}") from None
