"""The readable report and the compact KPI summary."""

from __future__ import annotations

import json

from optimiser.cli import main
from optimiser.kpis import compute_kpis
from optimiser.model import Break
from optimiser.report import kpi_summary, render_report
from tests.optimiser.helpers_validator import carer, client, dt, problem, roster, visit


def day():
    carers = [carer("A", shifts=(("07:00", "13:00"), ("16:00", "20:00"))), carer("B", contracted_minutes=120)]
    visits = [
        visit("v1", "X", "08:00", "08:30", priority="critical"),
        visit("v2", "Y", "08:30", "09:30"),
        visit("v3", "Z", "09:00", "10:00", 45),
        visit("v4", "Y", "16:30", "17:00"),
        visit("v5", "Z", "09:00", "10:00", carers_required=2),
    ]
    p = problem(carers=carers, clients=[client("X"), client("Y"), client("Z")], visits=visits)
    s = roster(p, {"A": [("v1", "08:00"), ("v2", "09:00"), ("v4", "16:30")], "B": [("v3", "09:00")]}, ["v5"])
    s.unassigned[0].reason = "no second carer is free 09:00-10:00"
    s.unassigned[0].rule = "double_handed"
    return p, s


def test_timeline_lists_each_stop_with_times_travel_and_waits():
    p, s = day()
    text = render_report(s, p)
    assert "Carer A: 3 visits, car, shifts 07:00-13:00, 16:00-20:00" in text
    lines = text.splitlines()
    v2 = next(line for line in lines if " v2 " in line)
    assert v2.strip().startswith("09:00-09:30") and "Y" in v2
    assert "travel   10 min" in v2 and "wait 20 min (counts as a break)" in v2
    v4 = next(line for line in lines if " v4 " in line)
    assert "from home" in v4 and "travel   20 min" in v4  # a new shift starts from home
    assert any("home (end of shift)" in line for line in lines)
    # A's morning ends at 09:30, before the afternoon visit
    assert lines.index(next(line for line in lines if "home (end of shift)" in line)) < lines.index(v4)


def test_report_lists_unassigned_with_reason_and_rule():
    p, s = day()
    text = render_report(s, p)
    assert "Unassigned visits (1)" in text
    assert "v5 (Z, 09:00-10:00, normal) [double_handed]: no second carer is free 09:00-10:00" in text


def test_report_kpi_table_uses_the_roster_numbers():
    p, s = day()
    k = compute_kpis(p, s)
    text = render_report(s, p)
    assert f"{k['visits_scheduled']} / {k['visits_total']}" in text
    assert f"£{k['cost']['cost_per_contact_hour']:,.2f}" in text
    assert "travel share of paid time" in text and f"{100 * k['travel_share']:.1f}%" in text
    assert "unassigned by rule" in text and "double_handed 1" in text


def test_listed_breaks_are_shown_in_time_order():
    p, s = day()
    s.routes[0].breaks.append(Break(start=dt("08:35"), end=dt("08:55")))
    lines = render_report(s, p).splitlines()
    i_break = next(i for i, line in enumerate(lines) if "break 20 min" in line)
    i_v1 = next(i for i, line in enumerate(lines) if " v1 " in line)
    i_v2 = next(i for i, line in enumerate(lines) if " v2 " in line)
    assert i_v1 < i_break < i_v2


def test_report_without_problem_uses_solution_kpis():
    p, s = day()
    bare = render_report(s, None)
    assert "no KPIs" in bare and "v1" in bare
    s.kpis = compute_kpis(p, s)
    assert "cost per contact hour" in render_report(s, None)


def test_kpi_summary():
    p, s = day()
    assert "no KPIs" in kpi_summary(s)
    s.kpis = compute_kpis(p, s)
    text = kpi_summary(s)
    assert "visits placed 4/5 (critical 1/1, normal 3/4)" in text
    assert "unassigned 1" in text
    assert "% of paid time" in text and "miles" in text
    assert "distinct carers per client" in text and "familiar carer" in text
    assert "cost per contact hour £" in text
    assert len(text.splitlines()) >= 5


def test_cli_report_and_validate(tmp_path, capsys):
    p, s = day()
    prob, sol = tmp_path / "p.json", tmp_path / "s.json"
    prob.write_text(p.model_dump_json())
    sol.write_text(s.model_dump_json())
    assert main(["report", str(sol), "--problem", str(prob)]) == 0
    assert "Carer B" in capsys.readouterr().out
    assert main(["validate", str(prob), str(sol), "--kpis"]) == 0
    out = capsys.readouterr().out
    assert "valid: 0 violations" in out
    bad = json.loads(s.model_dump_json())
    bad["routes"][0]["stops"][1]["start"] = "2026-11-23T08:35:00"  # cram v2 after v1
    bad["routes"][0]["stops"][1]["end"] = "2026-11-23T09:05:00"
    sol.write_text(json.dumps(bad))
    assert main(["validate", str(prob), str(sol)]) == 1
    assert "VIOLATION [travel] carer A" in capsys.readouterr().out


def test_timeline_names_the_day_when_a_route_spans_several():
    carers = [carer("A", shifts=(("07:00", "13:00"),))]
    carers[0]["shifts"].append({"start": "2026-11-24T07:00", "end": "2026-11-24T13:00"})
    visits = [visit("v1", "X", "08:00", "08:30"), visit("v2", "X", "08:00", "08:30")]
    visits[1]["window"] = {"start": "2026-11-24T08:00", "end": "2026-11-24T08:30"}
    p = problem(carers=carers, clients=[client("X")], visits=visits)
    s = roster(p, {"A": [("v1", "08:00")]}, ["v2"])
    s.routes[0].stops.append(s.routes[0].stops[0].model_copy(update={
        "visit": "v2", "arrival": dt("08:00").replace(day=24), "start": dt("08:00").replace(day=24),
        "end": dt("08:30").replace(day=24)}))
    s.unassigned = []
    lines = render_report(s, p).splitlines()
    assert " Monday 23 November" in lines and " Tuesday 24 November" in lines
    assert lines.index(" Monday 23 November") < lines.index(" Tuesday 24 November")
    # two days: the KPI table carries the week's figures (the second visit starts 10 min later)
    s.routes[0].stops[1] = s.routes[0].stops[1].model_copy(update={
        "arrival": dt("08:10").replace(day=24), "start": dt("08:10").replace(day=24), "end": dt("08:40").replace(day=24)})
    s.kpis = compute_kpis(p, s)
    rows = {line.split("  ")[0]: line.split("  ")[-1].strip() for line in render_report(s, p).splitlines()}
    assert rows["days worked per carer"] == "mean 2.0; 0 of 1 carers work a weekend day"
    assert rows["time spread of recurring calls"] == "median 10 min"
    p1, s1 = day()
    one_day = render_report(s1, p1)
    assert "days worked per carer" not in one_day
