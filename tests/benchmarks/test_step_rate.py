"""``python -m benchmarks.step_rate``: counts the construction's insertions on a real instance."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.step_rate import insertion_rate, main
from optimiser.construct import Construction


def test_counts_insertions_and_restores_the_method(bench_data: Path) -> None:
    insert, insert_regret = Construction.insert, Construction.insert_regret
    rate, routes, violations = insertion_rate("C101", seconds=1.0)
    assert violations == 0
    assert Construction.insert is insert and Construction.insert_regret is insert_regret
    assert rate > 100  # 100 visits are inserted at least once by the first roster alone
    assert 10 <= routes <= 25  # C101 needs 10 vehicles; the fleet has 25


def test_unknown_instance_is_a_clear_exit(bench_data: Path) -> None:
    with pytest.raises(SystemExit, match="unknown Solomon instance 'X999'"):
        main(["X999", "--seconds", "1"])
