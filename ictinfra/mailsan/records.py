"""What the sanitiser reports: one record per object it looked at, and the whole result."""

from __future__ import annotations

import hashlib
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Action(StrEnum):
    KEPT = "kept"  # delivered as received (plain text bodies only)
    CONVERTED = "converted"  # delivered in a safe form (text, image-only PDF, re-encoded image)
    REMOVED = "removed"  # not delivered; the original stays in the quarantine
    HELD = "held"  # the whole message is held back (encrypted content)


class Verdict(StrEnum):
    DELIVER = "deliver"
    HOLD = "hold"


class ObjectRecord(BaseModel):
    """One attachment or archive member: what it really was and what was done with it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str  # "report.zip/inner/run.exe" for archive members
    declared_type: str | None
    true_type: str
    size: int
    sha256: str
    action: Action
    reason: str
    output_type: str | None = None
    output_sha256: str | None = None


class Deliverable(BaseModel):
    """A converted object that goes into the delivered message."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    filename: str
    mime: str
    data: bytes


class SanitiseResult(BaseModel):
    """The outcome for one message. ``message`` is the sanitised mail (DELIVER) or the notice
    to the recipient (HOLD); either way it is ready to hand to Postfix."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    verdict: Verdict
    message: bytes
    objects: tuple[ObjectRecord, ...]
    body_actions: tuple[str, ...]
    links: tuple[str, ...]
    notice: str
    defects: tuple[str, ...]

    @property
    def summary(self) -> str:
        """The header value listing what was done (ASCII; counts, not names)."""
        counts: dict[str, int] = {}
        for obj in self.objects:
            counts[obj.action.value] = counts.get(obj.action.value, 0) + 1
        parts = [f"verdict={self.verdict.value}", *self.body_actions]
        parts += [f"{action}={n}" for action, n in sorted(counts.items())]
        if self.links:
            parts.append(f"links-neutralised={len(self.links)}")
        return "; ".join(parts)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
