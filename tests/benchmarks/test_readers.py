"""Readers parse the public instance formats: counts, fields and the double services."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.readers import bredstrom, kummer, mankowska, solomon
from optimiser.io import InputError


def test_solomon_c101_fields(bench_data: Path) -> None:
    inst = solomon.read(bench_data / "solomon" / "instances" / "C101.txt")
    assert (inst.name, inst.fleet, inst.capacity, inst.customers) == ("C101", 25, 200, 100)
    # depot row and customer 1 as printed in the file
    assert (inst.x[0], inst.y[0], inst.due[0]) == (40, 50, 1236)
    assert (inst.x[1], inst.y[1], inst.demand[1], inst.ready[1], inst.due[1], inst.service[1]) == (
        45,
        68,
        10,
        912,
        967,
        90,
    )
    d = inst.distances()
    assert d[0, 1] == pytest.approx(np.hypot(5, 18))
    assert np.allclose(d, d.T)


def test_all_solomon_and_bks(bench_data: Path) -> None:
    files = solomon.solomon_files()
    bks = solomon.best_known()
    assert len(files) == 56
    for path in files:
        inst = solomon.read(path)
        assert inst.customers == 100
        assert inst.name.upper() in bks
    assert bks["R101"] == (19, 1645.79)
    assert bks["RC1_4_1"] == (36, 8571.3153)


def test_gehring_homberger_sizes(bench_data: Path) -> None:
    assert len(solomon.gehring_homberger_files(200)) == 60
    inst = solomon.read(solomon.gehring_homberger_files(400)[0])
    assert (inst.customers, inst.fleet) == (400, 100)


def test_mankowska_a1_double_services(bench_data: Path) -> None:
    inst = mankowska.read(
        bench_data / "hhc" / "mankowska2014" / "instances" / "InstanzCPLEX_HCSRP_10_1.txt.gz"
    )
    assert (inst.n, len(inst.caregivers), inst.double_services) == (10, 3, 3)
    # DS "11 10 9" are 1-based node numbers: patients 8, 9 and 10 need two services
    assert [len(s) for s in inst.services[7:10]] == [2, 2, 2]
    assert inst.sync[7].kind == "simultaneous"  # mind = maxd = 0
    assert (inst.sync[8].kind, inst.sync[8].lo, inst.sync[8].hi) == ("sequential", 51, 102)
    assert [s.id for s in inst.services[8]] == ["s1", "s4"]
    assert inst.abilities[0] == {"s1", "s2", "s3"}
    assert (inst.earliest[0], inst.latest[0]) == (345, 465)
    assert inst.d.shape == (11, 11) and inst.d[0, 1] == pytest.approx(38.470768)


@pytest.mark.parametrize(
    "letter,patients,caregivers", [("A", 10, 3), ("E", 100, 20), ("F", 200, 30)]
)
def test_mankowska_sizes(bench_data: Path, letter: str, patients: int, caregivers: int) -> None:
    path = next(
        p
        for p in mankowska.files()
        if mankowska.literature_id(p.name.split(".")[0]) == f"{letter}1"
    )
    inst = mankowska.read(path)
    assert (inst.n, len(inst.caregivers)) == (patients, caregivers)
    assert len(mankowska.files()) == 70


def test_kummer_reads_road_times(bench_data: Path) -> None:
    files = kummer.files()
    assert len(files) == 118
    inst = kummer.read(files[0])
    assert inst.d.shape == (inst.n + 1, inst.n + 1)
    assert inst.latlon
    assert inst.double_services > 0
    assert any(s is not None and s.kind == "sequential" for s in inst.sync)


def test_bredstrom_pairs_share_a_patient(bench_data: Path) -> None:
    inst = bredstrom.read(bench_data / "hhc" / "bredstrom_ronnqvist2008" / "Bred_01S.txt")
    # 20 visits, 2 synchronised pairs -> 18 patients, 4 staff, horizon 695
    assert (inst.n, len(inst.caregivers), inst.horizon, inst.double_services) == (18, 4, 695, 2)
    assert not inst.soft_due


def test_bad_file_names_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "x.txt"
    bad.write_text("C101\nnothing here\n")
    with pytest.raises(InputError, match="Solomon"):
        solomon.read(bad)
    with pytest.raises(InputError, match="Mankowska"):
        mankowska.read(bad)
