"""Read an nftables ruleset back (the syntax the generator writes, and `nft list ruleset`).

Only what the verifier can model is accepted: address, protocol and destination-port
matches, connection states, counters, logs, comments and verdicts, in one base chain on
the forward hook. Anything else (interface matches, jumps, marks...) is refused with its
line: the verifier never guesses what a rule it does not understand would do.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from ictinfra.isolation.errors import RulesetParseError
from ictinfra.isolation.filters import Action, FilterRule, PacketFilter
from ictinfra.isolation.space import (
    MAX_ADDR,
    MAX_PORT,
    MAX_PROTO,
    PORTFUL,
    PROTO_NAMES,
    Interval,
    boxes,
    complement,
    merge,
)

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{};,]|\n|!=|[^\s{};,"]+')
PROTO_NUMBERS = {**PROTO_NAMES, "ip": -1}
SERVICES = {"ssh": 22, "http": 80, "https": 443, "smtp": 25, "domain": 53, "ntp": 123}


@dataclass
class _Tok:
    text: str
    line: int


def _tokens(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    line = 1
    for raw in text.splitlines():
        body = _strip_comment(raw)  # a '#' inside a quoted comment starts no comment
        out.extend(_Tok(m.group(0), line) for m in _TOKEN.finditer(body))
        out.append(_Tok("\n", line))
        line += 1
    return out


def _strip_comment(raw: str) -> str:
    quoted = False
    for i, ch in enumerate(raw):
        if ch == '"':
            quoted = not quoted
        elif ch == "#" and not quoted:
            return raw[:i]
    return raw


class _Parser:
    def __init__(self, text: str, source: str) -> None:
        self.toks = _tokens(text)
        self.i = 0
        self.source = source
        self.sets: dict[str, list[Interval]] = {}
        self.chains: list[tuple[str, str | None, Action, list[list[_Tok]], int]] = []

    def error(self, tok: _Tok | None, message: str) -> RulesetParseError:
        line = tok.line if tok else (self.toks[-1].line if self.toks else 1)
        return RulesetParseError(self.source, line, message)

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def next(self) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise self.error(None, "unexpected end of the ruleset")
        self.i += 1
        return tok

    def skip_newlines(self) -> None:
        while (tok := self.peek()) is not None and tok.text in {"\n", ";"}:
            self.i += 1

    def statement(self) -> list[_Tok]:
        """Tokens up to the end of the line at brace depth 0 (braces may span lines)."""
        out: list[_Tok] = []
        depth = 0
        while (tok := self.peek()) is not None:
            if tok.text in {"\n", ";"} and depth == 0:
                break
            if tok.text == "}" and depth == 0:
                break
            self.i += 1
            if tok.text == "{":
                depth += 1
            elif tok.text == "}":
                depth -= 1
            if tok.text != "\n":
                out.append(tok)
        return out

    def parse(self) -> None:
        while True:
            self.skip_newlines()
            tok = self.peek()
            if tok is None:
                return
            words = [t.text for t in self.toks[self.i : self.i + 4]]
            if words[:2] == ["flush", "ruleset"] or words[:2] == ["delete", "table"]:
                self.statement()
                continue
            if words[0] == "table":
                self.i += 3
                if (nxt := self.peek()) is not None and nxt.text == "{":
                    self.i += 1
                    self.table()
                continue
            raise self.error(tok, f"unsupported statement '{tok.text}'")

    def table(self) -> None:
        while True:
            self.skip_newlines()
            tok = self.next()
            if tok.text == "}":
                return
            if tok.text == "set":
                name = self.next().text
                self.expect("{")
                self.set_body(name)
            elif tok.text == "chain":
                name = self.next().text
                self.expect("{")
                self.chain_body(name, tok.line)
            else:
                raise self.error(tok, f"unsupported table member '{tok.text}'")

    def expect(self, text: str) -> None:
        tok = self.next()
        if tok.text != text:
            raise self.error(tok, f"expected '{text}', found '{tok.text}'")

    def set_body(self, name: str) -> None:
        elements: list[Interval] = []
        while True:
            self.skip_newlines()
            tok = self.peek()
            if tok is not None and tok.text == "}":
                self.i += 1
                break
            stmt = self.statement()
            if not stmt:
                continue
            head = stmt[0].text
            if head == "type" and stmt[1].text != "ipv4_addr":
                raise self.error(stmt[0], f"set {name}: only ipv4_addr sets are modelled")
            if head == "elements":
                elements = _addresses(self, stmt[2:])
            elif head not in {"type", "flags", "auto-merge", "comment"}:
                raise self.error(stmt[0], f"set {name}: unsupported '{head}'")
        self.sets[name] = merge(elements)

    def chain_body(self, name: str, line: int) -> None:
        hook: str | None = None
        policy: Action = "accept"  # nftables' default policy of a base chain
        rules: list[list[_Tok]] = []
        while True:
            self.skip_newlines()
            tok = self.peek()
            if tok is not None and tok.text == "}":
                self.i += 1
                break
            stmt = self.statement()
            if not stmt:
                continue
            if stmt[0].text == "type":
                words = [t.text for t in stmt]
                if "hook" in words:
                    hook = words[words.index("hook") + 1]
                continue
            if stmt[0].text == "policy":
                value = stmt[1].text
                if value not in {"accept", "drop"}:
                    raise self.error(stmt[1], f"unknown chain policy '{value}'")
                policy = "accept" if value == "accept" else "drop"
                continue
            rules.append(stmt)
        self.chains.append((name, hook, policy, rules, line))


def _addresses(p: _Parser, toks: list[_Tok]) -> list[Interval]:
    out: list[Interval] = []
    for tok in toks:
        if tok.text in {"{", "}", ","}:
            continue
        out.append(_address(p, tok))
    return out


def _address(p: _Parser, tok: _Tok) -> Interval:
    text = tok.text
    try:
        if "-" in text:
            lo, hi = text.split("-", 1)
            a, b = int(ipaddress.IPv4Address(lo)), int(ipaddress.IPv4Address(hi))
            if a <= b:
                return a, b
            raise p.error(tok, f"empty address range: '{text}'")
        net = ipaddress.IPv4Network(text, strict=False)
    except ValueError as exc:
        raise p.error(tok, f"not an IPv4 address, prefix or range: '{text}'") from exc
    return int(net.network_address), int(net.broadcast_address)


def _value(p: _Parser, toks: list[_Tok], j: int) -> tuple[list[_Tok], int]:
    """One match value: a word, '@set' or an anonymous set '{ ... }'."""
    if j >= len(toks):
        raise p.error(toks[-1], "a match without a value")
    if toks[j].text == "{":
        k = j + 1
        items = []
        while k < len(toks) and toks[k].text != "}":
            if toks[k].text != ",":
                items.append(toks[k])
            k += 1
        if k >= len(toks):
            raise p.error(toks[j], "unclosed '{'")
        return items, k + 1
    items = [toks[j]]
    j += 1
    while j + 1 < len(toks) and toks[j].text == ",":  # ct state established,related
        items.append(toks[j + 1])
        j += 2
    return items, j


def _ports(p: _Parser, items: list[_Tok]) -> list[Interval]:
    out = []
    for tok in items:
        text = SERVICES.get(tok.text, tok.text)
        try:
            if isinstance(text, str) and "-" in text:
                lo, hi = (int(x) for x in text.split("-", 1))
            else:
                lo = hi = int(text)
        except ValueError as exc:
            raise p.error(tok, f"not a port or port range: '{tok.text}'") from exc
        if not 0 <= lo <= hi <= MAX_PORT:
            raise p.error(tok, f"port out of range: '{tok.text}'")
        out.append((lo, hi))
    return merge(out)


def _protos(p: _Parser, items: list[_Tok]) -> list[Interval]:
    out = []
    for tok in items:
        if tok.text in PROTO_NAMES:
            num = PROTO_NAMES[tok.text]
        elif tok.text.isdigit() and int(tok.text) <= MAX_PROTO:
            num = int(tok.text)
        else:
            raise p.error(tok, f"unknown protocol '{tok.text}'")
        out.append((num, num))
    return merge(out)


def _intersect_ivs(a: list[Interval], b: list[Interval]) -> list[Interval]:
    out = []
    for lo1, hi1 in a:
        for lo2, hi2 in b:
            lo, hi = max(lo1, lo2), min(hi1, hi2)
            if lo <= hi:
                out.append((lo, hi))
    return merge(out)


def _rule(p: _Parser, toks: list[_Tok]) -> FilterRule | None:  # noqa: PLR0912, PLR0915 - one branch per match kind
    """One rule; None for a rule that matches no new connection and cannot drop one."""
    full: list[Interval] = [(0, MAX_ADDR)]
    src, dst = list(full), list(full)
    protos: list[Interval] = [(0, MAX_PROTO)]
    ports: list[Interval] | None = None
    states: set[str] | None = None
    action: Action | None = None
    label = ""
    j = 0
    while j < len(toks):
        tok = toks[j]
        word = tok.text
        nxt = toks[j + 1].text if j + 1 < len(toks) else ""
        if word == "ip" and nxt in {"saddr", "daddr"}:
            j += 2
            negate = j < len(toks) and toks[j].text == "!="
            j += negate
            items, j = _value(p, toks, j)
            ivs: list[Interval] = []
            for item in items:
                if item.text.startswith("@"):
                    name = item.text[1:]
                    if name not in p.sets:
                        raise p.error(item, f"unknown set '{name}'")
                    ivs.extend(p.sets[name])
                else:
                    ivs.append(_address(p, item))
            ivs = merge(ivs)
            if negate:
                ivs = complement(ivs)
            if nxt == "saddr":
                src = _intersect_ivs(src, ivs)
            else:
                dst = _intersect_ivs(dst, ivs)
        elif (word == "ip" and nxt == "protocol") or (word == "meta" and nxt == "l4proto"):
            items, j = _value(p, toks, j + 2)
            protos = _intersect_ivs(protos, _protos(p, items))
        elif word in {"tcp", "udp", "th"} and nxt == "dport":
            items, j = _value(p, toks, j + 2)
            if word != "th":
                protos = _intersect_ivs(protos, [(PROTO_NAMES[word],) * 2])
            else:
                protos = _intersect_ivs(protos, [(6, 6), (17, 17)])
            new = _ports(p, items)
            ports = new if ports is None else _intersect_ivs(ports, new)
        elif word == "ct" and nxt == "state":
            items, j = _value(p, toks, j + 2)
            states = {t.text for t in items}
        elif word == "counter":
            j += 1
            while j + 1 < len(toks) and toks[j].text in {"packets", "bytes"}:
                j += 2
        elif word == "log":
            j += 1
            while j + 1 < len(toks) and toks[j].text in {"prefix", "level", "flags", "group"}:
                j += 2
        elif word in {"accept", "drop"}:
            action = "accept" if word == "accept" else "drop"
            j += 1
        elif word == "reject":
            action = "drop"
            j += 1
            if j < len(toks) and toks[j].text == "with":
                j += 3
        elif word == "comment":
            label = toks[j + 1].text.strip('"') if j + 1 < len(toks) else ""
            j += 2
        else:
            raise p.error(
                tok,
                f"'{word}' is not modelled by the verifier (addresses, protocols, ports, "
                "states and verdicts only); refusing to guess",
            )
    line = toks[0].line
    text = " ".join(t.text for t in toks)
    if action is None:
        return None  # counters or logs alone decide nothing
    matches_new = states is None or "new" in states
    if ports is not None:
        protos = _intersect_ivs(protos, [(n, n) for n in sorted(PORTFUL)])
        port_list = ports
    else:
        port_list = [(0, MAX_PORT)]
    bx = boxes(src, dst, protos, port_list)
    return FilterRule(line, text, action, tuple(bx), matches_new, label)


def parse_nftables(text: str, source: str, name: str = "") -> PacketFilter:
    """The forward base chain of a ruleset as a first-match filter."""
    p = _Parser(text, source)
    p.parse()
    forward = [c for c in p.chains if c[1] == "forward"]
    if len(forward) != 1:
        raise RulesetParseError(
            source,
            forward[1][4] if len(forward) > 1 else 1,
            f"expected exactly one base chain on the forward hook, found {len(forward)}",
        )
    _name, _hook, policy, stmts, _line = forward[0]
    rules = []
    for stmt in stmts:
        for tok in stmt:
            if tok.text in {"jump", "goto"}:
                raise p.error(tok, "jumps between chains are not modelled; refusing to guess")
        rule = _rule(p, stmt)
        if rule is not None:
            rules.append(rule)
    return PacketFilter(name or source, source, "nftables", tuple(rules), policy)
