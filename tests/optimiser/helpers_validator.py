"""Tiny hand-made problems and rosters for the validator, KPI and report tests.

Points sit on a line (``POS``, in km); the car takes 10 min per km, walking 15 min per
km, so every travel time in a test can be worked out by hand. Rosters are written as
``{carer: [(visit, "HH:MM"), ...]}`` and :func:`roster` fills in end, arrival and the
matrix travel of each stop exactly as PREAMBLE.md defines them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from optimiser.model import Problem, Route, Solution, Stop, Unassigned
from optimiser.validator import validate

DAY = "2026-11-23"
POS = {"A": 0.0, "B": 0.0, "C": 6.0, "D": 3.0, "X": 1.0, "Y": 2.0, "Z": 4.0, "W": 1.0}
MIN_PER_KM = {"car": 10.0, "walk": 15.0, "bike": 4.0}


def t(hhmm: str) -> str:
    """An ISO datetime on the test day."""
    return f"{DAY}T{hhmm}"


def dt(hhmm: str) -> datetime:
    return datetime.fromisoformat(t(hhmm))


def km(a: str, b: str) -> float:
    return abs(POS[a] - POS[b])


def leg(mode: str, a: str, b: str) -> float:
    return km(a, b) * MIN_PER_KM[mode]


def carer(id: str, shifts: tuple[tuple[str, str], ...] = (("07:00", "13:00"),), **kw: Any) -> dict:
    return {
        "id": id,
        "home": {"lat": 51.5, "lon": -0.1 + POS[id] / 100},
        "shifts": [{"start": t(s), "end": t(e)} for s, e in shifts],
        **kw,
    }


def client(id: str, **kw: Any) -> dict:
    return {"id": id, "location": {"lat": 51.5, "lon": -0.1 + POS[id] / 100}, **kw}


def visit(id: str, client: str, start: str, end: str, duration: int = 30, **kw: Any) -> dict:
    return {
        "id": id,
        "client": client,
        "window": {"start": t(start), "end": t(end)},
        "duration_minutes": duration,
        **kw,
    }


def problem(carers: list[dict], clients: list[dict], visits: list[dict], **kw: Any) -> Problem:
    """A problem with exact line matrices over its carers and clients."""
    points = [c["id"] for c in carers] + [c["id"] for c in clients]
    matrix = {
        "points": points,
        "minutes": {m: [[leg(m, a, b) for b in points] for a in points] for m in MIN_PER_KM},
        "km": {m: [[km(a, b) for b in points] for a in points] for m in MIN_PER_KM},
    }
    return Problem.model_validate(
        {"id": "tiny", "carers": carers, "clients": clients, "visits": visits, "travel": {"matrix": matrix}, **kw}
    )


def roster(
    p: Problem,
    plan: dict[str, list[tuple[str, str]]],
    unassigned: tuple[str, ...] | list[str] = (),
) -> Solution:
    """A solution from ``{carer: [(visit id, "HH:MM" start), ...]}`` with honest travel."""
    routes = []
    for carer_id, items in plan.items():
        c = next(c for c in p.carers if c.id == carer_id)
        stops: list[Stop] = []
        prev_client, prev_end, prev_shift = None, None, None
        for visit_id, start in items:
            v = next(v for v in p.visits if v.id == visit_id)
            s = dt(start)
            e = s + timedelta(minutes=v.duration_minutes)
            shift = next((i for i, sh in enumerate(c.shifts) if sh.start <= s and e <= sh.end), None)
            origin = prev_client if shift is not None and shift == prev_shift else c.id
            travel = leg(c.travel_mode, origin, v.client)
            arrival = s if origin == c.id else prev_end + timedelta(minutes=travel)
            stops.append(
                Stop(
                    visit=visit_id,
                    arrival=min(arrival, s),
                    start=s,
                    end=e,
                    travel_minutes=travel,
                    travel_km=km(origin, v.client),
                )
            )
            prev_client, prev_end, prev_shift = v.client, e, shift
        routes.append(Route(carer=carer_id, stops=stops))
    return Solution(
        problem_id=p.id,
        status="feasible" if not unassigned else "partial",
        routes=routes,
        unassigned=[Unassigned(visit=u, reason="test") for u in unassigned],
    )


def rules(p: Problem, s: Solution) -> set[str]:
    """The names of the rules a roster breaks."""
    return validate(p, s).rules_broken()


def shift_stop(s: Solution, carer_id: str, visit_id: str, minutes: float) -> Solution:
    """A copy of ``s`` with one stop moved by ``minutes`` (arrival, start and end)."""
    s = s.model_copy(deep=True)
    d = timedelta(minutes=minutes)
    for r in s.routes:
        if r.carer == carer_id:
            for st in r.stops:
                if st.visit == visit_id:
                    st.arrival, st.start, st.end = st.arrival + d, st.start + d, st.end + d
    return s
