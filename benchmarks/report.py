"""The Markdown report and PNG plots of a benchmark run."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from statistics import mean

VRPTW = ("solomon", "gehring_homberger")
SOLVER_ORDER = ("carerota", "pyvrp", "vroom", "ortools", "greedy")


def _solvers(records: list[dict]) -> list[str]:
    seen = {r["solver"] for r in records}
    return [s for s in SOLVER_ORDER if s in seen] + sorted(seen - set(SOLVER_ORDER))


def _fmt(x: float | None, spec: str = ".2f") -> str:
    return "-" if x is None else format(x, spec)


def cell(rec: dict) -> str:
    """One table cell: ``veh/dist (gap) [wall]`` for VRPTW, ``objective (gap) [wall]`` otherwise."""
    if rec["status"] == "skipped":
        return "skipped"
    if rec["status"] == "error":
        return "error"
    wall = f" [{rec.get('wall_seconds', 0):.1f}s]"
    if rec["status"] == "no_solution":
        return "no sol." + wall
    if rec["family"] == "homecare":
        k = rec.get("kpis", {})
        return (
            f"{k.get('visits_unassigned')} unassigned, {_fmt(k.get('travel_km'), '.1f')} km" + wall
        )
    value = (
        f"{rec.get('vehicles')}/{rec.get('objective', 0):.2f}"
        if rec["family"] in VRPTW
        else f"{rec.get('objective', 0):.2f}"
    )
    g = rec.get("gap_percent")
    extra = ""
    if rec["family"] in VRPTW and rec.get("vehicles_above_bks", 0) > 0:
        extra = f" **+{rec['vehicles_above_bks']}v**"
    infeasible = "" if rec["feasible"] else " INFEASIBLE"
    return f"{value}{'' if g is None else f' ({g:+.2f}%)'}{extra}{infeasible}{wall}"


def family_summary(records: list[dict]) -> list[dict]:
    """Per (family, solver, budget): runs, feasible, mean gap, vehicles vs BKS, mean wall."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in records:
        if r["status"] != "skipped":
            groups[(r["family"], r["solver"], r["budget"])].append(r)
    rows = []
    families = list(dict.fromkeys(r["family"] for r in records))
    order = sorted(
        groups.items(), key=lambda kv: (families.index(kv[0][0]), _rank(kv[0][1]), kv[0][2])
    )
    for (family, solver, budget), rs in order:
        ok = [r for r in rs if r["status"] == "ok" and r["feasible"]]
        row = {
            "family": family,
            "solver": solver,
            "budget": budget,
            "runs": len(rs),
            "feasible": len(ok),
            "mean_wall": mean(r.get("wall_seconds", 0.0) for r in rs),
        }
        gaps = [r["gap_percent"] for r in ok if r.get("gap_percent") is not None]
        if family in VRPTW:
            at_bks = [r for r in ok if r.get("vehicles_above_bks") == 0]
            row["veh_eq"] = len(at_bks)
            row["veh_above"] = sum(r.get("vehicles_above_bks", 0) > 0 for r in ok)
            row["veh_above_total"] = sum(max(0, r.get("vehicles_above_bks", 0)) for r in ok)
            at_gaps = [r["gap_percent"] for r in at_bks]
            row["mean_gap"] = mean(at_gaps) if at_gaps else None
        else:
            row["mean_gap"] = mean(gaps) if gaps else None
        if family == "homecare":
            row["unassigned"] = (
                mean(r.get("kpis", {}).get("visits_unassigned") or 0 for r in ok) if ok else None
            )
        rows.append(row)
    return rows


def _rank(solver: str) -> int:
    return SOLVER_ORDER.index(solver) if solver in SOLVER_ORDER else len(SOLVER_ORDER)


def family_table(records: list[dict]) -> str:
    lines = [
        "| family | solver | budget | runs | feasible | mean gap % | veh = BKS | veh > BKS (extra vehicles) | mean wall s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in family_summary(records):
        veh_eq = r.get("veh_eq", "")
        veh_above = f"{r['veh_above']} ({r['veh_above_total']})" if "veh_above" in r else ""
        lines.append(
            f"| {r['family']} | {r['solver']} | {r['budget']:g}s | {r['runs']} | {r['feasible']}/{r['runs']} "
            f"| {_fmt(r['mean_gap'])} | {veh_eq} | {veh_above} | {r['mean_wall']:.1f} |"
        )
    lines += matched_lines(records)
    lines.append("")
    lines.append(
        "Mean gap: VRPTW = distance gap over the feasible runs at the best-known vehicle count only "
        "(a run with more vehicles is not comparable); HHC = objective gap over feasible runs."
    )
    return "\n".join(lines)


def matched_lines(records: list[dict]) -> list[str]:
    """Head to head on VRPTW: for each peer, the instances where both it and carerota are
    feasible at the best-known vehicle count, and both mean distance gaps there."""
    out = []
    for family in dict.fromkeys(r["family"] for r in records):
        if family not in VRPTW:
            continue
        for budget in sorted({r["budget"] for r in records if r["family"] == family}):
            rs = [r for r in records if r["family"] == family and r["budget"] == budget]
            good = {
                (r["instance"], r["solver"]): r["gap_percent"]
                for r in rs
                if r["feasible"] and r.get("vehicles_above_bks") == 0
            }
            for peer in _solvers(rs):
                if peer == "carerota":
                    continue
                both = sorted({n for n, s in good if s == peer and (n, "carerota") in good})
                if not both:
                    continue
                ours = mean(good[(n, "carerota")] for n in both)
                theirs = mean(good[(n, peer)] for n in both)
                out.append("")
                out.append(
                    f"Head to head, {family} {budget:g}s, carerota vs {peer} on the {len(both)} instance(s) "
                    f"where both reach the best-known vehicle count: mean distance gap {ours:.2f}% vs {theirs:.2f}%"
                )
    return out


def group_of(rec: dict) -> str:
    """Instance class: Solomon ``R1``/``RC2``..., Gehring-Homberger ``R1_2``..., Mankowska ``A``..``H``."""
    name = rec["instance"]
    if rec["family"] == "solomon":
        return re.sub(r"\d{2}$", "", name)
    if rec["family"] == "gehring_homberger":
        return re.sub(r"_\d+$", "", name)
    if rec["family"] == "mankowska":
        return re.sub(r"\d+$", "", name)
    return rec["family"]


def class_table(records: list[dict], family: str) -> str:
    """Per instance class and solver: feasible, vehicles vs best known, mean gap."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in records:
        if r["family"] == family and r["status"] != "skipped":
            groups[(group_of(r), r["solver"], r["budget"])].append(r)
    vrptw = family in VRPTW
    head = "| class | solver | budget | runs | feasible |" + (
        " veh = BKS | extra vehicles |" if vrptw else ""
    )
    lines = [head + " mean gap % | worst gap % |", "|" + "---|" * (head.count("|") + 1)]
    for (group, solver, budget), rs in sorted(
        groups.items(), key=lambda kv: (kv[0][0], _rank(kv[0][1]), kv[0][2])
    ):
        ok = [r for r in rs if r["status"] == "ok" and r["feasible"]]
        pool = [r for r in ok if r.get("vehicles_above_bks") == 0] if vrptw else ok
        gaps = [r["gap_percent"] for r in pool if r.get("gap_percent") is not None]
        row = f"| {group} | {solver} | {budget:g}s | {len(rs)} | {len(ok)} |"
        if vrptw:
            extra = sum(max(0, r.get("vehicles_above_bks", 0)) for r in ok)
            row += f" {len(pool)} | {extra} |"
        row += f" {_fmt(mean(gaps) if gaps else None)} | {_fmt(max(gaps) if gaps else None)} |"
        lines.append(row)
    return "\n".join(lines)


def instance_table(records: list[dict], family: str) -> str:
    rs = [r for r in records if r["family"] == family]
    solvers = _solvers(rs)
    budgets = sorted({r["budget"] for r in rs})
    columns = [
        (s, b)
        for s in solvers
        for b in budgets
        if any(r["solver"] == s and r["budget"] == b for r in rs)
    ]
    head = "| instance | best known | " + " | ".join(f"{s} {b:g}s" for s, b in columns) + " |"
    lines = [head, "|" + "---|" * (len(columns) + 2)]
    by = {(r["instance"], r["solver"], r["budget"]): r for r in rs}
    for name in dict.fromkeys(r["instance"] for r in rs):
        any_rec = next(r for r in rs if r["instance"] == name)
        if "bks_vehicles" in any_rec:
            bks = f"{any_rec['bks_vehicles']}/{any_rec['bks_objective']:.2f}"
        elif "bks_objective" in any_rec:
            bks = f"{any_rec['bks_objective']:.2f}"
        else:
            bks = "-"
        cells = [cell(by[(name, s, b)]) if (name, s, b) in by else "" for s, b in columns]
        lines.append(f"| {name} | {bks} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def day_table(records: list[dict]) -> str:
    rs = [r for r in records if r["family"] == "homecare" and r["status"] == "ok"]
    if not rs:
        return ""
    keys = (
        "visits_total",
        "visits_unassigned",
        "critical_unassigned",
        "carers_used",
        "travel_km",
        "travel_share",
        "distinct_carers_per_client_mean",
        "familiar_share",
        "cost_total",
    )
    lines = [
        "| day | solver | budget | valid | first solution s | " + " | ".join(keys) + " |",
        "|" + "---|" * (len(keys) + 5),
    ]
    for r in rs:
        k = r.get("kpis", {})
        vals = [
            "-" if k.get(x) is None else (f"{k[x]:.3f}" if isinstance(k[x], float) else str(k[x]))
            for x in keys
        ]
        lines.append(
            f"| {r['instance']} | {r['solver']} | {r['budget']:g}s | {'yes' if r['feasible'] else 'NO'} "
            f"| {_fmt(r.get('first_solution_seconds'))} | " + " | ".join(vals) + " |"
        )
    return "\n".join(lines)


def render(records: list[dict], meta: dict, notes: list[str], check: list[str] | None) -> str:
    """The whole Markdown report."""
    out = [
        f"# carerota benchmark run: suite `{meta.get('suite')}`",
        "",
        f"- date: {meta.get('date')}; commit: `{meta.get('commit')}` (optimiser/*.py sha1 "
        f"`{meta.get('optimiser_sha1')}`)",
        f"- machine: {meta.get('cpu')}, {meta.get('cores')} cores, Python {meta.get('python')}",
        f"- command: `{meta.get('command')}`",
        "- one solver at a time, same instance and budget; scores recomputed from the routes in double "
        "precision by `benchmarks/scoring.py`",
        "",
        "## Per family",
        "",
        family_table(records),
        "",
    ]
    for family in dict.fromkeys(r["family"] for r in records):
        if family == "homecare":
            out += ["## Home-care day (generated)", "", day_table(records), ""]
        else:
            out += [f"## {family}: per instance", "", instance_table(records, family), ""]
    if notes:
        out += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    broken = [r for r in records if r["status"] == "ok" and not r["feasible"]]
    if broken:
        out += ["## Infeasible results", ""]
        for r in broken:
            why = (r.get("violations") or []) + (r.get("validator_messages") or [])
            out.append(f"- {r['family']}/{r['instance']} {r['solver']}: {'; '.join(why[:3])}")
        out.append("")
    if check is not None:
        out += ["## Regression check against benchmarks/baseline.json", ""]
        out += [f"- FAIL: {c}" for c in check] if check else ["- passed"]
        out.append("")
    return "\n".join(out)


def plots(records: list[dict], folder: Path) -> list[Path]:
    """Gap vs time budget per solver (one panel per family) and KPI bars for the days."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    made = []
    families = [f for f in dict.fromkeys(r["family"] for r in records) if f != "homecare"]
    if families:
        fig, axes = plt.subplots(1, len(families), figsize=(5 * len(families), 4), squeeze=False)
        summary = family_summary(records)
        for ax, family in zip(axes[0], families, strict=True):
            for solver in _solvers([r for r in records if r["family"] == family]):
                pts = sorted(
                    (r["budget"], r["mean_gap"])
                    for r in summary
                    if r["family"] == family and r["solver"] == solver and r["mean_gap"] is not None
                )
                if pts:
                    ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=solver)
            _history_curve(ax, records, family)
            ax.set_title(family)
            ax.set_xlabel("time budget (s)")
            ax.set_ylabel("mean gap to best known (%)")
            ax.grid(alpha=0.3)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=8)
        fig.tight_layout()
        path = folder / "gap_vs_budget.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        made.append(path)
    days = [r for r in records if r["family"] == "homecare" and r["status"] == "ok"]
    if days:
        keys = (
            "travel_share",
            "familiar_share",
            "distinct_carers_per_client_mean",
            "visits_unassigned",
        )
        fig, axes = plt.subplots(1, len(keys), figsize=(4 * len(keys), 3.5))
        for ax, key in zip(axes, keys, strict=True):
            labels = [f"{r['solver']}\n{r['instance']}" for r in days]
            ax.bar(labels, [r.get("kpis", {}).get(key) or 0 for r in days], color="#4c72b0")
            ax.set_title(key, fontsize=9)
            ax.tick_params(axis="x", labelsize=7)
        fig.tight_layout()
        path = folder / "kpis.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        made.append(path)
    return made


def _history_curve(ax, records: list[dict], family: str) -> None:
    """carerota's mean gap over time inside its runs (VRPTW: engine objective minus vehicle costs)."""
    if family not in VRPTW:
        return
    from .readers.solomon import VEHICLE_COST

    runs = [
        r
        for r in records
        if r["family"] == family
        and r["solver"] == "carerota"
        and r.get("history")
        and r.get("bks_objective")
    ]
    if not runs:
        return
    budget = max(r["budget"] for r in runs)
    grid = [budget * k / 20 for k in range(1, 21)]
    curve = []
    for t in grid:
        gaps = []
        for r in runs:
            seen = [obj for sec, obj in r["history"] if sec <= t]
            if not seen:
                break
            vehicles = int(seen[-1] // VEHICLE_COST)
            if vehicles != r["bks_vehicles"]:
                break
            gaps.append(
                100 * (seen[-1] - vehicles * VEHICLE_COST - r["bks_objective"]) / r["bks_objective"]
            )
        else:
            curve.append((t, mean(gaps)))
    if curve:
        ax.plot(
            [c[0] for c in curve],
            [c[1] for c in curve],
            ls="--",
            color="grey",
            label="carerota (in-run)",
        )


def replace_section(document: str, title: str, body: str) -> str:
    """``document`` with the ``## title`` section's body replaced (appended when absent).

    Only that section changes: the text from its heading to the next ``## `` heading.
    """
    heading = f"## {title}"
    lines = document.rstrip("\n").split("\n")
    start = next((i for i, ln in enumerate(lines) if ln.strip() == heading), None)
    block = [heading, "", body.strip("\n"), ""]
    if start is None:
        return "\n".join(lines + [""] + block).rstrip("\n") + "\n"
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return "\n".join(lines[:start] + block + lines[end:]).rstrip("\n") + "\n"


def load_runs(folders: list[Path]) -> tuple[list[dict], list[dict]]:
    """Records and metas of several run folders (each holding ``results.json``)."""
    import json

    records, metas = [], []
    for folder in folders:
        doc = json.loads((Path(folder) / "results.json").read_text())
        records += doc["results"]
        metas.append(doc["meta"])
    return records, metas


def results_section(records: list[dict], metas: list[dict], *, per_instance: bool = True) -> str:
    """A RESULTS.md section body: how it was run, per-family table, per-instance tables."""
    out = [
        "Runs (one solver at a time on the same instance and budget, 2-core VM shared with other jobs):",
        "",
    ]
    for m in metas:
        out.append(
            f"- `{m.get('command')}` — {m.get('date')}, commit `{m.get('commit')}`, {m.get('cpu')}, {m.get('cores')} cores"
        )
    out += ["", family_table(records), ""]
    for family in dict.fromkeys(r["family"] for r in records):
        if family in (*VRPTW, "mankowska"):
            out += [f"By class ({family}):", "", class_table(records, family), ""]
    if per_instance:
        for family in dict.fromkeys(r["family"] for r in records):
            if family == "homecare":
                out += ["**Home-care day (generated)**", "", day_table(records), ""]
            else:
                out += [f"**{family}**", "", instance_table(records, family), ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.report RUN_DIR... --section TITLE [--results PATH] [--plots DIR]``:
    merge run folders into one section of RESULTS.md (other sections are left as they are)
    and, with ``--plots``, draw their plots together (gap vs budget across the runs' budgets)."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m benchmarks.report")
    p.add_argument("runs", nargs="+", type=Path)
    p.add_argument("--section", required=True)
    p.add_argument("--results", type=Path, default=Path(__file__).resolve().parent / "RESULTS.md")
    p.add_argument("--preamble", default="", help="text put before the tables")
    p.add_argument("--summary-only", action="store_true")
    p.add_argument("--plots", type=Path, default=None, help="also draw the merged runs' plots here")
    args = p.parse_args(argv)
    records, metas = load_runs(args.runs)
    for path in plots(records, args.plots) if args.plots else []:
        print(f"plot: {path}")
    body = results_section(records, metas, per_instance=not args.summary_only)
    if args.preamble:
        body = args.preamble.strip() + "\n\n" + body
    doc = args.results.read_text() if args.results.exists() else "# Benchmark results\n"
    args.results.write_text(replace_section(doc, args.section, body))
    print(f"section '{args.section}' of {args.results} updated from {len(records)} records")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
