"""Read device ACLs back: IOS extended ACLs, YAMAHA RTX ip filters, NEC IX access lists.

Each parser reads the syntax the platform's ``acl.j2`` writes (and the usual variants of
it a person might type), into the same first-match ``PacketFilter``. Stateful return
entries (IOS ``evaluate``, YAMAHA ``dynamic``, NEC ``dynamic`` lists) match no new
connection. What a parser does not understand is refused with its line (fail closed).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

from ictinfra.inventory.model import Platform
from ictinfra.isolation.errors import RulesetParseError
from ictinfra.isolation.filters import Action, FilterRule, PacketFilter
from ictinfra.isolation.space import (
    MAX_ADDR,
    MAX_PORT,
    MAX_PROTO,
    PROTO_NAMES,
    Box,
    Interval,
    boxes,
    merge,
)
from ictinfra.platforms import driver

ANY: Interval = (0, MAX_ADDR)


class _Lines:
    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.lines = text.splitlines()

    def error(self, number: int, message: str) -> RulesetParseError:
        return RulesetParseError(self.source, number, message)


def _proto(src: _Lines, n: int, word: str) -> list[Interval]:
    if word in {"ip", "*"}:
        return [(0, MAX_PROTO)]
    if word in PROTO_NAMES:
        return [(PROTO_NAMES[word],) * 2]
    if word.isdigit() and int(word) <= MAX_PROTO:
        return [(int(word),) * 2]
    raise src.error(n, f"unknown protocol '{word}'")


def _port(src: _Lines, n: int, word: str) -> int:
    if not word.isdigit() or not 0 <= int(word) <= MAX_PORT:
        raise src.error(n, f"not a port: '{word}'")
    return int(word)


def _ports_op(src: _Lines, n: int, words: list[str], j: int) -> tuple[list[Interval] | None, int]:
    """IOS/NEC port operators: eq, range, gt, lt, neq (NEC has no 'neq' here)."""
    if j >= len(words) or words[j] not in {"eq", "range", "gt", "lt", "neq"}:
        return None, j
    op = words[j]
    if op == "range":
        lo, hi = _port(src, n, words[j + 1]), _port(src, n, words[j + 2])
        return [(lo, hi)], j + 3
    value = _port(src, n, words[j + 1])
    if op == "eq":
        return [(value, value)], j + 2
    if op == "gt":
        return [(value + 1, MAX_PORT)], j + 2
    if op == "lt":
        return [(0, value - 1)], j + 2
    return [(0, value - 1), (value + 1, MAX_PORT)], j + 2


def _rule_boxes(
    srcs: list[Interval], dsts: list[Interval], protos: list[Interval], ports: list[Interval] | None
) -> tuple[Box, ...]:
    if ports is None:
        return tuple(boxes(srcs, dsts, protos, [(0, MAX_PORT)]))
    return tuple(boxes(srcs, dsts, protos, ports))


# --- Cisco IOS / IOS XE ---------------------------------------------------------------

_IOS_ENTRY = re.compile(r"^\s*(?:\d+\s+)?(permit|deny|evaluate|remark)\b\s*(.*)$")


def _ios_addr(
    src: _Lines, n: int, words: list[str], j: int, groups: dict[str, list[Interval]]
) -> tuple[list[Interval], int]:
    if words[j] == "any":
        return [ANY], j + 1
    if words[j] == "host":
        a = int(ipaddress.IPv4Address(words[j + 1]))
        return [(a, a)], j + 2
    if words[j] == "object-group":
        name = words[j + 1] if j + 1 < len(words) else ""
        if name not in groups:
            raise src.error(n, f"unknown object-group '{name}'")
        return groups[name], j + 2
    try:
        net = ipaddress.IPv4Network(f"{words[j]}/{words[j + 1]}", strict=True)
    except (ValueError, IndexError) as exc:
        raise src.error(n, f"not an address and wildcard: {' '.join(words[j : j + 2])}") from exc
    return [(int(net.network_address), int(net.broadcast_address))], j + 2


def _ios_group_member(src: _Lines, n: int, words: list[str]) -> Interval:
    try:
        if words[0] == "host" and len(words) == 2:  # 'host A'
            a = int(ipaddress.IPv4Address(words[1]))
            return a, a
        if len(words) == 2:  # 'A MASK'
            net = ipaddress.IPv4Network(f"{words[0]}/{words[1]}", strict=True)
            return int(net.network_address), int(net.broadcast_address)
    except ValueError as exc:
        raise src.error(n, f"not a group member: '{' '.join(words)}'") from exc
    raise src.error(n, f"not a group member (host A or A MASK): '{' '.join(words)}'")


def parse_ios(text: str, source: str, name: str = "") -> PacketFilter:  # noqa: PLR0912, PLR0915 - one branch per statement kind
    src = _Lines(text, source)
    acls: dict[str, list[FilterRule]] = {}
    groups: dict[str, list[Interval]] = {}
    applied: dict[str, str] = {}
    current: str | None = None
    group: str | None = None
    interface: str | None = None
    label = ""
    for n, raw in enumerate(src.lines, start=1):
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("!"):
            if line.lstrip().startswith("!"):
                current = group = None
            continue
        if line.startswith(("no ip access-list", "no object-group network")):
            continue
        if m := re.match(r"^object-group network (\S+)$", line):
            group, current, interface = m.group(1), None, None
            groups[group] = []
            continue
        if group is not None and line.startswith(" "):
            groups[group] = merge([*groups[group], _ios_group_member(src, n, line.split())])
            continue
        group = None
        if m := re.match(r"^ip access-list extended (\S+)$", line):
            current, interface = m.group(1), None
            acls.setdefault(current, [])
            label = ""
            continue
        if m := re.match(r"^interface (\S+)$", line):
            interface, current = m.group(1), None
            continue
        if interface and (m := re.match(r"^\s+ip access-group (\S+) (in|out)$", line)):
            if m.group(2) == "in":
                applied[interface] = m.group(1)
            continue
        if current is None:
            raise src.error(n, f"unexpected line outside an access list: '{line.strip()}'")
        m = _IOS_ENTRY.match(line)
        if m is None:
            raise src.error(n, f"not an ACL entry: '{line.strip()}'")
        kind, rest = m.group(1), m.group(2).split()
        if kind == "remark":
            label = " ".join(rest)
            continue
        if kind == "evaluate":
            acls[current].append(
                FilterRule(n, line.strip(), "accept", (), matches_new=False, label=label)
            )
            continue
        protos = _proto(src, n, rest[0])
        s, j = _ios_addr(src, n, rest, 1, groups)
        sports, j = _ports_op(src, n, rest, j)
        if sports is not None:
            raise src.error(n, "source-port matches are not modelled; refusing to guess")
        d, j = _ios_addr(src, n, rest, j, groups)
        dports, j = _ports_op(src, n, rest, j)
        established = False
        while j < len(rest):
            word = rest[j]
            if word == "reflect":
                j += 2
            elif word == "log":
                j += 1
            elif word == "established":
                established = True
                j += 1
            else:
                raise src.error(n, f"'{word}' is not modelled by the verifier; refusing to guess")
        action: Action = "accept" if kind == "permit" else "drop"
        bx = _rule_boxes(s, d, protos, dports)
        # 'established' matches only packets of open TCP connections (ACK/RST set).
        acls[current].append(FilterRule(n, line.strip(), action, bx, not established, label))
    return _single(src, acls, applied, name, "ios")


def _single(
    src: _Lines,
    acls: dict[str, list[FilterRule]],
    applied: dict[str, str],
    name: str,
    kind: str,
) -> PacketFilter:
    used = set(applied.values())
    if len(used) > 1:
        raise src.error(1, f"interfaces carry different access lists ({', '.join(sorted(used))})")
    if not used:
        raise src.error(len(src.lines), "the access list is applied to no interface")
    acl = used.pop()
    if acl not in acls:
        raise src.error(len(src.lines), f"access list '{acl}' is applied but not defined")
    return PacketFilter(
        name or src.source,
        src.source,
        kind,
        tuple(acls[acl]),
        "drop",  # the implicit deny at the end of every ACL
        frozenset(applied),
    )


# --- YAMAHA RTX -----------------------------------------------------------------------

_YAMAHA_ACTIONS: dict[str, Action] = {
    "pass": "accept",
    "pass-log": "accept",
    "pass-nolog": "accept",
    "reject": "drop",
    "reject-log": "drop",
    "reject-nolog": "drop",
}


def _yamaha_addrs(src: _Lines, n: int, word: str) -> list[Interval]:
    if word == "*":
        return [ANY]
    out = []
    for part in word.split(","):
        try:
            if "-" in part:
                lo, hi = part.split("-", 1)
                out.append((int(ipaddress.IPv4Address(lo)), int(ipaddress.IPv4Address(hi))))
            else:
                net = ipaddress.IPv4Network(part, strict=True)
                out.append((int(net.network_address), int(net.broadcast_address)))
        except ValueError as exc:
            raise src.error(n, f"not an address: '{part}'") from exc
    return merge(out)


def _yamaha_ports(src: _Lines, n: int, word: str) -> list[Interval] | None:
    if word == "*":
        return None
    out = []
    for part in word.split(","):
        if "-" in part:
            lo, hi = part.split("-", 1)
            out.append((_port(src, n, lo), _port(src, n, hi)))
        else:
            p = _port(src, n, part)
            out.append((p, p))
    return merge(out)


def parse_yamaha(text: str, source: str, name: str = "") -> PacketFilter:
    src = _Lines(text, source)
    filters: dict[int, FilterRule] = {}
    dynamic: set[int] = set()
    applied: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {}
    label = ""
    for n, raw in enumerate(src.lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            label = line.lstrip("# ").strip()
            continue
        words = line.split()
        if words[:3] == ["ip", "filter", "dynamic"]:
            dynamic.add(int(words[3]))
            continue
        if words[:2] == ["ip", "filter"]:
            number = int(words[2])
            if words[3] not in _YAMAHA_ACTIONS:
                raise src.error(n, f"filter action '{words[3]}' is not modelled")
            fields = [*words[4:], "*", "*", "*", "*", "*"][:5]
            srcs = _yamaha_addrs(src, n, fields[0])
            dsts = _yamaha_addrs(src, n, fields[1])
            protos = merge(p for w in fields[2].split(",") for p in _proto(src, n, w))
            if fields[3] != "*":
                raise src.error(n, "source-port matches are not modelled; refusing to guess")
            ports = _yamaha_ports(src, n, fields[4])
            bx = _rule_boxes(srcs, dsts, protos, ports)
            filters[number] = FilterRule(n, line, _YAMAHA_ACTIONS[words[3]], bx, label=label)
            continue
        if m := re.match(
            r"^ip (\S+) secure filter (in|out) ([\d ]+?)(?: dynamic ([\d ]+))?$", line
        ):
            if m.group(2) == "in":
                static = tuple(int(x) for x in m.group(3).split())
                dyn = tuple(int(x) for x in (m.group(4) or "").split())
                applied[m.group(1)] = (static, dyn)
            continue
        raise src.error(n, f"unexpected line: '{line}'")
    lists = set(applied.values())
    if len(lists) > 1:
        raise src.error(1, "interfaces carry different filter lists")
    if not lists:
        raise src.error(len(src.lines), "the filters are applied to no interface")
    static, _dyn = lists.pop()
    missing = [num for num in static if num not in filters]
    if missing:
        raise src.error(len(src.lines), f"filters applied but not defined: {missing[:5]}")
    rules = tuple(filters[num] for num in static)
    return PacketFilter(name or source, source, "yamaha", rules, "drop", frozenset(applied))


# --- NEC UNIVERGE IX ------------------------------------------------------------------


def _nec_addr(src: _Lines, n: int, word: str) -> Interval:
    if word == "any":
        return ANY
    try:
        net = ipaddress.IPv4Network(word, strict=True)
    except ValueError as exc:
        raise src.error(n, f"not an address: '{word}'") from exc
    return int(net.network_address), int(net.broadcast_address)


def parse_nec_ix(text: str, source: str, name: str = "") -> PacketFilter:  # noqa: PLR0912, PLR0915 - one branch per statement kind
    src = _Lines(text, source)
    acls: dict[str, list[FilterRule]] = {}
    dynamic: set[str] = set()
    applied: dict[str, list[tuple[int, str]]] = {}
    interface: str | None = None
    label = ""
    for n, raw in enumerate(src.lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("!"):
            label = line.lstrip("! ").strip()
            continue
        if line.startswith("no ip access-list"):
            continue
        if m := re.match(r"^ip access-list dynamic (\S+) access (\S+)$", line):
            dynamic.add(m.group(1))
            continue
        if m := re.match(r"^ip access-list (\S+) (permit|deny) (.*)$", line):
            acl, kind, rest = m.group(1), m.group(2), m.group(3).split()
            protos = _proto(src, n, rest[0])
            if rest[1] != "src":
                raise src.error(n, "expected 'src'")
            s = _nec_addr(src, n, rest[2])
            j = 3
            if j < len(rest) and rest[j] == "sport":
                if rest[j + 1] != "any":
                    raise src.error(n, "source-port matches are not modelled; refusing to guess")
                j += 2
            if rest[j] != "dest":
                raise src.error(n, "expected 'dest'")
            d = _nec_addr(src, n, rest[j + 1])
            j += 2
            ports = None
            if j < len(rest) and rest[j] == "dport":
                if rest[j + 1] == "any":
                    j += 2
                else:
                    ports, j = _ports_op(src, n, rest, j + 1)
            if rest[j:] not in ([], ["log"]):
                raise src.error(n, f"'{' '.join(rest[j:])}' is not modelled; refusing to guess")
            action: Action = "accept" if kind == "permit" else "drop"
            bx = _rule_boxes([s], [d], protos, ports)
            acls.setdefault(acl, []).append(FilterRule(n, line, action, bx, label=label))
            continue
        if m := re.match(r"^interface (\S+)$", line):
            interface = m.group(1)
            continue
        if interface and (m := re.match(r"^ip filter (\S+) (\d+) (in|out)$", line)):
            if m.group(3) == "in":
                applied.setdefault(interface, []).append((int(m.group(2)), m.group(1)))
            continue
        raise src.error(n, f"unexpected line: '{line}'")
    chains = {iface: tuple(a for _, a in sorted(lst)) for iface, lst in applied.items()}
    if len(set(chains.values())) > 1:
        raise src.error(1, "interfaces carry different filter lists")
    if not chains:
        raise src.error(len(src.lines), "the access list is applied to no interface")
    order = next(iter(chains.values()))
    rules: list[FilterRule] = []
    for acl in order:
        if acl in dynamic:
            continue  # return traffic of connections a static list permitted
        if acl not in acls:
            raise src.error(len(src.lines), f"access list '{acl}' is applied but not defined")
        rules.extend(acls[acl])
        break  # the first static list decides: a match or its implicit deny
    return PacketFilter(name or source, source, "nec_ix", tuple(rules), "drop", frozenset(chains))


ACL_PARSERS: dict[str, Callable[[str, str, str], PacketFilter]] = {
    "ios": parse_ios,
    "yamaha": parse_yamaha,
    "nec_ix": parse_nec_ix,
}


def parse_acl(platform: Platform, text: str, source: str, name: str = "") -> PacketFilter:
    return ACL_PARSERS[driver(platform).family](text, source, name)
