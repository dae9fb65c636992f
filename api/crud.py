"""Data access for deleting personal data: one job, jobs past retention, a whole tenant;
and for reading an earlier job's problem and roster, to roll a rota forward.

Routers and the job dispatcher call these rather than writing their own ``DELETE``s, so
every deletion ends the same way: the rows are gone, ``secure_delete`` (set on every
connection by :class:`~api.db.Database`) has overwritten them with zeros, and the
write-ahead log is checkpointed and truncated so no earlier copy survives in ``-wal``.

The errors of the data layer are defined here too (also those of key lookup in
:mod:`api.security`); their messages name tenants and counts, never problem contents.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Protocol

from .db import Database

log = logging.getLogger("carerota.api.crud")

FINISHED = ("done", "failed", "cancelled")
"""Job states that may be purged (a queued or running job is still wanted)."""
UNFINISHED = ("queued", "running")
_BATCH = 500  # jobs per purge transaction: keeps the write lock short for the dispatcher


# --------------------------------------------------------------------------- errors


class StorageError(Exception):
    """A storage request that cannot be carried out as asked (the message says why)."""


class NoSuchTenant(StorageError, LookupError):
    """No tenant has this name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no tenant {name!r}")
        self.name = name


class TenantBusy(StorageError):
    """The tenant still has queued or running jobs; deleting needs ``force``."""

    def __init__(self, name: str, unfinished: int) -> None:
        super().__init__(
            f"tenant {name!r} has {unfinished} queued or running job(s); "
            "cancel them first, or force the deletion (a running solve is then stopped)"
        )
        self.name, self.unfinished = name, unfinished


class KeyRefused(Exception):
    """An API key that does not authenticate; the message is safe to send to the caller."""


class UnknownKey(KeyRefused):
    """No such key, or a revoked one (the two are not told apart)."""

    def __init__(self) -> None:
        super().__init__("unknown or revoked API key")


class ExpiredKey(KeyRefused):
    """A real key past its expiry date (only its holder can present it, so saying so is safe)."""

    def __init__(self, expired_at: str) -> None:
        super().__init__(f"expired API key (expired {expired_at[:10]}): ask the service's operator for a new one")
        self.expired_at = expired_at


# --------------------------------------------------------------------------- reading


def job_result(db: Database, tenant_id: int, job_id: str) -> sqlite3.Row | None:
    """One of a tenant's jobs with what it was solved from and what it found.

    Parameters
    ----------
    db
        The service database.
    tenant_id
        The owner; another tenant's job is treated as absent.
    job_id
        The job's id.

    Returns
    -------
    sqlite3.Row or None
        ``state``, ``error``, ``problem`` and ``solution`` (both as :func:`api.db.pack`
        stored them; ``solution`` None until the job is done); None when the tenant has no
        such job.
    """
    rows = db.read(
        "SELECT state, error, problem, solution FROM jobs WHERE id = ? AND tenant_id = ?", (job_id, tenant_id)
    )
    return rows[0] if rows else None


# --------------------------------------------------------------------------- deletion


def delete_job(db: Database, tenant_id: int, job_id: str) -> bool:
    """Delete one of a tenant's jobs with everything stored for it.

    The row holds the problem, the solution, the road geometry and the progress, so
    all of them go at once, overwritten on disk. The job's state is not checked: the
    caller cancels a queued or running job first so its solver stops at once (the
    dispatcher would also stop a solve whose row has vanished, within a second).

    Parameters
    ----------
    db
        The service database.
    tenant_id
        The owner; another tenant's job is treated as absent.
    job_id
        The job's id.

    Returns
    -------
    bool
        True when the job existed and was deleted.
    """
    with db.connect() as c:
        deleted = c.execute("DELETE FROM jobs WHERE id = ? AND tenant_id = ?", (job_id, tenant_id)).rowcount
    if deleted:
        db.checkpoint()
        log.info("job %s deleted", job_id)
    return bool(deleted)


def purge(db: Database, older_than: timedelta, now: datetime | None = None) -> int:
    """Delete finished jobs (done, failed, cancelled) that finished before ``now - older_than``.

    A job with no ``finished_at`` counts from its ``created_at``. Queued and running jobs
    are never purged, however old.

    Parameters
    ----------
    db
        The service database.
    older_than
        Age past which a finished job is deleted; zero deletes every finished job.
    now
        The reference time (default: the current time); a naive time is taken as UTC.

    Returns
    -------
    int
        How many jobs were deleted.
    """
    if older_than < timedelta(0):
        raise ValueError(f"older_than must not be negative, got {older_than}")
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    cutoff = (now - older_than).astimezone(UTC).isoformat(timespec="milliseconds")
    marks = ", ".join("?" * len(FINISHED))
    total = 0
    while True:
        with db.connect() as c:
            # julianday() compares instants whatever the offset or precision a timestamp was
            # written with; one it cannot parse gives NULL and the job is kept (never guess)
            deleted = c.execute(
                f"DELETE FROM jobs WHERE rowid IN (SELECT rowid FROM jobs WHERE state IN ({marks}) "
                "AND julianday(COALESCE(finished_at, created_at)) < julianday(?) LIMIT ?)",
                (*FINISHED, cutoff, _BATCH),
            ).rowcount
        total += deleted
        if deleted < _BATCH:
            break
    if total:
        db.checkpoint()
        log.info("purge: %d finished job(s) older than %s deleted", total, _days(older_than))
    return total


class RetentionSettings(Protocol):
    """What :func:`purge_expired` reads from :class:`api.settings.Settings`."""

    retention_days: float


def purge_expired(db: Database, settings: RetentionSettings) -> int:
    """Delete the finished jobs older than the retention period (``settings.retention_days``).

    The job dispatcher calls this at startup and every ``settings.purge_interval_seconds``;
    ``carerota purge`` does the same on demand.

    Parameters
    ----------
    db
        The service database.
    settings
        The service settings.

    Returns
    -------
    int
        How many jobs were deleted.
    """
    return purge(db, timedelta(days=settings.retention_days))


def list_tenants(db: Database) -> list[dict]:
    """Every tenant with its key and job counts (names and numbers only).

    Returns
    -------
    list of dict
        ``name``, ``created_at``, ``keys``, ``active_keys`` (not revoked), ``jobs`` and
        ``unfinished`` (queued or running), in name order.
    """
    rows = db.read(
        "SELECT t.name, t.created_at, "
        "(SELECT COUNT(*) FROM api_keys k WHERE k.tenant_id = t.id) AS keys, "
        "(SELECT COUNT(*) FROM api_keys k WHERE k.tenant_id = t.id AND k.revoked_at IS NULL) AS active_keys, "
        "(SELECT COUNT(*) FROM jobs j WHERE j.tenant_id = t.id) AS jobs, "
        "(SELECT COUNT(*) FROM jobs j WHERE j.tenant_id = t.id AND j.state IN ('queued', 'running')) AS unfinished "
        "FROM tenants t ORDER BY t.name"
    )
    return [dict(r) for r in rows]


def delete_tenant(db: Database, name: str, *, force: bool = False) -> dict:
    """Delete a tenant, all its API keys and all its jobs (problems and solutions included).

    Refused while the tenant has queued or running jobs, unless ``force``: a forced
    deletion removes them too, and the dispatcher stops a running solve whose row is
    gone (within a second, also when the deletion comes from ``carerota tenants delete``
    in another process).

    Parameters
    ----------
    db
        The service database.
    name
        The tenant's name, as given to ``carerota keys create --tenant``.
    force
        Delete even when jobs are queued or running.

    Returns
    -------
    dict
        ``tenant`` (the name), ``keys`` and ``jobs``: how many of each were deleted.

    Raises
    ------
    NoSuchTenant
        No tenant has this name.
    TenantBusy
        The tenant has queued or running jobs and ``force`` is false.
    """
    with db.connect() as c:
        row = c.execute("SELECT id FROM tenants WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise NoSuchTenant(name)
        tenant_id = row["id"]
        unfinished = c.execute(
            "SELECT COUNT(*) FROM jobs WHERE tenant_id = ? AND state IN (?, ?)", (tenant_id, *UNFINISHED)
        ).fetchone()[0]
        if unfinished and not force:
            raise TenantBusy(name, unfinished)
        jobs = c.execute("DELETE FROM jobs WHERE tenant_id = ?", (tenant_id,)).rowcount
        keys = c.execute("DELETE FROM api_keys WHERE tenant_id = ?", (tenant_id,)).rowcount
        c.execute("DELETE FROM tenants WHERE id = ?", (tenant_id,))
    db.checkpoint()
    # the id, not the name: a tenant's name may identify a person (a self-funder's own account)
    log.info("tenant %d deleted with %d key(s) and %d job(s)", tenant_id, keys, jobs)
    return {"tenant": name, "keys": keys, "jobs": jobs}


def _days(span: timedelta) -> str:
    return f"{span.total_seconds() / 86400:g} day(s)"
