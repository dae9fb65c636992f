"""Fixtures shared by every test package."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
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


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """0022, the usual default, under which files would be created readable by everyone
    (0644) unless the code asks for private ones."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def file_mode(path: Path) -> int:
    """The permission bits of ``path`` (0o600 ...)."""
    return stat.S_IMODE(path.stat().st_mode)
