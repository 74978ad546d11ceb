"""Translation: fail closed, counts preserved, on public configurations nobody here wrote."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from ictinfra.inventory import Inventory, load_inventory
from ictinfra.inventory.model import Platform
from ictinfra.netmig.errors import TranslateError
from ictinfra.netmig.model import NeutralDevice, Outcome, Translation
from ictinfra.netmig.parsers.ios import parse_ios
from ictinfra.netmig.translate import accounting_report, translate_device, translate_text
from ictinfra.render.devices import render_device

PUBLIC = Path(__file__).parent / "fixtures" / "public"
ROOT = Path(__file__).resolve().parents[2]


def _counts(nd: NeutralDevice) -> dict[str, int]:
    return {
        "interfaces": len(nd.interfaces),
        "addresses": sum(len(i.addresses) for i in nd.interfaces),
        "routes": len(nd.static_routes),
        "acl_entries": sum(len(a.entries) for a in nd.acls),
        "acl_bindings": sum(
            (i.acl_in is not None) + (i.acl_out is not None) for i in nd.interfaces
        ),
        "ospf_networks": len(nd.ospf.networks) if nd.ospf else 0,
    }


def test_ios_to_xe_of_the_inventory_gives_the_replacement_config(inventory: Inventory) -> None:
    new = inventory.devices_by_hostname["ho-core-11"]
    old = inventory.devices_by_hostname["ho-core-01"]
    t = translate_device(inventory, new, render_device(inventory, old))
    assert t.ok
    assert t.config == render_device(inventory, new)


def test_yamaha_to_nec_merges_interface_map_and_new_addresses(inventory: Inventory) -> None:
    new = inventory.devices_by_hostname["iga-rt-11"]
    old = inventory.devices_by_hostname["iga-rt-01"]
    t = translate_device(inventory, new, render_device(inventory, old))
    assert t.ok, t.blocking
    want = render_device(inventory, new).splitlines()
    got = t.config.splitlines()
    # The translation carries one fact the inventory render has no key for: the domain.
    assert [line for line in got if line not in want] == [
        "dns-resolver domain-name pref.test.example"
    ]
    assert [line for line in want if line not in got] == []


def test_yamaha_floating_default_route_is_one_line_with_a_backup_gateway() -> None:
    """The example inventory's Ise router: a primary WAN default and a backup via the radio
    router (distance 200). An RTX holds both on one line; a second line would replace it."""
    inv = load_inventory(ROOT / "inventory")
    old = inv.devices_by_hostname["ise-rt-01"]
    rendered = render_device(inv, old)
    routes = [line for line in rendered.splitlines() if line.startswith("ip route ")]
    assert routes == ["ip route default gateway 172.16.16.1 gateway 10.16.100.2 weight 0"]
    # YAMAHA -> NEC IX: a floating static route, at the inventory's distance.
    nec = translate_device(inv, inv.devices_by_hostname["ise-rt-11"], rendered)
    assert nec.ok
    assert [line for line in nec.config.splitlines() if line.startswith("ip route ")] == [
        "ip route default 172.16.16.1",
        "ip route default 10.16.100.2 distance 200",
    ]
    # YAMAHA -> YAMAHA keeps the one line; IOS -> YAMAHA builds it from two IOS routes.
    same_platform = translate_text(rendered, Platform.YAMAHA_RTX, Platform.YAMAHA_RTX)
    assert routes[0] in same_platform.config.splitlines()
    ios = "hostname r\nip route 0.0.0.0 0.0.0.0 192.0.2.1\nip route 0.0.0.0 0.0.0.0 192.0.2.9 250\n"
    from_ios = translate_text(ios, Platform.CISCO_IOS, Platform.YAMAHA_RTX)
    assert [line for line in from_ios.config.splitlines() if line.startswith("ip route ")] == [
        "ip route default gateway 192.0.2.1 gateway 192.0.2.9 weight 0"
    ]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("ip route default gateway pp 1", "has no equivalent"),
        ("ip route 10.0.0.0/8 gateway 192.0.2.1 weight 3", "load-sharing weight 3"),
        ("ip route default gateway 192.0.2.1 keepalive 1", "'keepalive 1' is not translated"),
    ],
)
def test_yamaha_routes_that_cannot_be_expressed_are_unsupported(line: str, reason: str) -> None:
    t = translate_text(f"console prompt r\n{line}\n", Platform.YAMAHA_RTX, Platform.NEC_IX)
    (acct,) = [a for a in t.accounting if a.text == line]
    assert acct.outcome is Outcome.UNSUPPORTED
    assert reason in acct.reason
    assert not t.ok


def test_every_source_line_is_accounted_for() -> None:
    text = (PUBLIC / "batfish_as2dept1.cfg").read_text(encoding="utf-8")
    t = translate_text(text, Platform.CISCO_IOS, Platform.CISCO_XE)
    numbers = [a.number for a in t.accounting]
    assert numbers == list(range(1, len(text.split("\n")) + 1))
    assert all(a.reason for a in t.accounting if a.outcome is not Outcome.TRANSLATED)


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        (
            "batfish_as2core1.cfg",
            {
                "interfaces": 6,
                "addresses": 5,
                "routes": 0,
                "acl_entries": 2,
                "acl_bindings": 2,
                "ospf_networks": 1,
            },
        ),
        (
            "batfish_as2dept1.cfg",
            {
                "interfaces": 6,
                "addresses": 5,
                "routes": 0,
                "acl_entries": 12,
                "acl_bindings": 2,
                "ospf_networks": 0,
            },
        ),
    ],
)
def test_public_ios_configs_keep_their_counts_and_report_what_is_unsupported(
    fixture: str, expected: dict[str, int]
) -> None:
    text = (PUBLIC / fixture).read_text(encoding="utf-8")
    # Counted independently of the parser, from the text itself:
    assert len(re.findall(r"(?m)^interface ", text)) == expected["interfaces"]
    assert len(re.findall(r"(?m)^ ip address \S+ \S+", text)) == expected["addresses"]
    blocked = translate_text(text, Platform.CISCO_IOS, Platform.CISCO_XE)
    assert not blocked.ok
    assert blocked.config == ""
    unsupported = {a.text for a in blocked.blocking}
    assert "ip tcp synwait-time 5" in unsupported  # reported, not lost
    assert not any(t.startswith(("router bgp", "neighbor ")) for t in unsupported)  # BGP travels
    assert "speed 1000" not in unsupported  # port speed and duplex travel to IOS-XE

    waived = translate_text(
        text,
        Platform.CISCO_IOS,
        Platform.CISCO_XE,
        interface_map={"Ethernet0/0": "GigabitEthernet0/0/0"},
        waivers=tuple(f"re:^{re.escape(a.text)}$" for a in blocked.blocking),
    )
    assert waived.ok
    assert _counts(waived.device) == expected
    reparsed, _ = parse_ios(waived.config)
    assert _counts(reparsed) == expected
    assert re.search(
        r"interface GigabitEthernet0/0/0\n no ip address\n(?: duplex auto\n)? shutdown\n",
        waived.config,
    )
    # Speed and duplex, counted from the text, reach the target on the same ports.
    speeds = {(i.name, i.speed, i.duplex) for i in reparsed.interfaces if i.speed or i.duplex}
    source_ports = {
        (i.name if i.name != "Ethernet0/0" else "GigabitEthernet0/0/0", i.speed, i.duplex)
        for i in parse_ios(text)[0].interfaces
        if i.speed or i.duplex
    }
    assert speeds == source_ports
    assert len(speeds) == len(
        {m.start() for m in re.finditer(r"(?m)^interface \S+\n(?: .*\n)*? (?:speed|duplex) ", text)}
    )
    every_port = {i.name: f"GigaEthernet{n}.0" for n, i in enumerate(parse_ios(text)[0].interfaces)}
    nec = translate_text(text, Platform.CISCO_IOS, Platform.NEC_IX, interface_map=every_port)
    assert any(a.text == "speed 1000" and "speed/duplex syntax" in a.reason for a in nec.blocking)


def test_acl_entries_render_with_their_matches() -> None:
    text = (PUBLIC / "batfish_as2core1.cfg").read_text(encoding="utf-8")
    blocked = translate_text(text, Platform.CISCO_IOS, Platform.CISCO_XE)
    t = translate_text(
        text,
        Platform.CISCO_IOS,
        Platform.CISCO_XE,
        interface_map={"Ethernet0/0": "GigabitEthernet0/0/0"},
        waivers=tuple(f"re:^{re.escape(a.text)}$" for a in blocked.blocking),
    )
    assert (
        "ip access-list extended blocktelnet\n deny tcp any any eq 23\n permit ip any any\n"
        in t.config
    )
    assert " network 2.0.0.0 0.255.255.255 area 1\n" in t.config


def test_public_yamaha_config_reports_pp_and_dhcp_as_unsupported() -> None:
    text = (PUBLIC / "wnoguchi_rtx1200_getting_started.cfg").read_text(encoding="utf-8")
    t = translate_text(
        text, Platform.YAMAHA_RTX, Platform.NEC_IX, interface_map={"lan1": "GigaEthernet0.0"}
    )
    blocked = {a.text.split()[0] for a in t.blocking}
    assert {"dhcp", "pp", "pppoe", "ppp"} <= blocked
    assert "パスワード" not in "".join(a.text for a in t.accounting)  # the PPP secret is masked
    assert t.config == ""


def test_yamaha_filters_become_acls_on_nec() -> None:
    text = "\n".join(
        [
            "console prompt rtx-test",
            "ip lan1 address 192.168.10.1/24",
            "ip lan1 secure filter in 100 101 102",
            "ip filter 100 pass 192.168.10.0/24 * tcp * www",
            "ip filter 101 reject * 192.168.10.5 udp * 53",
            "ip filter 102 pass * * icmp",
            "ip filter 900 reject * * * * *",
            "ip route 10.0.0.0/8 gateway 192.168.10.254",
        ]
    )
    t = translate_text(
        text, Platform.YAMAHA_RTX, Platform.NEC_IX, interface_map={"lan1": "GigaEthernet0.0"}
    )
    assert t.ok, t.blocking
    assert (
        "ip access-list lan1-in permit tcp src 192.168.10.0/24 sport any dest any dport eq 80"
        in t.config
    )
    assert (
        "ip access-list lan1-in deny udp src any sport any dest 192.168.10.5/32 dport eq 53"
        in t.config
    )
    assert "ip access-list lan1-in permit icmp src any dest any" in t.config
    assert "  ip filter lan1-in 1 in" in t.config
    assert "ip route 10.0.0.0/8 192.168.10.254" in t.config
    unused = next(a for a in t.accounting if a.text.startswith("ip filter 900"))
    assert unused.outcome is Outcome.DROPPED
    assert "not applied" in unused.reason


def test_target_without_a_feature_fails_closed() -> None:
    text = (
        "hostname sw1\nvlan 10\n name users\n"
        "interface GigabitEthernet0/1\n switchport mode access\n"
    )
    t = translate_text(
        text,
        Platform.CISCO_IOS,
        Platform.NEC_IX,
        interface_map={"GigabitEthernet0/1": "GigaEthernet0.0"},
    )
    assert not t.ok
    assert {a.text for a in t.blocking} == {"vlan 10", "name users", "switchport mode access"}
    assert all("nec_ix has no rendering" in a.reason for a in t.blocking)


def test_unmapped_interface_blocks_unless_waived() -> None:
    text = "console prompt r1\nip lan1 address 10.0.0.1/24\n"
    blocked = translate_text(text, Platform.YAMAHA_RTX, Platform.NEC_IX)
    assert [a.text for a in blocked.blocking] == ["ip lan1 address 10.0.0.1/24"]
    waived = translate_text(
        text, Platform.YAMAHA_RTX, Platform.NEC_IX, waivers=("ip lan1 address 10.0.0.1/24",)
    )
    assert waived.ok
    assert "10.0.0.1" not in waived.config


def test_bad_requests_raise_the_layer_error() -> None:
    with pytest.raises(TranslateError):
        translate_text("hostname a\n", Platform.NEC_IX, Platform.CISCO_XE)
    with pytest.raises(TranslateError):
        # NEC IX has one port per entry: a multi-port IOS entry cannot render.
        translate_text(
            "hostname a\nip access-list extended WEB\n permit tcp any any eq 80 443\n",
            Platform.CISCO_IOS,
            Platform.NEC_IX,
        )
    with pytest.raises(TranslateError):
        translate_text("ntp server 10.0.0.1\n", Platform.CISCO_IOS, Platform.CISCO_XE)


def test_translate_task_prints_config_and_accounting(tmp_path: Path) -> None:
    src = tmp_path / "old.cfg"
    src.write_text("hostname r1\nntp server 10.0.0.1\nrouter eigrp 1\n network 10.0.0.0\n")
    cmd = [sys.executable, "-m", "invoke", "--search-root", str(ROOT), "net.translate",
           "--source-file", str(src), "--from", "cisco_ios", "--to", "cisco_xe"]  # fmt: skip
    blocked = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
    assert blocked.returncode == 1
    assert "unsupported router eigrp 1" in blocked.stdout
    assert "hostname r1" not in blocked.stdout.split("#")[0]
    ok = subprocess.run(
        [*cmd, "--waive", "eigrp|network"], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("! r1 (cisco_xe)")
    assert "ntp server 10.0.0.1" in ok.stdout
    assert "waived      router eigrp 1" in ok.stdout


def test_public_ios_acls_reach_nec_ix_with_every_entry_and_binding() -> None:
    text = (PUBLIC / "batfish_as2border1.cfg").read_text(encoding="utf-8")
    names = {
        "Ethernet0/0": "GigaEthernet3.0",
        "GigabitEthernet0/0": "GigaEthernet0.0",
        "GigabitEthernet1/0": "GigaEthernet1.0",
        "GigabitEthernet2/0": "GigaEthernet2.0",
    }
    blocked = translate_text(text, Platform.CISCO_IOS, Platform.NEC_IX, interface_map=names)
    reported = {a.text for a in blocked.blocking}
    # Not IOS syntax (a prefix length on an IOS address): reported, not guessed.
    assert "ip address 240.2.2.2/31" in reported
    assert "redistribute connected subnets" in reported
    t = translate_text(
        text,
        Platform.CISCO_IOS,
        Platform.NEC_IX,
        interface_map=names,
        waivers=tuple(f"re:^{re.escape(a.text)}$" for a in blocked.blocking),
    )
    entries_in_source = len(
        re.findall(r"(?m)^( (permit|deny) |access-list \d+ (permit|deny))", text)
    )
    assert entries_in_source == 15
    assert len(re.findall(r"(?m)^ip access-list \S+ (permit|deny) ", t.config)) == 15
    assert (
        "ip access-list INSIDE_TO_AS1 permit tcp src any sport eq 179 dest any dport any"
        in t.config
    )
    assert "  ip filter OUTSIDE_TO_INSIDE 1 in\n  ip filter INSIDE_TO_AS1 1 out\n" in t.config
    assert "ntp server 18.18.18.18\nntp server 23.23.23.23\n" in t.config


# --- AAA ----------------------------------------------------------------------------------

OWN = Path(__file__).parent / "fixtures" / "own"
AAA_REFUSED = {
    "username legacy password 7 ********": "reversible password",
    "radius-server host 10.2.11.62 key ********": "clear-text key",
    "aaa authorization exec default group TACS local": "AAA command not translated",
}


def _aaa_counts(nd: NeutralDevice) -> dict[str, int]:
    aaa = nd.aaa
    assert aaa is not None
    return {
        "servers": len(aaa.servers),
        "keyed_servers": sum(bool(s.key) for s in aaa.servers),
        "groups": len(aaa.groups),
        "group_members": sum(len(g.servers) for g in aaa.groups),
        "login_lists": len(aaa.login_lists),
        "users": len(aaa.users),
    }


def test_ios_aaa_reaches_xe_with_hashes_kept_and_secrets_masked() -> None:
    text = (OWN / "ios_aaa.cfg").read_text(encoding="utf-8")
    blocked = translate_text(text, Platform.CISCO_IOS, Platform.CISCO_XE)
    assert {a.text: a.reason for a in blocked.blocking}.keys() == AAA_REFUSED.keys()
    for a in blocked.blocking:
        assert AAA_REFUSED[a.text] in a.reason
    t = translate_text(
        text,
        Platform.CISCO_IOS,
        Platform.CISCO_XE,
        interface_map={"GigabitEthernet0/0": "GigabitEthernet0/0/0"},
        waivers=tuple(f"re:^{re.escape(a.text.split(' *')[0])}" for a in blocked.blocking),
    )
    assert t.ok
    # Counted from the source text, independently of the parser: three servers (two legacy
    # hosts sharing the global key, one named), one group of two, two login lists, the two
    # accounts with a secret.
    expected = {
        "servers": len(re.findall(r"(?m)^(tacacs-server host|radius server) ", text)),
        "keyed_servers": 3,
        "groups": len(re.findall(r"(?m)^aaa group server ", text)),
        "group_members": len(re.findall(r"(?m)^ server ", text)),
        "login_lists": len(re.findall(r"(?m)^aaa authentication login ", text)),
        "users": len(re.findall(r"(?m)^username \S+ .*secret [589] ", text)),
    }
    assert expected == {
        "servers": 3, "keyed_servers": 3, "groups": 1, "group_members": 2,
        "login_lists": 2, "users": 2,
    }  # fmt: skip
    assert _aaa_counts(t.device) == expected
    reparsed, _ = parse_ios(t.config)
    assert _aaa_counts(reparsed) == expected
    # The modern syntax, the hashes and encrypted keys as the old device stored them.
    assert "tacacs server TACACS-10.2.11.52\n address ipv4 10.2.11.52\n key 7 094F471A1A0A\n" in (
        t.config
    )
    assert "aaa authentication login default group TACS local\n" in t.config
    assert re.search(r"(?m)^username admin privilege 15 secret 9 \$9\$\S+$", t.config)
    # No clear-text key or reversible password reaches the config; nothing secret the report.
    assert "cleartextkey" not in t.config
    assert "username legacy" not in t.config
    report = accounting_report(t)
    for secret in ("0822455D0A16", "094F471A1A0A", "$9$", "$1$", "cleartextkey"):
        assert secret not in report


def test_ios_aaa_to_nec_ix_stays_unsupported_with_the_reason() -> None:
    text = (OWN / "ios_aaa.cfg").read_text(encoding="utf-8")
    t = translate_text(
        text,
        Platform.CISCO_IOS,
        Platform.NEC_IX,
        interface_map={"GigabitEthernet0/0": "GigaEthernet0.0"},
    )
    aaa_lines = [a for a in t.accounting if a.feature.startswith("aaa")]
    assert aaa_lines
    assert all(a.outcome is Outcome.UNSUPPORTED for a in aaa_lines)
    assert all("not verified" in a.reason for a in aaa_lines)
    assert t.config == ""


def test_public_config_aaa_lines_are_accounted_for() -> None:
    text = (PUBLIC / "batfish_as2border1.cfg").read_text(encoding="utf-8")
    t = translate_text(text, Platform.CISCO_IOS, Platform.CISCO_XE)
    outcome = {a.text: a for a in t.accounting if "aaa" in a.text}
    assert outcome["aaa new-model"].outcome is Outcome.TRANSLATED
    assert outcome["no aaa new-model"].outcome is Outcome.DROPPED
    # Not a method list: reported, not guessed at.
    assert outcome["aaa authentication login privilege-mode"].outcome is Outcome.UNSUPPORTED


# --- first-hop redundancy -----------------------------------------------------------------

FHRP_SOURCE = """hostname dist
interface Vlan10
 ip address 10.0.0.2 255.255.255.0
 standby version 2
 standby 10 ip 10.0.0.1
 standby 10 priority 110
 standby 10 preempt
 standby 10 authentication md5 key-string 7 0822455D0A16
 vrrp 20 ip 10.0.0.3
 vrrp 20 timers advertise 3
!
interface Vlan11
 ip address 10.0.1.2 255.255.255.0
 standby 11 ip 10.0.1.1
!
"""


def test_hsrp_and_vrrp_reach_xe_and_their_options_are_reported() -> None:
    blocked = translate_text(FHRP_SOURCE, Platform.CISCO_IOS, Platform.CISCO_XE)
    refused = {a.text: a.reason for a in blocked.blocking}
    assert refused == {
        "standby 10 authentication md5 key-string 7 ********": (
            "standby option not supported (in Vlan10)"
        ),
        "vrrp 20 timers advertise 3": "vrrp option not supported (in Vlan10)",
    }
    assert "0822455D0A16" not in accounting_report(blocked)  # an HSRP key is a secret too
    t = translate_text(
        FHRP_SOURCE,
        Platform.CISCO_IOS,
        Platform.CISCO_XE,
        waivers=("re:authentication", "re:timers"),
    )
    assert t.ok
    assert (
        " ip address 10.0.0.2 255.255.255.0\n standby version 2\n standby 10 ip 10.0.0.1\n"
        " standby 10 priority 110\n standby 10 preempt\n vrrp 20 ip 10.0.0.3\n"
    ) in t.config
    assert " standby 11 ip 10.0.1.1\n no shutdown\n" in t.config
    reparsed, _ = parse_ios(t.config)
    groups = {(i.name, g.protocol, g.group, str(g.address), g.priority, g.preempt, g.version)
              for i in reparsed.interfaces for g in i.fhrp}  # fmt: skip
    assert groups == {
        ("Vlan10", "hsrp", 10, "10.0.0.1", 110, True, 2),
        ("Vlan10", "vrrp", 20, "10.0.0.3", None, False, None),
        ("Vlan11", "hsrp", 11, "10.0.1.1", None, False, None),
    }
    # Counted from the text: every group address of the source is in the target.
    assert len(re.findall(r"(?m)^ (?:standby|vrrp) \d+ ip ", FHRP_SOURCE)) == len(groups)


def test_hsrp_to_nec_ix_stays_unsupported_with_the_reason() -> None:
    t = translate_text(
        FHRP_SOURCE, Platform.CISCO_IOS, Platform.NEC_IX,
        interface_map={"Vlan10": "GigaEthernet0.0", "Vlan11": "GigaEthernet0.1"},
    )  # fmt: skip
    fhrp = [a for a in t.accounting if a.feature == "fhrp"]
    assert len(fhrp) == 6
    assert all(a.outcome is Outcome.UNSUPPORTED and "VRRP syntax" in a.reason for a in fhrp)


# --- routing policy -----------------------------------------------------------------------


def _policy_counts(nd: NeutralDevice) -> dict[str, int]:
    return {
        "prefix_list_entries": sum(len(p.entries) for p in nd.prefix_lists),
        "community_list_entries": sum(len(c.entries) for c in nd.community_lists),
        "route_map_entries": sum(len(r.entries) for r in nd.route_maps),
        "route_map_matches": sum(len(e.matches) for r in nd.route_maps for e in r.entries),
        "route_map_sets": sum(len(e.sets) for r in nd.route_maps for e in r.entries),
    }


def waived_translation(text: str, target: Platform) -> Translation:
    blocked = translate_text(text, Platform.CISCO_IOS, target)
    return translate_text(
        text,
        Platform.CISCO_IOS,
        target,
        interface_map={"Ethernet0/0": "GigabitEthernet0/0/0"},
        waivers=tuple(f"re:^{re.escape(a.text)}$" for a in blocked.blocking),
    )


def test_public_prefix_lists_route_maps_and_community_lists_keep_their_counts() -> None:
    text = (PUBLIC / "batfish_as2border1.cfg").read_text(encoding="utf-8")
    # Counted from the text, independently of the parser.
    expected = {
        "prefix_list_entries": len(re.findall(r"(?m)^ip prefix-list \S+ seq ", text)),
        "community_list_entries": len(re.findall(r"(?m)^ip community-list ", text)),
        "route_map_entries": len(re.findall(r"(?m)^route-map ", text)),
        "route_map_matches": len(re.findall(r"(?m)^ match ", text)),
        "route_map_sets": len(re.findall(r"(?m)^ set ", text)),
    }
    assert expected == {
        "prefix_list_entries": 3, "community_list_entries": 3, "route_map_entries": 6,
        "route_map_matches": 5, "route_map_sets": 12,
    }  # fmt: skip
    t = waived_translation(text, Platform.CISCO_XE)
    assert t.ok
    policy = [
        a for a in t.accounting if a.feature in {"prefix_list", "community_list", "route_map"}
    ]
    assert all(a.outcome is Outcome.TRANSLATED for a in policy)
    assert _policy_counts(t.device) == expected
    reparsed, _ = parse_ios(t.config)
    assert _policy_counts(reparsed) == expected
    assert "ip prefix-list outbound_routes seq 5 permit 2.128.0.0/9 ge 16\n" in t.config
    # NEC IX has no rendering for them: reported, never dropped silently.
    nec = translate_text(text, Platform.CISCO_IOS, Platform.NEC_IX)
    assert {a.text for a in nec.blocking} >= {"route-map as2_to_as1 permit 2", "set metric 50"}


def test_route_map_clauses_it_does_not_know_are_unsupported() -> None:
    text = "route-map RM permit 10\n match interface GigabitEthernet0/1\n set weight 100\n"
    t = translate_text(text, Platform.CISCO_IOS, Platform.CISCO_XE)
    assert {a.text: a.reason for a in t.blocking} == {
        "match interface GigabitEthernet0/1": "route-map clause not supported",
        "set weight 100": "route-map clause not supported",
    }


# --- BGP ----------------------------------------------------------------------------------


def test_public_bgp_reaches_xe_with_every_statement_and_renamed_sources() -> None:
    text = (PUBLIC / "batfish_as2border1.cfg").read_text(encoding="utf-8")
    section = text[text.index("router bgp 2") : text.index("exit-address-family")]
    # Counted from the text: neighbour statements at router level and in the family.
    expected_router = len(re.findall(r"(?m)^ neighbor ", section))
    expected_family = len(re.findall(r"(?m)^  \S", section))
    assert (expected_router, expected_family) == (12, 16)
    t = translate_text(
        text,
        Platform.CISCO_IOS,
        Platform.CISCO_XE,
        interface_map={
            "Ethernet0/0": "GigabitEthernet0/0/0",
            "GigabitEthernet0/0": "GigabitEthernet0/0/1",
        },
        waivers=("re:.",),  # everything else this config has is not under test here
    )
    bgp_lines = [a for a in t.accounting if a.feature == "bgp"]
    assert bgp_lines
    assert all(a.outcome is Outcome.TRANSLATED for a in bgp_lines)
    reparsed, _ = parse_ios(t.config)
    assert reparsed.bgp is not None
    assert reparsed.bgp.asn == 2
    assert sum(s.text.startswith("neighbor ") for s in reparsed.bgp.statements) == expected_router
    assert reparsed.bgp.ipv4 is not None
    assert len(reparsed.bgp.ipv4) == expected_family
    # The update source follows the port's new name.
    assert " neighbor 240.2.2.3 update-source GigabitEthernet0/0/1\n" in t.config
    # Anything else in a BGP section is reported, never passed through unread.
    odd = translate_text(
        "router bgp 65001\n neighbor 192.0.2.1 password 7 0822455D0A16\n"
        " address-family vpnv4\n  neighbor 192.0.2.1 activate\n exit-address-family\n",
        Platform.CISCO_IOS,
        Platform.CISCO_XE,
    )
    assert {a.text: a.reason for a in odd.blocking} == {
        "neighbor 192.0.2.1 password 7 ********": "BGP statement not supported",
        "address-family vpnv4": "only the IPv4 unicast address family is translated",
        "neighbor 192.0.2.1 activate": "inside an address family that is not translated",
        "exit-address-family": "inside an address family that is not translated",
    }
    nec = translate_text(text, Platform.CISCO_IOS, Platform.NEC_IX)
    assert "router bgp 2" in {a.text for a in nec.blocking}


def test_ospf_redistribution_reaches_xe_and_is_reported_for_nec() -> None:
    text = (PUBLIC / "batfish_as2border1.cfg").read_text(encoding="utf-8")
    assert " redistribute connected subnets\n" in text
    t = translate_text(
        text,
        Platform.CISCO_IOS,
        Platform.CISCO_XE,
        interface_map={"Ethernet0/0": "GigabitEthernet0/0/0"},
        waivers=("re:.",),
    )
    (line,) = [a for a in t.accounting if a.text == "redistribute connected subnets"]
    assert line.outcome is Outcome.TRANSLATED
    assert re.search(r"(?m)^router ospf 1\n(?: .*\n)*? redistribute connected subnets\n", t.config)
    reparsed, _ = parse_ios(t.config)
    assert reparsed.ospf is not None
    assert reparsed.ospf.redistribute == ("connected subnets",)
    nec = translate_text(text, Platform.CISCO_IOS, Platform.NEC_IX)
    assert "redistribute connected subnets" in {a.text for a in nec.blocking}
    odd = translate_text("router ospf 1\n redistribute bgp 65000 subnets\n", Platform.CISCO_IOS,
                         Platform.CISCO_XE)  # fmt: skip
    assert {a.text for a in odd.blocking} == {"redistribute bgp 65000 subnets"}
