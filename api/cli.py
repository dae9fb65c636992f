"""``carerota serve`` and ``carerota keys``: run the service, manage tenant API keys."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from optimiser.io import InputError


def _settings(args: argparse.Namespace, **overrides: object):
    from pydantic import ValidationError

    from optimiser.io import describe_validation_error

    from .settings import Settings

    given = {k: v for k, v in overrides.items() if v is not None}
    if getattr(args, "db", None):
        given["db_path"] = Path(args.db)
    try:
        return Settings(**given)
    except ValidationError as err:
        raise InputError(f"bad service setting: {describe_validation_error(err)}") from None


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


def _open_db(path: Path):
    """The migrated database, or a clear error naming the file."""
    import sqlite3

    from .db import Database

    db = Database(path)
    try:
        db.migrate()
    except (sqlite3.Error, OSError) as err:
        raise InputError(f"--db: cannot use {path} as the service database: {err}") from None
    return db


def cmd_keys_create(args: argparse.Namespace) -> int:
    from .security import create_key

    settings = _settings(args)
    db = _open_db(settings.db_path)
    try:
        key = create_key(db, args.tenant)
    except ValueError as err:
        raise InputError(f"--tenant: {err}") from None
    print(key)
    print(f"API key for tenant {args.tenant.strip()!r} (shown once; only its hash is stored in {settings.db_path})",
          file=sys.stderr)
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    from .security import list_keys

    db = _open_db(_settings(args).db_path)
    for k in list_keys(db):
        state = f"revoked {k['revoked_at']}" if k["revoked_at"] else "active"
        print(f"{k['tenant']}\t{k['prefix']}...\t{k['created_at']}\t{state}")
    return 0


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    from .security import revoke_key

    db = _open_db(_settings(args).db_path)
    n = revoke_key(db, args.prefix)
    print(f"{n} key(s) revoked")
    return 0 if n else 1


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``serve`` and ``keys`` to the ``carerota`` command."""
    db_help = "SQLite file (default: $CAREROTA_DB_PATH or ~/.local/share/carerota/carerota.db)"
    p = subparsers.add_parser(
        "serve", help="run the HTTP API and the roster viewer",
        epilog="Other settings come from the environment: CAREROTA_QUEUE_LIMIT (32), "
        "CAREROTA_SYNC_TIME_LIMIT (30 s), CAREROTA_JOB_TIME_LIMIT (600 s), CAREROTA_JOB_GRACE_SECONDS (60), "
        "CAREROTA_MAX_BODY_BYTES (20 MB), CAREROTA_ON_RESTART (requeue|fail), CAREROTA_MAX_ATTEMPTS (2), "
        "CAREROTA_KEEP_ALIVE_SECONDS (75). Docs at /docs, the viewer at /.",
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
    p.add_argument("--db", help=db_help)
    p.set_defaults(func=cmd_keys_create)
    p = ksub.add_parser("list", help="list tenants and key prefixes")
    p.add_argument("--db", help=db_help)
    p.set_defaults(func=cmd_keys_list)
    p = ksub.add_parser("revoke", help="revoke a key by its prefix (as shown by 'keys list')")
    p.add_argument("prefix")
    p.add_argument("--db", help=db_help)
    p.set_defaults(func=cmd_keys_revoke)
