"""Problems found in the inventory, each with the file and line a user must edit."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in the inventory. ``line`` is 1-based; ``None`` when no line applies."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"

    def sort_key(self) -> tuple[str, int, str]:
        return (self.file, self.line or 0, self.message)


class IctinfraError(Exception):
    """Root of every error ictinfra raises on purpose."""


class InventoryError(IctinfraError):
    """The inventory is not valid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=Problem.sort_key)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the inventory"
        super().__init__("\n".join([head, *(str(p) for p in self.problems)]))
