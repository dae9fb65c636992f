"""Tenant API keys: random tokens, stored only as SHA-256 hashes, with an expiry date.

A key is ``crk_`` + 32 random bytes (URL-safe base64); it is shown once when created.
Because the token has 256 bits of entropy a plain SHA-256 is enough (no salt or slow
hash needed: there is nothing to brute-force), and lookup by hash is one index probe.
Requests carry the key as ``X-API-Key: crk_...`` or ``Authorization: Bearer crk_...``.

A key expires after ``key_expiry_days`` (365 by default; 0 = never) and then gets 401
"expired API key". Its last use is recorded to the minute, so an operator can find and
revoke keys nobody uses, without a database write on every request.
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from .crud import ExpiredKey, KeyRefused, UnknownKey
from .db import Database, now
from .settings import Settings

log = logging.getLogger("carerota.api.security")

KEY_PREFIX = "crk_"
_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="Tenant API key")
_bearer = HTTPBearer(auto_error=False, description="Tenant API key as a bearer token")


@dataclass(frozen=True)
class Tenant:
    """The owner of a request's key: jobs are stored and looked up under ``id``."""

    id: int
    name: str


def hash_key(key: str) -> str:
    """The stored form of a key (hex SHA-256)."""
    return hashlib.sha256(key.encode()).hexdigest()


DEFAULT_EXPIRY_DAYS: float = Settings.model_fields["key_expiry_days"].default
"""A new key's lifetime when none is given (the ``key_expiry_days`` setting's default)."""
MAX_EXPIRY_DAYS = 36500
LAST_USED_RESOLUTION = timedelta(minutes=1)
"""``last_used_at`` is written at most this often per key (a write per request would
serialise every request on the database's write lock)."""


def create_key(db: Database, tenant: str, expires_in_days: float | None = DEFAULT_EXPIRY_DAYS) -> str:
    """Create ``tenant`` if new, add a key for it and return the key (the only time it is seen).

    Parameters
    ----------
    db
        The service database.
    tenant
        The tenant's name (a provider or commissioner).
    expires_in_days
        Days until the key stops working; 0 or None: it never expires.

    Returns
    -------
    str
        The key, ``crk_...``; only its hash is stored.

    Raises
    ------
    ValueError
        An empty tenant name, or a negative or non-finite lifetime.
    """
    name = tenant.strip()
    if not name:
        raise ValueError("tenant name is empty")
    expires_at = _expiry(expires_in_days)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with db.connect() as c:
        c.execute("INSERT OR IGNORE INTO tenants (name, created_at) VALUES (?, ?)", (name, now()))
        tenant_id = c.execute("SELECT id FROM tenants WHERE name = ?", (name,)).fetchone()["id"]
        c.execute(
            "INSERT INTO api_keys (tenant_id, key_hash, prefix, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            (tenant_id, hash_key(key), key[: len(KEY_PREFIX) + 6], now(), expires_at),
        )
    return key


def _expiry(days: float | None) -> str | None:
    if days is None or days == 0:
        return None
    if not (isinstance(days, int | float) and math.isfinite(days) and 0 < days <= MAX_EXPIRY_DAYS):
        raise ValueError(f"a key's lifetime must be a number of days from 0 (never expires) "
                         f"to {MAX_EXPIRY_DAYS}, got {days!r}")
    return (datetime.now(UTC) + timedelta(days=days)).isoformat(timespec="milliseconds")


def list_keys(db: Database) -> list[dict]:
    """Tenants and key prefixes (never the keys: only their hashes are stored).

    Returns
    -------
    list of dict
        ``tenant``, ``prefix``, ``created_at``, ``expires_at`` (None: never),
        ``last_used_at`` (None: never used, or not since this was recorded), ``revoked_at``
        and ``state`` (``active``, ``expired`` or ``revoked``), by tenant and age.
    """
    rows = db.read(
        "SELECT t.name AS tenant, k.prefix, k.created_at, k.expires_at, k.last_used_at, k.revoked_at "
        "FROM api_keys k JOIN tenants t ON t.id = k.tenant_id ORDER BY t.name, k.id"
    )
    moment = datetime.now(UTC)
    keys = []
    for r in rows:
        key = dict(r)
        key["state"] = (
            "revoked" if r["revoked_at"] else "expired" if _expired(r["expires_at"], moment) else "active"
        )
        keys.append(key)
    return keys


def revoke_key(db: Database, prefix: str) -> int:
    """Revoke every live key starting with ``prefix``; returns how many."""
    with db.connect() as c:
        cur = c.execute(
            "UPDATE api_keys SET revoked_at = ? WHERE revoked_at IS NULL AND prefix = ?",
            (now(), prefix[: len(KEY_PREFIX) + 6]),
        )
        return cur.rowcount


def check_key(db: Database, key: str, at: datetime | None = None) -> Tenant:
    """The tenant owning ``key``; records the key's use (at most once a minute).

    Parameters
    ----------
    db
        The service database.
    key
        The key as sent by the client.
    at
        The time of the request (default: now).

    Returns
    -------
    Tenant
        The key's tenant.

    Raises
    ------
    UnknownKey
        No such key, or a revoked one.
    ExpiredKey
        The key is past its expiry date.
    """
    moment = at or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    rows = db.read(
        "SELECT k.id AS key_id, k.expires_at, k.last_used_at, t.id, t.name "
        "FROM api_keys k JOIN tenants t ON t.id = k.tenant_id "
        "WHERE k.key_hash = ? AND k.revoked_at IS NULL",
        (hash_key(key),),
    )
    if not rows:
        raise UnknownKey()
    row = rows[0]
    if _expired(row["expires_at"], moment):
        raise ExpiredKey(row["expires_at"])
    last = _parse(row["last_used_at"])
    if last is None or moment - last >= LAST_USED_RESOLUTION:
        _touch(db, row["key_id"], moment)
    return Tenant(row["id"], row["name"])


def tenant_for_key(db: Database, key: str) -> Tenant | None:
    """The tenant owning a live key, or None for an unknown, revoked or expired one."""
    try:
        return check_key(db, key)
    except KeyRefused:
        return None


def _touch(db: Database, key_id: int, moment: datetime) -> None:
    stamp = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    since = (moment - LAST_USED_RESOLUTION).astimezone(UTC).isoformat(timespec="milliseconds")
    try:
        # a short wait: a busy database must not hold up the request for a bookkeeping write
        with db.connect(timeout=1) as c:
            # the condition again: of concurrent requests with the same key, one writes
            c.execute(
                "UPDATE api_keys SET last_used_at = ? WHERE id = ? "
                "AND (last_used_at IS NULL OR julianday(last_used_at) <= julianday(?))",
                (stamp, key_id, since),
            )
    except sqlite3.OperationalError as err:  # locked: the next request records it
        log.info("last use of key %d not recorded (%s)", key_id, err)


def _parse(stamp: str | None) -> datetime | None:
    if stamp is None:
        return None
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _expired(expires_at: str | None, moment: datetime) -> bool:
    if expires_at is None:
        return False
    expiry = _parse(expires_at)
    return expiry is None or expiry <= moment  # an unreadable date fails closed


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})


def require_tenant(
    request: Request,
    api_key: Annotated[str | None, Depends(_api_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Tenant:
    """FastAPI dependency: the tenant owning the request's API key, or 401."""
    key = api_key or (bearer.credentials if bearer else None)
    if not key:
        raise _unauthorized("missing API key: send 'X-API-Key: <key>' or 'Authorization: Bearer <key>'")
    try:
        return check_key(request.app.state.db, key.strip())
    except KeyRefused as err:
        raise _unauthorized(str(err)) from None

