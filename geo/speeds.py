"""Edge speeds and travel times (osmnx conventions: ``speed_kph``, ``travel_time`` in s).

Cars drive at the posted ``maxspeed`` (UK tags are in mph) or, when it is missing or
unreadable, at a UK default for the highway type; ``peak_slowdown`` stretches car
times. Walkers and cyclists move at a constant speed on every edge they may use; on
trunk roads their time counts ``avoid_factor`` times, so routes keep off them unless
nothing else goes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import networkx as nx

from optimiser.model import TravelMode

from .settings import MPH, GeoSettings, geo_settings

_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$", re.IGNORECASE)
# maxspeed words (OSM wiki: Key:maxspeed) mapped to mph; "national" is the single-carriageway limit.
_WORDS_MPH = {
    "gb:nsl_single": 60.0,
    "gb:nsl_dual": 70.0,
    "gb:motorway": 70.0,
    "uk:nsl_single": 60.0,
    "uk:nsl_dual": 70.0,
    "uk:motorway": 70.0,
    "walk": 3.0,
    "living_street": 10.0,
}


def parse_maxspeed(value: Any, *, national_mph: float = 60.0) -> float | None:
    """km/h from an OSM ``maxspeed`` value (``"30 mph"``, ``"50"``, ``"GB:nsl_single"``,
    lists or ``"30;40"`` -> the lowest); ``None`` when it says nothing usable."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        values: Iterable[Any] = value
    else:
        values = str(value).split(";")
    speeds = []
    for v in values:
        text = str(v).strip().lower()
        m = _NUMBER.match(text)
        if m:
            number = float(m.group(1))
            if number > 0:
                speeds.append(number * MPH if m.group(2) == "mph" else number)
        elif text in _WORDS_MPH:
            speeds.append(_WORDS_MPH[text] * MPH)
        elif text == "national" or text.endswith(":rural"):
            speeds.append(national_mph * MPH)
    return min(speeds) if speeds else None


def highway_types(value: Any) -> list[str]:
    """The highway tag as a list (simplified osmnx edges may carry several)."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    text = str(value)
    if text.startswith("[") and text.endswith("]"):  # a list that went through GraphML as text
        return [t.strip(" '\"") for t in text[1:-1].split(",") if t.strip(" '\"")]
    return [text]


def car_kph(data: dict[str, Any], settings: GeoSettings) -> float:
    """The speed a car drives along an edge."""
    kph = parse_maxspeed(data.get("maxspeed"), national_mph=settings.national_mph)
    if kph is None:
        defaults = [settings.default_mph[h] for h in highway_types(data.get("highway")) if h in settings.default_mph]
        kph = (min(defaults) if defaults else settings.fallback_mph) * MPH
    return kph * settings.car_speed_factor


def add_speeds(graph: nx.MultiDiGraph, mode: TravelMode, settings: GeoSettings | None = None) -> nx.MultiDiGraph:
    """Set ``speed_kph`` and ``travel_time`` (seconds) on every edge, in place; returns the graph."""
    settings = settings or geo_settings()
    constant = {"walk": settings.walk_kph, "bike": settings.bike_kph}.get(mode)
    slowdown = settings.peak_slowdown if mode == "car" else 1.0
    for _, _, data in graph.edges(data=True):
        kph = constant if constant is not None else car_kph(data, settings)
        factor = slowdown
        if constant is not None and any(h in settings.walk_bike_avoided for h in highway_types(data.get("highway"))):
            factor = settings.avoid_factor
        data["speed_kph"] = float(kph)
        data["travel_time"] = float(data["length"]) / (kph / 3.6) * factor
    return graph
