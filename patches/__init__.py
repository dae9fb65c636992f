"""Commissioner patch designer: test how a county is cut into home-care patches.

``demand`` (who needs care, where, on which weekly plan) + a ``design`` (patch
polygons or settlement groups) -> :func:`patches.evaluate.evaluate_design` rosters
each patch with the core optimiser and reports carers needed, undeliverable hours,
travel, cost per contact hour and rural/urban equity. :mod:`patches.suggest`
proposes designs; :mod:`patches.report` writes the Markdown/HTML/PNG/CSV report.
"""

from .demand import ClientPlan, Demand, PlanVisit, load_demand, synthetic_demand
from .designs import Design, Patch, assign_clients, load_design

__all__ = [
    "ClientPlan",
    "Demand",
    "Design",
    "Patch",
    "PlanVisit",
    "assign_clients",
    "load_demand",
    "load_design",
    "synthetic_demand",
]
