"""Shared parts of the configuration parsers: line accounting and ACL/port helpers."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from ictinfra.netmig.masking import mask
from ictinfra.netmig.model import LineAccount, Outcome, PortMatch

T = TypeVar("T")

# Well-known port names as IOS and YAMAHA print them.
PORT_NAMES = {
    "bgp": 179,
    "bootpc": 68,
    "bootps": 67,
    "domain": 53,
    "echo": 7,
    "ftp": 21,
    "ftp-data": 20,
    "ftpdata": 20,
    "http": 80,
    "https": 443,
    "ident": 113,
    "imap": 143,
    "irc": 194,
    "isakmp": 500,
    "ldap": 389,
    "lpd": 515,
    "netbios-dgm": 138,
    "netbios-ns": 137,
    "netbios-ss": 139,
    "nntp": 119,
    "ntp": 123,
    "pop3": 110,
    "smtp": 25,
    "snmp": 161,
    "snmptrap": 162,
    "ssh": 22,
    "sunrpc": 111,
    "syslog": 514,
    "tacacs": 49,
    "telnet": 23,
    "tftp": 69,
    "www": 80,
    "cmd": 514,
    "exec": 512,
    "login": 513,
    "klogin": 543,
    "kshell": 544,
    "pim-auto-rp": 496,
    "rip": 520,
    "talk": 517,
    "time": 37,
    "whois": 43,
    "biff": 512,
    "who": 513,
    "xdmcp": 177,
    "gopher": 70,
    "finger": 79,
    "hostname": 101,
    "nameserver": 42,
    "discard": 9,
    "daytime": 13,
    "chargen": 19,
    "uucp": 540,
    "pop2": 109,
    "mobile-ip": 434,
    "dnsix": 195,
    "rpc": 111,
    "tacacs-ds": 65,
    "ldaps": 636,
    "kerberos": 88,
    "radius": 1812,
}


def port(token: str) -> int:
    if token.isdigit():
        return int(token)
    if token in PORT_NAMES:
        return PORT_NAMES[token]
    raise ValueError(f"unknown port {token!r}")


def port_match(op: str, tokens: list[str]) -> PortMatch:
    return PortMatch(op=op, ports=tuple(port(t) for t in tokens))


def wildcard_network(address: str, wildcard: str) -> ipaddress.IPv4Network:
    """``10.0.0.0 0.0.0.255`` -> 10.0.0.0/24 (contiguous wildcards only)."""
    inverse = int(ipaddress.IPv4Address(wildcard)) ^ 0xFFFFFFFF
    mask_text = str(ipaddress.IPv4Address(inverse))
    return ipaddress.IPv4Network(f"{address}/{mask_text}", strict=False)


class FirstMatch(Generic[T]):
    """The value of the first ``(pattern, value)`` whose pattern matches at the start of a text.

    The same answer as trying ``re.match`` pattern by pattern, in order, from one regex
    (an alternation, whose engine tries the alternatives in that order and stops at the
    first that matches): the parsers tried dozens of patterns one call at a time for every
    line, the largest cost of translating at scale.
    """

    def __init__(self, table: Sequence[tuple[str, T]]) -> None:
        self.table = tuple(table)
        self._values = tuple(value for _, value in self.table)
        self._rx = re.compile("|".join(f"(?P<p{i}>{rx})" for i, (rx, _) in enumerate(self.table)))
        # The value comes from the outermost group that closed last: patterns must not
        # name groups of their own.
        if list(self._rx.groupindex) != [f"p{i}" for i in range(len(self.table))]:
            raise ValueError("FirstMatch patterns must not name their groups")

    def __call__(self, text: str) -> T | None:
        m = self._rx.match(text)
        if m is None:
            return None
        name = m.lastgroup
        assert name is not None  # noqa: S101 - every alternative is a named group
        return self._values[int(name[1:])]


@dataclass
class Accountant:
    """Collects one LineAccount per source line (secrets masked)."""

    records: dict[int, LineAccount] = field(default_factory=dict)

    def _add(
        self, number: int, text: str, outcome: Outcome, feature: str, reason: str, scope: str
    ) -> None:
        self.records[number] = LineAccount(
            number=number,
            text=mask(text),
            outcome=outcome,
            feature=feature,
            reason=reason,
            scope=scope,
        )

    def translated(self, number: int, text: str, feature: str, scope: str = "") -> None:
        self._add(number, text, Outcome.TRANSLATED, feature, "", scope)

    def dropped(self, number: int, text: str, reason: str, scope: str = "") -> None:
        self._add(number, text, Outcome.DROPPED, "", reason, scope)

    def unsupported(self, number: int, text: str, reason: str, scope: str = "") -> None:
        self._add(number, text, Outcome.UNSUPPORTED, "", reason, scope)

    def result(self) -> tuple[LineAccount, ...]:
        return tuple(self.records[n] for n in sorted(self.records))


@dataclass
class Block:
    """A top-level line and its indented children, with their source line numbers."""

    number: int
    text: str
    children: list[tuple[int, str]] = field(default_factory=list)


def blocks(text: str, banner_start: str = "banner ") -> list[Block]:
    """Split a configuration into top-level blocks; a delimited banner is one block."""
    out: list[Block] = []
    lines = text.replace("\r\n", "\n").split("\n")
    i = 0
    while i < len(lines):
        raw = lines[i].rstrip()
        i += 1
        if raw.startswith(banner_start):
            parts = raw.split(maxsplit=2)
            delim = (
                parts[2][:2]
                if len(parts) > 2 and parts[2].startswith("^C")
                else (parts[2][:1] if len(parts) > 2 else "")
            )
            block = Block(i, raw)
            rest = parts[2][len(delim) :] if len(parts) > 2 else ""
            if delim and delim not in rest:
                while i < len(lines):
                    block.children.append((i + 1, lines[i].rstrip()))
                    i += 1
                    if delim in block.children[-1][1]:
                        break
            out.append(block)
            continue
        if raw[:1].isspace() and out and raw.strip() and not out[-1].text.startswith(banner_start):
            out[-1].children.append((i, raw.strip()))
            continue
        out.append(Block(i, raw.strip()))
    return out
