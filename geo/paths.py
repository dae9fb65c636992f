"""The one check every OSM file path named in a problem goes through.

A problem names its road network as ``travel.road_network.osm_file``. The CLI reads
it on the user's own machine; the API reads it on the server, where a tenant must
not make the server read (or learn about) any other file. Both call :func:`osm_path`
so that both see the same rules: the value is taken literally (a shell has already
expanded ``~`` and ``$HOME`` for a CLI user, and a server must not expand them for a
tenant), it is short and printable, and, on a server, its real path lies inside one
of the operator's folders.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from optimiser.errors import InputError
from optimiser.model import PATH_MAX_LENGTH, control_character

MAX_PATH_LENGTH = PATH_MAX_LENGTH
"""Characters in a path as written (the contract allows no more for ``osm_file``)."""
MAX_NAME_LENGTH = 255
"""Bytes in one folder or file name (NAME_MAX on Linux, macOS and Windows)."""
OSM_DIRS_VARIABLE = "CAREROTA_OSM_DIRS"


def osm_path(
    value: str | os.PathLike[str],
    allowed_dirs: Sequence[str | os.PathLike[str]] | None = None,
    field: str = "travel.road_network.osm_file",
) -> Path:
    """The real path of an OSM file named in a problem, after the input checks.

    Parameters
    ----------
    value
        The path as written. It is taken literally: neither ``~`` nor ``$VARIABLES``
        are expanded. A relative path is relative to the working folder.
    allowed_dirs
        The folders a server reads OSM extracts from. When given, the real path
        (symbolic links followed) must lie inside one of them (also resolved).
        ``None`` (the CLI and the geo loader) accepts any place on disk.
    field
        The field named in error messages.

    Returns
    -------
    Path
        The absolute path with symbolic links resolved. It may not exist: when
        ``allowed_dirs`` is ``None`` the loader says so; when it is given, a missing
        file inside an allowed folder is the operator's business to list.

    Raises
    ------
    InputError
        Empty, longer than :data:`MAX_PATH_LENGTH` characters, a name longer than
        :data:`MAX_NAME_LENGTH` bytes, a control character (NUL, newline ...), or
        outside ``allowed_dirs``. The refusal for a path outside is the same whether
        the file exists or not and whatever it is, so a tenant learns nothing about
        the server's disk. Nothing else is raised.
    """
    text = _literal_text(value, field)
    try:
        real = Path(os.path.realpath(text))
    except (OSError, RuntimeError, ValueError) as err:  # a symlink loop, undecodable bytes
        if allowed_dirs is not None:
            raise _outside(text, field) from None
        raise InputError(f"{field}: cannot resolve {text!r} ({_reason(err)})") from None
    if allowed_dirs is not None and not any(real.is_relative_to(d) for d in _resolved(allowed_dirs)):
        raise _outside(text, field)
    return real


def not_expanded_note(value: str | os.PathLike[str]) -> str:
    """A hint for "no such file" messages when the path looks like it expected expansion."""
    text = os.fspath(value)
    if isinstance(text, str) and (text.startswith("~") or "$" in text):
        return " (the path is taken literally: ~ and $VARIABLES are not expanded)"
    return ""


def _literal_text(value: object, field: str) -> str:
    """The checks that need no disk: type, length, characters, name lengths."""
    try:
        text = os.fspath(value)  # type: ignore[arg-type]
    except TypeError:
        text = None
    if not isinstance(text, str):
        raise InputError(f"{field}: expected a path as text, got {type(value).__name__}")
    if not text:
        raise InputError(f"{field}: the path is empty")
    if len(text) > MAX_PATH_LENGTH:
        raise InputError(f"{field}: the path is {len(text):,} characters long; at most {MAX_PATH_LENGTH:,} are allowed")
    bad = control_character(text)
    if bad is not None:
        raise InputError(f"{field}: the path contains the control character {bad!r}; only printable characters are allowed")
    for name in text.replace("\\", "/").split("/"):
        # bytes as the file system counts them; surrogatepass so odd text cannot raise here
        if len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_LENGTH:
            raise InputError(
                f"{field}: the path has a folder or file name of {len(name):,} characters; "
                f"at most {MAX_NAME_LENGTH} bytes per name are allowed"
            )
    return text


def _resolved(folders: Sequence[str | os.PathLike[str]]) -> list[Path]:
    out = []
    for folder in folders:
        try:
            out.append(Path(os.path.realpath(os.fspath(folder))))
        except (OSError, RuntimeError, ValueError):  # an operator's broken entry allows nothing
            continue
    return out


def _outside(text: str, field: str) -> InputError:
    # one message for a missing file, a folder, /etc/passwd or a symlink leading out:
    # which of them it was would tell a tenant about the server's disk
    shown = text if len(text) <= 200 else text[:200] + "..."
    return InputError(
        f"{field}: {shown!r} is not one of this server's OSM extracts "
        f"(the operator lists the allowed folders in {OSM_DIRS_VARIABLE})"
    )


def _reason(err: BaseException) -> str:
    return getattr(err, "strerror", None) or str(err) or type(err).__name__
