"""Mankowska, Meisel & Bierwirth (2014) HHCRSP: original .txt reader, BKS, Ceschia solutions.

Processing times ``p[i][v][s]`` are per patient, caregiver and service; in all 70
instances they are identical across caregivers (checked by :func:`read`, which raises
if they ever differ, since the contract has one duration per visit).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from optimiser.io import InputError

from .common import benchmark_data, open_text
from .hhc import Assignment, HHCInstance, Service, Sync, read_best_known

FOLDER = ("hhc", "mankowska2014")
LETTERS = {10: "A", 25: "B", 50: "C", 75: "D", 100: "E", 200: "F", 300: "H"}


def _sections(tokens: list[str]) -> dict[str, list[str]]:
    keys = {
        "nbNodes",
        "nbVehi",
        "nbServi",
        "r",
        "DS",
        "a",
        "x",
        "y",
        "d",
        "p",
        "mind",
        "maxd",
        "e",
        "l",
    }
    out: dict[str, list[str]] = {}
    current = None
    for tok in tokens:
        if tok in keys:
            current = tok
            out[current] = []
        elif current is not None:
            out[current].append(tok)
    missing = keys - set(out)
    if missing:
        raise ValueError(f"missing sections {sorted(missing)}")
    return out


def read(path: str | Path) -> HHCInstance:
    """Parse an original Mankowska instance (``InstanzCPLEX_HCSRP_10_1.txt[.gz]``)."""
    path = Path(path)
    name = path.name.split(".")[0]
    try:
        sec = _sections(open_text(path).split())
        nodes, vehicles, kinds = (
            int(sec["nbNodes"][0]),
            int(sec["nbVehi"][0]),
            int(sec["nbServi"][0]),
        )
        f = {
            k: np.array([float(t) for t in sec[k]])
            for k in ("r", "a", "x", "y", "d", "p", "mind", "maxd", "e", "l")
        }
        r = f["r"].reshape(nodes, kinds)
        a = f["a"].reshape(vehicles, kinds)
        d = f["d"].reshape(nodes, nodes)
        p = f["p"].reshape(nodes, vehicles, kinds)
    except (ValueError, IndexError) as err:
        raise InputError(f"{path}: not a Mankowska HHCRSP instance ({err})") from None
    if not np.allclose(p, p[:, :1, :]):
        raise InputError(
            f"{path}: processing times differ between caregivers; one duration per visit is assumed"
        )
    double = {int(t) - 1 for t in sec["DS"]}  # 1-based node numbers
    n = nodes - 2  # node 0 = depot start, node N-1 = depot end
    services, sync = [], []
    for i in range(1, n + 1):
        needed = [s for s in range(kinds) if r[i, s] > 0.5]
        services.append([Service(f"s{s + 1}", float(p[i, 0, s])) for s in needed])
        if len(needed) == 2:
            lo, hi = float(f["mind"][i]), float(f["maxd"][i])
            sync.append(Sync("simultaneous") if lo == 0 and hi == 0 else Sync("sequential", lo, hi))
        else:
            sync.append(None)
        if (len(needed) == 2) != (i in double):
            raise InputError(
                f"{path}: patient {i} needs {len(needed)} services but DS says otherwise"
            )
    return HHCInstance(
        name=name,
        family="mankowska",
        patients=[f"p{i}" for i in range(1, n + 1)],
        earliest=f["e"][1 : n + 1],
        latest=f["l"][1 : n + 1],
        services=services,
        sync=sync,
        caregivers=[f"c{v + 1}" for v in range(vehicles)],
        abilities=[{f"s{s + 1}" for s in range(kinds) if a[v, s] > 0.5} for v in range(vehicles)],
        d=d[: n + 1, : n + 1].copy(),
        coords=[(float(f["x"][i]), float(f["y"][i])) for i in range(n + 1)],
    )


def files() -> list[Path]:
    folder = benchmark_data(*FOLDER, "instances")
    return sorted(
        folder.glob("*.txt.gz"), key=lambda p: [int(t) for t in re.findall(r"\d+", p.name)]
    )


def literature_id(name: str) -> str:
    """``InstanzCPLEX_HCSRP_10_1`` -> ``A1``."""
    size, k = (int(t) for t in re.findall(r"(\d+)_(\d+)$", name)[0])
    return f"{LETTERS.get(size, str(size))}{k}"


def best_known() -> dict[str, dict]:
    """Instance name -> {objective, distance, total_tardiness, max_tardiness, solution_file, id}."""
    return read_best_known(benchmark_data(*FOLDER, "best_known_ceschia2024.csv"))


def read_iolab_solution(path: str | Path) -> Assignment:
    """A Ceschia et al. / iolab solution file as an assignment (``arrival_time`` is the start)."""
    doc = json.loads(open_text(Path(path)))
    return {
        r["caregiver_id"]: [
            (s["patient"], s["service"], float(s["arrival_time"])) for s in r.get("locations", [])
        ]
        for r in doc["routes"]
    }
