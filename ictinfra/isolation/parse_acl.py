"""Read device ACLs back: IOS extended ACLs, YAMAHA RTX ip filters, NEC IX access lists.

Each parser reads the syntax the platform's ``acl.j2`` writes (and the usual variants of
it a person might type), into the same first-match ``PacketFilter`` of new connections
(IOS ``evaluate`` matches none; a YAMAHA dynamic filter applied on 'in' passes the
connections it matches ahead of the static filters, so it is read as a permit). Replies
are taken as let back in only where the device would let them in: the YAMAHA and NEC
parsers refuse text where a permitted connection's replies meet the static filters of the
interface they enter (no dynamic filter or list on that interface's 'out' tracks them),
as well as text the device itself refuses (IX names over 15 characters, a per-entry
'log', a list deleted while bound; RTX commands over its length limit). What a parser
does not understand is refused with its line (fail closed).
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass

from ictinfra.inventory.model import Platform
from ictinfra.isolation.errors import RulesetParseError
from ictinfra.isolation.filters import Action, FilterRule, PacketFilter
from ictinfra.isolation.space import (
    ICMP,
    MAX_ADDR,
    MAX_PORT,
    MAX_PROTO,
    PROTO_NAMES,
    TCP,
    UDP,
    Box,
    BoxIndex,
    Interval,
    boxes,
    contains,
    intersect,
    merge,
    subtract_all,
)
from ictinfra.isolation.verify import permitted_space
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
    wanted = 2 if op == "range" else 1
    if j + wanted >= len(words):
        raise src.error(n, f"'{op}' without its port{'s' if wanted == 2 else ''}")
    if op == "range":
        lo, hi = _port(src, n, words[j + 1]), _port(src, n, words[j + 2])
        if lo > hi:
            raise src.error(n, f"empty port range {lo}-{hi}")
        return [(lo, hi)], j + 3
    value = _port(src, n, words[j + 1])
    if op == "eq":
        return [(value, value)], j + 2
    if (op == "gt" and value == MAX_PORT) or (op == "lt" and value == 0):
        raise src.error(n, f"'{op} {value}' matches no port")
    if op == "gt":
        return [(value + 1, MAX_PORT)], j + 2
    if op == "lt":
        return [(0, value - 1)], j + 2
    return [p for p in ((0, value - 1), (value + 1, MAX_PORT)) if p[0] <= p[1]], j + 2


def _rule_boxes(
    srcs: list[Interval], dsts: list[Interval], protos: list[Interval], ports: list[Interval] | None
) -> tuple[Box, ...]:
    if ports is None:
        return tuple(boxes(srcs, dsts, protos, [(0, MAX_PORT)]))
    return tuple(boxes(srcs, dsts, protos, ports))


@functools.lru_cache(maxsize=1 << 16)
def network(text: str) -> Interval:
    """A prefix (``A/len`` or ``A/MASK``) as an interval; ``ValueError`` if it is not one.
    Cached: an estate's rulesets repeat the same zones' prefixes on every device."""
    net = ipaddress.IPv4Network(text, strict=True)
    return int(net.network_address), int(net.broadcast_address)


# --- Cisco IOS / IOS XE ---------------------------------------------------------------

_IOS_ENTRY = re.compile(r"^\s*(?:\d+\s+)?(permit|deny|evaluate|remark)\b\s*(.*)$")


def _ios_addr(
    src: _Lines, n: int, words: list[str], j: int, groups: dict[str, list[Interval]]
) -> tuple[list[Interval], int]:
    if j >= len(words):
        raise src.error(n, "an address is missing")
    if words[j] == "any":
        return [ANY], j + 1
    if words[j] == "host":
        try:
            a = int(ipaddress.IPv4Address(words[j + 1]))
        except (ValueError, IndexError) as exc:
            raise src.error(n, f"not a host address: {' '.join(words[j : j + 2])}") from exc
        return [(a, a)], j + 2
    if words[j] == "object-group":
        name = words[j + 1] if j + 1 < len(words) else ""
        if name not in groups:
            raise src.error(n, f"unknown object-group '{name}'")
        return groups[name], j + 2
    try:
        return [network(f"{words[j]}/{words[j + 1]}")], j + 2
    except (ValueError, IndexError) as exc:
        raise src.error(n, f"not an address and wildcard: {' '.join(words[j : j + 2])}") from exc


def _ios_group_member(src: _Lines, n: int, words: list[str]) -> Interval:
    try:
        if words[0] == "host" and len(words) == 2:  # 'host A'
            a = int(ipaddress.IPv4Address(words[1]))
            return a, a
        if len(words) == 2:  # 'A MASK'
            return network(f"{words[0]}/{words[1]}")
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


# --- stateful return traffic ------------------------------------------------------------

# Replies that a connection needs let back in: TCP and UDP segments, ICMP (echo replies).
_REPLIED: tuple[Box, ...] = tuple(
    b for proto in (TCP, UDP, ICMP) for b in boxes([ANY], [ANY], [(proto, proto)], [(0, MAX_PORT)])
)


def _untracked(permits: list[FilterRule], tracked: list[Box]) -> FilterRule | None:
    """The first permit whose connections' replies no tracked (stateful) box covers."""
    index = BoxIndex()
    for number, box in enumerate(tracked):
        index.add(box, number)
    same = set(tracked)  # a dynamic entry spelled from its static one: the same box
    for rule in permits:
        for box in rule.boxes:
            if box in same:
                continue
            for replied in _REPLIED:
                part = intersect(box, replied)
                if part is None:
                    continue
                cuts = [b for b, _ in index.overlapping(part)]
                # Nearly always one tracked box holds the whole part (its own dynamic entry).
                if not any(contains(cut, part) for cut in cuts) and subtract_all([part], cuts):
                    return rule
    return None


# --- YAMAHA RTX -----------------------------------------------------------------------

# The longest command the RTX CLI takes: a longer `secure filter` line is refused, which
# would leave the interface without its filters. The stored reference pages do not state
# it; 4095 is the command reference's input limit as we remember it (unconfirmed), and
# text over it is refused here, so that a plan never ships a line the device rejects.
YAMAHA_MAX_COMMAND = 4095

_YAMAHA_ACTIONS: dict[str, Action] = {
    "pass": "accept",
    "pass-log": "accept",
    "pass-nolog": "accept",
    "reject": "drop",
    "reject-log": "drop",
    "reject-nolog": "drop",
}
# Protocol mnemonics of `ip filter dynamic`'s first form that the verifier models: tcp and
# udp track every connection of that protocol between the two address lists ("no
# application-specific handling": ip_filter_dynamic.html), ping tracks ICMP.
_YAMAHA_TRACKED: dict[str, tuple[int, list[Interval]]] = {
    "tcp": (TCP, [(0, MAX_PORT)]),
    "udp": (UDP, [(0, MAX_PORT)]),
    "ping": (ICMP, [(0, 0)]),
}


def _yamaha_addrs(src: _Lines, n: int, word: str) -> list[Interval]:
    if word == "*":
        return [ANY]
    out = []
    for part in word.split(","):
        try:
            if "-" in part:
                lo, hi = part.split("-", 1)
                first, last = int(ipaddress.IPv4Address(lo)), int(ipaddress.IPv4Address(hi))
                out.append((first, last))
            else:
                out.append(network(part))
        except ValueError as exc:
            raise src.error(n, f"not an address: '{part}'") from exc
        if out[-1][0] > out[-1][1]:
            raise src.error(n, f"empty address range: '{part}'")
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


@dataclass(frozen=True)
class _YamahaFilter:
    rule: FilterRule
    protos: list[Interval]
    ports: list[Interval] | None


def _yamaha_dynamic(
    src: _Lines, n: int, words: list[str]
) -> tuple[list[Interval], list[Interval], str, list[str]]:
    """'ip filter dynamic N SRC DST (filter F | PROTO) [option=value ...]'."""
    if len(words) < 7:
        raise src.error(n, "expected 'ip filter dynamic N SRC DST filter F' or '... PROTO'")
    srcs = _yamaha_addrs(src, n, words[4])
    dsts = _yamaha_addrs(src, n, words[5])
    rest = [w for w in words[6:] if not re.fullmatch(r"(syslog|timeout)=\S+", w)]
    return srcs, dsts, rest[0], rest[1:]


def parse_yamaha(text: str, source: str, name: str = "") -> PacketFilter:  # noqa: PLR0912, PLR0915 - one branch per statement kind
    """RTX filters. New connections: the filters on 'in' (dynamic filters first: they take
    precedence over the static ones and let the connections they match through). Replies:
    only where a dynamic filter on the same interface's 'out' tracks the connection (its
    own source and destination lists, the protocol and ports of the filter it names)."""
    src = _Lines(text, source)
    filters: dict[int, _YamahaFilter] = {}
    dynamic: dict[int, tuple[int, list[Interval], list[Interval], str, list[str]]] = {}
    applied: dict[str, dict[str, tuple[int, tuple[int, ...], tuple[int, ...]]]] = {}
    label = ""
    for n, raw in enumerate(src.lines, start=1):
        line = raw.strip()
        if len(raw) > YAMAHA_MAX_COMMAND:
            raise src.error(
                n,
                f"command of {len(raw)} characters; the RTX takes at most "
                f"{YAMAHA_MAX_COMMAND}: the device cannot hold this policy as written",
            )
        if not line:
            continue
        if line.startswith("#"):
            label = line.lstrip("# ").strip()
            continue
        words = line.split()
        if words[:3] == ["ip", "filter", "dynamic"]:
            if len(words) < 4 or not words[3].isdigit():
                raise src.error(n, "expected a dynamic filter number")
            dynamic[int(words[3])] = (n, *_yamaha_dynamic(src, n, words))
            continue
        if words[:2] == ["ip", "filter"] and len(words) > 3 and words[2].isdigit():
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
            rule = FilterRule(n, line, _YAMAHA_ACTIONS[words[3]], bx, label=label)
            filters[number] = _YamahaFilter(rule, protos, ports)
            continue
        if m := re.match(
            r"^ip (\S+) secure filter (in|out)((?: \d+)*)(?: dynamic((?: \d+)+))?$", line
        ):
            static = tuple(int(x) for x in m.group(3).split())
            dyn = tuple(int(x) for x in (m.group(4) or "").split())
            applied.setdefault(m.group(1), {})[m.group(2)] = (n, static, dyn)
            continue
        raise src.error(n, f"unexpected line: '{line}'")
    tracked = _yamaha_tracked(src, filters, dynamic)
    for iface, directions in applied.items():
        for n, static, dyn in directions.values():
            missing = [x for x in static if x not in filters] + [x for x in dyn if x not in tracked]
            if missing:
                raise src.error(n, f"filters applied but not defined: {missing[:5]}")
        if "out" in directions:
            _yamaha_out(src, iface, directions["out"], filters)
    ins = {iface: d["in"] for iface, d in applied.items() if "in" in d}
    lists = {(static, dyn) for _, static, dyn in ins.values()}
    if len(lists) > 1:
        raise src.error(1, "interfaces carry different filter lists")
    if not lists:
        raise src.error(len(src.lines), "the filters are applied to no interface")
    static, dyn = lists.pop()
    # A dynamic filter on 'in' admits the connections it matches ahead of the static list.
    rules = [tracked[num][0] for num in dyn] + [filters[num].rule for num in static]
    permits = [r for r in rules if r.action == "accept"]
    verdicts: dict[tuple[int, ...], FilterRule | None] = {}  # by the dynamic filters on 'out'
    for iface, (n, _static, _dyn) in sorted(ins.items()):
        out = applied[iface].get("out")
        back = out[2] if out else ()
        if back not in verdicts:
            verdicts[back] = _untracked(permits, [b for num in back for b in tracked[num][0].boxes])
        lone = verdicts[back]
        if lone is not None:
            raise src.error(
                n,
                f"replies of the connections '{lone.text}' (line {lone.line}) permits are not "
                f"let back in through {iface}: no dynamic filter on its 'out' tracks them, and "
                "its static filters on 'in' drop them",
            )
    return PacketFilter(name or source, source, "yamaha", tuple(rules), "drop", frozenset(ins))


def _yamaha_tracked(
    src: _Lines,
    filters: dict[int, _YamahaFilter],
    dynamic: dict[int, tuple[int, list[Interval], list[Interval], str, list[str]]],
) -> dict[int, tuple[FilterRule]]:
    """Each dynamic filter as an accept rule over what it tracks."""
    out: dict[int, tuple[FilterRule]] = {}
    for number, (n, srcs, dsts, kind, rest) in dynamic.items():
        text = src.lines[n - 1].strip()
        if kind == "filter":
            if len(rest) != 1 or not rest[0].isdigit():
                raise src.error(n, "'in'/'out' filter lists of a dynamic filter are not modelled")
            named = filters.get(int(rest[0]))
            if named is None:
                raise src.error(n, f"dynamic filter names undefined filter {rest[0]}")
            # The named filter's addresses and pass/reject are ignored: the dynamic line's own
            # addresses, the named filter's protocols and ports.
            bx = _rule_boxes(srcs, dsts, named.protos, named.ports)
        elif kind in _YAMAHA_TRACKED and not rest:
            proto, ports = _YAMAHA_TRACKED[kind]
            bx = tuple(boxes(srcs, dsts, [(proto, proto)], ports))
        else:
            raise src.error(n, f"dynamic filter '{' '.join([kind, *rest])}' is not modelled")
        out[number] = (FilterRule(n, text, "accept", bx),)
    return out


def _yamaha_out(
    src: _Lines,
    iface: str,
    out: tuple[int, tuple[int, ...], tuple[int, ...]],
    filters: dict[int, _YamahaFilter],
) -> None:
    """Static filters on 'out' must pass everything: the verifier decides on 'in'."""
    n, static, _dyn = out
    everything = boxes([ANY], [ANY], [(0, MAX_PROTO)], [(0, MAX_PORT)])
    for num in static:
        rule = filters[num].rule
        if rule.action != "accept" or subtract_all(everything, rule.boxes):
            raise src.error(
                n, f"filter {num} on {iface} 'out' is not 'pass * * * * *': not modelled"
            )
    if not static:
        # Without one, the replies leaving this interface meet the implicit drop on 'out'.
        raise src.error(n, f"{iface} 'out' has no pass-all filter ahead of its dynamic filters")


# --- NEC UNIVERGE IX ------------------------------------------------------------------

NEC_MAX_NAME = 15  # access-list names (command reference 13-3 / 24-6, as cited publicly)


def _nec_addr(src: _Lines, n: int, word: str) -> Interval:
    if word == "any":
        return ANY
    try:
        return network(word)
    except ValueError as exc:
        raise src.error(n, f"not an address: '{word}'") from exc


def _nec_name(src: _Lines, n: int, name: str) -> str:
    if len(name) > NEC_MAX_NAME:
        raise src.error(n, f"access list name '{name}' has {len(name)} characters; the IX takes 15")
    return name


def _nec_entry(src: _Lines, n: int, kind: str, rest: list[str]) -> tuple[Action, tuple[Box, ...]]:
    protos = _proto(src, n, rest[0])
    if len(rest) < 5 or rest[1] != "src":
        raise src.error(n, "expected 'src'")
    s = _nec_addr(src, n, rest[2])
    j = 3
    if j < len(rest) and rest[j] == "sport":
        if rest[j + 1] != "any":
            raise src.error(n, "source-port matches are not modelled; refusing to guess")
        j += 2
    if j + 1 >= len(rest) or rest[j] != "dest":
        raise src.error(n, "expected 'dest'")
    d = _nec_addr(src, n, rest[j + 1])
    j += 2
    ports = None
    if j < len(rest) and rest[j] == "dport":
        if rest[j + 1] == "any":
            j += 2
        else:
            ports, j = _ports_op(src, n, rest, j + 1)
    if rest[j:] == ["log"]:
        # No IX source shows 'log' on an access-list entry: drops are logged by the
        # filter subsystem ('logging subsystem flt'). Refused rather than guessed.
        raise src.error(
            n, "'log' on an access-list entry is not IX syntax (use logging subsystem flt)"
        )
    if rest[j:]:
        raise src.error(n, f"'{' '.join(rest[j:])}' is not modelled; refusing to guess")
    action: Action = "accept" if kind == "permit" else "drop"
    return action, _rule_boxes([s], [d], protos, ports)


def parse_nec_ix(text: str, source: str, name: str = "") -> PacketFilter:  # noqa: PLR0912, PLR0915 - one branch per statement kind
    """IX filters. New connections: the static lists on 'in', in sequence order, first
    match, implicit deny. Replies: only where the interface's 'out' starts with a dynamic
    list whose trigger permits the connection (the dynamic cache belongs to that interface
    and lets the replies in there); static lists on 'out' must pass everything."""
    src = _Lines(text, source)
    acls: dict[str, list[FilterRule]] = {}
    dynamic: dict[str, tuple[int, str]] = {}
    applied: dict[str, dict[tuple[str, int], str]] = {}  # iface -> (direction, seq) -> list
    attach_line: dict[str, int] = {}
    interface: str | None = None
    label = ""
    for n, raw in enumerate(src.lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("!"):
            label = line.lstrip("! ").strip()
            continue
        if re.fullmatch(r"logging subsystem flt \S+", line):
            continue
        if m := re.match(r"^no ip access-list (?:(dynamic) )?(\S+)$", line):
            gone = m.group(2)
            users = sorted(i for i, lst in applied.items() if gone in lst.values())
            if users:
                raise src.error(
                    n,
                    f"access list '{gone}' is deleted while applied to {users[0]}: detach it first",
                )
            (dynamic if m.group(1) else acls).pop(gone, None)
            continue
        if m := re.match(r"^ip access-list dynamic (\S+) access (\S+)$", line):
            dynamic[_nec_name(src, n, m.group(1))] = (n, m.group(2))
            continue
        if m := re.match(r"^ip access-list (\S+) (permit|deny) (.*)$", line):
            acl = _nec_name(src, n, m.group(1))
            action, bx = _nec_entry(src, n, m.group(2), m.group(3).split())
            acls.setdefault(acl, []).append(FilterRule(n, line, action, bx, label=label))
            continue
        if m := re.match(r"^interface (\S+)$", line):
            interface = m.group(1)
            continue
        if interface and (m := re.match(r"^(no )?ip filter (\S+) (\d+) (in|out)$", line)):
            key = (m.group(4), int(m.group(3)))
            filters = applied.setdefault(interface, {})
            if m.group(1):
                if filters.get(key) == m.group(2):
                    del filters[key]
            else:
                filters[key] = m.group(2)
                attach_line.setdefault(interface, n)
            continue
        raise src.error(n, f"unexpected line: '{line}'")
    clash = sorted(set(acls) & set(dynamic))
    if clash:
        # "When a list and a dynamic list share a name, the dynamic one is evaluated."
        raise src.error(dynamic[clash[0]][0], f"'{clash[0]}' names a list and a dynamic list")
    chains: dict[str, tuple[str, ...]] = {}
    for iface, filters in applied.items():
        ins = tuple(acl for (d, _), acl in sorted(filters.items()) if d == "in")
        if not ins:
            continue
        for acl in ins:
            if acl in dynamic:
                raise src.error(
                    attach_line[iface],
                    f"dynamic list '{acl}' on {iface} 'in' lets replies out only: not modelled",
                )
            if acl not in acls:
                raise src.error(len(src.lines), f"access list '{acl}' is applied but not defined")
        chains[iface] = ins
    if len(set(chains.values())) > 1:
        raise src.error(1, "interfaces carry different filter lists")
    if not chains:
        raise src.error(len(src.lines), "the access list is applied to no interface")
    order = next(iter(chains.values()))
    # Lists in sequence order: a packet no entry of one matches goes on to the next.
    rules = [rule for acl in order for rule in acls[acl]]
    permits = [r for r in rules if r.action == "accept"]
    # By trigger lists; the static lists themselves track every connection they let in.
    verdicts: dict[tuple[str, ...], FilterRule | None] = {}
    for iface in sorted(chains):
        outs = [acl for (d, _), acl in sorted(applied[iface].items()) if d == "out"]
        triggers = [acl for acl in outs if acl in dynamic]
        if outs[: len(triggers)] != triggers:
            raise src.error(
                attach_line[iface],
                f"{iface} 'out' has a static list ahead of a dynamic one: the connections it "
                "passes open no way back",
            )
        for acl in triggers:
            if dynamic[acl][1] not in acls:
                raise src.error(
                    dynamic[acl][0], f"dynamic list's trigger '{dynamic[acl][1]}' is not defined"
                )
        rest = outs[len(triggers) :]
        everything = boxes([ANY], [ANY], [(0, MAX_PROTO)], [(0, MAX_PORT)])
        for acl in rest:
            if acl not in acls or subtract_all(
                everything, [b for r in acls[acl][:1] if r.action == "accept" for b in r.boxes]
            ):
                raise src.error(
                    attach_line[iface],
                    f"static list '{acl}' on {iface} 'out' does not pass everything: not modelled",
                )
        if triggers and not rest:
            raise src.error(
                attach_line[iface],
                f"{iface} 'out' has no pass-all list behind its dynamic list: replies leaving "
                "there meet the implicit deny",
            )
        trig = tuple(dynamic[acl][1] for acl in triggers)
        if trig not in verdicts:
            verdicts[trig] = None if trig == order else _untracked(permits, _tracked(acls, trig))
        rule = verdicts[trig]
        if rule is not None:
            raise src.error(
                attach_line[iface],
                f"replies of the connections '{rule.text}' (line {rule.line}) permits are not "
                f"let back in through {iface}: no dynamic list on its 'out' tracks them, and "
                "the static list on 'in' drops them",
            )
    return PacketFilter(name or source, source, "nec_ix", tuple(rules), "drop", frozenset(chains))


def _tracked(acls: dict[str, list[FilterRule]], triggers: tuple[str, ...]) -> list[Box]:
    """What the trigger lists start a cache entry for: their permits' effective regions,
    first match across the lists. A trigger entry that denies starts none (the IX's
    handling of a deny in a trigger list is not documented in what we read; no state is
    the side that lets no reply in)."""
    chain = tuple(rule for name in triggers for rule in acls[name])
    return [p.box for p in permitted_space(PacketFilter("trigger", "", "nec_ix", chain))]


ACL_PARSERS: dict[str, Callable[[str, str, str], PacketFilter]] = {
    "ios": parse_ios,
    "yamaha": parse_yamaha,
    "nec_ix": parse_nec_ix,
}


def parse_acl(platform: Platform, text: str, source: str, name: str = "") -> PacketFilter:
    return ACL_PARSERS[driver(platform).family](text, source, name)
