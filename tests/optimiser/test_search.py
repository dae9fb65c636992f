"""The compiled ruin-and-recreate over the whole model (optimiser.search): it prices a
roster as the construction does, keeps every rule, and repeats itself under a step budget."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from optimiser import search, search_kernel, stretches_kernel
from optimiser.budget import Deadline
from optimiser.engine import solve
from optimiser.generator import GeneratorSettings, generate_day
from optimiser.search_kernel import objective
from optimiser.validator import validate

from .builders import random_day
from .test_engine_construct import construction


def test_the_kernel_is_recompiled_when_the_break_rule_changes():
    """numba's cache notices edits to search_kernel.py only (see STRETCHES_DIGEST)."""
    source = Path(stretches_kernel.__file__).read_bytes()
    assert hashlib.sha256(source).hexdigest()[:16] == search_kernel.STRETCHES_DIGEST, (
        "optimiser/stretches_kernel.py changed: put its new digest in search_kernel.STRETCHES_DIGEST")


def _kernel_value(c) -> int:
    p, _ = search.arrays(c)
    return int(objective(search._roster(c, p)))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_kernel_prices_a_roster_as_the_construction_does(seed):
    """Doubles, split shifts, walkers, work caps, continuity and breaks (random_day), before
    and after a search."""
    c = construction(random_day(50, 6, seed=seed), exact=True)
    assert _kernel_value(c) == c.objective()
    best = search.improve(c, Deadline.after(30), seed=seed, max_steps=300)
    assert best == c.objective() == _kernel_value(c)


def test_generated_day_with_after_gaps_commutes_and_breaks():
    p = generate_day(GeneratorSettings(visits=120, carers=16, seed=4, walk_share=0.2, bike_share=0.2))
    c = construction(p, exact=True)
    before = c.objective()
    after = search.improve(c, Deadline.after(30), seed=1, max_steps=2000)
    assert after <= before
    assert after == _kernel_value(c)


def test_the_value_it_tracks_is_the_rosters_when_many_visits_are_out():
    """An overfull day: visits left out, `after` pairs inserted two at a time. The value the
    search reports (progress, history) and accepts steps by is the true objective; an undone
    step once left a lone pair's partner counted as placed."""
    c = construction(generate_day(GeneratorSettings(visits=200, carers=10, seed=1)), exact=True)
    reported = []
    best = search.improve(c, Deadline.after(60), seed=0, max_steps=4000,
                          on_improve=lambda value, out: reported.append(value))
    assert reported and reported[-1] == best == c.objective() == _kernel_value(c)
    assert len(c.placed) < 200


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_every_roster_it_returns_validates(seed):
    p = random_day(60, 7, seed=seed, double_share=0.2, walker_share=0.3)
    p.options.max_steps = 3000
    s = solve(p, time_limit=60, seed=seed)
    assert s.statistics.strategy == "GREEDY_INSERTION+SISR"
    assert s.statistics.steps == 3000
    assert validate(p, s).violations == []


def test_night_care_validates():
    """Sleep-ins and waking nights: the break rule's own kinds of stay."""
    p = generate_day(GeneratorSettings(visits=80, carers=12, seed=2, night_clients=3, sleep_ins=2, waking_nights=2))
    p.options.max_steps = 2000
    s = solve(p, time_limit=60, seed=1)
    assert validate(p, s).violations == []
    kinds = {v.id: v.kind for v in p.visits}
    placed = {kinds[stop.visit] for r in s.routes for stop in r.stops}
    assert {"sleep_in", "waking_night"} <= placed


def _plan(solution) -> list:
    return [(r.carer, [(stop.visit, stop.start) for stop in r.stops]) for r in solution.routes]


def test_same_seed_and_step_budget_give_the_same_roster():
    p = random_day(60, 7, seed=5)
    p.options.max_steps = 1500
    first = solve(p, time_limit=60, seed=3)
    again = solve(p, time_limit=60, seed=3)
    other = solve(p, time_limit=60, seed=4)
    assert _plan(first) == _plan(again)
    assert first.statistics.objective == again.statistics.objective
    assert _plan(other) != _plan(first)
