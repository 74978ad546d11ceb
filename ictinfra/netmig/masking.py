"""Secrets out of logs: credentials (exact values) and secret-bearing configuration lines."""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "********"

# Each pattern keeps what is needed to read the log and hides the value (group "v").
_CONFIG_SECRETS = tuple(
    re.compile(p, re.MULTILINE)
    for p in (
        r"(?:\b(?:login|administrator) password(?: encrypted)? )(?P<v>\S+)",
        r"(?:\b(?:password|secret)(?: [0-9])? )(?P<v>\S+)",
        r"(?:\bsnmp-server community )(?P<v>\S+)",
        r"(?:\bsnmp-agent community (?:read-only|read-write) )(?P<v>\S+)",
        r"(?:\bsnmp community (?:read-only|read-write) )(?P<v>\S+)",
        r"(?:\bkey(?: [0-9])? )(?P<v>\S+)$",
        r"(?:\bkey-string(?: [0-9])? )(?P<v>\S+)",
        r"(?:\b(?:standby|vrrp) \d+ authentication (?:text )?)(?P<v>(?!md5\b)\S+)$",
        r"(?:\bpre-shared-key (?:text |hex )?)(?P<v>\S+)",
        r"(?:\bpp auth myname \S+ )(?P<v>\S+)",
    )
)


# Every pattern above needs one of these words: a text with none of them is returned as is
# without running ten substitutions (most configuration lines, at every line of a plan).
_HINTS = re.compile(r"password|secret|community|key|authentication|myname")


def mask(text: str, values: Iterable[str] = ()) -> str:
    """Hide exact secret values first, then the values of secret-bearing config lines."""
    for value in sorted((v for v in values if v), key=len, reverse=True):
        text = text.replace(value, MASK)
    if _HINTS.search(text) is None:
        return text
    for rx in _CONFIG_SECRETS:
        text = rx.sub(lambda m: m.group(0)[: m.start("v") - m.start(0)] + MASK, text)
    return text
