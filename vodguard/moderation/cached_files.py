"""Files the engine derives once from installed weights and keeps in ``EngineConfig.models_dir``.

A derived file is named by a digest of what it was made from, so a new source gets a new file and an old one is
never read by mistake, and it is written whole or not at all (a temporary file in the same folder, then a
rename), so a worker never reads another's half-written file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def file_digest(path: Path) -> str:
    """The sha256 of the file at ``path``, in hex."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target``: the whole file appears at once, or nothing does."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
