"""Splice benchmark tables into ``bench/RESULTS.md`` (tooling: no notebook teaches it)."""
from __future__ import annotations

import os
import re
from pathlib import Path

from aeutils.core.files import atomic_write_text

__all__ = ["write_section"]

_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")


def write_section(path: str | os.PathLike, key: str, text: str) -> Path:
    """Put ``text`` between ``<!-- key:begin -->`` and ``<!-- key:end -->`` markers in the Markdown file ``path``.

    The section is replaced if the markers exist and appended otherwise, so
    several benchmarks can share one ``bench/RESULTS.md`` without overwriting
    each other's tables. The file is created when missing.
    """
    if not isinstance(key, str) or not _NAME.match(key):
        raise ValueError(f"key: expected letters, digits, '_', '.' or '-', got {key!r}")
    if not isinstance(text, str):
        raise TypeError(f"text: expected a str, got {type(text).__name__}")
    path = Path(path)
    begin, end = f"<!-- {key}:begin -->", f"<!-- {key}:end -->"
    block = f"{begin}\n{text.strip()}\n{end}\n"
    old = path.read_text() if path.exists() else ""
    if old.count(begin) != old.count(end) or old.count(begin) > 1:
        raise ValueError(f"path: {path} has unbalanced or repeated markers for section {key!r}; fix it by hand")
    if begin in old:
        head, rest = old.split(begin, 1)
        new = head + block + rest.split(end, 1)[1].lstrip("\n")
    else:
        new = old + ("\n" if old and not old.endswith("\n") else "") + ("\n" if old else "") + block
    return atomic_write_text(path, new)  # a failed write leaves the old file as it was
