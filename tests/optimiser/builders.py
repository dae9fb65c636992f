"""Small builders for hand-made problems in tests (others may reuse them).

Coordinates are offsets in km from a base point in Leicester, times are "HH:MM" on one
day (or full ISO strings for other days)::

    p = problem(
        carers=[carer("ann", 0, 0, skills=["insulin"])],
        clients=[client("c1", 1, 0)],
        visits=[visit("v1", "c1", "08:00", "08:30", 30)],
    )
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from optimiser.model import Problem

DAY = datetime(2026, 11, 23)
BASE_LAT, BASE_LON = 52.6369, -1.1398
KM_LAT, KM_LON = 1 / 111.2, 1 / 67.6  # degrees per km at this latitude


def at(t: str) -> str:
    """ "07:30" -> ISO datetime on :data:`DAY`; full ISO strings pass through."""
    if "T" in t:
        return t
    h, m = (int(x) for x in t.split(":"))
    return (DAY + timedelta(hours=h, minutes=m)).isoformat(timespec="minutes")


def loc(x_km: float, y_km: float) -> dict[str, float]:
    return {"lat": BASE_LAT + y_km * KM_LAT, "lon": BASE_LON + x_km * KM_LON}


def carer(id: str, x: float = 0.0, y: float = 0.0, shifts=(("07:00", "15:00"),), **kw: Any) -> dict:
    return {"id": id, "home": loc(x, y), "shifts": [{"start": at(a), "end": at(b)} for a, b in shifts], **kw}


def client(id: str, x: float = 0.0, y: float = 0.0, **kw: Any) -> dict:
    return {"id": id, "location": loc(x, y), **kw}


def visit(id: str, client: str, start: str, end: str, duration: int = 30, **kw: Any) -> dict:
    return {"id": id, "client": client, "window": {"start": at(start), "end": at(end)},
            "duration_minutes": duration, **kw}


def problem(carers: list[dict], clients: list[dict], visits: list[dict], *, id: str = "test",
            policy: dict | None = None, options: dict | None = None, travel: dict | None = None) -> Problem:
    doc: dict[str, Any] = {"id": id, "carers": carers, "clients": clients, "visits": visits,
                           "policy": policy or {}, "options": {"time_limit_seconds": 2, **(options or {})}}
    if travel is not None:
        doc["travel"] = travel
    return Problem.model_validate(doc)


def random_day(visits: int = 60, carers: int = 8, seed: int = 1, *, area_km: float = 8.0,
               double_share: float = 0.1, split_share: float = 0.3, walker_share: float = 0.1,
               skill_share: float = 0.2, policy: dict | None = None, time_limit: float = 2.0) -> Problem:
    """A random but plausible day: runs of visits, +-30 min windows, some double-ups,
    skills, gender and language rules, split shifts, walkers. Not the product generator."""
    rng = random.Random(seed)
    langs = ["english", "gujarati", "punjabi", "polish"]
    cs = []
    for i in range(carers):
        split = rng.random() < split_share
        shifts = (("07:00", "11:30"), ("16:00", "22:00")) if split else rng.choice(
            [(("07:00", "15:00"),), (("10:00", "18:00"),), (("14:00", "22:00"),), (("07:00", "19:00"),)])
        walker = rng.random() < walker_share
        cs.append(carer(
            f"k{i:03d}", rng.uniform(0, area_km), rng.uniform(0, area_km), shifts,
            travel_mode="walk" if walker else "car",
            skills=[s for s in ("insulin", "hoist", "peg") if rng.random() < 0.4],
            languages=["english"] + ([rng.choice(langs[1:])] if rng.random() < 0.3 else []),
            gender="female" if rng.random() < 0.8 else "male",
            max_work_minutes=rng.choice([None, 480, 600]),
        ))
    n_clients = max(1, visits // 3)
    cl = []
    for i in range(n_clients):
        lang = rng.choice(langs[1:]) if rng.random() < 0.15 else None
        cl.append(client(
            f"c{i:03d}", rng.uniform(0, area_km), rng.uniform(0, area_km),
            languages=["english"] + ([lang] if lang else []),
            language_match=rng.choice(["preferred", "none"]) if lang else "none",
            carer_gender="female" if rng.random() < 0.2 else None,
            known_carers={cs[rng.randrange(carers)]["id"]: rng.randint(1, 12)} if rng.random() < 0.5 else {},
        ))
    runs = [(7 * 60 + 30, 10 * 60 + 30), (12 * 60, 14 * 60), (16 * 60 + 30, 18 * 60), (19 * 60, 21 * 60)]
    vs = []
    for i in range(visits):
        c = cl[i % n_clients]
        a, b = runs[(i // n_clients) % len(runs)]
        mid = rng.randrange(a, b)
        s, e = DAY + timedelta(minutes=mid - 30), DAY + timedelta(minutes=mid + 30)
        vs.append(visit(
            f"v{i:04d}", c["id"], s.isoformat(timespec="minutes"), e.isoformat(timespec="minutes"),
            rng.choice([30, 30, 30, 45, 60, 15]),
            carers_required=2 if rng.random() < double_share else 1,
            skills=[rng.choice(["insulin", "hoist", "peg"])] if rng.random() < skill_share else [],
            priority=rng.choice(["critical", "high", "normal", "normal", "flexible"]),
        ))
    return problem(cs, cl, vs, id=f"random-{visits}-{carers}-{seed}", policy=policy,
                   options={"time_limit_seconds": time_limit})
