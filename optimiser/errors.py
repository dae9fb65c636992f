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
