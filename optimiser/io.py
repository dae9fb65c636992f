"""Reading and writing the JSON documents, with errors a coordinator can act on."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from .model import Problem, Solution

M = TypeVar("M", bound=BaseModel)


class InputError(Exception):
    """Bad input: the message names the file, the field and the problem."""


def describe_validation_error(err: ValidationError, limit: int = 8) -> str:
    """One paragraph: ``field.path: message`` for each problem, most useful first."""
    parts = []
    for e in err.errors()[:limit]:
        loc = ".".join(str(p) for p in e["loc"]) or "(document)"
        msg = e["msg"].removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}")
    more = len(err.errors()) - limit
    if more > 0:
        parts.append(f"... and {more} more")
    return "; ".join(parts)


def parse(model: type[M], data: str | bytes | dict, source: str = "input") -> M:
    """Parse JSON text or a dict into ``model``; raise :class:`InputError` on failure."""
    try:
        if isinstance(data, dict):
            return model.model_validate(data)
        return model.model_validate_json(data)
    except ValidationError as err:
        raise InputError(f"{source} is not a valid {model.__name__.lower()}: {describe_validation_error(err)}") from None


def read(model: type[M], path: str | os.PathLike) -> M:
    p = Path(path)
    try:
        text = p.read_bytes()
    except OSError as err:
        raise InputError(f"cannot read {p}: {err.strerror}") from None
    return parse(model, text, source=str(p))


def read_problem(path: str | os.PathLike) -> Problem:
    return read(Problem, path)


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
