"""Fixtures shared by every test package."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimiser.settings import shared_path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ../shared data folder; tests that need it skip when it is absent."""
    path = shared_path()
    if not path.is_dir():
        pytest.skip(f"shared data folder {path} is absent (set CAREROTA_SHARED to use it)")
    return path
