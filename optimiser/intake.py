"""The input boundary: every document from outside passes here.

A problem read by ``carerota`` from a file and a problem posted to the service go
through the same three checks, in this order:

1. **size** (:func:`check_size`), on the parsed JSON before any model is built, so an
   oversized problem is refused in milliseconds and nothing large is allocated for it;
2. **the contract** (``optimiser.model``): finite, bounded numbers, capped ids, local
   date-times, references that exist; then the carers' shifts against the rest rules
   (:func:`check_working_time`);
3. **sources** (:func:`check_sources`): an OSM file named in the problem is taken
   literally (no ``$VAR`` or ``~`` expansion) and, on a server, must lie inside one of
   the operator's folders; a ``place`` (an online lookup) only where fetching is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import from_json

from .errors import InputError, TooLarge, not_valid
from .model import Problem
from .rules import horizon, rest_breaches
from .settings import settings

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Limits:
    """How big a problem may be (``CAREROTA_MAX_*`` settings)."""

    visits: int
    carers: int
    clients: int
    matrix_points: int

    @classmethod
    def from_settings(cls, s: Any = None) -> Limits:
        """The limits of ``s`` (an ``optimiser.settings.Settings`` or the service's), or of the environment."""
        s = s if s is not None else settings()
        return cls(s.max_visits, s.max_carers, s.max_clients, s.max_matrix_points)


@dataclass(frozen=True)
class Sources:
    """Where a problem may take road networks from.

    ``osm_dirs`` None means any file the process can read (the command line: the user's
    own machine); a list means only files whose real path lies inside one of them (a server).
    """

    osm_dirs: tuple[Path, ...] | None = None
    online: bool = True


def _count(doc: Any, *path: str) -> int:
    for key in path:
        if not isinstance(doc, dict):
            return 0
        doc = doc.get(key)
    return len(doc) if isinstance(doc, list) else 0


def check_size(doc: Any, limits: Limits, prefix: str = "") -> None:
    """Refuse a parsed problem (plain JSON values) larger than ``limits``.

    Raises
    ------
    TooLarge
        Naming the field, its size, the limit and the setting that raises it.
    """
    checks = [
        (("visits",), limits.visits, "visits", "CAREROTA_MAX_VISITS"),
        (("carers",), limits.carers, "carers", "CAREROTA_MAX_CARERS"),
        (("clients",), limits.clients, "clients", "CAREROTA_MAX_CLIENTS"),
        (("travel", "matrix", "points"), limits.matrix_points, "matrix points", "CAREROTA_MAX_MATRIX_POINTS"),
    ]
    for path, limit, what, setting in checks:
        n = _count(doc, *path)
        if n > limit:
            field = prefix + ".".join(path)
            raise TooLarge(f"{field}: {n:,} {what} is more than the limit of {limit:,} ({setting})")


def parse_json(data: str | bytes, source: str = "input") -> Any:
    """JSON text to plain values; a syntax error names the line and column.

    pydantic-core's parser: twice as fast as ``json.loads`` on large problems, which
    matters because an oversized problem must be refused in well under a second."""
    try:
        return from_json(data)
    except ValueError as err:
        raise InputError(f"{source} is not valid JSON: {err}") from None


def build(model: type[M], doc: Any, source: str = "input") -> M:
    """``model`` from plain values; a contract error names every field (``InputError``)."""
    try:
        return model.model_validate(doc)
    except ValidationError as err:
        raise not_valid(model.__name__, err, source) from None


def check_sources(problem: Problem, sources: Sources, field: str = "travel.road_network") -> None:
    """Refuse road-network sources ``sources`` does not allow (``InputError`` naming the field)."""
    network = problem.travel.road_network
    if network is None:
        return
    check_osm_file(network.osm_file, sources, f"{field}.osm_file")
    if network.place is not None and not sources.online:
        raise InputError(
            f"{field}.place: this server does not look places up online; "
            "name one of its OSM extracts in osm_file instead"
        )


def check_osm_file(value: str | None, sources: Sources, field: str) -> Path | None:
    """The real path of an OSM file named in a document, checked against ``sources``."""
    if value is None:
        return None
    from geo.paths import osm_path

    return osm_path(value, sources.osm_dirs, field=field)


def check_working_time(problem: Problem) -> None:
    """Refuse carers whose shifts break the rest rules (``optimiser.rules.rest_breaches``:
    daily and weekly rest, consecutive days), naming the carer and every breach. A roster's
    work lies inside its shifts, so shifts that keep the rules give rosters that do."""
    span = horizon(problem)
    problems = []
    for i, carer in enumerate(problem.carers):
        for rule, what in rest_breaches([(s.start, s.end) for s in carer.shifts], problem.policy, span):
            problems.append(f"carers[{i}] ({carer.id}).shifts: {rule}: {what}")
    if problems:
        more = f" (and {len(problems) - 8} more)" if len(problems) > 8 else ""
        raise InputError("shifts that break the working-time rules (policy.daily_rest_minutes, "
                         "weekly_rest_minutes, max_consecutive_days; null switches one off): "
                         + "; ".join(problems[:8]) + more)


def admit(data: str | bytes, limits: Limits, sources: Sources, source: str = "input") -> Problem:
    """A problem from JSON text through every check of the boundary (see the module docstring).

    Raises
    ------
    TooLarge
        Over a size limit (nothing was built).
    InputError
        Not JSON, not a valid problem, or a source that is not allowed.
    """
    doc = parse_json(data, source)
    check_size(doc, limits)
    problem = build(Problem, doc, source)
    check_working_time(problem)
    check_sources(problem, sources)
    return problem

