"""The request/response contract of ``POST /v1/patches/evaluate`` and its pure function."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .demand import Demand, classify, settlements
from .designs import load_design
from .evaluate import DesignResult, EvaluationSettings, Supply, evaluate_design


class EvaluateRequest(BaseModel):
    """A design to test against a demand (and optionally a workforce)."""

    model_config = ConfigDict(extra="forbid")

    demand: Demand
    design: dict[str, Any] = Field(
        description="GeoJSON FeatureCollection of patch polygons (properties.name), or "
        '{"name": ..., "groups": {"patch": ["settlement", ...]}} (needs settings.osm_file).'
    )
    settings: EvaluationSettings = EvaluationSettings()
    supply: Supply | None = Field(default=None, description="Carers' homes; derived from the demand when absent.")


def evaluate_request(request: EvaluateRequest, *, workers: int = 1) -> DesignResult:
    """Evaluate the request's design. Raises :class:`optimiser.io.InputError` on bad input."""
    places = settlements(request.settings.osm_file) if request.settings.osm_file else None
    design = load_design(request.design, places=places)
    demand = classify(request.demand.model_copy(deep=True), places)
    return evaluate_design(design, demand, request.settings, request.supply, workers=workers)
