"""The roster viewer in headless Chromium (Debian's ``chromium``, driven by Playwright):
load the page from a running server, solve the embedded example, check the timeline and
that the KPI panel shows the validator's numbers; solve three days and check the week views."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from optimiser.model import Problem, Solution
from optimiser.rules import week_of
from optimiser.validator import validate
from tests.api.conftest import carerota
from tests.optimiser.builders import carer, client, problem, visit

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)"),
]


def _flatten(kpis: dict, prefix: str = "") -> dict:
    """As the viewer's flattenKpis: dotted keys, scalar leaves, per-carer/per-client tables left out."""
    out = {}
    for k, v in kpis.items():
        if not prefix and k in ("per_carer", "per_client"):
            continue
        key = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict):
            out.update(_flatten(v, key))
        elif not isinstance(v, list):
            out[key] = v
    return out


@contextmanager
def viewer(server_factory, tmp_path: Path) -> Iterator[tuple[Any, Any, str, list[str]]]:
    """A served viewer in headless Chromium with a fresh tenant's key typed in: the page, the
    server, the key and the page's script errors."""
    sync_api = pytest.importorskip("playwright.sync_api")
    db = tmp_path / "browser.db"
    key = carerota("keys", "create", "--tenant", "viewer", "--db", str(db)).stdout.strip()
    server = server_factory(db).start()
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            # bypass_csp: Playwright's wait_for_function evaluates strings, which the page's CSP forbids
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, bypass_csp=True)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(server.url + "/?tiles=off")
            page.fill("#api-key", key)
            page.dispatch_event("#api-key", "change")
            yield page, server, key, errors
        finally:
            browser.close()


def solve_shown(page, time_limit: int) -> None:
    """Press Solve on the problem in the text box and wait for the roster on the page."""
    page.fill("#time-limit", str(time_limit))
    page.click("#solve")
    page.wait_for_function("document.body.dataset.jobState === 'running' || document.body.dataset.result === 'ready'")
    page.wait_for_function(
        "document.body.dataset.result === 'ready' || ['failed', 'cancelled'].includes(document.body.dataset.jobState)",
        timeout=90_000,
    )
    assert page.evaluate("document.body.dataset.jobState") == "done", page.inner_text("#status")


def the_roster(server, key: str) -> tuple[dict, Solution]:
    """The tenant's one job and its roster, from the service."""
    headers = {"X-API-Key": key}
    (job,) = httpx.get(f"{server.url}/v1/jobs", headers=headers).json()["jobs"]
    return job, Solution.model_validate(httpx.get(f"{server.url}/v1/jobs/{job['id']}/solution", headers=headers).json())


def shown_kpis(page) -> dict:
    return dict(page.eval_on_selector_all("[data-kpi]", "els => els.map(e => [e.dataset.kpi, JSON.parse(e.dataset.value)])"))


def assert_same_kpis(shown: dict, kpis: dict) -> None:
    """The panel shows every scalar KPI of the validator, with its value."""
    expected = _flatten(json.loads(json.dumps(kpis)))
    assert set(shown) == set(expected)
    for k, v in expected.items():
        if isinstance(v, float):
            assert math.isclose(shown[k], v, rel_tol=1e-9, abs_tol=1e-9), k
        else:
            assert shown[k] == v, k


def test_viewer_solves_the_example_and_shows_the_roster(server_factory, tmp_path, example):
    with viewer(server_factory, tmp_path) as (page, server, key, errors):
        page.click("#load-example")
        page.wait_for_function("document.getElementById('problem-text').value.length > 1000")
        solve_shown(page, 4)
        job, solution = the_roster(server, key)
        report = validate(example, solution)
        assert report.violations == []

        # the timeline: one row per carer, each with exactly her visits
        rows = page.eval_on_selector_all(".gantt-row", "rows => rows.map(r => [r.dataset.carer, r.querySelectorAll('rect.visit').length])")
        assert [c for c, _ in rows] == [c.id for c in example.carers]
        stops = {r.carer: len(r.stops) for r in solution.routes}
        assert dict(rows) == {c.id: stops.get(c.id, 0) for c in example.carers}
        assert sum(n for _, n in rows) > 0
        doubles = {v.id for v in example.visits if v.carers_required == 2}
        shown_doubles = page.eval_on_selector_all("rect.visit.double", "els => els.map(e => e.dataset.visit)")
        assert set(shown_doubles) == {s.visit for r in solution.routes for s in r.stops if s.visit in doubles}
        # one day: the day's view as it was, without the week's
        for week_part in ("#week-section", "#client-section", "#day-pick"):
            assert page.is_hidden(week_part), week_part
        assert page.locator("#week-grid tr").count() == 0
        assert page.locator('[data-group="week"]').count() == 0
        assert page.inner_text("#timeline-day") == ""

        # the KPI panel: the validator's numbers, every one of them
        assert_same_kpis(shown_kpis(page), report.kpis)
        cell = page.inner_text('[data-kpi="visits_scheduled"]')
        assert cell.replace(",", "") == str(report.kpis["visits_scheduled"])
        # matching beyond language: the share of preferred attributes met, in words and per cent
        label = page.eval_on_selector('[data-kpi="preference_match_rate"]', "td => td.previousSibling.textContent")
        assert label == "preference match rate"
        assert report.kpis["preference_match_rate"] is not None
        assert page.inner_text('[data-kpi="preference_match_rate"]') == f"{100 * report.kpis['preference_match_rate']:.1f} %"

        # the unassigned list and the map
        assert page.locator("#unassigned tr[data-visit]").count() == len(solution.unassigned)
        assert page.locator("#map path.route").count() == sum(1 for r in solution.routes if r.stops)
        assert "OpenStreetMap contributors" in page.inner_text("#map-section")

        # a coordinator coming back later picks the past job and sees the same roster
        page.reload()
        page.wait_for_function("document.querySelectorAll('#past-jobs option').length > 1")
        page.select_option("#past-jobs", job["id"])
        page.wait_for_function("document.body.dataset.result === 'ready'")
        again = page.eval_on_selector_all(".gantt-row", "rows => rows.map(r => [r.dataset.carer, r.querySelectorAll('rect.visit').length])")
        assert again == rows
        assert errors == []


# --------------------------------------------------------------------------- a roster over days

WEEK = [date(2026, 11, 28) + timedelta(days=d) for d in range(3)]  # Sat, Sun, Mon: two calendar weeks
WORKS = {"ann": WEEK, "bea": [WEEK[0], WEEK[2]], "cat": WEEK}  # bea is off on Sunday


def three_days() -> Problem:
    """Three carers on three days, three clients with a morning and a lunch call a day. Only
    bea has the hoist skill c2's morning call needs (on her day off nobody can do it); c3's
    Monday morning call is double-handed."""

    def on(day: date, hm: str) -> str:
        return f"{day.isoformat()}T{hm}"

    homes = {"ann": (0, 0), "bea": (2, 0), "cat": (1, 1)}
    carers = [carer(name, *homes[name], [(on(d, "07:00"), on(d, "14:00")) for d in days],
                    skills=["hoist"] if name == "bea" else [])
              for name, days in WORKS.items()]
    clients = [client("c1", 1, 0), client("c2", 2, 1), client("c3", 0, 1)]
    calls = {"08": ("08:00", "10:00"), "12": ("12:00", "13:30")}
    visits = [visit(f"{c}-{d:%a}-{h}", c, on(d, a), on(d, b), 45,
                    skills=["hoist"] if (c, h) == ("c2", "08") else [],
                    carers_required=2 if (c, h, d) == ("c3", "08", WEEK[2]) else 1)
              for d in WEEK for c in ("c1", "c2", "c3") for h, (a, b) in calls.items()]
    return problem(carers, clients, visits, id="three-days", policy={"break_after_minutes": None})


def stops_by_day(p: Problem, solution: Solution) -> dict[tuple[str, str], list]:
    """(carer, day) -> her stops that day: a stop counts on the day her shift holding it starts."""
    out: dict[tuple[str, str], list] = defaultdict(list)
    for r in solution.routes:
        shifts = p.carer(r.carer).shifts
        for s in r.stops:
            shift = next(sh for sh in shifts if sh.start <= s.start <= sh.end)
            out[(r.carer, shift.start.date().isoformat())].append(s)
    return out


def minutes_text(v: float) -> str:
    """As the viewer's formatMinutes (no-break spaces within its parts)."""
    m = math.floor(v + 0.5)
    return f"{m:,}\u00a0min" + (f" ({m // 60}\u00a0h\u00a0{m % 60:02d})" if m >= 60 else "")


def gantt_visits(page) -> dict[str, int]:
    return dict(page.eval_on_selector_all(
        ".gantt-row", "rows => rows.map(r => [r.dataset.carer, r.querySelectorAll('rect.visit').length])"))


def test_viewer_shows_a_roster_over_three_days_as_a_week(server_factory, tmp_path):
    p = three_days()
    days = [d.isoformat() for d in WEEK]
    with viewer(server_factory, tmp_path) as (page, server, key, errors):
        page.fill("#problem-text", p.model_dump_json())
        solve_shown(page, 3)
        _, solution = the_roster(server, key)
        report = validate(p, solution)
        assert report.violations == []
        worked = stops_by_day(p, solution)
        assert worked[("bea", days[0])] and worked[("bea", days[2])] and ("bea", days[1]) not in worked

        # the grid: a column per day, weekends marked; a row per carer; a cell per carer and day
        assert page.is_visible("#week-section") and page.is_visible("#day-pick")
        heads = page.eval_on_selector_all(
            ".week-grid thead th[data-day]", "ths => ths.map(t => [t.dataset.day, t.classList.contains('weekend'), t.innerText])")
        assert [(d, w, " ".join(t.split())) for d, w, t in heads] == [
            (days[0], True, "Sat 28 Nov weekend"), (days[1], True, "Sun 29 Nov weekend"), (days[2], False, "Mon 30 Nov")]
        rows = page.eval_on_selector_all(".week-grid tbody tr", "trs => trs.map(t => t.dataset.carer)")
        assert rows == list(WORKS) and {c for c, _ in worked} == set(rows)
        cells = page.eval_on_selector_all(".week-grid tbody td[data-day]", """tds => tds.map(t => [
            t.parentElement.dataset.carer, t.dataset.day, Number(t.dataset.visits), t.innerText.trim(),
            t.querySelector('.count') ? t.querySelector('.count').textContent : null])""")
        assert len(cells) == len(rows) * len(days)
        for carer_id, day, n, text, count in cells:
            stops = worked.get((carer_id, day), [])
            assert n == len(stops), (carer_id, day)
            if stops:
                assert count == f"{n} visit{'s' if n > 1 else ''}"
                assert f"{min(s.start for s in stops):%H:%M}–{max(s.end for s in stops):%H:%M}" in text
            else:
                assert text == "", (carer_id, day)
        off = page.locator(f'.week-grid tr[data-carer="bea"] td[data-day="{days[1]}"]')
        assert off.inner_text() == "" and off.locator("button").count() == 0
        assert off.get_attribute("class") == "weekend off"

        # her week's figures beside the days: the KPIs', and the cells add up to them
        per_carer = report.kpis["per_carer"]
        for carer_id in rows:
            row = page.locator(f'.week-grid tr[data-carer="{carer_id}"]')
            days_worked = per_carer[carer_id]["days_worked"]
            assert row.locator("[data-days-worked]").get_attribute("data-days-worked") == str(days_worked)
            assert days_worked == row.locator("td button").count() == sum(1 for c, _ in worked if c == carer_id)
            weekend = per_carer[carer_id]["weekend_days_worked"]
            assert row.locator("[data-weekend-days]").inner_text() == str(weekend)
            assert weekend == row.locator("td.weekend button").count()
        assert per_carer["bea"]["weekend_days_worked"] == 1
        paid = page.eval_on_selector_all(
            ".week-grid .paid", "ps => ps.map(e => [e.closest('tr').dataset.carer, e.closest('td').dataset.day, Number(e.dataset.paid)])")
        by_week: dict[tuple[str, str], float] = defaultdict(float)
        for carer_id, day, minutes in paid:
            by_week[(carer_id, str(week_of(datetime.fromisoformat(day))))] += minutes
        expected = {(c, w): m for c, k in per_carer.items() for w, m in k["paid_minutes_by_week"].items()}
        assert set(by_week) == set(expected) and len({w for _, w in expected}) == 2
        for k, m in expected.items():
            assert math.isclose(by_week[k], m, abs_tol=0.01), k
        bea_weeks = page.locator('.week-grid tr[data-carer="bea"] [data-paid-by-week] div').all_inner_texts()
        assert bea_weeks == [f"w/c {monday}: {minutes_text(per_carer['bea']['paid_minutes_by_week'][week])}"
                             for monday, week in (("23 Nov", "2026-11-23"), ("30 Nov", "2026-11-30"))]

        # a cell shows her day on the timeline: that day alone, she picked
        who = max(rows, key=lambda c: len(worked.get((c, days[2]), [])))
        page.click(f'.week-grid tr[data-carer="{who}"] td[data-day="{days[2]}"] button')
        assert page.get_attribute("#timeline", "data-day") == days[2] and page.input_value("#day-select") == days[2]
        assert gantt_visits(page) == {c: len(worked.get((c, days[2]), [])) for c in rows}
        assert page.eval_on_selector_all(".gantt-row.selected", "rows => rows.map(r => r.dataset.carer)") == [who]
        pressed = page.eval_on_selector_all('.week-grid button[aria-pressed="true"]', "bs => bs.map(b => b.closest('td').dataset.day)")
        assert pressed == [days[2]]
        # the day selector: Sunday, bea off (no shift on the timeline, no route on the map)
        page.select_option("#day-select", days[1])
        assert gantt_visits(page) == {c: len(worked.get((c, days[1]), [])) for c in rows}
        assert page.locator('.gantt-row[data-carer="bea"] rect.shift').count() == 0
        assert page.locator('.gantt-row[data-carer="ann"] rect.shift').count() == 1
        assert page.locator("#map path.route").count() == sum(1 for c in rows if worked.get((c, days[1])))
        assert page.locator("#unassigned tr[data-visit]").count() == len(solution.unassigned) > 0

        # a client's week: exactly her visits, day by day, with their carers
        page.select_option("#client-select", "c2")
        listed = page.eval_on_selector_all(
            "#client-week tr[data-visit]", "trs => trs.map(t => [t.dataset.visit, t.dataset.day, t.dataset.carers])")
        carers_of: dict[str, list[str]] = defaultdict(list)
        starts = {}
        for r in solution.routes:
            for s in r.stops:
                carers_of[s.visit].append(r.carer)
                starts[s.visit] = s.start
        mine = [v for v in p.visits if v.client == "c2"]
        assert sorted(v for v, _, _ in listed) == sorted(v.id for v in mine)
        assert {v: sorted(c.split()) for v, _, c in listed if c} == {v.id: sorted(carers_of[v.id]) for v in mine if v.id in carers_of}
        unplaced = {u.visit for u in solution.unassigned if u.visit.startswith("c2-")}
        assert {v for v, _, c in listed if not c} == unplaced and f"c2-{WEEK[1]:%a}-08" in unplaced
        assert all(starts[v].date().isoformat() == d for v, d, c in listed if c)
        assert [d for _, d, _ in listed] == sorted(d for _, d, _ in listed)
        c2 = report.kpis["per_client"]["c2"]
        team = page.locator("[data-distinct-carers]")
        assert team.get_attribute("data-distinct-carers") == str(c2["distinct_carers"])
        assert team.get_attribute("data-carers") == " ".join(sorted({c for v in mine for c in carers_of[v.id]}))
        assert json.loads(page.get_attribute("[data-time-spread]", "data-time-spread")) == c2["time_spread_minutes"]
        assert page.inner_text("[data-time-spread]") == minutes_text(c2["time_spread_minutes"])

        # the week's KPIs: a group of their own, labelled in words, minutes as minutes
        assert_same_kpis(shown_kpis(page), report.kpis)
        week = dict(page.eval_on_selector_all(
            '[data-group="week"] [data-kpi]', "els => els.map(e => [e.dataset.kpi, [e.previousSibling.textContent, e.textContent]])"))
        assert week["days"] == ["calendar days", "3"]
        mean = report.kpis["days_worked_mean"]
        assert week["days_worked_mean"] == ["days worked, mean per carer", f"{mean:.2f}".rstrip("0").rstrip(".")]
        spread = report.kpis["time_spread_median_minutes"]
        assert week["time_spread_median_minutes"] == ["time spread of a client's calls, median", minutes_text(spread)]
        assert errors == []


def test_docs_page_renders_offline_under_its_csp(server_factory, tmp_path):
    """/docs draws every operation from this server's own Swagger UI, with the CSP enforced
    and every request to another host blocked (no CDN, no internet)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    server = server_factory(tmp_path / "docs.db").start()
    outside: list[str] = []
    violations: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()

            def route(r) -> None:
                if r.request.url.startswith(server.url):
                    r.continue_()
                else:
                    outside.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
            page.goto(server.url + "/docs")
            page.wait_for_selector(".opblock", timeout=20_000)
            operations = page.locator(".opblock").count()
        finally:
            browser.close()
    spec = httpx.get(server.url + "/openapi.json").json()
    assert operations == sum(len(ops) for ops in spec["paths"].values())
    assert outside == []
    assert [v for v in violations if "script" in v] == []
