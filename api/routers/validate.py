"""POST /v1/validate: re-check a roster against every hard rule and compute its KPIs."""

from __future__ import annotations

from fastapi import APIRouter

from optimiser.validator import ValidationReport, validate

from ..schemas import ValidateRequest
from ..security import TenantDep
from . import AUTH_ERRORS

router = APIRouter(prefix="/v1", tags=["validate"])


@router.post("/validate", response_model=ValidationReport, responses={**AUTH_ERRORS})
def validate_roster(body: ValidateRequest, tenant: TenantDep) -> ValidationReport:
    """Violations (rule, message, carer, visit) and KPIs, from the raw inputs only."""
    return validate(body.problem, body.solution)
