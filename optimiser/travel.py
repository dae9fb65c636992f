"""Travel times between the points of a problem (carer homes and client homes).

:class:`TravelTimes` is the one interface the engine, the validator and the KPIs use.
Three sources plug in: explicit matrices from the problem, a haversine estimate, and
real road networks (``geo.RoadTravelTimes``). Matrices are computed once per mode
and cached on the instance.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

from .model import Haversine, Location, TravelMatrix, TravelMode

EARTH_RADIUS_KM = 6371.0088


class TravelTimes(ABC):
    """Travel minutes and km between named points, per travel mode.

    Subclasses implement :meth:`_compute`; everything else is shared.
    """

    def __init__(self, points: Sequence[str]):
        self.points = list(points)
        self.index = {p: i for i, p in enumerate(self.points)}
        self._cache: dict[TravelMode, tuple[np.ndarray, np.ndarray]] = {}

    @abstractmethod
    def _compute(self, mode: TravelMode) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(minutes, km)``, two ``n x n`` float arrays over ``self.points``."""

    def matrices(self, mode: TravelMode) -> tuple[np.ndarray, np.ndarray]:
        if mode not in self._cache:
            minutes, km = self._compute(mode)
            self._cache[mode] = (np.asarray(minutes, dtype=float), np.asarray(km, dtype=float))
        return self._cache[mode]

    def minutes(self, mode: TravelMode) -> np.ndarray:
        return self.matrices(mode)[0]

    def km(self, mode: TravelMode) -> np.ndarray:
        return self.matrices(mode)[1]

    def leg(self, mode: TravelMode, origin: str, destination: str) -> tuple[float, float]:
        """Minutes and km from ``origin`` to ``destination`` (point ids)."""
        minutes, km = self.matrices(mode)
        i, j = self.index[origin], self.index[destination]
        return float(minutes[i, j]), float(km[i, j])

    def geometry(self, mode: TravelMode, origin: str, destination: str) -> list[tuple[float, float]] | None:
        """The leg as ``[(lon, lat), ...]`` when the source knows the road path, else ``None``."""
        return None


class HaversineTravel(TravelTimes):
    """Great-circle distance x detour factor, at a constant per-mode speed."""

    def __init__(self, locations: dict[str, Location], settings: Haversine | None = None):
        super().__init__(list(locations))
        self.settings = settings or Haversine()
        self._lat = np.radians([locations[p].lat for p in self.points])
        self._lon = np.radians([locations[p].lon for p in self.points])

    def _compute(self, mode: TravelMode) -> tuple[np.ndarray, np.ndarray]:
        lat, lon = self._lat, self._lon
        dlat = lat[:, None] - lat[None, :]
        dlon = lon[:, None] - lon[None, :]
        a = np.sin(dlat / 2) ** 2 + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(dlon / 2) ** 2
        km = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))) * self.settings.detour_factor
        minutes = km / self.settings.speed_kmh[mode] * 60.0
        return minutes, km


class MatrixTravel(TravelTimes):
    """Explicit matrices given in the problem. Missing km falls back to haversine."""

    def __init__(self, matrix: TravelMatrix, fallback: HaversineTravel | None = None):
        super().__init__(matrix.points)
        self.matrix = matrix
        self.fallback = fallback

    def _compute(self, mode: TravelMode) -> tuple[np.ndarray, np.ndarray]:
        if mode not in self.matrix.minutes:
            raise KeyError(f"travel.matrix has no minutes for mode {mode!r}")
        minutes = np.array(self.matrix.minutes[mode], dtype=float)
        if mode in self.matrix.km:
            km = np.array(self.matrix.km[mode], dtype=float)
        elif self.fallback is not None:
            order = [self.fallback.index[p] for p in self.points]
            km = self.fallback.km(mode)[np.ix_(order, order)]
        else:
            km = np.zeros_like(minutes)
        return minutes, km


def haversine_km(a: Location, b: Location) -> float:
    """Great-circle distance in km."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))
