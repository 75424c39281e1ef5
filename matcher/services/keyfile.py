"""Secret keys in files of their own (the audit log's HMAC key, the pseudonym and session keys):
32 random bytes, hex, mode 0600, created on first use and never overwritten."""

from __future__ import annotations

import os
import secrets
import threading
from contextlib import suppress
from pathlib import Path


def new_key() -> bytes:
    return secrets.token_bytes(32)


def load_or_create_key(path: Path) -> bytes:
    """The HMAC key in ``path`` (hex), created with mode 0600 on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under a name of its own, then linked into place: a second worker starting
        # at the same moment reads a complete key (before: it could read the file still empty).
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(new_key().hex())
                handle.flush()
                os.fsync(handle.fileno())
            with suppress(FileExistsError):  # another process made it first: theirs holds
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    return bytes.fromhex(path.read_text().strip())
