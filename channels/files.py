"""Atomic file writes for folder-based channels: a reader never sees half a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(target: Path, data: bytes) -> Path:
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def safe_name(text: str) -> str:
    """A file-name-safe rendering of an invoice number (no path separators, no dot-dot)."""
    cleaned = "".join(c if c.isalnum() or c in "-_" else "_" for c in str(text))
    return cleaned[:80] or "document"
