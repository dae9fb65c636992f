"""Why a visit stayed unassigned, in a coordinator's words, naming the binding rule.

The diagnosis works from the raw inputs (and the visits already placed), applying the
hard matching rules one by one in a fixed order; the first rule that leaves too few
carers is the one reported. When every rule leaves carers who could do it, they were
all busy (or the visit clashed with an ``after`` gap or a working-time cap).
"""

from __future__ import annotations

from datetime import datetime

from . import rules
from .compile import ProblemData, fits
from .model import Carer, Visit
from .rules import ELIGIBILITY, ineligible

Reason = tuple[str, str]  # (reason, rule)


def explain_unassigned(
    data: ProblemData, missing: list[int], placed: dict[int, list[tuple[int, int]]]
) -> list[Reason]:
    """One ``(reason, rule)`` per visit index in ``missing``.

    ``placed`` maps visit index -> ``[(vehicle, start minute)]`` of the roster.
    """
    multi_day = data.horizon > 24 * 60
    work = _work_by_carer(data, placed)
    return [_explain(data, vi, placed, work, multi_day) for vi in missing]


def _clock(t: datetime, multi_day: bool) -> str:
    return t.strftime("%a %d %b %H:%M") if multi_day else t.strftime("%H:%M")


def _describe(visit: Visit, client, upto: str) -> str:
    """The carer the visit needs, spelled out up to (and including) rule ``upto``."""
    parts = []
    upto_here = ELIGIBILITY[: ELIGIBILITY.index(upto) + 1]
    if rules.GENDER in upto_here and client.carer_gender:
        parts.append(client.carer_gender)
    parts.append("carer")
    if visit.skills:
        names = ", ".join(f"'{s}'" for s in visit.skills)
        parts.append(f"with skill{'s' if len(visit.skills) > 1 else ''} {names}")
    if rules.LANGUAGE in upto_here and client.language_match == "required":
        parts.append("speaking " + " or ".join(client.languages))
    if rules.REQUIREMENTS in upto_here and client.requirements:
        tags = sorted(set(client.requirements))
        parts.append(f"with attribute{'s' if len(tags) > 1 else ''} " + ", ".join(f"'{t}'" for t in tags))
    if rules.EXCLUDED in upto_here and client.excluded_carers:
        parts.append("not excluded by the client")
    if rules.CAPACITY in upto_here and visit.demand:
        parts.append(f"with capacity for {visit.demand}")
    return " ".join(parts)


def _explain(data: ProblemData, vi: int, placed, work: dict[int, int], multi_day: bool) -> Reason:
    problem = data.problem
    visit = problem.visits[vi]
    client = problem.client(visit.client)
    need = visit.carers_required
    ws, we = data.minute(visit.window.start), data.minute(visit.window.end)
    latest = we + visit.late_limit_minutes
    window = f"{_clock(visit.window.start, multi_day)}-{_clock(data.time(latest), multi_day)}"
    span = f"{window} ({visit.duration_minutes} min)"
    double = " (double-handed: 2 carers needed)" if need == 2 else ""

    carers: list[tuple[int, Carer]] = list(enumerate(problem.carers))
    for rule in ELIGIBILITY:
        before = carers
        carers = [(i, c) for i, c in carers if ineligible(visit, client, c) not in ELIGIBILITY[: ELIGIBILITY.index(rule) + 1]]
        if len(carers) < need:
            who = _describe(visit, client, rule)
            if rule == rules.REQUIREMENTS:
                if not carers:
                    return (f"no {who} exists{_lacking(client, [c for _, c in before])}{double}", rule)
            if rule == rules.MAX_WORK:
                return (f"no {who} may work {visit.duration_minutes} min (max_work_minutes){double}", rule)
            if rule == rules.CAPACITY:
                return (f"no {who}: demand {visit.demand} exceeds every carer's capacity{double}", rule)
            if rule == rules.EXCLUDED:
                return (f"no {who} is left: the client excluded {', '.join(client.excluded_carers)}{double}", rule)
            count = "no" if not carers else f"only {len(carers)}"
            return (f"{count} {who} exists{double}", rule)
    who = _describe(visit, client, ELIGIBILITY[-1])

    for pid in visit.pinned_carers:
        ci = next(i for i, c in enumerate(problem.carers) if c.id == pid)
        broken = ineligible(visit, client, problem.carers[ci])
        if broken is not None:
            return (f"pinned carer {pid} does not meet the {broken} rule for this visit", rules.PINNED)
        if not any(fits(data.vehicles[v], ws, latest, visit.duration_minutes) for v in data.vehicles_of[ci]):
            return (f"pinned carer {pid} has no shift covering {span}", rules.PINNED)

    covering = [i for i, _ in carers if any(fits(data.vehicles[v], ws, latest, visit.duration_minutes)
                                             for v in data.vehicles_of[i])]
    if len(covering) < need:
        if need == 2 and covering:
            return (f"only 1 {who} works a shift covering {span}; 2 are needed", "double_handed")
        return (f"no {who} works a shift covering {span}", rules.SHIFTS)

    if visit.after is not None:
        other = problem.visit(visit.after.visit)
        reason = _after_clash(data, visit, other, visit.after.min_minutes, visit.after.max_minutes, placed, multi_day)
        if reason:
            return reason, "after"
    for other in problem.visits:
        if other.after is not None and other.after.visit == visit.id:
            a = other.after
            lo = None if a.max_minutes is None else -a.max_minutes
            reason = _after_clash(data, visit, other, lo, -a.min_minutes, placed, multi_day)
            if reason:
                return reason, "after"

    far = _beyond_commute(data, vi, covering, ws, latest)
    if far is not None and len(covering) - far < need:
        return (f"the client lives beyond the commute limit (from home or back) of all {far} eligible carers "
                f"working at {window}, and none of their rounds could pass by on the way{double}", rules.COMMUTE)

    capped = [i for i in covering if problem.carers[i].max_work_minutes is not None
              and work.get(i, 0) + visit.duration_minutes > problem.carers[i].max_work_minutes]
    if capped and len(covering) - len(capped) < need:
        return (f"all {len(covering)} eligible carers working at {window} have reached their max_work_minutes{double}",
                rules.MAX_WORK)
    detail = "" if who == "carer" else f" ({who})"
    return (f"all {len(covering)} eligible carers{detail} are busy {window}{double}", "busy")


def _beyond_commute(data: ProblemData, vi: int, covering: list[int], ws: int, latest: int) -> int | None:
    """How many carers of ``covering`` could not do the visit alone in a shift covering
    it, for the commute rules (it could not both start and end the round), or None when
    no such shift has a commute limit."""
    visit = data.problem.visits[vi]
    point = data.travel.index[visit.client]
    limited = False
    far = 0
    for ci in covering:
        carer = data.problem.carers[ci]
        minutes = data.minutes_int[carer.travel_mode]
        home = data.node_point[ci]
        reachable = False
        for v in data.vehicles_of[ci]:
            veh = data.vehicles[v]
            if not fits(veh, ws, latest, visit.duration_minutes):
                continue
            limited = limited or veh.out_limit is not None or veh.back_limit is not None
            if (veh.out_limit is None or minutes[home, point] <= veh.out_limit) and (
                    veh.back_limit is None or minutes[point, home] <= veh.back_limit):
                reachable = True
        far += not reachable
    return far if limited else None


def _lacking(client, before: list[Carer]) -> str:
    """Which required tags are missing when no carer is left: those none of the carers
    the earlier rules left (``before``) has, or else that none has them all."""
    if not before:
        return ""
    nobody = [t for t in sorted(set(client.requirements)) if not any(t in c.attributes for c in before)]
    if nobody:
        return f" (none has {', '.join(repr(t) for t in nobody)})"
    return " (none has them all)"


def _after_clash(data: ProblemData, visit: Visit, other: Visit, lo: int | None, hi: int | None,
                 placed, multi_day: bool) -> str | None:
    """Whether ``lo <= start(visit) - start(other) <= hi`` cannot hold (None bound = open)."""
    ws = data.minute(visit.window.start)
    latest = data.minute(visit.window.end) + visit.late_limit_minutes
    oi = next(i for i, v in enumerate(data.problem.visits) if v.id == other.id)
    if oi in placed:
        o0 = o1 = placed[oi][0][1]
        where = f"placed at {_clock(data.time(o0), multi_day)}"
    else:
        o0 = data.minute(other.window.start)
        o1 = data.minute(other.window.end) + other.late_limit_minutes
        where = "by its window"
    low = ws - o1
    high = latest - o0
    if (lo is not None and high < lo) or (hi is not None and low > hi):
        bounds = f"{'-inf' if lo is None else lo}..{'inf' if hi is None else hi}"
        return (f"its start must be {bounds} min after visit {other.id}'s start ({where}), "
                f"which its window does not allow")
    return None


def _work_by_carer(data: ProblemData, placed) -> dict[int, int]:
    """Paid minutes per carer index in the roster (visits + travel between them)."""
    problem = data.problem
    by_vehicle: dict[int, list[tuple[int, int]]] = {}
    for vi, spots in placed.items():
        for v, start in spots:
            by_vehicle.setdefault(v, []).append((start, vi))
    work: dict[int, int] = {}
    for v, items in by_vehicle.items():
        items.sort()
        carer = problem.carers[data.vehicles[v].carer]
        total, prev = 0, None
        for _, vi in items:
            visit = problem.visits[vi]
            total += visit.duration_minutes
            if prev is not None:
                total += int(data.minutes_int[carer.travel_mode][data.travel.index[prev], data.travel.index[visit.client]])
            prev = visit.client
        work[data.vehicles[v].carer] = work.get(data.vehicles[v].carer, 0) + total
    return work
