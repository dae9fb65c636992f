"""Every error carerota reports to a person, in one module.

An :class:`InputError` is bad input: its message names the file or field and what is
wrong, the command line turns it into one paragraph and exit code 2, the service into a
4xx answer. Anything else escaping is a bug.
"""

from __future__ import annotations

from pydantic import ValidationError


class InputError(Exception):
    """Bad input: the message names the file, the field and the problem."""


class TooLarge(InputError):
    """Input over a size limit (the service answers 413); the message names the limit's setting."""


class ParameterError(ValueError):
    """A search parameter out of its range (:mod:`optimiser.params`); the message names the
    parameter object and the field, e.g. ``LNSParams.route_share: a share from 0 to 1, got 2``.
    Parameters are set in code, not read from a document, so this is the caller's bug."""


def describe_validation_error(err: ValidationError, limit: int = 8, prefix: tuple[str, ...] = ()) -> str:
    """One paragraph: ``field.path: message`` for each problem, most useful first
    (``prefix`` goes before every path, e.g. ``("body",)`` for a request body)."""
    parts = []
    for e in err.errors()[:limit]:
        loc = ".".join(str(p) for p in (*prefix, *e["loc"])) or "(document)"
        msg = e["msg"].removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}")
    more = len(err.errors()) - limit
    if more > 0:
        parts.append(f"... and {more} more")
    return "; ".join(parts)


def field_errors(err: ValidationError, prefix: tuple[str, ...] = ()) -> list[dict]:
    """Each problem as ``{loc, msg, type}`` (``prefix`` before every path). The input and
    pydantic's context are left out: echoing what was sent back helps nobody."""
    return [
        {"loc": [*prefix, *e["loc"]], "msg": e["msg"].removeprefix("Value error, "), "type": e["type"]}
        for e in err.errors()
    ]


def not_valid(model: str, err: ValidationError, source: str) -> InputError:
    """The error for ``source`` failing the contract of document ``model``, naming every field."""
    return InputError(f"{source} is not a valid {model.lower()}: {describe_validation_error(err)}")
