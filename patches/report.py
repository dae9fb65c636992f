"""The commissioner's report: Markdown + HTML with tables, PNG maps and CSV exports.

One document lists every design side by side, then each design's patches, cost
breakdown, cost under each employment model, rural/urban equity table and carer search, with a map per design
(patch polygons, clients by patch and by service outcome). Maps and figures derive
from OpenStreetMap data: "© OpenStreetMap contributors".
"""

from __future__ import annotations

import csv
import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optimiser.employment import EMPLOYMENT_ITEMS, ITEM_LABELS, LABELS

from .demand import Demand, Settlement
from .evaluate import COST_ITEMS, DesignResult, EvaluationSettings, Figures

ATTRIBUTION = "© OpenStreetMap contributors"
COST_LABELS = {
    "contact_wage": "Contact wage",
    "travel_time_wage": "Travel time wage",
    "mileage": "Mileage",
    "ni_pension": "Employer NI + pension",
    "other_on_costs": "Other on-costs (holiday, training, sickness)",
    "running_business": "Running the business",
    "profit": "Profit",
}
OUTCOME_COLOURS = {"on_time": "#2e7d32", "late": "#f9a825", "unassigned": "#c62828", "outside": "#000000"}
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


# --------------------------------------------------------------------------- a tiny document model


@dataclass
class Doc:
    blocks: list[tuple[str, Any]] = field(default_factory=list)

    def h(self, level: int, text: str) -> None:
        self.blocks.append(("h", (level, text)))

    def p(self, text: str) -> None:
        self.blocks.append(("p", text))

    def table(self, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        self.blocks.append(("table", (list(header), [list(r) for r in rows])))

    def image(self, path: str, alt: str) -> None:
        self.blocks.append(("img", (path, alt)))

    def markdown(self) -> str:
        out: list[str] = []
        for kind, x in self.blocks:
            if kind == "h":
                out.append(f"{'#' * x[0]} {x[1]}\n")
            elif kind == "p":
                out.append(f"{x}\n")
            elif kind == "img":
                out.append(f"![{x[1]}]({x[0]})\n")
            else:
                header, rows = x
                out.append("| " + " | ".join(header) + " |")
                out.append("|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|")
                out.extend("| " + " | ".join(_cell(c) for c in r) + " |" for r in rows)
                out.append("")
        return "\n".join(out)

    def html(self, title: str) -> str:
        out = [
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
            f"<title>{html.escape(title)}</title><style>body{{font-family:sans-serif;max-width:1100px;margin:auto;padding:1em}}"
            "table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px}"
            "td{text-align:right}td:first-child{text-align:left}th{background:#eee}img{max-width:100%}</style></head><body>",
        ]
        for kind, x in self.blocks:
            if kind == "h":
                out.append(f"<h{x[0]}>{html.escape(x[1])}</h{x[0]}>")
            elif kind == "p":
                out.append(f"<p>{html.escape(x)}</p>")
            elif kind == "img":
                out.append(f"<img src='{html.escape(x[0])}' alt='{html.escape(x[1])}'>")
            else:
                header, rows = x
                out.append("<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>")
                out.extend("<tr>" + "".join(f"<td>{html.escape(_cell(c))}</td>" for c in r) + "</tr>" for r in rows)
                out.append("</table>")
        out.append("</body></html>")
        return "\n".join(out)


def _cell(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.2f}"
    return str(v)


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _gbp(x: float | None) -> str:
    return "–" if x is None else f"£{x:,.2f}"


def _needed(f: Figures) -> str:
    return "not reached" if f.carers_needed is None else str(f.carers_needed)


# --------------------------------------------------------------------------- tables


def comparison_rows(results: list[DesignResult]) -> tuple[list[str], list[list[Any]]]:
    header = [
        "Design", "Patches", "Clients", "Outside every patch", "Hours demanded", "Hours deliverable (rostered)",
        "Hours undeliverable", "Carers available", "Carers used", "Carers needed (100%)", "Travel share of paid time",
        "Paid miles", "Cost per contact hour",
        *(f"Cost per contact hour, {LABELS[m]} (itemised)" for m in _models(results)),
        "Break-even fee", "Fee", "Rural on time", "Urban on time", "Rural unassigned", "Urban unassigned",
    ]
    rows = []
    for r in results:
        t = r.totals
        rows.append([
            r.design, len(r.patches), t.clients, len(r.outside_clients), round(t.hours_demanded, 2),
            round(t.hours_delivered, 2), round(t.hours_undeliverable, 2), t.carers_available, t.carers_used,
            _needed(t), _pct(t.travel_share), round(t.miles, 1), _gbp(t.cost_per_contact_hour),
            *(_gbp(t.employment[m].cost_per_contact_hour if m in t.employment else None) for m in _models(results)),
            _gbp(t.break_even_fee), _gbp(t.fee_per_hour), _pct(r.equity["rural"]["on_time_share"]),
            _pct(r.equity["urban"]["on_time_share"]), _pct(r.equity["rural"]["unassigned_share"]),
            _pct(r.equity["urban"]["unassigned_share"]),
        ])
    return header, rows


def patch_rows(r: DesignResult) -> tuple[list[str], list[list[Any]]]:
    header = [
        "Patch", "Clients", "Visits", "Hours demanded", "Delivered", "Undeliverable", "Carers available",
        "Carers used", "Carers needed (100%)", "Paid hours", "Travel hours", "Travel share", "Unpaid waiting hours", "Paid miles",
        "Commute miles (unpaid)", "Cost (day)", "Cost per contact hour", "Break-even fee", "Roster valid",
    ]
    rows = []
    for p in r.patches:
        f = p.figures
        needed = _needed(f) + ("" if p.carers_needed_exact or f.carers_needed is None else " (upper bound)")
        rows.append([
            p.patch, f.clients, f.visits, round(f.hours_demanded, 2), round(f.hours_delivered, 2),
            round(f.hours_undeliverable, 2), f.carers_available, f.carers_used, needed, round(f.paid_hours, 2),
            round(f.travel_hours, 2), _pct(f.travel_share), round(f.waiting_hours, 2), round(f.miles, 1),
            round(f.commute_miles, 1), _gbp(f.cost_total), _gbp(f.cost_per_contact_hour), _gbp(f.break_even_fee),
            "yes" if p.violations == 0 else f"NO: {p.violations} violations ({', '.join(p.violation_rules)})",
        ])
    t = r.totals
    if r.outside_clients:
        rows.append([
            "(outside every patch)", len(r.outside_clients), t.visits - sum(p.figures.visits for p in r.patches),
            round(r.outside_hours, 2), 0.0, round(r.outside_hours, 2), *[""] * 13,
        ])
    rows.append([
        "**Total**", t.clients, t.visits, round(t.hours_demanded, 2), round(t.hours_delivered, 2),
        round(t.hours_undeliverable, 2), t.carers_available, t.carers_used, _needed(t), round(t.paid_hours, 2),
        round(t.travel_hours, 2), _pct(t.travel_share), round(t.waiting_hours, 2), round(t.miles, 1),
        round(t.commute_miles, 1), _gbp(t.cost_total), _gbp(t.cost_per_contact_hour), _gbp(t.break_even_fee), "",
    ])
    return header, rows


def cost_rows(f: Figures) -> tuple[list[str], list[list[Any]]]:
    header = ["Item", "GBP (day)", "Per contact hour", "Share"]
    hours = f.hours_delivered or 0.0
    rows = [
        [COST_LABELS[i], _gbp(f.cost.get(i, 0.0)), _gbp(f.cost.get(i, 0.0) / hours if hours else None),
         _pct(f.cost.get(i, 0.0) / f.cost_total if f.cost_total else None)]
        for i in COST_ITEMS
    ]
    rows.append(["**Total (sustainable price)**", _gbp(f.cost_total), _gbp(f.cost_per_contact_hour), _pct(1.0 if f.cost_total else None)])
    return header, rows


def _models(results: list[DesignResult]) -> list[str]:
    """The employment models the results were costed under, in the settings' order."""
    return list(results[0].totals.employment) if results else []


def employment_rows(f: Figures) -> tuple[list[str], list[list[Any]]]:
    """Each employment model's cost per contact hour, item by item, side by side."""
    models = list(f.employment)
    hours = f.hours_delivered or 0.0
    header = ["Per contact hour", *(LABELS[m] for m in models)]  # type: ignore[index]

    def per_hour(x: float) -> str:
        return _gbp(x / hours if hours else None)

    rows = [[ITEM_LABELS[i], *(per_hour(f.employment[m].cost.get(i, 0.0)) for m in models)]
            for i in EMPLOYMENT_ITEMS]
    e = [f.employment[m] for m in models]
    rows += [
        ["**Total (sustainable price)**", *(_gbp(x.cost_per_contact_hour) for x in e)],
        ["Total for the day", *(_gbp(x.cost_total) for x in e)],
        ["Break-even fee", *(_gbp(x.break_even_fee) for x in e)],
        ["Paid hours (for time) per contact hour", *(None if not hours else round(x.paid_hours / hours, 3) for x in e)],
        ["Guaranteed hours paid, not worked", *(round(x.top_up_hours, 2) for x in e)],
        ["Short personal-care visits (under the limit in the terms)", *("not counted" if x.short_personal_care_visits is None
                                                         else x.short_personal_care_visits for x in e)],
        ["Carers who worked without contracted hours", *("no guarantee" if x.carers_without_contract is None
                                                         else x.carers_without_contract for x in e)],
    ]
    return header, rows


def employment_patch_rows(r: DesignResult) -> tuple[list[str], list[list[Any]]]:
    """Cost per contact hour of each patch under each employment model."""
    models = list(r.totals.employment)
    header = ["Patch", "Contact hours", *(f"{LABELS[m]}: per contact hour" for m in models)]  # type: ignore[index]
    rows = [[p.patch, round(p.figures.hours_delivered, 2),
             *(_gbp(p.figures.employment[m].cost_per_contact_hour if m in p.figures.employment else None) for m in models)]
            for p in r.patches]
    rows.append(["**Total**", round(r.totals.hours_delivered, 2),
                 *(_gbp(r.totals.employment[m].cost_per_contact_hour) for m in models)])
    return header, rows


def equity_rows(r: DesignResult) -> tuple[list[str], list[list[Any]]]:
    header = ["Clients", "Number", "Visits", "On time", "Late visits", "Mean lateness (min, placed visits)",
              "Unassigned visits", "Unassigned share", "Distinct carers per client"]
    rows = []
    for setting in ("rural", "urban"):
        e = r.equity[setting]
        rows.append([
            setting, e["clients"], e["visits"], _pct(e["on_time_share"]), e["late_visits"],
            None if e["mean_lateness_minutes"] is None else round(e["mean_lateness_minutes"], 1),
            e["unassigned_visits"], _pct(e["unassigned_share"]),
            None if e["distinct_carers_per_client"] is None else round(e["distinct_carers_per_client"], 2),
        ])
    return header, rows


# --------------------------------------------------------------------------- maps


def draw_map(r: DesignResult, demand: Demand, path: Path, places: list[Settlement] | None = None) -> Path:
    """Two panels: patches with clients coloured by patch; clients coloured by outcome."""
    import math

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from shapely.geometry import shape

    by_id = {c.id: c for c in demand.clients}
    patch_of = {cid: p.patch for p in r.patches for cid in p.client_outcome}
    outcome = {cid: o for p in r.patches for cid, o in p.client_outcome.items()}
    for cid in r.outside_clients:
        outcome[cid] = "outside"
    colour = {f["properties"]["name"]: PALETTE[i % len(PALETTE)] for i, f in enumerate(r.geojson["features"])}
    fig, axes = plt.subplots(1, 2, figsize=(14, 7))
    mean_lat = sum(c.lat for c in demand.clients) / max(1, len(demand.clients))
    for ax, mode in zip(axes, ("patch", "outcome"), strict=True):
        for f in r.geojson["features"]:
            geom = shape(f["geometry"])
            polys = geom.geoms if geom.geom_type == "MultiPolygon" else [geom]
            for poly in polys:
                x, y = poly.exterior.xy
                c = colour[f["properties"]["name"]]
                ax.fill(x, y, color=c, alpha=0.15 if mode == "patch" else 0.05, lw=0)
                ax.plot(x, y, color=c, lw=1.5)
        ids = [c.id for c in demand.clients]
        xs = [by_id[i].lon for i in ids]
        ys = [by_id[i].lat for i in ids]
        if mode == "patch":
            cs = [colour.get(patch_of.get(i, ""), "#000000") for i in ids]
            ax.set_title(f"{r.design}: patches and clients by patch")
            for name, c in colour.items():
                ax.scatter([], [], color=c, label=name, s=20)
            ax.scatter([], [], color="#000000", marker="x", label="outside every patch", s=20)
        else:
            cs = [OUTCOME_COLOURS[outcome.get(i, "outside")] for i in ids]
            ax.set_title(f"{r.design}: clients by service outcome ({r.day})")
            for name, c in OUTCOME_COLOURS.items():
                ax.scatter([], [], color=c, label=name.replace("_", " "), s=20)
        markers = ["x" if outcome.get(i) == "outside" else "o" for i in ids]
        for m in ("o", "x"):
            sel = [k for k, mk in enumerate(markers) if mk == m]
            ax.scatter([xs[k] for k in sel], [ys[k] for k in sel], c=[cs[k] for k in sel], s=12, marker=m, linewidths=0.8 if m == "x" else 0)
        for s in places or []:
            if s.place in ("town", "city"):
                ax.annotate(s.name, (s.lon, s.lat), fontsize=9, weight="bold", ha="center")
        ax.set_aspect(1 / math.cos(math.radians(mean_lat)))
        ax.legend(loc="lower left", fontsize=8, framealpha=0.8)
        ax.tick_params(labelsize=7)
        ax.text(0.99, 0.01, ATTRIBUTION, transform=ax.transAxes, ha="right", va="bottom", fontsize=8,
                bbox={"facecolor": "white", "alpha": 0.7, "lw": 0})
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# --------------------------------------------------------------------------- the report


def write_report(
    results: list[DesignResult],
    demand: Demand,
    out_dir: str | Path,
    *,
    settings: EvaluationSettings,
    places: list[Settlement] | None = None,
    suggestion: Any | None = None,
    command: str | None = None,
    elapsed_seconds: float | None = None,
    maps: bool = True,
) -> dict[str, Path]:
    """Write ``report.md``, ``report.html``, one PNG map per design and the CSV exports."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    doc = Doc()
    title = "Patch design comparison" if len(results) > 1 else f"Patch design: {results[0].design}"
    r0 = results[0]
    doc.h(1, title)
    doc.p(
        f"Demand: {len(demand.clients)} clients, {demand.weekly_hours():,.1f} carer-hours a week ({demand.source}). "
        f"Representative day: {r0.day} {r0.date} (the busiest day of the week unless chosen). "
        f"Travel: {r0.travel_source}."
    )
    doc.p(f"Rural/urban rule: {demand.classification}")
    doc.p(
        f"Workforce: {r0.totals.carers_available} carers, each on split shifts "
        f"{', '.join(f'{a}-{b}' for a, b in settings.shifts)} (paid time capped at {settings.max_work_minutes} min), "
        f"travelling by {settings.travel_mode}; a carer belongs to the patch she lives in (nearest patch if outside all). "
        f"Visit windows: planned time ± {settings.window_minutes} min (± {settings.critical_window_minutes} min for "
        f"time-critical medication), up to {settings.late_limit_minutes} min late allowed at a price. "
        f"Fee £{settings.policy.fee_per_hour:.2f} per contact hour; wage £{settings.policy.hourly_wage:.2f}/h; "
        f"mileage £{settings.policy.mileage_per_mile.get(settings.travel_mode, 0):.2f}/mile."
    )
    doc.p(
        "Hours are carer-hours (a double-handed visit counts twice, as councils pay). Hours demanded = delivered + "
        "undeliverable; clients outside every patch count as undeliverable. Cost is the Homecare Association-style "
        "sustainable price (wages, on-costs, mileage, running the business, profit) of the validated rosters; the "
        "break-even fee is the fee per contact hour at which the provider covers its direct and running costs with "
        "zero profit. The same rosters are also costed under each employment model chosen (zero-hours, "
        "guaranteed hours, salaried shifts, UNISON's Ethical Care Charter), with the on-costs itemised per carer "
        "as the Homecare Association itemises them (holiday, training, sick pay, employer National Insurance above "
        "its threshold, pension on qualifying earnings): see the employment models table of each design. "
        "Carers needed (100%) is searched: real solves with fewer and more carers, bisection on the "
        "count; the smallest count whose roster delivered every visit. Equity figures come only from rosters the "
        "independent validator accepted."
    )
    header, rows = comparison_rows(results)
    doc.h(2, "Designs side by side")
    doc.table(header, rows)
    if suggestion is not None:
        doc.h(2, f"How the suggested design was made ({suggestion.design.name})")
        doc.p(suggestion.method.replace("\n", " "))
        doc.table(["k", "Weighted silhouette (travel time)", "Hours imbalance (max-min)/mean"],
                  [[t["k"], t["silhouette"], t["imbalance"]] for t in suggestion.tried])
        doc.p(f"Chosen k = {suggestion.k}; weekly hours per patch: "
              + ", ".join(f"{n} {h:,.1f}" for n, h in suggestion.hours.items())
              + "; every patch connected: " + ("yes" if all(suggestion.connected.values()) else "NO"))
    paths: dict[str, Path] = {}
    for r in results:
        slug = _slug(r.design)
        doc.h(2, f"Design: {r.design}")
        if maps:
            png = draw_map(r, demand, out / f"map-{slug}.png", places)
            paths[f"map-{slug}"] = png
            doc.image(png.name, f"Map of {r.design}")
        doc.h(3, "Patches")
        doc.table(*patch_rows(r))
        doc.h(3, "Cost per contact hour, breakdown (whole design)")
        doc.table(*cost_rows(r.totals))
        doc.p(
            f"Break-even fee {_gbp(r.totals.break_even_fee)} vs fee {_gbp(r.totals.fee_per_hour)}; fee income "
            f"{_gbp(r.totals.fee_income)} for the day against a sustainable price of {_gbp(r.totals.cost_total)}."
        )
        if r.totals.employment:
            _employment_section(doc, r, settings)
        doc.h(3, "Rural vs urban clients")
        doc.table(*equity_rows(r))
        if r.equity_patches_excluded:
            doc.p(f"Left out of the equity table (roster failed validation): {', '.join(r.equity_patches_excluded)}.")
        doc.h(3, "Carers needed: the search")
        doc.table(
            ["Patch", "Probes (carers: unassigned visits, carers used)", "Carers needed", "Exact"],
            [[p.patch, "; ".join(f"{q.carers}: {q.unassigned}, {q.carers_used}" + (" (no roster in time)" if q.undecided else "") for q in p.probes),
              _needed(p.figures), "yes" if p.carers_needed_exact else "no"] for p in r.patches],
        )
        if r.outside_clients:
            doc.p(f"{len(r.outside_clients)} client(s) outside every patch ({r.outside_hours:.2f} hours): "
                  + ", ".join(r.outside_clients[:50]) + (" …" if len(r.outside_clients) > 50 else ""))
    tail = f"Maps and travel times: {ATTRIBUTION} (ODbL)."
    if command:
        tail += f" Command: `{command}`."
    if elapsed_seconds is not None:
        tail += f" Run time {elapsed_seconds:.0f} s."
    doc.p(tail)
    (out / "report.md").write_text(doc.markdown())
    (out / "report.html").write_text(doc.html(title))
    paths["report.md"] = out / "report.md"
    paths["report.html"] = out / "report.html"
    paths.update(write_csvs(results, demand, out))
    return paths


def _employment_section(doc: Doc, r: DesignResult, settings: EvaluationSettings) -> None:
    doc.h(3, "Cost per contact hour by employment model (whole design)")
    doc.p(
        "The same validated rosters, paid under each employment model, on-costs itemised per carer (optimiser."
        "employment). The breakdown above prices the zero-hours roster with the policy's flat on-cost shares "
        f"({100 * settings.policy.ni_pension_rate:.0f}% NI and pension, {100 * settings.policy.other_on_cost_rate:.0f}% "
        "other); the zero-hours column here prices the same paid time with each on-cost worked out per carer. "
        "Annual thresholds are taken pro rata for the roster's day (x 1/365)."
    )
    for m in settings.employment:
        if m.name in r.totals.employment:
            doc.p(f"{m.label}: {m.describe()}.")
    doc.table(*employment_rows(r.totals))
    doc.table(*employment_patch_rows(r))
    if "salaried_shifts" in r.totals.employment:
        doc.p(
            "Salaried shifts pays the whole of each shift a carer works. Here every carer has the same split shifts "
            f"({', '.join(f'{a}-{b}' for a, b in settings.shifts)}): when she is available, not a rota fitted to "
            "the work, so that column is an upper bound for salaried staff on rotas drawn to the visits."
        )
    missing = {LABELS[n]: e.carers_without_contract for n, e in r.totals.employment.items() if e.carers_without_contract}  # type: ignore[index]
    if missing:
        doc.p(
            "No contracted hours are known for the carers who worked (patch carers have none): under "
            + ", ".join(missing) + " each is paid what she works, as a guarantee set by the hours usually worked "
            "would pay on a representative day; the guarantee's cost in a quiet week is not in these figures."
        )


def write_csvs(results: list[DesignResult], demand: Demand, out: Path) -> dict[str, Path]:
    by_id = {c.id: c for c in demand.clients}
    models = _models(results)
    files: dict[str, tuple[list[str], list[list[Any]]]] = {}
    files["designs.csv"] = (
        ["design", "patches", "clients", "outside_clients", "hours_demanded", "hours_delivered", "hours_undeliverable",
         "carers_available", "carers_used", "carers_needed", "travel_share", "paid_miles", "commute_miles", "cost_total",
         "cost_per_contact_hour", "break_even_fee", "fee_per_hour", *(f"cost_per_contact_hour_{m}" for m in models)],
        [[r.design, len(r.patches), r.totals.clients, len(r.outside_clients), r.totals.hours_demanded,
          r.totals.hours_delivered, r.totals.hours_undeliverable, r.totals.carers_available, r.totals.carers_used,
          r.totals.carers_needed, r.totals.travel_share, r.totals.miles, r.totals.commute_miles, r.totals.cost_total,
          r.totals.cost_per_contact_hour, r.totals.break_even_fee, r.totals.fee_per_hour,
          *(r.totals.employment[m].cost_per_contact_hour for m in models)] for r in results],
    )
    files["patches.csv"] = (
        ["design", "patch", "clients", "visits", "hours_demanded", "hours_delivered", "hours_undeliverable",
         "carers_available", "carers_used", "carers_needed", "carers_needed_exact", "paid_hours", "travel_hours",
         "travel_share", "waiting_hours", "paid_miles", "commute_miles", *COST_ITEMS, "cost_total", "cost_per_contact_hour",
         "break_even_fee", "violations", "seconds", *(f"cost_per_contact_hour_{m}" for m in models),
         *(f"paid_hours_{m}" for m in models)],
        [[r.design, p.patch, p.figures.clients, p.figures.visits, p.figures.hours_demanded, p.figures.hours_delivered,
          p.figures.hours_undeliverable, p.figures.carers_available, p.figures.carers_used, p.figures.carers_needed,
          p.carers_needed_exact, p.figures.paid_hours, p.figures.travel_hours, p.figures.travel_share,
          p.figures.waiting_hours, p.figures.miles, p.figures.commute_miles, *(p.figures.cost.get(i, 0.0) for i in COST_ITEMS),
          p.figures.cost_total, p.figures.cost_per_contact_hour, p.figures.break_even_fee, p.violations, p.seconds,
          *(p.figures.employment[m].cost_per_contact_hour for m in models),
          *(p.figures.employment[m].paid_hours for m in models)]
         for r in results for p in r.patches],
    )
    files["employment.csv"] = (
        ["design", "patch", "model", "hours_delivered", "paid_hours", "top_up_hours", *EMPLOYMENT_ITEMS, "cost_total",
         "cost_per_contact_hour", "break_even_fee", "short_personal_care_visits", "carers_without_contract"],
        [[r.design, name, m, f.hours_delivered, e.paid_hours, e.top_up_hours, *(e.cost.get(i, 0.0) for i in EMPLOYMENT_ITEMS),
          e.cost_total, e.cost_per_contact_hour, e.break_even_fee, e.short_personal_care_visits, e.carers_without_contract]
         for r in results for name, f in [*((p.patch, p.figures) for p in r.patches), ("(total)", r.totals)]
         for m, e in f.employment.items()],
    )
    eq_keys = ["clients", "visits", "on_time_share", "late_visits", "mean_lateness_minutes", "unassigned_visits",
               "unassigned_share", "distinct_carers_per_client"]
    files["equity.csv"] = (
        ["design", "setting", *eq_keys],
        [[r.design, s, *(r.equity[s][k] for k in eq_keys)] for r in results for s in ("rural", "urban")],
    )
    rows = []
    for r in results:
        for p in r.patches:
            for cid, o in p.client_outcome.items():
                rows.append([r.design, cid, p.patch, by_id[cid].setting, by_id[cid].settlement, o])
        for cid in r.outside_clients:
            rows.append([r.design, cid, "", by_id[cid].setting, by_id[cid].settlement, "outside"])
    files["clients.csv"] = (["design", "client", "patch", "setting", "settlement", "outcome"], rows)
    paths = {}
    for name, (header, data) in files.items():
        path = out / name
        with path.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(data)
        paths[name] = path
    return paths


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name.lower()).strip("-") or "design"
