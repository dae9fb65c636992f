"""Schemathesis against a real ``carerota serve`` (benchmarks/api_fuzz.py): every operation of the
OpenAPI schema gets generated requests, and no answer is a 5xx or breaks the declared contract.

The run goes through schemathesis' command line, not its pytest plugin, and the test reads the
requests it actually sent: an operation that got none, or a schemathesis run that errored, fails
the test instead of letting it pass without testing anything. The harness itself is tested too:
a run that leaves operations out, or cannot reach the server, must not count as a pass.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from benchmarks.api_fuzz import (
    CHECKS,
    FuzzResult,
    Server,
    declared_operations,
    run_schemathesis,
    summary,
)

# Per operation; the record run (benchmarks/RESULTS.md) uses 50: python -m benchmarks.api_fuzz
EXAMPLES = 15
SEED = 2026

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    with Server(tmp_path_factory.mktemp("fuzz")) as s:
        yield s


@pytest.fixture(scope="module")
def operations(server: Server) -> list[str]:
    return server.operations()


@pytest.fixture(scope="module")
def fuzz(server: Server, operations: list[str]) -> FuzzResult:
    return run_schemathesis(server.url, server.key, operations, EXAMPLES, SEED, server.folder / "report",
                            timeout=900)


def test_the_schema_declares_the_service(operations: list[str]) -> None:
    for op in ("POST /v1/solve", "POST /v1/jobs", "GET /v1/jobs/{job_id}", "POST /v1/validate",
               "POST /v1/patches/evaluate", "GET /health"):
        assert op in operations


def test_every_operation_got_requests(fuzz: FuzzResult, server: Server) -> None:
    if fuzz.untested:
        pytest.fail(f"operations that got no request: {fuzz.untested}\n\n{summary(fuzz)}", pytrace=False)
    takes_input = declared_operations(server.schema())
    few = {op: c.requests for op, c in fuzz.operations.items() if takes_input[op] and c.requests < EXAMPLES}
    if few:  # an operation without input (GET /health) has only so many different requests
        pytest.fail(f"operations with fewer than {EXAMPLES} requests: {few}\n\n{summary(fuzz)}", pytrace=False)


def test_schemathesis_ran_without_errors(fuzz: FuzzResult) -> None:
    if fuzz.errors or fuzz.exit_code not in (0, 1):
        pytest.fail(summary(fuzz), pytrace=False)


def test_every_chosen_check_judged_responses(fuzz: FuzzResult) -> None:
    for check in ("not_a_server_error", "status_code_conformance", "content_type_conformance",
                  "response_headers_conformance", "response_schema_conformance"):
        assert check in CHECKS
    idle = [c for c in CHECKS if not fuzz.checks_run.get(c)]
    if idle:
        pytest.fail(f"checks that judged no response: {idle}\n\n{summary(fuzz)}", pytrace=False)


def test_no_server_error_and_no_contract_failure(fuzz: FuzzResult) -> None:
    if fuzz.failures or fuzz.exit_code != 0 or not fuzz.ok:
        pytest.fail(summary(fuzz), pytrace=False)


# --------------------------------------------------------------------------- the harness cannot pass silently


def test_a_run_that_leaves_operations_out_fails(server: Server, operations: list[str]) -> None:
    only_health = run_schemathesis(server.url, server.key, operations, 1, SEED, server.folder / "health-only",
                                   extra=("--include-path", "/health"), timeout=120)
    assert only_health.operations["GET /health"].requests > 0
    assert "POST /v1/solve" in only_health.untested
    assert len(only_health.untested) == len(operations) - 1
    assert not only_health.ok


def test_a_run_that_cannot_reach_the_server_fails(server: Server, operations: list[str]) -> None:
    from benchmarks.live import free_port

    nowhere = f"http://127.0.0.1:{free_port()}"
    result = run_schemathesis(nowhere, server.key, operations, 1, SEED, server.folder / "nowhere", timeout=120)
    assert result.errors
    assert set(result.untested) == set(operations)
    assert not result.ok
