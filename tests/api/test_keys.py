"""API keys with an expiry date and a last-used date."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from api.crud import ExpiredKey, UnknownKey
from api.db import MIGRATIONS, Database
from api.security import DEFAULT_EXPIRY_DAYS, check_key, create_key, hash_key, list_keys, revoke_key
from api.settings import Settings
from optimiser.cli import main as carerota_main


@pytest.fixture
def db(tmp_path) -> Database:
    database = Database(tmp_path / "keys.db")
    database.migrate()
    return database


def _key_row(db: Database, key: str) -> sqlite3.Row:
    return db.read("SELECT * FROM api_keys WHERE key_hash = ?", (hash_key(key),))[0]


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


def test_migration_adds_expiry_and_last_use(db):
    version, name, _ = MIGRATIONS[2]
    assert (version, name) == (3, "api key expiry and last use")
    columns = {r["name"] for r in db.read("PRAGMA table_info(api_keys)")}
    assert {"expires_at", "last_used_at"} <= columns


def test_keys_made_before_the_migration_keep_working(tmp_path):
    """An existing deployment's keys must not all stop at the upgrade: they never expire."""
    path = tmp_path / "v2.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                 "applied_at TEXT NOT NULL)")
    for version, name, sql in MIGRATIONS[:2]:
        conn.executescript(sql)
        conn.execute("INSERT INTO schema_migrations VALUES (?, ?, 'then')", (version, name))
    key = "crk_" + "x" * 43
    conn.execute("INSERT INTO tenants (name, created_at) VALUES ('Old Provider', '2020-01-01T00:00:00+00:00')")
    conn.execute("INSERT INTO api_keys (tenant_id, key_hash, prefix, created_at) VALUES "
                 "(1, ?, 'crk_xxxxxx', '2020-01-01T00:00:00+00:00')", (hash_key(key),))
    conn.close()
    db = Database(path)
    assert db.migrate() == [v for v, _, _ in MIGRATIONS[2:]]  # from 3 on
    assert check_key(db, key).name == "Old Provider"
    row = _key_row(db, key)
    assert row["expires_at"] is None and row["last_used_at"] is not None


def test_new_key_expires_after_the_default_period(db):
    assert DEFAULT_EXPIRY_DAYS == Settings().key_expiry_days == 365
    before = datetime.now(UTC)
    key = create_key(db, "Provider A")
    expires = _when(_key_row(db, key)["expires_at"])
    year = timedelta(days=365)
    assert before + year - timedelta(milliseconds=1) <= expires <= datetime.now(UTC) + year  # stored to the ms


@pytest.mark.parametrize("never", [0, None])
def test_zero_or_none_never_expires(db, never):
    key = create_key(db, "Provider A", expires_in_days=never)
    assert _key_row(db, key)["expires_at"] is None
    assert check_key(db, key, at=datetime(2999, 1, 1, tzinfo=UTC)).name == "Provider A"


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), 40_000])
def test_bad_lifetime_is_refused(db, bad):
    with pytest.raises(ValueError, match="lifetime"):
        create_key(db, "Provider A", expires_in_days=bad)
    assert db.read("SELECT COUNT(*) AS n FROM api_keys")[0]["n"] == 0


def test_expired_key_is_refused_with_its_own_message(db):
    key = create_key(db, "Provider A", expires_in_days=1)
    assert check_key(db, key).name == "Provider A"
    later = datetime.now(UTC) + timedelta(days=1, seconds=1)
    with pytest.raises(ExpiredKey, match="^expired API key"):
        check_key(db, key, at=later)
    with pytest.raises(UnknownKey, match="^unknown or revoked API key$"):
        check_key(db, "crk_" + "y" * 43)
    revoke_key(db, key[:10])
    with pytest.raises(UnknownKey):  # revoked wins over expired: nothing more to say
        check_key(db, key, at=later)


def test_expired_key_gets_401_over_http(service):
    with service.db.connect() as c:
        c.execute("UPDATE api_keys SET expires_at = ? WHERE key_hash = ?",
                  ((datetime.now(UTC) - timedelta(minutes=1)).isoformat(), hash_key(service.key_a)))
    r = service.client.get("/v1/jobs", headers=service.a)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert r.json()["detail"].startswith("expired API key")
    unknown = service.client.get("/v1/jobs", headers={"X-API-Key": "crk_" + "z" * 43})
    assert unknown.status_code == 401 and unknown.json()["detail"] == "unknown or revoked API key"
    assert service.client.get("/v1/jobs", headers=service.b).status_code == 200  # the other key still works


def test_last_use_is_written_at_most_once_a_minute(db):
    key = create_key(db, "Provider A")
    assert _key_row(db, key)["last_used_at"] is None
    t0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    check_key(db, key, at=t0)
    assert _when(_key_row(db, key)["last_used_at"]) == t0
    check_key(db, key, at=t0 + timedelta(seconds=59))
    assert _when(_key_row(db, key)["last_used_at"]) == t0  # no write within the minute
    check_key(db, key, at=t0 + timedelta(seconds=61))
    assert _when(_key_row(db, key)["last_used_at"]) == t0 + timedelta(seconds=61)


def test_requests_within_a_minute_write_once(service, monkeypatch):
    """Many requests with one key: one write of its last use, not one per request."""
    import api.security

    touches: list[int] = []
    real = api.security._touch
    monkeypatch.setattr(api.security, "_touch", lambda db, key_id, moment: (touches.append(key_id),
                                                                           real(db, key_id, moment)))
    for _ in range(20):
        assert service.client.get("/v1/jobs", headers=service.a).status_code == 200
    assert len(touches) == 1
    assert _key_row(service.db, service.key_a)["last_used_at"] is not None
    assert _key_row(service.db, service.key_b)["last_used_at"] is None  # an unused key is untouched


def test_a_busy_database_does_not_fail_authentication(db):
    """The last-use write waits a second at most; the request is still let in."""
    key = create_key(db, "Provider A")
    blocker = sqlite3.connect(db.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        assert check_key(db, key).name == "Provider A"
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert _key_row(db, key)["last_used_at"] is None  # recorded on a later request instead


def test_list_keys_shows_state_expiry_and_last_use(db):
    live = create_key(db, "Provider A")
    create_key(db, "Provider A", expires_in_days=0)
    old = create_key(db, "Provider B", expires_in_days=1)
    with db.connect() as c:
        c.execute("UPDATE api_keys SET expires_at = '2020-01-01T00:00:00.000+00:00' WHERE key_hash = ?",
                  (hash_key(old),))
    check_key(db, live)
    keys = list_keys(db)
    assert [(k["tenant"], k["state"]) for k in keys] == [
        ("Provider A", "active"), ("Provider A", "active"), ("Provider B", "expired")]
    assert keys[0]["last_used_at"] is not None and keys[1]["expires_at"] is None
    assert all(live not in str(k) for k in keys)


# --------------------------------------------------------------------------- the CLI


def test_cli_keys_create_with_expiry_and_list(tmp_path, capsys):
    path = str(tmp_path / "cli.db")
    assert carerota_main(["keys", "create", "--tenant", "Provider A", "--expires-days", "30", "--db", path]) == 0
    key = capsys.readouterr().out.strip()
    assert carerota_main(["keys", "create", "--tenant", "Provider B", "--expires-days", "0", "--db", path]) == 0
    assert "never expires" in capsys.readouterr().err
    db = Database(path)
    expires = _when(_key_row(db, key)["expires_at"])
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)
    check_key(db, key)
    assert carerota_main(["keys", "list", "--db", path]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Provider A\tcrk_") and f"expires {expires.date()}" in lines[0]
    assert "\tlast used 20" in lines[0] and lines[0].endswith("\tactive")
    assert "never expires\tnever used\tactive" in lines[1]
    assert key not in "\n".join(lines)


def test_cli_default_expiry_from_the_environment(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CAREROTA_KEY_EXPIRY_DAYS", "7")
    path = str(tmp_path / "env.db")
    assert carerota_main(["keys", "create", "--tenant", "Provider A", "--db", path]) == 0
    assert "expires in 7 day(s)" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["-3", "never", "nan", "1e9"])
def test_cli_bad_expiry_is_one_line_exit_2(tmp_path, capsys, value):
    path = tmp_path / "bad.db"
    assert carerota_main(["keys", "create", "--tenant", "A", "--expires-days", value, "--db", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--expires-days" in err and "Traceback" not in err
    assert not path.exists()  # refused before the database was touched
