"""Which instances a suite runs, with which solvers and budgets.

``ci`` is a fixed subset that fits in about 5 minutes on 2 cores including peers;
``full`` is every instance of every family whose data is present (narrow it with
``--only``). A family whose data folder is missing is skipped with a note.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from optimiser.io import InputError

from .readers import bredstrom, kummer, mankowska, solomon

VRPTW_PEERS = ("pyvrp", "vroom", "ortools")
PEER_SUBSET = ("C101", "C201", "R101", "R201", "RC101", "RC201", "R112", "RC208")
"""The 8 Solomon instances of the SOURCES.md peer baselines."""

CI_SOLOMON = ("C101", "C201", "R101", "R201", "RC101", "RC201")
CI_MANKOWSKA = ("A1", "A2", "B1", "B2", "C1", "C2")
# Kummer et al.'s real Porto Alegre instances, one of 25 and one of 100 patients (issue 15)
CI_KUMMER = ("HHCRSP_25_5_42_0.8_C_RC", "HHCRSP_100_20_10_1.2_R_C")
CI_BUDGETS = {"solomon": 8.0, "mankowska": 10.0, "kummer": 10.0, "homecare": 30.0}
FULL_BUDGETS = {
    "solomon": 30.0,
    "gehring_homberger": 60.0,
    "mankowska": 60.0,
    "kummer": 60.0,
    "bredstrom": 30.0,
    "homecare": 60.0,
}


@dataclass(frozen=True)
class Case:
    """One instance to run: its family, display name, where it comes from, budget, peers."""

    family: str
    name: str
    source: str  # a file path, or "generate:<visits>:<carers>:<seed>" for a home-care day
    budget: float
    peers: tuple[str, ...] = ()
    labels: tuple[str, ...] = field(default_factory=tuple)  # other names --only may use

    @property
    def key(self) -> str:
        return f"{self.family}/{self.name}"


def _solomon_cases(
    names: tuple[str, ...] | None, budget: float, peers: Callable[[str], tuple]
) -> list[Case]:
    out = []
    for path in solomon.solomon_files():
        name = path.stem.upper()
        if names is None or name in names:
            out.append(Case("solomon", name, str(path), budget, peers(name)))
    return out


def _gh_cases(budget: float, peers: Callable[[str], tuple]) -> list[Case]:
    out = []
    for size in (200, 400):
        for path in solomon.gehring_homberger_files(size):
            out.append(
                Case(
                    "gehring_homberger",
                    path.stem.upper(),
                    str(path),
                    budget,
                    peers(path.stem.upper()),
                )
            )
    return out


def _mankowska_cases(ids: tuple[str, ...] | None, budget: float) -> list[Case]:
    out = []
    for path in mankowska.files():
        stem = path.name.split(".")[0]
        lit = mankowska.literature_id(stem)
        if ids is None or lit in ids:
            out.append(Case("mankowska", lit, str(path), budget, labels=(stem,)))
    return out


def _kummer_cases(names: tuple[str, ...] | None, budget: float) -> list[Case]:
    out = []
    for path in kummer.files():
        name = Path(path).name.split(".json")[0]
        if names is None or name in names:
            out.append(Case("kummer", name, str(path), budget))
    return out


def _guard(family: str, build: Callable[[], list[Case]], notes: list[str]) -> list[Case]:
    try:
        return build()
    except InputError as err:
        notes.append(f"{family}: skipped, {err}")
        return []


def build_suite(
    suite: str,
    *,
    time_limit: float | None = None,
    peers: str = "all",
    only: str | None = None,
) -> tuple[list[Case], list[str]]:
    """The cases of ``suite`` ("ci" or "full") and notes on what was skipped.

    ``peers`` is "all" (every VRPTW instance), "subset" (the 8 baseline instances) or
    "none". ``only`` is a comma-separated list of glob patterns matched against the
    family, the instance name, ``family/name`` and the instance's other labels.
    """
    notes: list[str] = []

    def peer_rule(name: str) -> tuple[str, ...]:
        if peers == "none" or (peers == "subset" and name not in PEER_SUBSET):
            return ()
        return VRPTW_PEERS

    if suite == "ci":
        b = {k: time_limit or v for k, v in CI_BUDGETS.items()}
        cases = _guard(
            "solomon", lambda: _solomon_cases(CI_SOLOMON, b["solomon"], peer_rule), notes
        )
        cases += _guard("mankowska", lambda: _mankowska_cases(CI_MANKOWSKA, b["mankowska"]), notes)
        cases += _guard("kummer", lambda: _kummer_cases(CI_KUMMER, b["kummer"]), notes)
        cases.append(Case("homecare", "day300", "generate:300:40:1", b["homecare"], ("greedy",)))
    elif suite == "full":
        b = {k: time_limit or v for k, v in FULL_BUDGETS.items()}
        cases = _guard("solomon", lambda: _solomon_cases(None, b["solomon"], peer_rule), notes)
        cases += _guard(
            "gehring_homberger", lambda: _gh_cases(b["gehring_homberger"], peer_rule), notes
        )
        cases += _guard("mankowska", lambda: _mankowska_cases(None, b["mankowska"]), notes)
        cases += _guard("kummer", lambda: _kummer_cases(None, b["kummer"]), notes)
        cases += _guard(
            "bredstrom",
            lambda: [
                Case("bredstrom", Path(p).stem, str(p), b["bredstrom"]) for p in bredstrom.files()
            ],
            notes,
        )
        cases.append(Case("homecare", "day300", "generate:300:40:1", b["homecare"], ("greedy",)))
    else:
        raise InputError(f"--suite: unknown suite {suite!r} (choose ci or full)")
    if only:
        patterns = [p.strip().lower() for p in only.split(",") if p.strip()]
        cases = [c for c in cases if any(_matches(c, p) for p in patterns)]
        if not cases:
            raise InputError(f"--only: no instance of suite {suite!r} matches {only!r}")
    return cases, notes


def _matches(case: Case, pattern: str) -> bool:
    names = (case.family, case.name, case.key, *case.labels)
    return any(fnmatch.fnmatchcase(n.lower(), pattern) for n in names)
