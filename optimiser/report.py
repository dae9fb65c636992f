"""Readable output for coordinators: a per-carer timeline, a KPI table, the unassigned
visits with their reasons, and the compact summary ``carerota solve`` prints."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .model import PRIORITIES, Problem, Route, Solution

RULE = "-" * 72


def _short_by_reason(k: dict) -> str:
    """", carers short: 2 (shifts 1, demand 1)": carers paid less than their guarantee, by
    why (CarerKpis.shortfall_reason); empty when none is."""
    reasons = [c["shortfall_reason"].split(":")[0] for c in (k.get("per_carer") or {}).values()
               if c.get("shortfall_reason")]
    if not reasons:
        return ""
    counts = ", ".join(f"{r} {reasons.count(r)}" for r in sorted(set(reasons)))
    return f"; carers short: {len(reasons)} ({counts})"


def _num(x: Any, fmt: str = ",.0f", none: str = "-") -> str:
    return none if x is None else format(x, fmt)


def _pct(x: Any) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _money(x: Any) -> str:
    return "-" if x is None else (f"-£{-x:,.2f}" if x < 0 else f"£{x:,.2f}")


def _placed_by_priority(k: Mapping[str, Any]) -> str:
    parts = []
    for p in PRIORITIES:
        pk = k.get("by_priority", {}).get(p)
        if pk and pk.get("visits"):
            parts.append(f"{p} {pk['scheduled']}/{pk['visits']}")
    return ", ".join(parts)


def kpi_summary(solution: Solution) -> str:
    """A compact multi-line KPI summary (what ``carerota solve`` prints)."""
    k = solution.kpis
    if not k:
        return f"{solution.status}: {len(solution.unassigned)} unassigned (no KPIs computed)"
    cost = k.get("cost", {})
    lines = [
        f"status {solution.status}: visits placed {k.get('visits_scheduled', 0)}/{k.get('visits_total', 0)}"
        f" ({_placed_by_priority(k)})",
        f"travel {_num(k.get('travel_minutes'))} paid min = {_pct(k.get('travel_share'))} of paid time, "
        f"{_num(k.get('travel_miles'), ',.1f')} miles; commute {_num(k.get('commute_minutes'))} min unpaid",
        f"continuity {_num(k.get('distinct_carers_per_client_mean'), '.2f')} distinct carers per client "
        f"(max {k.get('distinct_carers_per_client_max', '-')}), "
        f"{_pct(k.get('familiar_share'))} of visits by a familiar carer",
        f"language match {_pct(k.get('language_match_rate'))}, preferences met "
        f"{_pct(k.get('preference_match_rate'))}, late visits {k.get('late_visits', 0)}",
        f"cost per contact hour {_money(cost.get('cost_per_contact_hour'))} "
        f"(fee {_money(cost.get('fee_per_hour'))}, margin {_money(cost.get('margin_per_hour'))}/h)",
        f"unassigned {len(solution.unassigned)}",
    ]
    if k.get("sleep_ins") or k.get("waking_nights"):
        lines.insert(-1, f"night: {k.get('sleep_ins', 0)} sleep-ins ({_money(cost.get('sleep_in_allowances'))} "
                         f"allowance), {k.get('waking_nights', 0)} waking nights")
    return "\n".join(lines)


def kpi_table(k: Mapping[str, Any]) -> str:
    """The KPIs as an aligned two-column table."""
    cost = k.get("cost", {})
    rows: list[tuple[str, str]] = [
        ("visits placed", f"{k.get('visits_scheduled', 0)} / {k.get('visits_total', 0)}"),
    ]
    for p in PRIORITIES:
        pk = k.get("by_priority", {}).get(p)
        if pk and pk.get("visits"):
            rows.append(
                (f"  {p}", f"{pk['scheduled']} / {pk['visits']} ({_num(pk['minutes_unassigned'])} min unassigned)")
            )
    by_rule = k.get("unassigned_by_rule") or {}
    if by_rule:
        rows.append(("unassigned by rule", ", ".join(f"{r} {n}" for r, n in sorted(by_rule.items()))))
    rows += [
        ("minutes scheduled / unassigned", f"{_num(k.get('minutes_scheduled'))} / {_num(k.get('minutes_unassigned'))}"),
        ("carers used", f"{k.get('carers_used', 0)} / {k.get('carers_total', 0)}"),
        ("contact minutes (per carer)", _num(k.get("contact_minutes"))),
        ("paid travel", f"{_num(k.get('travel_minutes'))} min, {_num(k.get('travel_miles'), ',.1f')} miles"),
        ("travel share of paid time", _pct(k.get("travel_share"))),
        ("unpaid commute", f"{_num(k.get('commute_minutes'))} min, {_num(k.get('commute_km'), ',.1f')} km"),
    ]
    for mode, ck in sorted((k.get("commute_by_mode") or {}).items()):
        rows.append((f"  {mode} ({ck['carers']} carers)",
                     f"median {_num(ck.get('median_minutes'))} min a carer, max {_num(ck.get('max_minutes'))}; "
                     f"longest leg {_num(ck.get('longest_leg_minutes'))} min"))
    rows += [
        ("distinct carers per client", f"mean {_num(k.get('distinct_carers_per_client_mean'), '.2f')}, "
                                       f"max {k.get('distinct_carers_per_client_max', '-')}"),
        ("visits by a familiar carer", _pct(k.get("familiar_share"))),
        ("language match", _pct(k.get("language_match_rate"))),
        ("preferred attributes met", f"{_pct(k.get('preference_match_rate'))} "
                                     f"(unmet weight {_money(k.get('preference_cost'))})"),
        ("after the planned time", f"{k.get('after_planned_visits', 0)} visits "
                                   f"({_num(k.get('after_planned_minutes_total'))} min)"),
        ("late visits", f"{k.get('late_visits', 0)} ({_num(k.get('lateness_minutes_total'))} min, "
                        f"max {_num(k.get('lateness_minutes_max'))})"),
        ("contracted shortfall / overtime", f"{_num(k.get('contracted_shortfall_minutes'))} / "
                                            f"{_num(k.get('overtime_minutes'))} min{_short_by_reason(k)}"),
        ("contact hours", _num(cost.get("contact_hours"), ",.2f")),
    ]
    if k.get("sleep_ins") or k.get("waking_nights"):
        rows.append(("sleep-ins / waking nights", f"{k.get('sleep_ins', 0)} / {k.get('waking_nights', 0)}"))
    if (k.get("days") or 0) > 1:  # a horizon of several days: the week's figures
        carers = [c for c in (k.get("per_carer") or {}).values() if c.get("days_worked")]
        weekends = sum(1 for c in carers if c.get("weekend_days_worked"))
        longest = max((c.get("longest_day_minutes") or 0 for c in carers), default=0)
        rows += [
            ("days", str(k["days"])),
            ("days worked per carer", f"mean {_num(k.get('days_worked_mean'), '.1f')}; "
                                      f"{weekends} of {len(carers)} carers work a weekend day"),
            ("longest working day", f"{_num(longest)} min"),
            ("time spread of recurring calls", f"median {_num(k.get('time_spread_median_minutes'))} min"),
        ]
    for item in ("contact_wage", "travel_time_wage", "sleep_in_allowances", "mileage", "ni_pension",
                 "other_on_costs", "running_business", "profit"):
        if item == "sleep_in_allowances" and not cost.get(item):
            continue
        share = cost.get("breakdown_share", {}).get(item)
        rows.append((f"  {item.replace('_', ' ')}", f"{_money(cost.get(item))} ({_pct(share)})"))
    rows += [
        ("total (sustainable price)", _money(cost.get("total"))),
        ("cost per contact hour", _money(cost.get("cost_per_contact_hour"))),
        ("council fee per hour", _money(cost.get("fee_per_hour"))),
        ("margin per hour at the fee", _money(cost.get("margin_per_hour"))),
    ]
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label:<{width}}  {value}" for label, value in rows)


def _timeline(route: Route, problem: Problem | None, widths: tuple[int, int]) -> list[str]:
    """One line per stop (and per listed break), in time order; ``widths`` of the
    client and visit columns."""
    visits = {v.id: v for v in problem.visits} if problem else {}
    carer = next((c for c in problem.carers if c.id == route.carer), None) if problem else None
    shift_of = (
        (lambda t: next((i for i, s in enumerate(carer.shifts) if s.start <= t <= s.end), None))
        if carer is not None
        else (lambda t: None)
    )
    events: list[tuple[Any, str]] = []
    prev_shift: object = object()
    prev_end = None
    for stop in sorted(route.stops, key=lambda s: s.start):
        v = visits.get(stop.visit)
        shift = shift_of(stop.start)
        first = shift != prev_shift or shift is None and prev_end is None
        if carer is not None and first and prev_end is not None:
            events.append((prev_end, f"  {prev_end:%H:%M}        home (end of shift)"))
        client = v.client if v else "-"
        wait = (stop.start - stop.arrival).total_seconds() / 60
        origin = "from home" if (carer is not None and first) else ""
        parts = [
            f"  {stop.start:%H:%M}-{stop.end:%H:%M}  {client:<{widths[0]}}  {stop.visit:<{widths[1]}}",
            f"travel {stop.travel_minutes:4.0f} min {stop.travel_km:5.1f} km {origin}".rstrip(),
        ]
        if wait > 0.5:
            rest = problem is not None and not first and wait >= problem.policy.break_minutes
            parts.append(f"wait {wait:.0f} min" + (" (counts as a break)" if rest else ""))
        if v is not None and v.carers_required == 2:
            parts.append("double-up")
        if v is not None and v.kind != "visit":
            parts.append(v.kind.replace("_", "-"))
        events.append((stop.start, "  ".join(parts)))
        prev_shift, prev_end = shift, stop.end
    for b in route.breaks:
        minutes = (b.end - b.start).total_seconds() / 60
        events.append((b.start, f"  {b.start:%H:%M}-{b.end:%H:%M}  break {minutes:.0f} min"))
    events.sort(key=lambda e: e[0])
    several_days = len({t.date() for t, _ in events}) > 1
    lines, day = [], None
    for t, line in events:
        if several_days and t.date() != day:
            day = t.date()
            lines.append(f" {t:%A %d %B}")
        lines.append(line)
    return lines


def render_report(solution: Solution, problem: Problem | None = None) -> str:
    """A readable per-carer timeline, the KPI table and the unassigned visits.

    With ``problem`` the report names clients, marks shift ends and fills the KPIs
    when the solution carries none.
    """
    kpis = solution.kpis
    if not kpis and problem is not None:
        from .kpis import compute_kpis

        kpis = compute_kpis(problem, solution)
    per_carer = kpis.get("per_carer", {})
    out = [f"Roster for problem {solution.problem_id} ({solution.status})", RULE]
    visits = {v.id: v for v in problem.visits} if problem else {}
    stops = [stop for route in solution.routes for stop in route.stops]
    widths = (
        max((len(visits[s.visit].client) for s in stops if s.visit in visits), default=1),
        max((len(s.visit) for s in stops), default=1),
    )
    for route in solution.routes:
        if not route.stops:
            continue
        ck = per_carer.get(route.carer, {})
        head = f"Carer {route.carer}: {len(route.stops)} visits"
        if problem is not None:
            carer = next((c for c in problem.carers if c.id == route.carer), None)
            if carer is not None:
                shifts = ", ".join(f"{s.start:%H:%M}-{s.end:%H:%M}" for s in carer.shifts)
                head += f", {carer.travel_mode}, shifts {shifts}"
        if ck:
            head += (
                f"; paid {ck['paid_minutes']:.0f} min (travel {ck['travel_minutes']:.0f}, "
                f"waiting {ck['waiting_minutes']:.0f}); commute {ck['commute_minutes']:.0f} min "
                f"(longest leg {ck.get('longest_commute_minutes', 0):.0f})"
            )
            if ck.get("contracted_minutes") is not None:
                head += f", contracted {ck['contracted_minutes']}"
        out.append(head)
        out.extend(_timeline(route, problem, widths))
        out.append("")
    out += ["KPIs", RULE, kpi_table(kpis) if kpis else "(no KPIs: pass the problem to compute them)", ""]
    out += [f"Unassigned visits ({len(solution.unassigned)})", RULE]
    for u in solution.unassigned:
        v = visits.get(u.visit)
        what = (
            f" ({v.client}, {v.window.start:%H:%M}-{v.window.end:%H:%M}, {v.priority})" if v is not None else ""
        )
        rule = f" [{u.rule}]" if u.rule else ""
        out.append(f"  {u.visit}{what}{rule}: {u.reason}")
    if not solution.unassigned:
        out.append("  none")
    return "\n".join(out)
