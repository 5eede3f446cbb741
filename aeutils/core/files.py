"""Writing files so that nothing is lost: a unique temporary name in the target folder, moved into place only
when complete (plumbing used by records, model files, indexes, the runner and the benchmarks)."""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["atomic_path", "atomic_write_text", "check_path"]


def check_path(path, name: str = "path", *, suffix: str | None = None) -> Path:
    """Return ``path`` as a :class:`~pathlib.Path`; refuse ``None``, non-paths and (optionally) a wrong suffix."""
    if isinstance(path, bool) or not isinstance(path, (str, os.PathLike)) or str(path) == "":
        raise TypeError(f"{name}: expected a file path (str or os.PathLike), got {path!r}")
    path = Path(path)
    if suffix is not None and path.suffix != suffix:
        raise ValueError(f"{name}: expected a file name ending in {suffix!r}, got {str(path)!r}")
    return path


@contextlib.contextmanager
def atomic_path(path, *, overwrite: bool = True, name: str = "path"):
    """Yield a unique temporary path beside ``path``; on success move it onto ``path``, on failure delete it.

    With ``overwrite=False`` an existing ``path`` is refused before anything is written. The temporary file
    keeps the target's suffix (some writers, such as Keras, insist on it).
    """
    path = check_path(path, name)
    if not overwrite and path.exists():
        raise FileExistsError(f"{name}: {str(path)!r} already exists; pass overwrite=True to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    os.unlink(tmp)  # writers that refuse an existing file get a free name; mkstemp reserved it uniquely
    try:
        yield Path(tmp)
        if not Path(tmp).exists():
            raise FileNotFoundError(f"{name}: the writer produced no file for {str(path)!r}")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path, text: str, *, overwrite: bool = True, name: str = "path") -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_path`); return the path."""
    if not isinstance(text, str):
        raise TypeError(f"text: expected a str, got {type(text).__name__}")
    with atomic_path(path, overwrite=overwrite, name=name) as tmp:
        tmp.write_text(text)
    return check_path(path, name)
