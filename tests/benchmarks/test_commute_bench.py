"""benchmarks.commute: the figures it reads from a roster, and its table."""

from __future__ import annotations

from benchmarks.commute import measure, table
from optimiser.engine import solve
from optimiser.generator import GeneratorSettings, generate_day
from optimiser.io import write_json


def test_measure_and_table_on_a_solved_day(tmp_path):
    p = generate_day(GeneratorSettings(visits=40, carers=8, seed=3, walk_share=0.3, bike_share=0.3))
    s = solve(p, time_limit=2, seed=0)
    (tmp_path / "p.json").write_text(p.model_dump_json())
    write_json(s, tmp_path / "s.json")
    m = measure(tmp_path / "p.json", tmp_path / "s.json")
    assert m["commute_violations"] == 0 and m["other_violations"] == 0
    assert m["placed"] == len(p.visits) - len(s.unassigned)
    for mode, c in m["commute"].items():
        limit = p.policy.max_commute_minutes[mode]
        assert c["longest_leg_minutes"] <= limit
        assert c["median_leg_minutes"] <= c["longest_leg_minutes"]
    lines = table([{"day": "d", "before": m, "now": m}], "abc1234").splitlines()
    assert len(lines) == 4 and lines[2].startswith("| d | abc1234 |") and "this commit" in lines[3]
