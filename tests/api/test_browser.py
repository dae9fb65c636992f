"""The roster viewer in headless Chromium (Debian's ``chromium``, driven by Playwright):
load the page from a running server, solve the embedded example, check the timeline and
that the KPI panel shows the validator's numbers."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from optimiser.model import Solution
from optimiser.validator import validate
from tests.api.conftest import carerota

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
