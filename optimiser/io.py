"""Reading and writing the JSON documents, with errors a coordinator can act on."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from .errors import InputError, TooLarge, describe_validation_error, not_valid
from .intake import Limits, Sources, admit, build
from .model import Problem, Solution

# the errors live in optimiser.errors; most callers have always imported them from here
__all__ = ["InputError", "TooLarge", "describe_validation_error", "parse", "read", "read_problem",
           "read_solution", "write_json"]

M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], data: str | bytes | dict, source: str = "input") -> M:
    """Parse JSON text or a dict into ``model``; raise :class:`InputError` on failure."""
    if isinstance(data, dict):
        return build(model, data, source)
    try:
        return model.model_validate_json(data)
    except ValidationError as err:
        raise not_valid(model.__name__, err, source) from None


def _text(path: str | os.PathLike) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as err:
        raise InputError(f"cannot read {path}: {err.strerror}") from None


def read(model: type[M], path: str | os.PathLike) -> M:
    return parse(model, _text(path), source=str(path))


def read_problem(path: str | os.PathLike) -> Problem:
    """A problem file through the input boundary (``optimiser.intake``): size limits from
    the ``CAREROTA_MAX_*`` settings, the contract, and road-network sources taken literally."""
    return admit(_text(path), Limits.from_settings(), Sources(), source=str(path))


def read_solution(path: str | os.PathLike) -> Solution:
    return read(Solution, path)


def write_json(document: BaseModel | dict, path: str | os.PathLike) -> None:
    """Write atomically (temp file + rename) so a crash never leaves half a file."""
    p = Path(path)
    text = document.model_dump_json(indent=2) if isinstance(document, BaseModel) else json.dumps(document, indent=2)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text + "\n")
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
