"""Why a visit stayed unassigned, in a coordinator's words, naming the binding rule.

The diagnosis works from the raw inputs (and the visits already placed), applying the
hard matching rules one by one in a fixed order; the first rule that leaves too few
carers is the one reported (``skills`` ... ``max_work_minutes``, then ``pinned_carers``,
``shifts``, ``double_handed``, ``after``, ``commute``). When carers who may do it work then,
each is tried in the roster as it stands (the others' visits where they are): every gap in
her shift where the visit fits in time, at its earliest and latest start, against the
commute limits, the break rules (:class:`optimiser.rules.Stretches`), ``max_work_minutes``
and ``capacity``. The
rule that stops most of them is named (``busy`` when none has the time), with what
stops each.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from . import rules
from .compile import ProblemData, fits
from .model import Carer, Visit
from .rules import ELIGIBILITY, Stretches, has_waking_nights, ineligible, needs_breaks, paid_minutes

Reason = tuple[str, str]  # (reason, rule)


def explain_unassigned(
    data: ProblemData, missing: list[int], placed: dict[int, list[tuple[int, int]]]
) -> list[Reason]:
    """One ``(reason, rule)`` per visit index in ``missing``.

    ``placed`` maps visit index -> ``[(vehicle, start minute)]`` of the roster.
    """
    multi_day = data.horizon > 24 * 60
    nights = has_waking_nights(data.problem.visits)
    roster = _Roster(_stops_by_vehicle(data, placed), _work_by_group(data, placed),
                     tuple(needs_breaks(v.end - v.start, data.problem.policy, nights) for v in data.vehicles))
    return [_explain(data, vi, placed, roster, multi_day) for vi in missing]


@dataclass
class _Roster:
    """The roster as it stands: vehicle -> its ``(start, visit index)`` in time order,
    carer index -> paid minutes, and vehicle -> whether the break rules can bind on it."""

    stops: dict[int, list[tuple[int, int]]]
    work: dict[int, int]
    breaks: tuple[bool, ...]


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


def _explain(data: ProblemData, vi: int, placed, roster: _Roster, multi_day: bool) -> Reason:
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
            return (f"only 1 {who} works a shift covering {span}; 2 are needed", rules.DOUBLE_HANDED)
        return (f"no {who} works a shift covering {span}", rules.SHIFTS)

    if visit.after is not None:
        other = problem.visit(visit.after.visit)
        reason = _after_clash(data, visit, other, visit.after.min_minutes, visit.after.max_minutes, placed, multi_day)
        if reason:
            return reason, rules.AFTER
    for other in problem.visits:
        if other.after is not None and other.after.visit == visit.id:
            a = other.after
            lo = None if a.max_minutes is None else -a.max_minutes
            reason = _after_clash(data, visit, other, lo, -a.min_minutes, placed, multi_day)
            if reason:
                return reason, rules.AFTER

    far = _beyond_commute(data, vi, covering, ws, latest)
    if far is not None and len(covering) - far < need:
        return (f"the client lives beyond the commute limit (from home or back) of all {far} eligible carers "
                f"working at {window}, and none of their rounds could pass by on the way{double}", rules.COMMUTE)

    # each carer who may do it and works then, tried in the roster as it stands, at the
    # starts its window and the `after` gaps to partners already placed allow
    first, last = _after_range(data, vi, placed, ws, latest)
    if (first, last) != (ws, latest):
        window = (f"{_clock(data.time(first), multi_day)}-{_clock(data.time(last), multi_day)} "
                  "(the starts its after gap allows)")
        span = f"{window} ({visit.duration_minutes} min)"
    tries = {i: _try_carer(data, vi, i, first, last, roster, multi_day) for i in covering}
    for pid in visit.pinned_carers:
        ci = next(i for i, c in enumerate(problem.carers) if c.id == pid)
        if tries[ci].rule is not None:
            return (f"pinned carer {pid} {_what_stops(data, tries[ci], multi_day)} {span}", rules.PINNED)
    free = [i for i, t in tries.items() if t.rule is None]
    if len(free) >= need:
        if need == 2 and not _together([tries[i] for i in free]):
            return (f"the {len(free)} eligible carers with room for it {window} have no start in common; "
                    "a double-handed visit needs 2 carers together", rules.DOUBLE_HANDED)
        names = " and ".join(problem.carers[i].id for i in free[:need])
        return (f"{names} could do it at {_clock(data.time(tries[free[0]].start), multi_day)}; the search did "
                f"not place it in the time it had (a longer time limit may){double}", rules.SEARCH)
    blocked = Counter(t.rule for t in tries.values() if t.rule not in (None, rules.BUSY))
    detail = "" if who == "carer" else f" ({who})"
    if not blocked:
        if free:  # need == 2: one has room, every other is busy
            return (f"only 1 of the {len(covering)} eligible carers{detail} working {window} has room for it; "
                    "a double-handed visit needs 2 carers together", rules.DOUBLE_HANDED)
        if len(covering) == 1:
            return (f"the one eligible carer{detail} working then, {problem.carers[covering[0]].id}, is busy "
                    f"{window}{double}", rules.BUSY)
        return (f"all {len(covering)} eligible carers{detail} are busy {window}{double}", rules.BUSY)
    order = (rules.COMMUTE, rules.BREAK, rules.WAKING_NIGHT_BREAK, rules.MAX_WORK, rules.CAPACITY)
    rule = max(blocked, key=lambda r: (blocked[r], -order.index(r)))
    example = next(t for t in tries.values() if t.rule == rule)
    name = problem.carers[example.carer].id
    if len(covering) == 1:
        return (f"the one eligible carer{detail} working {span}, {name}, {_phrase(data, rule, 1)}{double}: "
                f"{example.detail}", rule)
    counts = Counter(t.rule for t in tries.values())
    parts = [f"{counts[r]} {_phrase(data, r, counts[r])}" for r in (*order, None, rules.BUSY) if counts[r]]
    return (f"of the {len(covering)} eligible carers{detail} working {span}: {', '.join(parts)}{double} "
            f"(carer {name}: {example.detail})", rule)


def _phrase(data: ProblemData, rule: str | None, n: int) -> str:
    """What stops ``n`` carers, by rule (None: nothing does)."""
    policy = data.problem.policy
    if rule == rules.BREAK:
        return (f"would work over {policy.break_after_minutes} min without a {policy.break_minutes}-min break "
                "(break_after_minutes)")
    if rule == rules.WAKING_NIGHT_BREAK:
        return (f"would work over {policy.waking_night_break_after_minutes} min of a waking night with no room "
                f"for an on-site {policy.waking_night_break_minutes}-min break (waking_night_break_after_minutes)")
    if rule == rules.MAX_WORK:
        return f"would pass {'her' if n == 1 else 'their'} max_work_minutes"
    if rule == rules.COMMUTE:
        return f"would commute further than {'her' if n == 1 else 'their'} limit, starting or ending the round there"
    if rule == rules.CAPACITY:
        return f"{'has' if n == 1 else 'have'} no capacity left"
    return f"{'has' if n == 1 else 'have'} room" if rule is None else f"{'is' if n == 1 else 'are'} busy"


@dataclass
class _Try:
    """How one carer could take a visit: ``rule`` None when some start keeps every rule (the
    first is ``start``; ``room`` lists the start ranges that do), else the rule that stopped
    the starts she had time for (``busy`` when she had time for none) and the numbers."""

    carer: int
    rule: str | None
    start: int = 0
    detail: str = ""
    room: list[tuple[int, int]] = field(default_factory=list)


def _try_carer(data: ProblemData, vi: int, ci: int, ws: int, latest: int, roster: _Roster,
               multi_day: bool) -> _Try:
    visit = data.problem.visits[vi]
    found = _Try(ci, rules.BUSY)
    for v in data.vehicles_of[ci]:
        if not fits(data.vehicles[v], ws, latest, visit.duration_minutes):
            continue
        items = roster.stops.get(v, [])
        for lo, hi, k in _gaps(data, v, vi, ws, latest, items):
            for s in sorted({lo, hi}):
                rule, detail = _rules_at(data, v, vi, k, s, items, roster, multi_day)
                if rule is None:
                    if found.rule is not None:
                        found = _Try(ci, None, s)
                    found.room.append((lo, hi))
                    break
                if found.rule == rules.BUSY:
                    found = _Try(ci, rule, s, detail)
    return found


def _gaps(data: ProblemData, v: int, vi: int, ws: int, latest: int, items: list[tuple[int, int]]):
    """``(earliest, latest start, position)`` of each gap of vehicle ``v``'s stops where visit ``vi`` fits in time."""
    problem, veh = data.problem, data.vehicles[v]
    visit = problem.visits[vi]
    mode = problem.carers[veh.carer].travel_mode
    m, index = data.minutes_int[mode], data.travel.index
    here = index[visit.client]
    dur = visit.duration_minutes
    for k in range(len(items) + 1):
        lo, hi = max(ws, veh.start), min(latest, veh.end - dur)
        if k:
            start, pi = items[k - 1]
            prev = problem.visits[pi]
            lo = max(lo, start + prev.duration_minutes + int(m[index[prev.client], here]))
        if k < len(items):
            start, ni = items[k]
            hi = min(hi, start - int(m[here, index[problem.visits[ni].client]]) - dur)
        if lo <= hi:
            yield lo, hi, k


def _rules_at(data: ProblemData, v: int, vi: int, k: int, start: int, items, roster: _Roster,
              multi_day: bool):
    """``(rule, numbers)`` that stops visit ``vi`` starting at ``start`` as stop ``k`` of vehicle
    ``v``, or ``(None, "")``: the break rules, then max_work_minutes, then capacity."""
    problem, veh = data.problem, data.vehicles[v]
    carer = problem.carers[veh.carer]
    visit = problem.visits[vi]
    m, index = data.minutes_int[carer.travel_mode], data.travel.index
    seq = [*items[:k], (start, vi), *items[k:]]
    policy = problem.policy
    home, here = data.node_point[veh.carer], index[visit.client]
    if k == 0 and not veh.opens(m[home, here]):
        return rules.COMMUTE, f"{int(m[home, here])} min from home against a limit of {veh.out_limit} min"
    if k == len(items) and not veh.closes(m[here, home]):
        return rules.COMMUTE, f"{int(m[here, home])} min home against a limit of {veh.back_limit} min"
    if roster.breaks[v]:
        stretches = Stretches(policy)
        prev = None
        for s, wi in seq:
            w = problem.visits[wi]
            travel = 0 if prev is None else int(m[index[prev], index[w.client]])
            stretches.add(w.kind, s, s + w.duration_minutes, travel)
            prev = w.client
        for stretch in stretches.finish():
            breach = stretches.over(stretch)
            if breach is not None:
                a, b = stretch[0], stretch[1]
                return breach[0], (f"{_clock(data.time(a), multi_day)}-{_clock(data.time(b), multi_day)}, {b - a:g} min "
                                   f"against a limit of {breach[1]} min")
    group = data.group_of[v]
    cap = data.group_cap[group]
    if cap is not None:
        def leg(a: int, b: int) -> int:
            return int(m[index[problem.visits[a].client], index[problem.visits[b].client]])

        delta = paid_minutes(visit)
        if k:
            delta += leg(items[k - 1][1], vi)
        if k < len(items):
            delta += leg(vi, items[k][1])
        if 0 < k < len(items):
            delta -= leg(items[k - 1][1], items[k][1])
        paid = roster.work.get(group, 0) + delta
        if paid > cap:
            return rules.MAX_WORK, f"{paid} paid min in the week against a cap of {cap}"
    if carer.capacity is not None:
        load = sum(problem.visits[wi].demand for _, wi in seq)
        if load > carer.capacity:
            return rules.CAPACITY, f"load {load} in the shift against capacity {carer.capacity}"
    return None, ""


def _what_stops(data: ProblemData, t: _Try, multi_day: bool) -> str:
    if t.rule == rules.BUSY:
        return "is busy"
    return f"would break the {t.rule} rule ({t.detail}) at"


def _together(tries: list[_Try]) -> bool:
    """Two of these carers have room at a common start (ranges tried as a whole)."""
    for i, a in enumerate(tries):
        for b in tries[i + 1:]:
            if any(max(x0, y0) <= min(x1, y1) for x0, x1 in a.room for y0, y1 in b.room):
                return True
    return False


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
            limited = limited or veh.commute_limited
            if veh.opens(minutes[home, point]) and veh.closes(minutes[point, home]):
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


def _after_range(data: ProblemData, vi: int, placed, ws: int, latest: int) -> tuple[int, int]:
    """The starts of visit ``vi`` in ``[ws, latest]`` that keep its `after` gaps to the
    partners already placed."""
    problem = data.problem
    visit = problem.visits[vi]
    index = {v.id: i for i, v in enumerate(problem.visits)}
    ties = []  # (partner start, lowest, highest gap start(vi) - start(partner))
    if visit.after is not None and index[visit.after.visit] in placed:
        ties.append((placed[index[visit.after.visit]][0][1], visit.after.min_minutes, visit.after.max_minutes))
    for oi, other in enumerate(problem.visits):
        if other.after is not None and other.after.visit == visit.id and oi in placed:
            a = other.after
            ties.append((placed[oi][0][1], None if a.max_minutes is None else -a.max_minutes, -a.min_minutes))
    for start, lo, hi in ties:
        if lo is not None:
            ws = max(ws, start + lo)
        if hi is not None:
            latest = min(latest, start + hi)
    return ws, latest


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


def _work_by_group(data: ProblemData, placed) -> dict[int, int]:
    """Paid minutes per work group (a carer's week, ``compile.work_groups``) in the roster
    (visits + travel between them)."""
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
            total += paid_minutes(visit)
            if prev is not None:
                total += int(data.minutes_int[carer.travel_mode][data.travel.index[prev], data.travel.index[visit.client]])
            prev = visit.client
        work[data.group_of[v]] = work.get(data.group_of[v], 0) + total
    return work


def _stops_by_vehicle(data: ProblemData, placed) -> dict[int, list[tuple[int, int]]]:
    """Vehicle -> its ``(start, visit index)`` in time order."""
    out: dict[int, list[tuple[int, int]]] = {}
    for vi, spots in placed.items():
        for v, start in spots:
            out.setdefault(v, []).append((start, vi))
    for items in out.values():
        items.sort()
    return out
