"""The hard rules of a roster: one name and one definition each.

Two families live here: the rules that decide who may do a visit (eligibility), and the
working-time rule of breaks (:class:`Stretches`: what a working stretch is, and when it
needs a break), with what a sleep-in and a waking night are to it.

Every layer that needs one of these calls it here: the compiled problem the solver
searches (``optimiser.compile``), the validator's violations (``optimiser.validator``),
the unassigned reasons (``optimiser.explain``), the generator and the greedy baseline.
The names are the ones a violation and an unassigned visit carry, and the README's.
Each predicate reads the raw inputs only (never solver state), so the validator stays
independent of the search while agreeing with it on what "eligible" means.

The one soft matching rule on tags, a client's weighted ``preferences``, is defined here
too (:func:`unmet_preferences`, :func:`preference_cost`), next to its hard twin
``requirements``: the objective (``optimiser.engine``, ``optimiser.construct``) and the
KPIs (``optimiser.kpis``) read it from here. It never makes a carer ineligible.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from math import inf

from .model import Carer, Client, Policy, Problem, Visit, VisitKind

SKILLS = "skills"
"""The carer holds every skill the visit needs (insulin, hoist ...)."""
GENDER = "gender"
"""The carer is of the gender the client asks for (``carer_gender``)."""
LANGUAGE = "language"
"""A client with ``language_match: required`` shares a language with the carer."""
REQUIREMENTS = "requirements"
"""The carer's ``attributes`` include every tag the client's ``requirements`` list."""
EXCLUDED = "excluded_carers"
"""The client has not declined the carer."""
CAPACITY = "capacity"
"""The visit's demand fits the carer's capacity (benchmark vehicle routing)."""
MAX_WORK = "max_work_minutes"
"""The visit alone is no longer than the carer's cap on paid minutes in a week
(:func:`week_cap`), and on the whole roster her paid minutes in each calendar week stay
within it."""
PINNED = "pinned_carers"
"""A visit pinned to carers is done by them, and by nobody else in their place."""
SHIFTS = "shifts"
"""A visit lies inside one of its carer's shifts."""
BREAK = "break"
"""No working stretch lasts longer than ``policy.break_after_minutes`` (Working Time
Regulations 1998 reg 12: 20 min when the working day exceeds 6 h); see :class:`Stretches`."""
WAKING_NIGHT_BREAK = "waking_night_break"
"""A working stretch that holds waking-night work lasts at most
``policy.waking_night_break_after_minutes``; its breaks are taken on site during the night."""
AFTER = "after"
"""Start-to-start gap to another visit of the same client, when both are placed."""
DOUBLE_HANDED = "double_handed"
"""A double-handed visit has two different carers starting together, or none."""
DAILY_REST = "daily_rest"
"""Between one working day's last work and the next working day's first, at least
``policy.daily_rest_minutes`` (see :func:`rest_breaches`)."""
WEEKLY_REST = "weekly_rest"
"""In each 7-day period of the horizon, one uninterrupted rest of at least
``policy.weekly_rest_minutes``."""
CONSECUTIVE_DAYS = "consecutive_days"
"""At most ``policy.max_consecutive_days`` calendar days in a row with work."""
BUSY = "busy"
"""Not a rule: every carer who may do the visit and works then has no room for it."""
SEARCH = "search"
"""Not a rule: a carer could take the visit in the roster as it stands; the search left it out."""
COMMUTE = "commute"
"""Each trip from home to a shift's first visit, and from its last visit home, takes at
most the carer's commute limit (:func:`commute_limit`)."""
BETWEEN_SHIFTS = "between_shifts"
"""Between two shifts a carer goes home: the trip home from one shift's last visit and
the trip out to the next shift's first visit fit in the time between the two visits."""

ELIGIBILITY: tuple[str, ...] = (SKILLS, GENDER, LANGUAGE, REQUIREMENTS, EXCLUDED, CAPACITY, MAX_WORK)
"""The rules on one carer and one visit, in the order an unassigned reason tries them."""


def missing_skills(visit: Visit, carer: Carer) -> list[str]:
    """The visit's skills the carer lacks (sorted; empty when she has them all)."""
    return sorted(set(visit.skills) - set(carer.skills))


def wrong_gender(client: Client, carer: Carer) -> bool:
    """The client asks for a carer of another gender (or of one the carer has not recorded)."""
    return client.carer_gender is not None and carer.gender != client.carer_gender


def no_shared_language(client: Client, carer: Carer) -> bool:
    """The client requires a language match and the carer speaks none of her languages.

    A client who requires a match lists at least one language (the contract refuses an
    empty list with ``required``), so there is no "no requirement" case to decide here."""
    return client.language_match == "required" and not set(client.languages) & set(carer.languages)


def unmet_requirements(client: Client, carer: Carer) -> list[str]:
    """The tags the client requires that are not among the carer's attributes (sorted;
    empty when she has them all). Tags match exactly, as skills do."""
    return sorted(set(client.requirements) - set(carer.attributes))


def declined(client: Client, carer: Carer) -> bool:
    """The client has declined this carer (``excluded_carers``)."""
    return carer.id in client.excluded_carers


def over_capacity(visit: Visit, carer: Carer) -> bool:
    """The visit's demand alone exceeds the carer's capacity."""
    return carer.capacity is not None and visit.demand > carer.capacity


def longer_than_work_cap(visit: Visit, carer: Carer) -> bool:
    """The visit alone is paid for longer than the carer's own cap (a sleep-in never is);
    the policy's weekly cap (:func:`week_cap`) binds on her week, not on one visit."""
    return carer.max_work_minutes is not None and paid_minutes(visit) > carer.max_work_minutes


def pinned_elsewhere(visit: Visit, carer: Carer) -> bool:
    """Every place on the visit is pinned to another carer."""
    return len(visit.pinned_carers) >= visit.carers_required and carer.id not in visit.pinned_carers


def ineligible(visit: Visit, client: Client, carer: Carer) -> str | None:
    """The first rule of :data:`ELIGIBILITY` that stops ``carer`` doing ``visit``, or None.

    Parameters
    ----------
    visit, client, carer
        The visit, its client and a candidate carer, as in the problem.

    Returns
    -------
    str or None
        The rule's name (:data:`SKILLS` ...), or None when she may do it.
    """
    if missing_skills(visit, carer):
        return SKILLS
    if wrong_gender(client, carer):
        return GENDER
    if no_shared_language(client, carer):
        return LANGUAGE
    if unmet_requirements(client, carer):
        return REQUIREMENTS
    if declined(client, carer):
        return EXCLUDED
    if over_capacity(visit, carer):
        return CAPACITY
    if longer_than_work_cap(visit, carer):
        return MAX_WORK
    return None


# --------------------------------------------------------------------------- working time

SLEEP_IN: VisitKind = "sleep_in"
WAKING_NIGHT: VisitKind = "waking_night"
TOLERANCE = 1e-6  # minutes of float noise (the validator's times); whole minutes are exact


def working(visit: Visit) -> bool:
    """Whether the visit is working time: every kind but a sleep-in (not working time for
    minimum-wage purposes unless woken, UK Supreme Court, Mencap 2021; a roster plans no waking)."""
    return visit.kind != SLEEP_IN


def paid_minutes(visit: Visit) -> int:
    """Minutes of the visit paid by the hour and counted against ``max_work_minutes`` and
    ``contracted_minutes``: none for a sleep-in (paid ``policy.sleep_in_allowance``)."""
    return visit.duration_minutes if working(visit) else 0


def needs_breaks(shift_minutes: float, policy: Policy, waking_nights: bool) -> bool:
    """Whether a shift this long can hold a stretch the break rules limit (shorter ones never
    do); ``waking_nights``: whether the problem has any (else their limit cannot apply)."""
    limits = [policy.break_after_minutes] + ([policy.waking_night_break_after_minutes] if waking_nights else [])
    limits = [x for x in limits if x is not None]
    return bool(limits) and shift_minutes > min(limits)


def has_waking_nights(visits: list[Visit]) -> bool:
    """Whether any visit is a waking night (only then can its break limit bind)."""
    return any(v.kind == WAKING_NIGHT for v in visits)


class Stretches:
    """The working stretches of one shift, fed its visits in time order: the break rule's
    one definition, used by the construction, the OR-Tools model's vehicles, the validator
    and the unassigned reasons.

    * Working time is the visits (sleep-ins excepted) and the travel between them. Rest is
      the idle time between two working visits (the gap minus the travel in it: she may
      travel first and wait after, or the other way round) and the whole of any sleep-in
      between them (she sleeps at the client's home).
    * A stretch ends at rest of at least ``policy.break_minutes``. A stretch may last
      ``policy.break_after_minutes`` (:data:`BREAK`), measured from its first visit's start
      to its last visit's end; one that holds waking-night work
      ``policy.waking_night_break_after_minutes`` (:data:`WAKING_NIGHT_BREAK`). ``None``
      switches a limit off.
    * A waking night takes its breaks on site: a break of ``waking_night_break_minutes`` as
      late as the limit allows (and inside the night), again and again until the rest of
      the night fits; the work after the last one continues the stretch.

    :meth:`add` reads a roster as placed (the validator, the unassigned reasons);
    :meth:`place` chooses the earliest start that keeps the rule (the construction); both
    are the one method, ``place(..., fixed=True)`` being :meth:`add`. :attr:`closed` then holds the
    stretches ``(start, end, holds waking-night work, first visit, last visit)`` (indices in
    the order fed), :meth:`over` says which break a stretch lacks, and :meth:`listed_breaks`
    gives the breaks a roster lists.
    """

    __slots__ = ("limit", "rest", "night_limit", "night_rest", "start", "end", "night", "free", "travel",
                 "first", "last", "count", "closed", "on_site", "idle_breaks", "slept")

    def __init__(self, policy: Policy):
        self.limit = policy.break_after_minutes
        self.rest = policy.break_minutes
        self.night_limit = policy.waking_night_break_after_minutes
        self.night_rest = policy.waking_night_break_minutes
        self.start: float | None = None  # the open stretch's start (None: no stretch open)
        self.end: float = 0  # ... and the end of its work so far
        self.night = False  # ... it holds waking-night work
        self.free: float | None = None  # end of the last working visit
        self.travel: float = 0  # paid travel since then (work, not rest)
        self.slept = False  # a sleep-in since then
        self.first = self.last = self.count = 0
        self.closed: list[tuple[float, float, bool, int, int]] = []
        self.on_site: list[tuple[float, float]] = []  # breaks inside waking nights
        self.idle_breaks: list[tuple[int, float]] = []  # (stretches closed before it, start) of idle splits

    def _cap(self, night: bool) -> int | None:
        return self.night_limit if night else self.limit

    def _close(self) -> None:
        if self.start is not None:
            self.closed.append((self.start, self.end, self.night, self.first, self.last))
        self.start = None

    def idle(self, start: float, travel: float) -> float:
        """Rest before a working visit starting at ``start`` after ``travel`` paid minutes on the road."""
        return inf if self.free is None else start - self.free - self.travel - travel

    def add(self, kind: VisitKind, start: float, end: float, travel: float) -> None:
        """Feed the next visit as placed; ``travel`` is the paid travel into it (0 from home)."""
        self.place(kind, start, end - start, travel, fixed=True)

    def _night_breaks(self, start: float, end: float, i: int) -> None:
        limit, rest = self.night_limit, self.night_rest
        while self.start is not None and end - self.start > limit + TOLERANCE:
            at = min(self.start + limit, end - rest)
            if at < start - TOLERANCE:  # the stretch was too long before the night began
                at = start
            if at + rest > end + TOLERANCE:
                return  # no room for a break in this night
            self.end = at
            self._close()
            self.on_site.append((at, at + rest))
            if at + rest < end - TOLERANCE:
                self.start, self.night, self.first, self.end = at + rest, True, i, end

    def place(self, kind: VisitKind, earliest: float, duration: float, travel: float,
              fixed: bool = False) -> float | None:
        """Start the next visit at ``earliest``, or, when its stretch would then run too long,
        after a break of idle time, and feed it; return the start, or None when no start keeps
        the rule. ``fixed``: the start is given (:meth:`add`)."""
        start = earliest
        i = self.count
        self.count = i + 1
        if kind == SLEEP_IN:
            self.travel += travel
            self.slept = True
            return start
        night = kind == WAKING_NIGHT
        idle = inf if self.free is None else start - self.free - self.travel - travel
        if self.start is not None and idle < self.rest - TOLERANCE:
            cap = self.night_limit if self.night or night else self.limit
            # a waking night can break on site, but not before it begins
            if not fixed and cap is not None and (start if night else start + duration) - self.start > cap:
                late = self.free + self.travel + travel + self.rest
                if late > start:
                    idle += late - start
                    start = late
        if self.start is None or idle >= self.rest - TOLERANCE:
            if self.start is not None:
                if not self.slept:
                    self.idle_breaks.append((len(self.closed) + 1, start - idle))
                self.closed.append((self.start, self.end, self.night, self.first, self.last))
            self.start, self.night, self.first = start, False, i
        end = start + duration
        self.last, self.end = i, end
        if night:
            self.night = True
            if self.night_limit is not None:
                self._night_breaks(start, end, i)
        self.free, self.travel, self.slept = end, 0, False
        if not fixed and self.start is not None:
            cap = self.night_limit if self.night else self.limit
            if cap is not None and self.end - self.start > cap + TOLERANCE:
                return None
        return start

    def over(self, stretch: tuple[float, float, bool, int, int]) -> tuple[str, int] | None:
        """``(rule, limit)`` when a closed stretch is longer than its limit, else None."""
        start, end, night, _, _ = stretch
        cap = self._cap(night)
        if cap is not None and end - start > cap + TOLERANCE:
            return (WAKING_NIGHT_BREAK if night else BREAK), cap
        return None

    def finish(self) -> list[tuple[float, float, bool, int, int]]:
        """Close the open stretch; return every stretch of the shift."""
        self._close()
        return self.closed

    def listed_breaks(self) -> list[tuple[float, float]]:
        """The breaks a roster lists (after :meth:`finish`): every on-site break of a waking
        night, and every idle break between two stretches that together would run too long."""
        out = list(self.on_site)
        for k, at in self.idle_breaks:
            if 0 < k < len(self.closed):
                a, b = self.closed[k - 1], self.closed[k]
                cap = self._cap(a[2] or b[2])
                if cap is not None and b[1] - a[0] > cap:
                    out.append((at, at + self.rest))
        return sorted(out)


# --------------------------------------------------------------------------- the working week


def week_cap(carer: Carer, policy: Policy) -> int | None:
    """The carer's cap on paid minutes in one calendar week (:data:`MAX_WORK`), or None.

    The smaller of her own ``max_work_minutes`` and ``policy.max_week_minutes`` (the 48 h
    week), the latter unless she opted out (``wtr_opt_out``)."""
    caps = [carer.max_work_minutes, None if carer.wtr_opt_out else policy.max_week_minutes]
    caps = [c for c in caps if c is not None]
    return min(caps) if caps else None


def horizon(problem: Problem) -> tuple[datetime, datetime]:
    """``(first midnight, last midnight)`` around every shift and visit window of the
    problem: the whole days it covers (``optimiser.compile`` counts minutes from the first;
    :func:`rest_breaches` judges weekly rest in its 7-day periods)."""
    starts = [s.start for c in problem.carers for s in c.shifts] + [v.window.start for v in problem.visits]
    ends = [s.end for c in problem.carers for s in c.shifts] + [v.window.end for v in problem.visits]
    first = min(starts, default=datetime(2000, 1, 1))
    last = max(ends, default=first)
    begin = datetime(first.year, first.month, first.day)
    end = datetime(last.year, last.month, last.day)
    return begin, end if end == last else end + timedelta(days=1)


def week_of(t: datetime) -> date:
    """The Monday of ``t``'s calendar week: the week :data:`MAX_WORK` counts a shift in (by its start)."""
    day = t.date()
    return day - timedelta(days=day.weekday())


def rest_breaches(spans: list[tuple[datetime, datetime]], policy: Policy,
                  horizon: tuple[datetime, datetime]) -> list[tuple[str, str]]:
    """The rest rules one carer's working time breaks: :data:`DAILY_REST`,
    :data:`WEEKLY_REST` and :data:`CONSECUTIVE_DAYS`, each ``(rule, what)``.

    Parameters
    ----------
    spans
        Her working time as ``(start, end)`` intervals: the shifts she is given (the input
        check, ``optimiser.intake``) or the work a roster gives her (the validator). A span
        belongs to the calendar day it starts on.
    policy
        The problem's policy (``daily_rest_minutes``, ``weekly_rest_minutes``,
        ``max_consecutive_days``; None switches one off).
    horizon
        ``(first midnight, end)`` of the problem: the weekly rest is judged in each whole
        7-day period from the first midnight (a shorter problem has none).

    Returns
    -------
    list of (str, str)
        One entry per breach, naming the rule and the times.
    """
    out: list[tuple[str, str]] = []
    spans = sorted(spans)
    if not spans:
        return out
    days: dict[date, tuple[datetime, datetime]] = {}
    for a, b in spans:
        first, last = days.get(a.date(), (a, b))
        days[a.date()] = (min(first, a), max(last, b))
    ordered = sorted(days.items())
    if policy.daily_rest_minutes is not None:
        for (d1, (_, end)), (d2, (start, _)) in zip(ordered, ordered[1:], strict=False):
            rest = (start - end).total_seconds() / 60
            if rest < policy.daily_rest_minutes - TOLERANCE:
                out.append((DAILY_REST, f"{rest:.0f} min between {d1} (last work {end:%a %H:%M}) and {d2} "
                                        f"(first work {start:%a %H:%M}); needs {policy.daily_rest_minutes}"))
    if policy.max_consecutive_days is not None:
        run, first = 0, None
        previous: date | None = None
        for d, _ in ordered:
            run, first = (run + 1, first) if previous is not None and d - previous == timedelta(days=1) else (1, d)
            previous = d
            if run == policy.max_consecutive_days + 1:
                out.append((CONSECUTIVE_DAYS, f"works {first} to {d} and on ({run}+ days in a row); "
                                              f"at most {policy.max_consecutive_days}"))
    if policy.weekly_rest_minutes is not None:
        period = timedelta(days=7)
        begin = horizon[0]
        while begin + period <= horizon[1]:
            end = begin + period
            longest, free = 0.0, begin
            for a, b in spans:
                if b <= begin or a >= end:
                    continue
                longest = max(longest, (max(a, begin) - free).total_seconds() / 60)
                free = max(free, min(b, end))
            longest = max(longest, (end - free).total_seconds() / 60)
            if longest < policy.weekly_rest_minutes - TOLERANCE:
                out.append((WEEKLY_REST, f"the longest rest from {begin:%Y-%m-%d} to {end:%Y-%m-%d} is "
                                         f"{longest:.0f} min; needs {policy.weekly_rest_minutes}"))
            begin = end
    return out


# --------------------------------------------------------------------------- commuting


def commute_limit(carer: Carer, policy: Policy) -> int | None:
    """The carer's longest allowed commute leg in minutes, or None for no limit.

    Her own ``max_commute_minutes`` wins; otherwise the policy's figure for her travel
    mode (DOMAIN.md's working assumption: car 45, bike 30, walk 25)."""
    if carer.max_commute_minutes is not None:
        return carer.max_commute_minutes
    if policy.max_commute_minutes is None:
        return None
    return policy.max_commute_minutes.get(carer.travel_mode)


def home_in_between(last_end: float, back: float, out: float, next_start: float) -> bool:
    """Whether a carer who ends a shift's last visit at ``last_end`` (minutes) can travel
    home (``back`` minutes) and out again (``out``) by the next shift's first visit at
    ``next_start``: the day is physically possible."""
    return last_end + back + out <= next_start


# --------------------------------------------------------------------------- soft matching


def misses_preferred_language(client: Client, carer: Carer) -> bool:
    """The client prefers (``language_match: preferred``) a language the carer does not
    speak: soft, priced ``policy.language_preference_penalty`` per visit."""
    return client.language_match == "preferred" and bool(client.languages) and not (
        set(client.languages) & set(carer.languages))


def unmet_preferences(client: Client, carer: Carer) -> list[str]:
    """The tags the client prefers that are not among the carer's attributes (sorted)."""
    return sorted(set(client.preferences) - set(carer.attributes))


def preference_cost(client: Client, carer: Carer) -> float:
    """GBP-equivalent cost of one visit to ``client`` by ``carer``: the summed weights of
    the preferred tags she lacks (0.0 when the client prefers nothing or she has them all).
    A double-handed visit costs it once per carer, as the language preference does."""
    if not client.preferences:
        return 0.0
    have = set(carer.attributes)
    return sum(weight for tag, weight in client.preferences.items() if tag not in have)


# --------------------------------------------------------------------------- soft timing


def planned_start(visit: Visit) -> datetime:
    """The time a call is planned for: the middle of its window (a care plan's "08:00 ±30"
    is the window 07:30-08:30). Clients expect it at about that time every day (DOMAIN.md,
    Matching: time consistency)."""
    return visit.window.start + (visit.window.end - visit.window.start) / 2


def start_price(visit: Visit, policy: Policy) -> tuple[datetime, float]:
    """``(from, GBP per minute)``: a start after ``from`` costs that much a minute.

    A visit that may be late (``late_limit_minutes`` > 0) is priced for its lateness, from
    its window's end at ``policy.lateness_per_minute``. Any other visit is priced from its
    planned time (:func:`planned_start`) at ``policy.after_planned_per_minute``: the
    search then keeps each call near the same time every day, and the timing of a finished
    roster (:mod:`optimiser.timing`) moves early starts later towards it. One price per
    visit, so that every engine prices it the same way (OR-Tools takes one soft bound per
    start): a visit that may be late is not priced within its window."""
    if visit.late_limit_minutes > 0:
        return visit.window.end, policy.lateness_per_minute
    return planned_start(visit), policy.after_planned_per_minute
