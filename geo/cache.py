"""Matrices on disk (.npz), keyed by network fingerprint, settings, mode and point set.

A key changes whenever anything that changes a number changes: the network file's
bytes, the speed settings, the snap limit, the mode, or any point's id or position.
Files are written atomically; a corrupt or unreadable file is treated as a miss.

Matrices are computed over clients' homes, so they are personal data: files are written
0600 in folders made 0700 (see :func:`private_folder`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)
_FILE_HASHES: dict[tuple[str, int, int], str] = {}
VERSION = "1"  # bump when the cached arrays' meaning changes
FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(folder: Path) -> None:
    """Make ``folder`` (a cache's own subfolder, such as ``matrices``) private: 0700.

    Missing parents are created 0700 too; existing parents are left alone (the cache
    root may be a folder the user shares on purpose), but ``folder`` itself belongs to
    the cache, so one created readable by others (by an earlier version) is tightened,
    which also hides the files already in it.
    """
    missing: list[Path] = []
    probe = folder
    while not probe.exists() and probe.parent != probe:
        missing.append(probe)
        probe = probe.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=FOLDER_MODE)
        except FileExistsError:  # another process made it meanwhile
            continue
        os.chmod(path, FOLDER_MODE)  # mkdir's mode passes through the umask
    if folder.stat().st_mode & 0o077:
        os.chmod(folder, FOLDER_MODE)


def file_fingerprint(path: str | Path) -> str:
    """SHA-256 of a file's bytes (memoised per path, size and mtime)."""
    p = Path(path).resolve()
    st = p.stat()
    memo = (str(p), st.st_size, st.st_mtime_ns)
    if memo not in _FILE_HASHES:
        h = hashlib.sha256()
        with p.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        _FILE_HASHES[memo] = h.hexdigest()
    return _FILE_HASHES[memo]


def matrix_key(network: str, mode: str, settings: str, points: Iterable[tuple[str, float, float]], snap_limit_m: float) -> str:
    """Cache key of one mode's matrices over a point set ``(id, lat, lon)``."""
    h = hashlib.sha256(f"v{VERSION}|{network}|{mode}|{settings}|{snap_limit_m!r}".encode())
    for pid, lat, lon in points:
        h.update(f"|{pid}:{lat:.7f},{lon:.7f}".encode())
    return h.hexdigest()[:32]


class MatrixCache:
    """A folder of ``<key>.npz`` files."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder).expanduser()

    def path(self, key: str) -> Path:
        return self.folder / "matrices" / f"{key}.npz"

    def load(self, key: str) -> dict[str, np.ndarray] | None:
        p = self.path(key)
        if not p.is_file():
            return None
        try:
            with np.load(p, allow_pickle=False) as data:
                return {k: data[k] for k in data.files}
        except (OSError, ValueError) as err:
            log.warning("ignoring unreadable matrix cache %s: %s", p, err)
            return None

    def save(self, key: str, **arrays: np.ndarray) -> Path | None:
        p = self.path(key)
        try:
            private_folder(p.parent)
            fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{key}.", suffix=".npz")
            os.fchmod(fd, FILE_MODE)  # mkstemp's mode today, stated rather than relied on
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **arrays)
            os.replace(tmp, p)
        except OSError as err:  # a read-only cache must not stop a solve
            log.warning("cannot write matrix cache %s: %s", p, err)
            return None
        return p
