"""The search's parameters: frozen objects whose fields say what each one does and the
measurement that chose its default (the runs are in ``benchmarks/RESULTS.md``).

Modelled on PyVRP's parameter objects (``IteratedLocalSearchParams``): the defaults are
the tuned values, a search takes its parameters as one object, and a value out of range
raises :class:`~optimiser.errors.ParameterError` naming the field when the object is made
(:func:`dataclasses.replace` checks again), not somewhere inside a search.

>>> from dataclasses import replace
>>> replace(LNSParams(), size=(2, 10)).size
(2, 10)
>>> LNSParams(route_share=2)
Traceback (most recent call last):
...
optimiser.errors.ParameterError: LNSParams.route_share: a share from 0 to 1, got 2
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from .errors import ParameterError


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _whole(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


# what a field must be: (how the error message says it, the test)
SHARE = ("a share from 0 to 1", lambda x: _number(x) and 0 <= x <= 1)
AMOUNT = ("a number >= 0", lambda x: _number(x) and x >= 0)
COUNT = ("a whole number >= 0", lambda x: _whole(x) and x >= 0)
FLAG = ("True or False", lambda x: isinstance(x, bool))
RANGE = ("a pair of whole numbers (fewest, most) with 0 <= fewest <= most",
         lambda x: isinstance(x, tuple) and len(x) == 2 and all(_whole(k) for k in x) and 0 <= x[0] <= x[1])


def _check(params: object) -> None:
    """Raise :class:`ParameterError` for the first field of ``params`` that is not what
    its ``expect`` metadata says."""
    for f in fields(params):  # type: ignore[arg-type]
        expect: tuple[str, Callable[[Any], bool]] | None = f.metadata.get("expect")
        value = getattr(params, f.name)
        if expect is not None and not expect[1](value):
            raise ParameterError(f"{type(params).__name__}.{f.name}: {expect[0]}, got {value!r}")


@dataclass(frozen=True)
class LNSParams:
    """Parameters of the construction's ruin-and-recreate (:func:`optimiser.lns.improve`)."""

    size: tuple[int, int] = field(default=(4, 25), metadata={"expect": RANGE})
    """Visits a step takes out around its target: fewest and most (drawn uniformly; a
    string-removal step takes out about their mean). 2-10 with cheapest-first re-insertion
    until 2026-12-01; 4-25 with regret re-insertion since (12 hard Solomon instances at
    30 s, mean gap 6.4 % -> 3.4-3.8 % over two seeds; 4-25 cheapest-first 4.9 %, 4-40 with
    regret 3.6 %; 1,000- and 2,000-visit days and Mankowska C-F equal)."""

    threshold: float = field(default=30.0, metadata={"expect": AMOUNT})
    """GBP a step may worsen the roster by at the start (threshold acceptance: the
    threshold shrinks linearly to zero by the deadline, and the best roster seen is kept).
    Came with threshold acceptance (d4b5802, generated days of 1,000 visits / 80 carers,
    20 s: strict descent with 4-16 visits 577k GBP-equivalent and 80 visits left out;
    2-10 visits with a 50 GBP threshold 535k and 71). Re-measured on six hard Solomon
    instances: max(30, 2 %) 6.41 %, max(15, 1 %) 5.72 %, max(60, 5 %) 4.95 % mean gap,
    not adopted without re-measuring the days it was set on. At 0 the search keeps no
    copy of its best roster; with ``threshold_share`` above 0 steps may still worsen it,
    and :func:`~optimiser.lns.improve` then returns the best objective seen but leaves the
    roster where it ended (as before this object existed; the defaults never meet it)."""

    threshold_share: float = field(default=0.02, metadata={"expect": SHARE})
    """Or this share of the routes' cost (fixed costs aside), when larger: the threshold
    scales with the roster (with string removal, 8d47ae5: Mankowska D1 +3.7 % -> +0.4 %,
    E2 +16.3 % -> +2.7 %; a 1,000-visit day at 30 s: 62 vs 72 visits left out)."""

    plateau: bool = field(default=True, metadata={"expect": FLAG})
    """Accept steps that change nothing in cost (with the threshold, d4b5802), so the
    search drifts across rosters of equal cost."""

    focus_size: int = field(default=40, metadata={"expect": COUNT})
    """A step re-inserts only into the routes serving this many visits nearest its target
    (plus five random routes and the empty ones): far routes rarely win and cost most of
    the time (1,000 visits / 20 s: 64 visits left out vs 73 with every route; 2,000 / 30 s:
    176 vs 182). 0: every route."""

    target_first: bool = field(default=True, metadata={"expect": FLAG})
    """Re-insert the step's target before the visits of its priority (1,000 visits / 20 s:
    496k vs 525k; 2,000 / 30 s: 1.236M vs 1.257M; measured with cheapest-first
    re-insertion, it now orders only the visits tied to others, which go one by one)."""

    route_share: float = field(default=0.3, metadata={"expect": SHARE})
    """Share of the steps that empty a short route, when carers have a fixed cost
    (Solomon, 15 s: vehicles on RC105/R105/RC101 15/15/15 without, 14/15/15 at 0.1,
    14/14/15 at 0.3; at 0.05 six hard Solomon instances gave 5.38 % vs 6.41 %, not
    adopted: R111 then loses the route the LNS found at 17 s)."""

    string_share: float = field(default=0.5, metadata={"expect": SHARE})
    """Share of the other steps that take out strings of consecutive stops (SISR) instead
    of the visits nearest the target (8d47ae5, measured with ``threshold_share``)."""

    free_share: float = field(default=0.5, metadata={"expect": SHARE})
    """Share of the nearest-visit steps centred on a visit left out that instead clear
    what one carer who may do it does during its window (first for sleep-ins and waking
    nights at 0.5; for every visit left out since the commute rules, which confine
    walkers and cyclists to visits near home: see benchmarks/RESULTS.md, issue 14)."""

    def __post_init__(self) -> None:
        _check(self)


@dataclass(frozen=True)
class AnnealParams:
    """Parameters of the compiled ruin-and-recreate (:func:`optimiser.search.improve`)."""

    string_mean: float = field(default=10.0, metadata={"expect": AMOUNT})
    """Visits a step takes out on average (SISR's c-bar; the value of the SISR paper, and
    of the compiled search on Solomon since 2026-12-03)."""

    string_max: int = field(default=10, metadata={"expect": COUNT})
    """Longest string of consecutive stops a step takes out (SISR's L_max)."""

    blink: float = field(default=0.01, metadata={"expect": SHARE})
    """Chance of skipping a position while inserting (SISR's blinks)."""

    start_temperature: float = field(default=0.05, metadata={"expect": AMOUNT})
    """Simulated annealing's temperature at the start, as a share of the routes' cost
    (fixed costs aside); it falls geometrically to ``end_temperature`` at the deadline
    (R2/RC2 Solomon instances at 10 s: mean gap 2.3 % from 0.05, 3.4 % from 0.01)."""

    end_temperature: float = field(default=0.0005, metadata={"expect": AMOUNT})
    """The temperature at the deadline, as a share of the routes' cost."""

    out_share: float = field(default=0.5, metadata={"expect": SHARE})
    """Share of the steps centred on a visit left out, when one is (the others centre on
    a random placed visit)."""

    clear_share: float = field(default=0.5, metadata={"expect": SHARE})
    """Share of those that clear what one carer who may do the visit does during its
    window instead of taking strings near it (the visits near it in space may belong to
    carers who cannot do it: see ``LNSParams.free_share``)."""

    client_share: float = field(default=0.2, metadata={"expect": SHARE})
    """Share of the steps centred on a placed visit that first take out every visit of its
    client (then strings near it), on a horizon of several days when continuity is priced:
    reinserted one by one, a client's visits go to the carers she already sees wherever they
    have room, which string removal (visits near in space and time) cannot do across days.
    A generated week (7 x 300 visits, 75 carers, 60 s): objective 110,051 against 120,934
    without, paid travel per visit 5.65 against 5.83 (benchmarks/RESULTS.md)."""

    neighbours: int = field(default=100, metadata={"expect": COUNT})
    """Visits kept per visit, nearest in travel minutes plus the minutes between their
    windows, for the string removal."""

    def __post_init__(self) -> None:
        _check(self)


@dataclass(frozen=True)
class SearchParams:
    """Parameters of the engine's search plan (:meth:`optimiser.engine.RoutingModel.search`)."""

    fleet_share: float = field(default=0.4, metadata={"expect": SHARE})
    """Share of the time left after the first roster that fleet minimisation may use when
    carers have a fixed cost (it usually stops earlier, at its lower bound or when it
    stalls). Set with the phase (dd92c80: 15 hard Solomon instances at 10 s, 2 -> 10 at
    the best-known vehicle count); other shares were not measured."""

    lns_share: float = field(default=0.5, metadata={"expect": SHARE})
    """Share of the time left after the fleet phase the ruin-and-recreate runs before
    OR-Tools' guided local search takes over (``GREEDY_INSERTION+LNS+GLS``): on Solomon
    at 10-15 s the LNS alone wins on short routes (R101 19 vehicles vs 20 for GLS, RC105
    14 vs 16), GLS alone on long ones (R201 and RC201 4 vs 5), so each gets half."""

    linked_gls_limit: int = field(default=300, metadata={"expect": COUNT})
    """Visits up to which GLS follows the LNS despite double-handed or ``after`` ties
    (OR-Tools checks them by a CP search on every move). Mankowska B-F at 10 s: mean gap
    3.4 % with GLS vs 5.9 % without; H1 (~400 visits, 60 s) 6.4 vs 6.2 %; a 1,000-visit
    day without breaks, 30 s: 77 vs 73 visits left out."""

    lns: LNSParams = field(default_factory=LNSParams,
                           metadata={"expect": ("an LNSParams", lambda x: isinstance(x, LNSParams))})
    """Parameters of the ruin-and-recreate."""

    anneal: AnnealParams = field(default_factory=AnnealParams,
                                 metadata={"expect": ("an AnnealParams", lambda x: isinstance(x, AnnealParams))})
    """Parameters of the compiled search."""

    def __post_init__(self) -> None:
        _check(self)
