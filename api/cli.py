"""``carerota serve`` and ``carerota keys``: run the service, manage tenant API keys."""

from __future__ import annotations

import argparse
import logging
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
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    print(f"carerota: serving on http://{args.host}:{args.port}/ (database {settings.db_path}, "
          f"{settings.workers} solver worker(s))", flush=True)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level=args.log_level,
                timeout_graceful_shutdown=5, timeout_keep_alive=settings.keep_alive_seconds)
    return 0


def cmd_keys_create(args: argparse.Namespace) -> int:
    from .db import Database
    from .security import create_key

    settings = _settings(args)
    db = Database(settings.db_path)
    db.migrate()
    try:
        key = create_key(db, args.tenant)
    except ValueError as err:
        raise InputError(f"--tenant: {err}") from None
    print(key)
    print(f"API key for tenant {args.tenant.strip()!r} (shown once; only its hash is stored in {settings.db_path})",
          file=__import__("sys").stderr)
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    from .db import Database
    from .security import list_keys

    db = Database(_settings(args).db_path)
    db.migrate()
    for k in list_keys(db):
        state = f"revoked {k['revoked_at']}" if k["revoked_at"] else "active"
        print(f"{k['tenant']}\t{k['prefix']}...\t{k['created_at']}\t{state}")
    return 0


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    from .db import Database
    from .security import revoke_key

    db = Database(_settings(args).db_path)
    db.migrate()
    n = revoke_key(db, args.prefix)
    print(f"{n} key(s) revoked")
    return 0 if n else 1


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``serve`` and ``keys`` to the ``carerota`` command."""
    db_help = "SQLite file (default: $CAREROTA_DB_PATH or ~/.local/share/carerota/carerota.db)"
    p = subparsers.add_parser("serve", help="run the HTTP API and the roster viewer")
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
