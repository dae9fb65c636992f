"""Tenant API keys: random tokens, stored only as SHA-256 hashes.

A key is ``crk_`` + 32 random bytes (URL-safe base64); it is shown once when created.
Because the token has 256 bits of entropy a plain SHA-256 is enough (no salt or slow
hash needed: there is nothing to brute-force), and lookup by hash is one index probe.
Requests carry the key as ``X-API-Key: crk_...`` or ``Authorization: Bearer crk_...``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from .db import Database, now

KEY_PREFIX = "crk_"
_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="Tenant API key")
_bearer = HTTPBearer(auto_error=False, description="Tenant API key as a bearer token")


@dataclass(frozen=True)
class Tenant:
    id: int
    name: str


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(db: Database, tenant: str) -> str:
    """Create ``tenant`` if new, add a key for it and return the key (the only time it is seen)."""
    name = tenant.strip()
    if not name:
        raise ValueError("tenant name is empty")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with db.connect() as c:
        c.execute("INSERT OR IGNORE INTO tenants (name, created_at) VALUES (?, ?)", (name, now()))
        tenant_id = c.execute("SELECT id FROM tenants WHERE name = ?", (name,)).fetchone()["id"]
        c.execute(
            "INSERT INTO api_keys (tenant_id, key_hash, prefix, created_at) VALUES (?, ?, ?, ?)",
            (tenant_id, hash_key(key), key[: len(KEY_PREFIX) + 6], now()),
        )
    return key


def list_keys(db: Database) -> list[dict]:
    """Tenants and key prefixes (never the keys: only their hashes are stored)."""
    rows = db.read(
        "SELECT t.name AS tenant, k.prefix, k.created_at, k.revoked_at FROM api_keys k "
        "JOIN tenants t ON t.id = k.tenant_id ORDER BY t.name, k.id"
    )
    return [dict(r) for r in rows]


def revoke_key(db: Database, prefix: str) -> int:
    """Revoke every live key starting with ``prefix``; returns how many."""
    with db.connect() as c:
        cur = c.execute(
            "UPDATE api_keys SET revoked_at = ? WHERE revoked_at IS NULL AND prefix = ?",
            (now(), prefix[: len(KEY_PREFIX) + 6]),
        )
        return cur.rowcount


def tenant_for_key(db: Database, key: str) -> Tenant | None:
    rows = db.read(
        "SELECT t.id, t.name FROM api_keys k JOIN tenants t ON t.id = k.tenant_id "
        "WHERE k.key_hash = ? AND k.revoked_at IS NULL",
        (hash_key(key),),
    )
    return Tenant(rows[0]["id"], rows[0]["name"]) if rows else None


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
    tenant = tenant_for_key(request.app.state.db, key.strip())
    if tenant is None:
        raise _unauthorized("unknown or revoked API key")
    return tenant


TenantDep = Annotated[Tenant, Depends(require_tenant)]
"""Route parameter type: ``tenant: TenantDep`` authenticates the request."""
