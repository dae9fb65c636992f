"""The break rule compiled (numba): :class:`optimiser.rules.Stretches` for the compiled search.

The compiled search checks the break rule inside its insertion loops, where a Python
object per candidate would cost more than the whole check. :func:`route_starts` is
:meth:`optimiser.route_times.RouteTimes.starts` (the earliest starts of a shift's visits,
each fed to ``Stretches.place``) with the stretch held in local variables.

:class:`optimiser.rules.Stretches` stays the definition: the validator, the unassigned
reasons and the Python construction read it, and this module is for the compiled search
only. ``tests/optimiser/test_stretches_kernel.py`` keeps the two equal: on random routes
(sleep-ins, waking nights, limits switched off) :func:`route_starts` must give what
``RouteTimes.starts`` gives, so a change to either side that the other does not follow
fails there.

Notes
-----
Times are whole minutes and so are the policy's limits (``PositiveMinutes``), so every
comparison ``Stretches`` makes with its tolerance ``TOLERANCE`` gives what the exact one would;
they are written as in ``Stretches`` all the same, so the two read line by line alike.
A limit switched off (``None``) is ``np.inf`` here: every test ``Stretches`` guards with
``cap is not None`` is then false by itself.

numba's cache keeps ``TOLERANCE`` as it was when the kernel compiled and only notices edits to
this file, so a change to ``rules.TOLERANCE`` needs this module's cache cleared.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from .rules import SLEEP_IN, TOLERANCE, WAKING_NIGHT

if TYPE_CHECKING:
    from .model import Policy

KIND_VISIT = 0
"""A node that is working time with no rule of its own: a visit, or a carer's home."""
KIND_SLEEP_IN = 1
"""A sleep-in: not working time; the whole of it is rest between the visits around it."""
KIND_WAKING_NIGHT = 2
"""A waking night: work under its own limit, its breaks taken on site."""

_KIND_CODES = {"visit": KIND_VISIT, SLEEP_IN: KIND_SLEEP_IN, WAKING_NIGHT: KIND_WAKING_NIGHT}


def kind_code(kind: str) -> int:
    """The kernel's code of a visit kind (``"visit"``, :data:`optimiser.rules.SLEEP_IN`,
    :data:`optimiser.rules.WAKING_NIGHT`).

    An unknown kind raises ``ValueError``: ``Stretches`` would take it as an ordinary
    visit, and a new kind should be given its meaning here on purpose, not by default."""
    try:
        return _KIND_CODES[kind]
    except KeyError:
        raise ValueError(f"unknown visit kind {kind!r}") from None


def kind_codes(kinds: Iterable[str]) -> np.ndarray:
    """:func:`kind_code` of each kind, as the int64 array :func:`route_starts` reads
    (e.g. of :func:`optimiser.compile.node_kinds`)."""
    return np.array([kind_code(k) for k in kinds], dtype=np.int64)


def limits_of(policy: Policy) -> np.ndarray:
    """The ``limits`` array of :func:`route_starts`: ``(break_after_minutes, break_minutes,
    waking_night_break_after_minutes, waking_night_break_minutes)``, ``np.inf`` for a limit
    switched off (``None``)."""
    values = (policy.break_after_minutes, policy.break_minutes,
              policy.waking_night_break_after_minutes, policy.waking_night_break_minutes)
    return np.array([np.inf if x is None else float(x) for x in values], dtype=np.float64)


@njit(cache=True)
def route_starts(seq: np.ndarray, n: int, T: np.ndarray, kind: np.ndarray, duration: np.ndarray,
                 ws: np.ndarray, lw: np.ndarray, shift_start: int, shift_end: int, breaks: bool,
                 limits: np.ndarray, out: np.ndarray) -> bool:
    """Earliest start of each stop of a route, with idle breaks where a working stretch would
    otherwise run too long and on-site breaks in waking nights: ``RouteTimes.starts``.

    Parameters
    ----------
    seq
        ``seq[:n]``: the route's node ids in order (int64; may be longer than ``n``).
    n
        Number of stops.
    T
        Node x node int64 time: service of the first node + travel (``RouteTimes.vehicle_T``).
        The travel into a stop is ``T[prev, u] - duration[prev]``; none into the first stop
        (the commute is not paid time and shift bounds apply to visits).
    kind
        int64 per node: :data:`KIND_VISIT`, :data:`KIND_SLEEP_IN` or :data:`KIND_WAKING_NIGHT`
        (:func:`kind_codes`).
    duration, ws, lw
        int64 per node: service minutes, earliest and latest start.
    shift_start, shift_end
        The shift's bounds: the first stop starts no earlier, the last ends no later.
    breaks
        Whether the shift keeps the break rule (``RouteTimes.needs_breaks``; shorter
        shifts cannot break it, so the check is skipped).
    limits
        float64[4] from :func:`limits_of`; the two break lengths are finite.
    out
        int64, filled with the start of each stop (``out[:n]``; on False, a prefix only).

    Returns
    -------
    bool
        False when no start times keep the windows, the shift end and the break rule
        (``RouteTimes.starts`` returning None).
    """
    limit = limits[0]
    rest = np.int64(limits[1])
    night_limit = limits[2]
    night_rest = np.int64(limits[3])
    night_capped = night_limit < np.inf  # Stretches: night_limit is not None
    night_cap = np.int64(night_limit) if night_capped else np.int64(0)  # whole minutes, for times
    # the open stretch (Stretches.start is not None), its start, the end of its work so far,
    # whether it holds waking-night work; the end of the last working visit (Stretches.free,
    # set whenever a stretch is open) and the paid travel since then (Stretches.travel)
    open_ = False
    stretch_start = np.int64(0)
    stretch_end = np.int64(0)
    night_work = False
    free = np.int64(0)
    paid = np.int64(0)
    t = np.int64(shift_start)
    prev = -1
    for k in range(n):
        u = seq[k]
        dur = duration[u]
        travel = np.int64(0) if prev < 0 else T[prev, u] - duration[prev]
        s = max(ws[u], t + travel)
        if breaks:
            # Stretches.place(kind[u], s, dur, travel), fixed=False
            if kind[u] == KIND_SLEEP_IN:
                paid += travel  # a sleep-in is rest; the travel around it is not
            else:
                night = kind[u] == KIND_WAKING_NIGHT
                idle = s - free - paid - travel  # read only while a stretch is open (free is set)
                if open_ and idle < rest - TOLERANCE:
                    cap = night_limit if night_work or night else limit
                    # a waking night can break on site, but not before it begins
                    if (s if night else s + dur) - stretch_start > cap:
                        late = free + paid + travel + rest
                        if late > s:
                            idle += late - s
                            s = late
                if not open_ or idle >= rest - TOLERANCE:
                    open_ = True
                    stretch_start = s
                    night_work = False
                end = s + dur
                stretch_end = end
                if night:
                    night_work = True
                    if night_capped:
                        # Stretches._night_breaks(s, end, i)
                        while open_ and end - stretch_start > night_limit + TOLERANCE:
                            at = min(stretch_start + night_cap, end - night_rest)
                            if at < s - TOLERANCE:  # the stretch was too long before the night began
                                at = s
                            if at + night_rest > end + TOLERANCE:
                                break  # no room for a break in this night
                            stretch_end = at
                            open_ = False
                            if at + night_rest < end - TOLERANCE:
                                open_ = True
                                stretch_start = at + night_rest
                                night_work = True
                                stretch_end = end
                free = end
                paid = 0
                if open_:
                    cap = night_limit if night_work else limit
                    if stretch_end - stretch_start > cap + TOLERANCE:
                        return False
        if s > lw[u]:
            return False
        out[k] = s
        t = s + dur
        prev = u
    if n > 0 and t > shift_end:
        return False
    return True
