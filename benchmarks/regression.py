"""The CI quality gate: compare carerota's results with ``benchmarks/baseline.json``.

Always a failure: an infeasible carerota result (scorer or validator), an unassigned
critical visit, a run that errored. Against the baseline (same family/instance):
VRPTW fails on more vehicles than the baseline (+ ``vehicles`` slack) or, at the same
vehicle count, a distance above baseline x (1 + ``relative``); HHC families fail on an
objective above baseline x (1 + ``relative``); a home-care day fails on more unassigned
visits than baseline + ``visits`` or travel km above baseline x (1 + ``day_relative``).
"""

from __future__ import annotations

import json
from pathlib import Path

VRPTW = ("solomon", "gehring_homberger")
BASELINE = Path(__file__).resolve().parent / "baseline.json"
# Measured run-to-run noise of one commit at the CI budgets on this 2-core machine
# (2026-11-23, bb0ca16, two runs): Solomon RC101 15 vs 16 vehicles, the 300-visit day
# 472.5 vs 495.5 km (+4.9%). The gate sits just above that noise so it fails on real
# regressions (the engine of 16:26 travelled 537 km on the same day: +14%), not on load.
# The day's travel km moves more: the search prices cost (wages, continuity, mileage), not km,
# and on 2026-12-02 four 30 s runs on one unchanged code path (ff24da6 / f4f9595 engines, the
# day takes the Python LNS in both) gave 518.9, 582.9, 563.9 and 539.2 km (12 % apart).
DEFAULT_TOLERANCE = {"relative": 0.10, "vehicles": 1, "visits": 2, "day_relative": 0.15}


def baseline_entry(rec: dict) -> dict:
    """What the baseline keeps of one carerota record."""
    entry = {"budget": rec["budget"], "feasible": rec["feasible"]}
    if not rec["feasible"]:
        return entry  # nothing to hold a later run to: an infeasible result fails on its own
    if rec["family"] == "homecare":
        k = rec.get("kpis", {})
        entry.update(unassigned=k.get("visits_unassigned"), travel_km=k.get("travel_km"))
    else:
        entry["objective"] = rec.get("objective")
        if rec["family"] in VRPTW:
            entry["vehicles"] = rec.get("vehicles")
    return entry


def make_baseline(records: list[dict], meta: dict, tolerance: dict | None = None) -> dict:
    ours = [r for r in records if r["solver"] == "carerota" and r["status"] == "ok"]
    return {
        "suite": meta.get("suite"),
        "created": meta.get("date"),
        "commit": meta.get("commit"),
        "machine": f"{meta.get('cpu')}, {meta.get('cores')} cores",
        "tolerance": tolerance or dict(DEFAULT_TOLERANCE),
        "results": {f"{r['family']}/{r['instance']}": baseline_entry(r) for r in ours},
    }


def load_baseline(path: Path = BASELINE) -> dict | None:
    if not path.exists():
        return None
    return json.loads(path.read_text())


def check(records: list[dict], baseline: dict | None) -> list[str]:
    """Failures (empty = pass) of carerota's ``records`` against ``baseline``."""
    failures: list[str] = []
    tol = {**DEFAULT_TOLERANCE, **((baseline or {}).get("tolerance") or {})}
    base = (baseline or {}).get("results", {})
    for r in records:
        if r["solver"] != "carerota":
            continue
        key = f"{r['family']}/{r['instance']}"
        if r["status"] != "ok":
            failures.append(f"{key}: run {r['status']} ({r.get('note', '')[:120]})")
            continue
        if not r["feasible"]:
            why = (r.get("violations") or []) + (r.get("validator_messages") or [])
            failures.append(f"{key}: infeasible result: {'; '.join(why[:2]) or 'see report'}")
        if r.get("critical_unassigned", 0):
            failures.append(f"{key}: {r['critical_unassigned']} critical visit(s) unassigned")
        b = base.get(key)
        if b is None or not b.get("feasible", True):
            continue
        if r["family"] == "homecare":
            k = r.get("kpis", {})
            if (k.get("visits_unassigned") or 0) > (b.get("unassigned") or 0) + tol["visits"]:
                failures.append(
                    f"{key}: {k.get('visits_unassigned')} visits unassigned, baseline {b.get('unassigned')}"
                )
            if b.get("travel_km") and (k.get("travel_km") or 0) > b["travel_km"] * (
                1 + tol["day_relative"]
            ):
                failures.append(
                    f"{key}: travel {k.get('travel_km'):.1f} km, baseline {b['travel_km']:.1f} km"
                )
            continue
        obj, bobj = r.get("objective"), b.get("objective")
        if r["family"] in VRPTW and b.get("vehicles") is not None:
            if r["vehicles"] > b["vehicles"] + tol["vehicles"]:
                failures.append(f"{key}: {r['vehicles']} vehicles, baseline {b['vehicles']}")
                continue
            if r["vehicles"] < b["vehicles"]:
                continue  # fewer vehicles is better whatever the distance
        if obj is not None and bobj and obj > bobj * (1 + tol["relative"]):
            failures.append(
                f"{key}: objective {obj:.2f} is {100 * (obj / bobj - 1):.1f}% above baseline {bobj:.2f}"
            )
    return failures
