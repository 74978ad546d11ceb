"""Errors of the isolation layer: one root, derived from the project's."""

from __future__ import annotations

from ictinfra.inventory.errors import IctinfraError


class IsolationError(IctinfraError):
    """Root of the isolation layer's errors."""


class RulesetParseError(IsolationError):
    """A ruleset or ACL text the verifier cannot read: it refuses to guess (fail closed)."""

    def __init__(self, source: str, line: int, message: str) -> None:
        self.source = source
        self.line = line
        self.message = message
        super().__init__(f"{source}:{line}: {message}")
