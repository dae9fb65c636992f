"""Settings in one place, read from the environment (``CAREROTA_*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CAREROTA_")

    shared: Path = REPO_ROOT.parent / "shared"
    """The read-only data folder (benchmarks, OSM extracts) beside the clone."""
    cache: Path = Path.home() / ".cache" / "carerota"
    """Where networks and travel matrices are cached."""


def settings() -> Settings:
    return Settings()


def shared_path(*parts: str) -> Path:
    """A path inside the shared data folder (it may not exist on a user's clone)."""
    return settings().shared.joinpath(*parts)
