"""hier_config remediation and rollback: circular golden tests on the simulator's config model.

Golden files change only with ICTINFRA_UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from ictinfra.inventory import Inventory, load_inventory
from ictinfra.inventory.model import Platform
from ictinfra.netmig.diff import diff, same
from ictinfra.netmig.drivers import net_driver
from ictinfra.netmig.sim.configtree import ConfigTree
from ictinfra.netmig.sim.device import SimDevice
from ictinfra.netmig.sim.platforms import PLATFORMS
from ictinfra.netmig.sim.server import sim_device
from ictinfra.netmig.translate import translate_device, translate_text
from ictinfra.render.devices import render_device

GOLDEN = Path(__file__).parent / "golden"
ROOT = Path(__file__).resolve().parents[2]
UPDATE = os.environ.get("ICTINFRA_UPDATE_GOLDEN") == "1"


def _errors(platform: str, replies: list[str]) -> list[str]:
    rx = re.compile(net_driver(platform).error_pattern, re.MULTILINE)
    return [r for r in replies if rx.search(r)]


def _check_golden(name: str, data: dict[str, list[str]]) -> None:
    path = GOLDEN / f"{name}.json"
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if UPDATE or not path.exists():
        if not UPDATE:
            pytest.fail(f"{path} missing: run with ICTINFRA_UPDATE_GOLDEN=1 and review it")
        path.write_text(text, encoding="utf-8")
    assert json.loads(path.read_text(encoding="utf-8")) == data


@pytest.mark.parametrize("hostname", ["ho-core-11", "iga-rt-11"])
def test_remediation_reaches_intended_and_rollback_returns(
    inventory: Inventory, hostname: str
) -> None:
    dev = inventory.devices_by_hostname[hostname]
    assert dev.replaces is not None
    intended = translate_device(
        inventory, dev, render_device(inventory, inventory.devices_by_hostname[dev.replaces])
    ).config
    sim = sim_device(inventory, dev, "u", "p")
    cli = PLATFORMS[sim.platform]
    running = cli.config_text(sim, sim.running)
    d = diff(dev.platform, running, intended)
    _check_golden(hostname, {"remediation": list(d.remediation), "rollback": list(d.rollback)})

    assert _errors(dev.platform, cli.push_offline(sim, list(d.remediation))) == []
    after = cli.config_text(sim, sim.running)
    assert same(dev.platform, after, intended)
    assert diff(dev.platform, after, intended).empty  # a second run changes nothing

    assert _errors(dev.platform, cli.push_offline(sim, list(d.rollback))) == []
    assert same(dev.platform, cli.config_text(sim, sim.running), running)


def test_changes_on_an_old_yamaha_are_keyed_not_duplicated(inventory: Inventory) -> None:
    dev = inventory.devices_by_hostname["iga-rt-01"]
    running = render_device(inventory, dev)
    intended = running.replace("ip lan2 address 10.255.17.2/30", "ip lan2 address 10.255.17.6/30")
    intended = intended.replace(
        "ip route default gateway 10.255.17.1", "ip route default gateway 10.255.17.5"
    )
    d = diff(dev.platform, running, intended)
    # One address per interface and one route line per destination (keyed): a new line
    # replaces the old one, as on an RTX, so nothing is negated first.
    assert set(d.remediation) == {
        "ip route default gateway 10.255.17.5",
        "ip lan2 address 10.255.17.6/30",
    }
    sim = sim_device(inventory, dev, "u", "p")
    cli = PLATFORMS["yamaha"]
    cli.push_offline(sim, list(d.remediation))
    assert same(dev.platform, cli.config_text(sim, sim.running), intended)
    cli.push_offline(sim, list(d.rollback))
    assert same(dev.platform, cli.config_text(sim, sim.running), running)


def test_yamaha_backup_gateway_joins_the_destination_line(inventory: Inventory) -> None:
    dev = inventory.devices_by_hostname["iga-rt-01"]
    running = render_device(inventory, dev)
    primary = "ip route default gateway 10.255.17.1"
    assert primary + "\n" in running
    intended = running.replace(primary, primary + " gateway 10.17.110.254 weight 0")
    d = diff(dev.platform, running, intended)
    assert d.remediation == (primary + " gateway 10.17.110.254 weight 0",)
    assert d.rollback == (primary,)
    sim = sim_device(inventory, dev, "u", "p")
    cli = PLATFORMS["yamaha"]
    # A second line for the destination would replace the first on the device: the one
    # line holds both gateways, and the backup is not in the table while the primary is.
    cli.push_offline(sim, list(d.remediation))
    assert same(dev.platform, cli.config_text(sim, sim.running), intended)
    assert [r.next_hop for r in cli.routes(sim.running) if r.prefix.prefixlen == 0] == [
        "10.255.17.1"
    ]
    cli.push_offline(sim, ["ip route default gateway 10.17.110.254"])
    shown = cli.config_text(sim, sim.running)
    assert "ip route default gateway 10.17.110.254\n" in shown
    assert "gateway 10.255.17.1" not in shown  # replaced, not added
    cli.push_offline(sim, list(d.rollback))
    assert same(dev.platform, cli.config_text(sim, sim.running), running)


def test_acl_and_banner_changes_on_ios(inventory: Inventory) -> None:
    dev = inventory.devices_by_hostname["ho-core-01"]
    running = render_device(inventory, dev)
    intended = running.replace(
        "banner motd ^C\nAuthorised use only.\n^C",
        "ip access-list extended MGMT\n permit tcp 10.1.99.0 0.0.0.255 any eq 22\n"
        " deny ip any any log\n!\nbanner motd ^C\nAuthorised use only. 許可された利用者のみ\n^C",
    )
    d = diff(dev.platform, running, intended)
    assert "no banner motd" in d.rollback
    sim = sim_device(inventory, dev, "u", "p")
    cli = PLATFORMS["cisco_ios"]
    assert _errors(dev.platform, cli.push_offline(sim, list(d.remediation))) == []
    assert same(dev.platform, cli.config_text(sim, sim.running), intended)
    cli.push_offline(sim, list(d.rollback))
    assert same(dev.platform, cli.config_text(sim, sim.running), running)
    assert d.unified[0] == "--- running"


def test_every_replacement_of_the_example_inventory_converges_offline() -> None:
    """Translate each predecessor's rendered config, push the remediation into a staged
    replacement (simulator model, no SSH), and check it reaches intended; blocked devices
    must name their lines (fail closed), never raise."""
    inv = load_inventory(ROOT / "inventory")
    converged = 0
    for dev in inv.replacements():
        assert dev.replaces is not None
        t = translate_device(inv, dev, render_device(inv, inv.devices_by_hostname[dev.replaces]))
        if not t.ok:
            assert all(a.reason and a.text for a in t.blocking)
            continue
        sim = sim_device(inv, dev, "u", "p")
        cli = PLATFORMS[sim.platform]
        d = diff(dev.platform, cli.config_text(sim, sim.running), t.config)
        assert _errors(dev.platform, cli.push_offline(sim, list(d.remediation))) == []
        assert same(dev.platform, cli.config_text(sim, sim.running), t.config), dev.hostname
        converged += 1
    assert converged >= len(inv.replacements()) * 3 // 4


def test_translated_aaa_pushes_onto_an_xe_and_rolls_back() -> None:
    source = Path(__file__).parent / "fixtures" / "own" / "ios_aaa.cfg"
    t = translate_text(
        source.read_text(encoding="utf-8"),
        Platform.CISCO_IOS,
        Platform.CISCO_XE,
        interface_map={"GigabitEthernet0/0": "GigabitEthernet0/0/0"},
        waivers=("re:^username legacy ", "re:^radius-server host ", "re:^aaa authorization "),
    )
    assert t.ok
    cli = PLATFORMS["cisco_xe"]
    sim = SimDevice(
        hostname="x",
        platform="cisco_xe",
        model="ISR 4331",
        running=ConfigTree.parse(cli.rules, "hostname old-ios\n"),
        username="u",
        password="p",
    )
    running = cli.config_text(sim, sim.running)
    d = diff("cisco_xe", running, t.config)
    assert "aaa new-model" in d.remediation
    assert not cli.push_offline(sim, list(d.remediation))  # every line accepted
    assert same("cisco_xe", cli.config_text(sim, sim.running), t.config)
    assert diff("cisco_xe", cli.config_text(sim, sim.running), t.config).empty
    assert not cli.push_offline(sim, list(d.rollback))
    assert same("cisco_xe", cli.config_text(sim, sim.running), running)


def test_hsrp_group_changes_push_onto_an_xe_sim() -> None:
    cli = PLATFORMS["cisco_xe"]
    base = "hostname d\ninterface Vlan10\n ip address 10.0.0.2 255.255.255.0\n no shutdown\n"
    running_tree = ConfigTree.parse(cli.rules, base + " standby 10 ip 10.0.0.1\n")
    sim = SimDevice(hostname="d", platform="cisco_xe", model="C9300", running=running_tree,
                    username="u", password="p")  # fmt: skip
    running = cli.config_text(sim, sim.running)
    intended = base + " standby 10 ip 10.0.0.1\n standby 10 priority 110\n standby 10 preempt\n"
    d = diff("cisco_xe", running, intended)
    assert [line.strip() for line in d.remediation] == [
        "interface Vlan10",
        "standby 10 priority 110",
        "standby 10 preempt",
    ]
    assert not cli.push_offline(sim, list(d.remediation))
    assert same("cisco_xe", cli.config_text(sim, sim.running), intended)
    assert not cli.push_offline(sim, list(d.rollback))
    assert same("cisco_xe", cli.config_text(sim, sim.running), running)


def _fresh_xe_sim(hostname: str) -> tuple[Any, SimDevice, str]:
    """An IOS-XE simulator holding only its hostname, and its running config as text."""
    cli = PLATFORMS["cisco_xe"]
    sim = SimDevice(hostname="b", platform="cisco_xe", model="ISR 4331",
                    running=ConfigTree.parse(cli.rules, f"hostname {hostname}\n"),
                    username="u", password="p")  # fmt: skip
    return cli, sim, cli.config_text(sim, sim.running)


def test_public_routing_policy_pushes_onto_an_xe_sim() -> None:
    text = (Path(__file__).parent / "fixtures" / "public" / "batfish_as2border1.cfg").read_text(
        encoding="utf-8"
    )
    blocked = translate_text(text, Platform.CISCO_IOS, Platform.CISCO_XE)
    t = translate_text(
        text,
        Platform.CISCO_IOS,
        Platform.CISCO_XE,
        interface_map={"Ethernet0/0": "GigabitEthernet0/0/0"},
        waivers=tuple(f"re:^{re.escape(a.text)}$" for a in blocked.blocking),
    )
    cli, sim, running = _fresh_xe_sim("as2border1")
    d = diff("cisco_xe", running, t.config)
    assert "route-map as2_to_as1 permit 2" in d.remediation
    assert not cli.push_offline(sim, list(d.remediation))
    assert same("cisco_xe", cli.config_text(sim, sim.running), t.config)
    assert not cli.push_offline(sim, list(d.rollback))
    assert same("cisco_xe", cli.config_text(sim, sim.running), running)


def test_translated_bgp_pushes_onto_an_xe_sim_and_rolls_back() -> None:
    text = (Path(__file__).parent / "fixtures" / "public" / "batfish_as2border1.cfg").read_text(
        encoding="utf-8"
    )
    t = translate_text(
        text,
        Platform.CISCO_IOS,
        Platform.CISCO_XE,
        interface_map={"Ethernet0/0": "GigabitEthernet0/0/0"},
        waivers=("re:.",),
    )
    cli, sim, running = _fresh_xe_sim("as2border1")
    d = diff("cisco_xe", running, t.config)
    assert "router bgp 2" in d.remediation
    assert not cli.push_offline(sim, list(d.remediation))
    shown = cli.config_text(sim, sim.running)
    assert "\n address-family ipv4\n  bgp dampening\n" in shown  # the family stays a level in
    assert same("cisco_xe", shown, t.config)
    # A change inside the family is a change there, not at router level.
    less = t.config.replace("  maximum-paths eibgp 5\n", "")
    step = diff("cisco_xe", shown, less)
    assert not cli.push_offline(sim, list(step.remediation))
    assert same("cisco_xe", cli.config_text(sim, sim.running), less)
    assert not cli.push_offline(sim, list(step.rollback))
    assert same("cisco_xe", cli.config_text(sim, sim.running), t.config)
    assert not cli.push_offline(sim, list(d.rollback))
    assert same("cisco_xe", cli.config_text(sim, sim.running), running)
