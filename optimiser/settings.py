"""Settings in one place, read from the environment (``CAREROTA_*``).

The core's settings (data folders, the cache, the size limits every entry point
applies) live here; the service adds its own in ``api/settings.py`` on top of these,
so one environment variable means the same thing to ``carerota solve`` and to
``carerota serve``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, TypeVar

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from .errors import InputError

REPO_ROOT = Path(__file__).resolve().parent.parent
S = TypeVar("S", bound=BaseSettings)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CAREROTA_", extra="ignore")

    shared: Path = Field(
        default=REPO_ROOT.parent / "shared",
        description="The read-only data folder (benchmarks, OSM extracts) beside the clone.",
    )
    cache: Path = Field(
        default=Path.home() / ".cache" / "carerota",
        description="Where road networks and travel matrices are cached (files 0600).",
    )
    # Size limits. A problem is refused before anything is allocated for it: the solver's
    # travel matrix is (visits + 2 x carers)^2 integers, so 50,000 visits would ask for
    # ~19 GiB. The defaults allow a large provider's busiest day with room to spare.
    max_visits: int = Field(default=5_000, ge=1, description="Visits in one problem, at most.")
    max_carers: int = Field(default=1_000, ge=1, description="Carers in one problem, at most.")
    max_clients: int = Field(default=5_000, ge=1, description="Clients in one problem (or patch demand), at most.")
    max_matrix_points: int = Field(
        default=6_000, ge=2, description="Points of an explicit travel.matrix, at most (its size is the square)."
    )


def load(cls: type[S], **given: Any) -> S:
    """``cls(**given)`` with the environment; a bad value is an :class:`InputError` naming
    the environment variable (or argument) and the form it expects, never a traceback."""
    prefix = cls.model_config.get("env_prefix", "")
    try:
        return cls(**given)
    except ValidationError as err:
        parts = []
        for e in err.errors():
            name = str(e["loc"][0]) if e["loc"] else ""
            where = name if name in given else f"{prefix}{name.upper()}"
            parts.append(f"{where}: {e['msg'].removeprefix('Value error, ')}{_expected(cls, name)}")
        raise InputError("bad setting: " + "; ".join(parts)) from None
    except SettingsError as err:  # pydantic-settings could not decode a value (e.g. not JSON)
        raise InputError(f"bad setting: {err}") from None


def _expected(cls: type[BaseSettings], name: str) -> str:
    field = cls.model_fields.get(name)
    return f" (expected: {field.description})" if field is not None and field.description else ""


def folder_list(value: Any) -> Any:
    """A list of folders from the environment: ``os.pathsep``-separated (``/a:/b``, as PATH
    is written), a JSON list, or one folder. Used as a ``mode="before"`` validator."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise ValueError("starts with '[' but is not a JSON list of folders") from None
    return [part for part in text.split(os.pathsep) if part.strip()]


def settings() -> Settings:
    return load(Settings)


def shared_path(*parts: str) -> Path:
    """A path inside the shared data folder (it may not exist on a user's clone)."""
    return settings().shared.joinpath(*parts)
