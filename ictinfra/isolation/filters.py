"""The verifier's neutral view of a packet filter, read back from rendered text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ictinfra.isolation.space import Box

Action = Literal["accept", "drop"]


@dataclass(frozen=True)
class FilterRule:
    """One rule as read: where it is, what new connections it matches, what it does."""

    line: int
    text: str
    action: Action
    boxes: tuple[Box, ...]
    matches_new: bool = True  # False: return traffic only (ct established, reflexive, dynamic)
    label: str = ""  # the rule's comment or remark: the generator's name for the path

    def ref(self, source: str) -> str:
        label = f" [{self.label}]" if self.label else ""
        return f"{source}:{self.line}{label}"


@dataclass(frozen=True)
class PacketFilter:
    """First-match rules for new connections crossing one enforcement point."""

    name: str  # gateway or device
    source: str  # file the text came from (for file:line)
    kind: str  # nftables, ios, yamaha, nec_ix
    rules: tuple[FilterRule, ...]
    default: Action = "drop"
    # Interfaces the filter is applied to (inbound); None when not applicable (a gateway
    # filtering its forward hook sees every interface).
    applied_to: frozenset[str] | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
