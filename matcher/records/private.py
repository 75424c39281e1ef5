"""Files of the home private by default: social data (SGB X) is for its owner's eyes only.

Everything sensitive under ``MATCHER_HOME`` (the store, the audit log and its key, the token
files, the MLflow store and artifacts, the indexes) is created owner-only here: folders 0700,
files 0600. The process umask is left alone on purpose (it belongs to whoever runs us); modes are
given explicitly when a path is created. :func:`wide_modes` names what is wider than that (over
the settings' ``private_paths()``), so the CLI and the API can say so at start-up.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

__all__ = ["private_dir", "sqlite_file", "touch_private", "wide_modes"]

_DIR_MODE = 0o700
_FILE_MODE = 0o600
_WIDE = stat.S_IRWXG | stat.S_IRWXO  # any group or other bit


def private_dir(path: Path) -> Path:
    """``mkdir -p path``; each folder this creates is 0700 (existing ones are left as they are).

    Returns:
        ``path``.
    """
    path = Path(path)
    missing: list[Path] = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, _DIR_MODE)
        except FileExistsError:  # created meanwhile by someone else: not ours to change
            if not folder.is_dir():
                raise
            continue
        os.chmod(folder, _DIR_MODE)  # exactly 0700, whatever the umask took away
    if not path.is_dir():
        raise NotADirectoryError(f"{path} exists and is not a folder")
    return path


def touch_private(path: Path) -> Path:
    """Create ``path`` as an empty 0600 file if it does not exist (its folder via :func:`private_dir`).

    ``O_CREAT | O_EXCL``: the file is never there with a wider mode, not even for a moment, and
    an existing file (or one another process creates meanwhile) is left untouched.

    Returns:
        ``path``.
    """
    path = Path(path)
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE_MODE)
    except FileExistsError:
        return path
    try:
        os.fchmod(fd, _FILE_MODE)  # exactly 0600, whatever the umask took away
    finally:
        os.close(fd)
    return path


def _one_line(path: Path) -> str:
    return str(path).replace("\n", "\\n").replace("\r", "\\r")


def wide_modes(paths: Iterable[Path]) -> list[str]:
    """One warning line for each existing file wider than 0600 or folder wider than 0700.

    "Wider" means any group or other permission bit is set. Paths that do not exist are skipped.
    """
    warnings: list[str] = []
    seen: set[Path] = set()
    for path in paths:
        path = Path(path)
        if path in seen:
            continue
        seen.add(path)
        try:
            mode = path.stat().st_mode
        except OSError:  # missing (or unreadable: then it is not ours either)
            continue
        if not mode & _WIDE:
            continue
        perms = stat.S_IMODE(mode)
        if stat.S_ISDIR(mode):
            kind, wanted = "folder", _DIR_MODE
        else:
            kind, wanted = "file", _FILE_MODE
        warnings.append(
            f"warning: {kind} {_one_line(path)} has mode {perms:04o}, open to other users than its "
            f"owner (social data: expected {wanted:04o}; fix with chmod {wanted:o} '{_one_line(path)}')"
        )
    return warnings


def sqlite_file(url: str | None) -> Path | None:
    """The database file of a ``sqlite:///`` URL (None for other URLs and in-memory ones)."""
    if not url or not url.startswith("sqlite:///"):
        return None
    name = url.removeprefix("sqlite:///").split("?", 1)[0]
    if not name or name == ":memory:":
        return None
    return Path(name)
