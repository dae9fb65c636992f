"""Fixtures for the benchmark harness tests: the shared benchmark data folder."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def bench_data(shared_dir: Path) -> Path:
    """``<shared>/data/benchmarks``; skip with a clear message when it is absent."""
    path = shared_dir / "data" / "benchmarks"
    if not path.is_dir():
        pytest.skip(
            f"benchmark data {path} is absent (set CAREROTA_SHARED to the folder holding data/benchmarks)"
        )
    return path
