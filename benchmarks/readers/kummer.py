"""Kummer et al. (2021) Porto Alegre HHCRSP and any iolab-format HHCRSP JSON instance.

Same problem and objective as Mankowska; real addresses (lat/lon) and OSRM road
travel times (whole units) in ``distances`` over [depot, p1..pn].
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from optimiser.io import InputError

from .common import benchmark_data, open_text
from .hhc import HHCInstance, Service, Sync, read_best_known

FOLDER = ("hhc", "kummer2021_portoalegre")


def read_iolab(path: str | Path, family: str = "kummer") -> HHCInstance:
    """Parse an iolab-format HHCRSP JSON instance (``.json`` or ``.json.gz``)."""
    path = Path(path)
    try:
        doc = json.loads(open_text(path))
        patients = doc["patients"]
        depot = doc["central_offices"][0]
        d = np.array(doc["distances"], dtype=float)
        services, sync = [], []
        for p in patients:
            services.append(
                [Service(s["service"], float(s["duration"])) for s in p["required_caregivers"]]
            )
            link = p.get("synchronization")
            if len(services[-1]) == 2:
                if link is None or link["type"] == "simultaneous":
                    sync.append(Sync("simultaneous"))
                else:
                    lo, hi = link["distance"]
                    sync.append(Sync("sequential", float(lo), float(hi)))
            else:
                sync.append(None)
        caregivers = [c["id"] for c in doc["caregivers"]]
        abilities = [set(c["abilities"]) for c in doc["caregivers"]]
        coords = [tuple(depot["location"])] + [tuple(p["location"]) for p in patients]
    except (KeyError, TypeError, ValueError, IndexError) as err:
        raise InputError(
            f"{path}: not an iolab HHCRSP JSON instance (missing or bad {err})"
        ) from None
    if d.shape != (len(patients) + 1, len(patients) + 1):
        raise InputError(
            f"{path}: distances must be {len(patients) + 1} square (depot + patients), got {d.shape}"
        )
    latlon = all(-90 <= a <= 90 and -180 <= b <= 180 for a, b in coords) and family == "kummer"
    return HHCInstance(
        name=path.name.split(".json")[0],
        family=family,
        patients=[p["id"] for p in patients],
        earliest=np.array([float(p["time_window"][0]) for p in patients]),
        latest=np.array([float(p["time_window"][1]) for p in patients]),
        services=services,
        sync=sync,
        caregivers=caregivers,
        abilities=abilities,
        d=d,
        coords=[(float(a), float(b)) for a, b in coords],
        latlon=latlon,
    )


read = read_iolab


def files() -> list[Path]:
    return sorted(benchmark_data(*FOLDER, "instances_json_iolab").glob("*.json.gz"))


def best_known() -> dict[str, dict]:
    """Instance name -> best-known objective and its parts (Ceschia et al. 2024)."""
    return read_best_known(benchmark_data(*FOLDER, "best_known_ceschia2024.csv"))
