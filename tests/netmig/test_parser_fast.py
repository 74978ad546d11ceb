"""The parsers' one-regex lookups and the masking shortcut answer as pattern-by-pattern did."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ictinfra.inventory import load_inventory
from ictinfra.netmig import masking
from ictinfra.netmig.parsers import ios, yamaha
from ictinfra.netmig.parsers.common import FirstMatch
from ictinfra.render.devices import render_devices

HERE = Path(__file__).parent
ROOT = HERE.parents[1]

TABLES = {
    "ios.DROP": ios.DROP,
    "ios.INTERFACE_DROP": ios.INTERFACE_DROP,
    "ios.ROUTE_MAP_LINES": tuple((rx, True) for rx in ios.ROUTE_MAP_LINES),
    "ios.BGP_LINES": tuple((rx, True) for rx in ios.BGP_LINES),
    "yamaha.DROP": yamaha.DROP,
}


def _corpus() -> list[str]:
    """Every line (and its indented text stripped) of real and rendered configurations."""
    texts = [p.read_text(encoding="utf-8") for p in (HERE / "fixtures").rglob("*.cfg")]
    texts += render_devices(load_inventory(ROOT / "inventory")).values()
    lines = {line.rstrip() for text in texts for line in text.splitlines()}
    lines |= {line.strip() for line in lines}
    # Each pattern's own shapes, near misses included.
    lines |= {
        "",
        "!",
        "end",
        "endx",
        "no service pad",
        "service password-encryption",
        "enable secret 5 $1$abc",
        "ip cef",
        "no ip cef",
        "ip routing",
        "ip routing x",
        "logging buffered 4096",
        "spanning-tree vlan 10 priority 4096",
        "no cdp enable",
        "cdp enable",
        "switchport trunk encapsulation dot1q",
        "negotiation auto",
        "keepalive 10",
        "# comment",
        "login password x",
        "administrator password encrypted x",
        "sshd host lan1",
        "syslog notice on",
        "ip lan1 proxyarp off",
        "ip lan1 proxyarp on",
        "ospf area backbone",
        "match ip address prefix-list PL",
        "set community 65000:1 no-export additive",
        "set community",
        "bgp additional-paths select all best 2",
        "neighbor 10.0.0.1 remote-as 65001",
        "neighbor 10.0.0.1 password x",
        "network 10.0.0.0 mask 255.0.0.0",
        "timers bgp 10 30",
    }
    return sorted(lines)


def _sequential(table: tuple[tuple[str, object], ...], text: str) -> object:
    return next((value for rx, value in table if re.match(rx, text)), None)


@pytest.mark.parametrize("name", sorted(TABLES))
def test_first_match_answers_as_trying_each_pattern_in_order(name: str) -> None:
    table = TABLES[name]
    first = FirstMatch(table)
    corpus = _corpus()
    hits = 0
    for line in corpus:
        expected = _sequential(table, line)
        assert first(line) == expected, line
        hits += expected is not None
    assert hits > 0, "the corpus must exercise the table"


def test_first_match_keeps_the_order_of_overlapping_patterns() -> None:
    first = FirstMatch([(r"^a", "first"), (r"^ab", "second"), (r"^(a)(b)c$", "third")])
    assert first("abc") == "first"
    assert FirstMatch([(r"^ab", "second"), (r"^(a)(b)c$", "third")])("abc") == "second"
    assert FirstMatch([(r"^(a)(b)c$", "third"), (r"^ab", "second")])("abc") == "third"
    assert first("x") is None


def test_first_match_refuses_named_groups() -> None:
    with pytest.raises(ValueError, match="must not name"):
        FirstMatch([(r"^(?P<p1>a)", 1)])


def _mask_everything(text: str) -> str:
    """masking.mask without its shortcut: every pattern runs."""
    for rx in masking._CONFIG_SECRETS:
        text = rx.sub(lambda m: m.group(0)[: m.start("v") - m.start(0)] + masking.MASK, text)
    return text


SECRET_LINES = [
    "enable secret 5 $1$abcd",
    "username admin privilege 15 secret 9 $9$xyz",
    "snmp-server community s3cret RO",
    "snmp-agent community read-only s3cret",
    "snmp community read-write s3cret",
    "tacacs-server key 7 0822455D0A16",
    " key-string 7 0822455D0A16",
    " standby 1 authentication text s3cret",
    " vrrp 2 authentication s3cret",
    "pre-shared-key text s3cret",
    "pp auth myname user s3cret",
    "login password s3cret",
    "administrator password encrypted abcd",
]


def test_mask_shortcut_changes_nothing() -> None:
    lines = [*_corpus(), *SECRET_LINES]
    masked = 0
    for line in lines:
        assert masking.mask(line) == _mask_everything(line), line
        masked += masking.MASK in masking.mask(line)
    assert masked >= len(SECRET_LINES)
    for line in SECRET_LINES:
        assert "s3cret" not in masking.mask(line)


def test_mask_hides_exact_values_first() -> None:
    assert masking.mask("hello topsecretvalue", ["topsecretvalue"]) == "hello ********"


# A line each section handler of the IOS parser takes (a new handler needs one here).
SECTION_SAMPLES = {
    r"^interface (\S+)$": "interface Vlan10",
    r"^vlan (\d+)$": "vlan 10",
    r"^router ospf (\d+)$": "router ospf 1",
    r"^ip access-list (standard|extended) (\S+)$": "ip access-list extended EDGE",
    r"^line ": "line vty 0 4",
    r"^banner (motd|login|exec) ": "banner motd ^C",
    r"^(tacacs|radius) server (\S+)$": "radius server R1",
    r"^aaa group server (tacacs\+|radius) (\S+)$": "aaa group server tacacs+ T",
    r"^route-map (\S+) (permit|deny) (\d+)$": "route-map RM permit 10",
    r"^router bgp (\d+)$": "router bgp 65001",
}


def test_every_ios_section_handler_is_reached_through_the_quick_prefix_check() -> None:
    assert [rx.pattern for rx, _ in ios.SECTION_HANDLERS] == list(SECTION_SAMPLES)
    for rx, _ in ios.SECTION_HANDLERS:
        sample = SECTION_SAMPLES[rx.pattern]
        assert rx.match(sample), sample
        assert sample.startswith(ios.SECTION_STARTS), sample
