"""``carerota serve``, ``keys``, ``tenants`` and ``purge``: run the service, manage tenant
API keys, delete a tenant's data, delete jobs past the retention period."""

from __future__ import annotations

import argparse
import logging
import math
import sys
from pathlib import Path

from optimiser.io import InputError


def _settings(args: argparse.Namespace, **overrides: object):
    """The service settings: the environment, then the command's flags (a bad value is an
    ``InputError`` naming the variable or flag)."""
    from .settings import service_settings

    given = {k: v for k, v in overrides.items() if v is not None}
    if getattr(args, "db", None):
        given["db_path"] = Path(args.db)
    return service_settings(**given)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .main import create_app

    settings = _settings(args, workers=args.workers)
    _open_db(settings.db_path)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    print(f"carerota: serving on http://{args.host}:{args.port}/ (database {settings.db_path}, "
          f"{settings.workers} solver worker(s))", flush=True)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level=args.log_level,
                timeout_graceful_shutdown=5, timeout_keep_alive=settings.keep_alive_seconds)
    return 0


def _open_db(path: Path, *, must_exist: bool = False):
    """The migrated database, or a clear error naming the file.

    ``must_exist``: for commands that only act on stored data, a missing file is an
    error (a mistyped ``--db`` must not create an empty database and report nothing).
    """
    import sqlite3

    from .db import Database

    if must_exist and not path.is_file():
        raise InputError(f"--db: no service database at {path} (give --db or set CAREROTA_DB_PATH)")
    db = Database(path)
    try:
        db.migrate()
    except (sqlite3.Error, OSError) as err:
        raise InputError(f"--db: cannot use {path} as the service database: {err}") from None
    return db


def _days(value: str | None, flag: str, meaning_of_zero: str) -> float | None:
    """A ``--...-days`` value: a finite number from 0 to 36500, or None when not given."""
    if value is None:
        return None
    try:
        days = float(value)
    except ValueError:
        days = math.nan
    if not (math.isfinite(days) and 0 <= days <= 36500):
        raise InputError(f"{flag}: expected a number of days from 0 ({meaning_of_zero}) to 36500, got {value!r}")
    return days


def cmd_keys_create(args: argparse.Namespace) -> int:
    from .security import create_key

    settings = _settings(args)
    days = _days(args.expires_days, "--expires-days", "never expires")
    if days is None:
        days = settings.key_expiry_days
    db = _open_db(settings.db_path)
    try:
        key = create_key(db, args.tenant, expires_in_days=days)
    except ValueError as err:
        raise InputError(f"--tenant: {err}") from None
    print(key)
    lifetime = f"expires in {days:g} day(s)" if days else "never expires"
    print(f"API key for tenant {args.tenant.strip()!r}, {lifetime} (shown once; only its hash is stored in "
          f"{settings.db_path})", file=sys.stderr)
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    from .security import list_keys

    db = _open_db(_settings(args).db_path, must_exist=True)
    for k in list_keys(db):
        expires = f"expires {k['expires_at']}" if k["expires_at"] else "never expires"
        used = f"last used {k['last_used_at']}" if k["last_used_at"] else "never used"
        state = f"revoked {k['revoked_at']}" if k["revoked_at"] else k["state"]
        print(f"{k['tenant']}\t{k['prefix']}...\tcreated {k['created_at']}\t{expires}\t{used}\t{state}")
    return 0


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    from .security import revoke_key

    db = _open_db(_settings(args).db_path, must_exist=True)
    n = revoke_key(db, args.prefix)
    print(f"{n} key(s) revoked")
    return 0 if n else 1


def cmd_purge(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from .crud import purge

    settings = _settings(args)
    days = _days(args.older_than_days, "--older-than-days", "every finished job")
    if days is None:
        days = settings.retention_days
    db = _open_db(settings.db_path, must_exist=True)
    n = purge(db, timedelta(days=days))
    print(f"{n} finished job(s) older than {days:g} day(s) deleted")
    return 0


def cmd_tenants_list(args: argparse.Namespace) -> int:
    from .crud import list_tenants

    db = _open_db(_settings(args).db_path, must_exist=True)
    for t in list_tenants(db):
        print(f"{t['name']}\tcreated {t['created_at']}\t{t['active_keys']} of {t['keys']} key(s) active\t"
              f"{t['jobs']} job(s), {t['unfinished']} queued or running")
    return 0


def cmd_tenants_delete(args: argparse.Namespace) -> int:
    from .crud import NoSuchTenant, TenantBusy, delete_tenant

    db = _open_db(_settings(args).db_path, must_exist=True)
    try:
        removed = delete_tenant(db, args.name, force=args.force)
    except (NoSuchTenant, TenantBusy) as err:
        print(f"carerota: {err}", file=sys.stderr)
        return 1
    print(f"tenant {removed['tenant']!r} deleted with {removed['keys']} key(s) and {removed['jobs']} job(s) "
          "(problems, solutions and progress)")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``serve``, ``keys``, ``tenants`` and ``purge`` to the ``carerota`` command."""
    db_help = "SQLite file (default: $CAREROTA_DB_PATH or ~/.local/share/carerota/carerota.db)"
    p = subparsers.add_parser(
        "serve", help="run the HTTP API and the roster viewer",
        epilog="Other settings come from the environment: CAREROTA_QUEUE_LIMIT (32), "
        "CAREROTA_SYNC_TIME_LIMIT (30 s), CAREROTA_JOB_TIME_LIMIT (600 s), CAREROTA_JOB_GRACE_SECONDS (60), "
        "CAREROTA_MAX_BODY_BYTES (20 MB), CAREROTA_ON_RESTART (requeue|fail), CAREROTA_MAX_ATTEMPTS (2), "
        "CAREROTA_KEEP_ALIVE_SECONDS (75), CAREROTA_RETENTION_DAYS (30: finished jobs are deleted after "
        "this), CAREROTA_PURGE_INTERVAL_SECONDS (3600). Docs at /docs, the viewer at /.",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--db", help=db_help)
    p.add_argument("--workers", type=int, default=None, help="solver processes at once (default: cores - 1)")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.set_defaults(func=cmd_serve)

    keys = subparsers.add_parser("keys", help="manage tenant API keys")
    ksub = keys.add_subparsers(dest="keys_command", required=True)
    p = ksub.add_parser("create", help="create an API key for a tenant (printed once)")
    p.add_argument("--tenant", required=True, help="provider or commissioner name")
    p.add_argument("--expires-days", metavar="N",
                   help="days until the key stops working; 0: never (default $CAREROTA_KEY_EXPIRY_DAYS or 365)")
    p.add_argument("--db", help=db_help)
    p.set_defaults(func=cmd_keys_create)
    p = ksub.add_parser("list", help="list tenants' keys: prefix, created, expiry, last use, state")
    p.add_argument("--db", help=db_help)
    p.set_defaults(func=cmd_keys_list)
    p = ksub.add_parser("revoke", help="revoke a key by its prefix (as shown by 'keys list')")
    p.add_argument("prefix")
    p.add_argument("--db", help=db_help)
    p.set_defaults(func=cmd_keys_revoke)

    tenants = subparsers.add_parser("tenants", help="list tenants, or delete one with all its data")
    tsub = tenants.add_subparsers(dest="tenants_command", required=True)
    p = tsub.add_parser("list", help="tenants with their key and job counts")
    p.add_argument("--db", help=db_help)
    p.set_defaults(func=cmd_tenants_list)
    p = tsub.add_parser(
        "delete", help="delete a tenant, its keys and all its jobs (problems and solutions)",
        description="Delete a tenant, its API keys and all its jobs. Refused (exit 1) while it has queued "
        "or running jobs unless --force; exit 1 when there is no such tenant.",
    )
    p.add_argument("name", help="the tenant's name, as shown by 'tenants list'")
    p.add_argument("--force", action="store_true",
                   help="also delete queued and running jobs (the server stops a running solve)")
    p.add_argument("--db", help=db_help)
    p.set_defaults(func=cmd_tenants_delete)

    p = subparsers.add_parser(
        "purge", help="delete finished jobs older than the retention period",
        description="Delete finished jobs (done, failed, cancelled) with their problems and solutions. "
        "The running service does this by itself every CAREROTA_PURGE_INTERVAL_SECONDS.",
    )
    p.add_argument("--older-than-days", metavar="N",
                   help="age in days since the job finished; 0: every finished job "
                   "(default $CAREROTA_RETENTION_DAYS or 30)")
    p.add_argument("--db", help=db_help)
    p.set_defaults(func=cmd_purge)
