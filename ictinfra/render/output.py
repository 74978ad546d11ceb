"""Atomic output: everything is written into a staging folder, then swapped in whole.

A plan that fails at any point leaves the previous output folder exactly as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from types import TracebackType


class Staging:
    """Collect files under a temporary sibling of ``out``; ``commit`` swaps it in."""

    def __init__(self, out: Path) -> None:
        self.out = out.resolve()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.root = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.staging-", dir=self.out.parent))
        self.written: list[str] = []
        self._folders: set[Path] = set()

    def write(self, relpath: str, content: str | bytes) -> Path:
        # Checked by its words, not by resolving it on disk: the staging folder is ours
        # and holds no links, and resolving each of ten thousand paths cost more than
        # writing them.
        path = PurePosixPath(relpath)
        parts = path.parts
        if not parts or path.is_absolute() or ".." in parts or "\\" in relpath:
            raise ValueError(f"artifact path escapes the output folder: {relpath}")
        target = self.root.joinpath(*parts)
        folder = target.parent
        if folder not in self._folders:
            folder.mkdir(parents=True, exist_ok=True)
            self._folders.add(folder)
        target.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        self.written.append(relpath)
        return target

    def commit(self) -> None:
        old = self.out.with_name(f".{self.out.name}.old")
        if old.exists():
            shutil.rmtree(old)
        if self.out.exists():
            self.out.replace(old)
        self.root.replace(self.out)
        shutil.rmtree(old, ignore_errors=True)

    def abort(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Staging:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.abort()
        elif self.root.exists():
            self.commit()


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write one file so that readers see the old or the new content, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content.encode("utf-8") if isinstance(content, str) else content)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
