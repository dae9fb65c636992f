"""Shared pieces of the converters: the time base, scaling and data paths.

Benchmark instances measure time and distance in real-valued units; the Problem
contract uses datetimes and whole minutes. A converter maps ``1 instance unit ->
scale problem minutes`` (and ``scale`` km), rounding travel times UP so a schedule that
is feasible in scaled integers stays feasible in double precision.
"""

from __future__ import annotations

import gzip
import math
from datetime import datetime, timedelta
from pathlib import Path

from optimiser.io import InputError
from optimiser.model import Location
from optimiser.settings import settings

BASE = datetime(2026, 1, 5)
"""Time 0 of every converted instance (a Monday)."""


def shared_root() -> Path:
    """The read-only shared data folder (env ``CAREROTA_SHARED``, default ``<repo>/../shared``)."""
    return settings().shared


def benchmark_data(*parts: str) -> Path:
    """A path inside ``<shared>/data/benchmarks``; raise :class:`InputError` if absent."""
    path = shared_root().joinpath("data", "benchmarks", *parts)
    if not path.exists():
        raise InputError(
            f"benchmark data {path} not found: set CAREROTA_SHARED to the folder holding data/benchmarks"
        )
    return path


def open_text(path: Path) -> str:
    """The text of ``path`` (``.gz`` is decompressed), Latin-1 tolerant."""
    raw = gzip.open(path, "rb").read() if path.suffix == ".gz" else path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def at(minutes: float) -> datetime:
    """The datetime ``minutes`` after :data:`BASE`."""
    return BASE + timedelta(minutes=minutes)


def minutes_of(when: datetime) -> float:
    """Minutes from :data:`BASE` to ``when``."""
    return (when - BASE).total_seconds() / 60


def ceil_scaled(value: float, scale: float) -> int:
    """``ceil(value * scale)`` robust to float noise (1e-9)."""
    return int(math.ceil(value * scale - 1e-9))


def floor_scaled(value: float, scale: float) -> int:
    return int(math.floor(value * scale + 1e-9))


def planar_location(x: float, y: float) -> Location:
    """A placeholder map point for planar coordinates (travel comes from the matrix)."""
    return Location(
        lat=max(-89.0, min(89.0, 50.0 + y / 1000.0)), lon=max(-179.0, min(179.0, x / 1000.0))
    )
