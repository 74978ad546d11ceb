"""The simulator fleet driven by real netmiko sessions, and each injected fault."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from netmiko import ConnectHandler, NetmikoAuthenticationException, NetmikoTimeoutException
from netmiko.exceptions import ReadTimeout
from ntc_templates.parse import parse_output

from ictinfra.inventory import Inventory, load_inventory
from ictinfra.netmig.checks import neighbours_of, parse_show
from ictinfra.netmig.errors import NetmigError
from ictinfra.netmig.sim.configtree import ConfigTree
from ictinfra.netmig.sim.device import Session
from ictinfra.netmig.sim.platforms import PLATFORMS
from ictinfra.netmig.sim.server import Fleet, inventory_fleet
from ictinfra.netmig.translate import translate_device
from ictinfra.render.devices import render_device
from tests.netmig.conftest import FIXTURES, PASSWORD, USER, connect

pytestmark = pytest.mark.integration


def test_current_devices_boot_with_their_rendered_config(
    fleet: Fleet, inventory: Inventory
) -> None:
    dev = inventory.devices_by_hostname["ho-core-01"]
    with connect(fleet, "ho-core-01") as conn:
        conn.enable()
        shown = conn.send_command("show running-config")
    assert shown.startswith("Building configuration...")
    expected = [
        line
        for line in render_device(inventory, dev).splitlines()
        if line.strip() and not line.startswith("!") and line != "end"
    ]
    body = [line for line in shown.splitlines() if line.strip() and not line.startswith("!")]
    for line in expected:
        assert line in body, line


def test_cisco_show_commands_parse_with_ntc_templates(fleet: Fleet) -> None:
    with connect(fleet, "ho-core-01") as conn:
        routes = conn.send_command("show ip route", use_textfsm=True)
        brief = conn.send_command("show ip interface brief", use_textfsm=True)
        version = conn.send_command("show version", use_textfsm=True)
    assert isinstance(routes, list)
    assert isinstance(brief, list)
    assert isinstance(version, list)
    assert {(r["protocol"], r["network"], r["prefix_length"]) for r in routes} == {
        ("C", "10.1.110.0", "24"),
        ("L", "10.1.110.1", "32"),
        ("C", "10.1.99.0", "24"),
        ("L", "10.1.99.2", "32"),
        ("S", "10.17.0.0", "16"),
    }
    assert [b["interface"] for b in brief] == ["Vlan110", "Vlan900", "GigabitEthernet1/0/1"]
    assert version[0]["hostname"] == "ho-core-01"


def test_yamaha_route_table_parses_with_ntc_template(fleet: Fleet) -> None:
    with connect(fleet, "iga-rt-01") as conn:
        text = conn.send_command("show ip route")
    rows = parse_output(platform="yamaha", command="show ip route", data=text)
    assert {(r["network"], r["protocol"]) for r in rows} == {
        ("default", "static"),
        ("10.17.110.0", "implicit"),
        ("10.255.17.0", "implicit"),
        ("10.17.99.0", "implicit"),
    }


@pytest.mark.parametrize(
    ("hostname", "change", "show"),
    [
        ("ho-core-01", ["interface Vlan110", " description changed"], "show running-config"),
        ("iga-rt-01", ['description lan1 "changed"'], "show config"),
        (
            "iga-rt-11",
            ["interface GigaEthernet0.0", "  description changed"],
            "show running-config",
        ),
    ],
)
def test_config_mode_changes_running_until_saved(
    fleet: Fleet, hostname: str, change: list[str], show: str
) -> None:
    dev = fleet.device(hostname)
    with connect(fleet, hostname) as conn:
        conn.enable()
        conn.send_config_set(change)
        assert not conn.check_config_mode() or dev.platform == "yamaha"
        assert "changed" in conn.send_command(show)
        assert dev.startup is not None
        assert "changed" not in "\n".join(dev.startup.lines())
        conn.save_config()
        if dev.platform == "yamaha":
            conn.exit_enable_mode()
    assert "changed" in "\n".join(dev.startup.lines())


def test_replacement_starts_from_a_staged_factory_config(fleet: Fleet) -> None:
    lines = fleet.device("ho-core-11").running.lines()
    assert "hostname ho-core-11" in lines
    assert " ip address 10.1.99.12 255.255.255.0" in lines
    assert not any("ip route" in line for line in lines)


def test_negation_and_replacement_rules() -> None:
    rules = PLATFORMS["cisco_ios"].rules
    tree = ConfigTree.parse(
        rules, "hostname a\ninterface Gi0/1\n ip address 10.0.0.1 255.0.0.0\n shutdown\n"
    )
    section = tree.apply("interface Gi0/1", None)
    tree.apply("ip address 10.0.0.2 255.0.0.0", section)
    tree.apply("no shutdown", section)
    tree.apply("hostname b", section)  # a global command leaves the section
    assert tree.lines() == [
        "hostname b",
        "interface Gi0/1",
        " ip address 10.0.0.2 255.0.0.0",
        " no shutdown",
        "!",
    ]
    tree.apply("no interface Gi0/1", None)
    assert tree.lines() == ["hostname b"]


def test_rejected_line_prints_the_platform_error(fleet: Fleet) -> None:
    fleet.device("ho-core-01").faults.reject = (r"^ntp server 192\.0\.2\.",)
    with connect(fleet, "ho-core-01") as conn:
        out = conn.send_config_set(["ntp server 192.0.2.1", "ntp server 10.0.0.5"])
    assert "% Invalid input detected at '^' marker." in out
    lines = fleet.device("ho-core-01").running.lines()
    assert "ntp server 10.0.0.5" in lines
    assert "ntp server 192.0.2.1" not in lines


def test_unknown_interface_name_is_rejected(fleet: Fleet) -> None:
    with connect(fleet, "iga-rt-11") as conn:
        out = conn.send_config_set(["interface lan1"])
    assert "% Invalid input" in out


def test_authentication_failure(fleet: Fleet) -> None:
    fleet.device("ho-core-01").faults.auth_fail = True
    with pytest.raises(NetmikoAuthenticationException):
        connect(fleet, "ho-core-01")
    with pytest.raises(NetmikoAuthenticationException):
        connect(fleet, "iga-rt-01", password="wrong")


def test_slow_device_times_out_a_short_read(fleet: Fleet) -> None:
    with connect(fleet, "ho-core-01") as conn:
        fleet.device("ho-core-01").faults.delay = 1.5
        with pytest.raises(ReadTimeout):
            conn.send_command("show ip route", read_timeout=0.5)


def test_connection_dropped_mid_push_leaves_a_partial_config(fleet: Fleet) -> None:
    dev = fleet.device("ho-core-01")
    dev.faults.drop_after = 2
    conn = connect(fleet, "ho-core-01")
    with pytest.raises((OSError, EOFError, ReadTimeout)):
        conn.send_config_set(
            ["ntp server 10.0.0.1", "ntp server 10.0.0.2", "ntp server 10.0.0.3"], read_timeout=3
        )
    lines = dev.running.lines()
    assert "ntp server 10.0.0.2" in lines
    assert "ntp server 10.0.0.3" not in lines


def test_reboot_loses_unsaved_changes_and_refuses_connections_meanwhile(fleet: Fleet) -> None:
    with connect(fleet, "ho-core-01") as conn:
        conn.send_config_set(["ntp server 10.0.0.9"])
    fleet.reboot("ho-core-01", downtime=1.0)
    port = fleet.ports["ho-core-01"]
    with (
        pytest.raises(ConnectionRefusedError),
        socket.create_connection(("127.0.0.1", port), timeout=1),
    ):
        pass
    with pytest.raises(NetmikoTimeoutException):
        connect(fleet, "ho-core-01", conn_timeout=0.5, auth_timeout=0.5, banner_timeout=0.5)
    time.sleep(1.2)
    with connect(fleet, "ho-core-01") as conn:
        conn.enable()
        assert "ntp server 10.0.0.9" not in conn.send_command("show running-config")
    assert fleet.device("ho-core-01").boots == 2


def test_password_never_echoed(fleet: Fleet) -> None:
    with connect(fleet, "iga-rt-01") as conn:
        conn.enable()
        out = conn.send_command("show environment")
    assert PASSWORD not in out
    assert "Rev.14" in out


def test_nec_route_table_parses_with_the_project_template(fleet: Fleet) -> None:
    dev = fleet.device("iga-rt-11")
    cli = PLATFORMS["nec_ix"]
    cli.push_offline(
        dev, ["interface GigaEthernet0.0", "  ip address 10.17.110.1/24", "  no shutdown"]
    )
    cli.push_offline(
        dev, ["ip route default 10.17.110.254", "ip route 10.0.0.0/8 10.17.110.253 distance 20"]
    )
    with connect(fleet, "iga-rt-11") as conn:
        text = conn.send_command("show ip route")
    rows = parse_show("nec_ix", "show ip route", text)
    assert {
        (r["protocol"], r["network"], r["prefix_length"], r["nexthop_ip"], r["distance"])
        for r in rows
    } == {
        ("C", "10.17.99.0", "24", "", "0"),
        ("C", "10.17.110.0", "24", "", "0"),
        ("S", "0.0.0.0", "0", "10.17.110.254", "1"),  # noqa: S104 - a route, not a bind
        ("S", "10.0.0.0", "8", "10.17.110.253", "20"),
    }
    with pytest.raises(NetmigError):
        parse_show("nec_ix", "show ip route", "IP Routing Table - 1 entries\ngarbage line\n")


def test_yamaha_environment_parses_with_ntc_template(fleet: Fleet) -> None:
    with connect(fleet, "iga-rt-01") as conn:
        rows = conn.send_command("show environment", use_textfsm=True)
    assert isinstance(rows, list)
    assert rows[0]["serial"] == fleet.device("iga-rt-01").serial


def test_fleet_runs_as_its_own_process(tmp_path: Path) -> None:
    """``python -m ictinfra.netmig.sim`` (what net.simulate and the bench start)."""
    out = tmp_path / "devices.json"
    env = {**os.environ, "ICTINFRA_LAB_PASSWORD": PASSWORD}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ictinfra.netmig.sim", "--inventory", str(FIXTURES / "minimal"),
         "--out", str(out), "--username", USER],
        env=env, cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not out.exists():
            assert proc.poll() is None, "the fleet process died"
            assert time.monotonic() < deadline, "the fleet did not start"
            time.sleep(0.1)
        eps = json.loads(out.read_text("utf-8"))
        assert set(eps) == {"ho-core-01", "ho-core-11", "iga-rt-01", "iga-rt-11"}
        ep = eps["ho-core-01"]
        with ConnectHandler(
            device_type=ep["device_type"], host=ep["host"], port=ep["port"], username=USER,
            password=PASSWORD, secret=PASSWORD, fast_cli=True,
        ) as conn:  # fmt: skip
            assert conn.find_prompt() == "ho-core-01>"
    finally:
        proc.terminate()
        assert proc.wait(30) == 0
    missing = subprocess.run(
        [sys.executable, "-m", "ictinfra.netmig.sim", "--inventory", str(FIXTURES / "minimal"),
         "--out", str(out), "--password-env", "ICTINFRA_UNSET_FOR_TEST"],
        capture_output=True, text=True, check=False, env=dict(os.environ),
    )  # fmt: skip
    assert missing.returncode == 2


# --- neighbours ---------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]


def _show(fleet: Fleet, host: str, command: str) -> str:
    dev = fleet.device(host)
    cli = PLATFORMS[dev.platform]
    return cli.show(dev, Session(mode="enable"), command).text


def _configure(fleet: Fleet, host: str, *lines: str) -> None:
    tree = fleet.device(host).running
    section = None
    for line in lines:
        section = tree.apply(line, section)


@pytest.fixture
def example_fleet() -> Fleet:
    """The example inventory's devices and cabling; show commands called without SSH."""
    return inventory_fleet(load_inventory(ROOT / "inventory"), USER, PASSWORD)


def test_cdp_and_ospf_neighbours_parse_with_ntc_templates(example_fleet: Fleet) -> None:
    ospf = parse_output(
        platform="cisco_ios",
        command="show ip ospf neighbor",
        data=_show(example_fleet, "ho-wan-rt-01", "show ip ospf neighbor"),
    )
    assert [(r["neighbor_id"], r["state"], r["ip_address"], r["interface"]) for r in ospf] == [
        ("10.1.10.1", "FULL/BDR", "10.1.91.1", "GigabitEthernet0/0")
    ]
    cdp = parse_output(
        platform="cisco_ios",
        command="show cdp neighbors detail",
        data=_show(example_fleet, "ho-wan-rt-01", "show cdp neighbors detail"),
    )
    seen = {(r["neighbor_name"], r["local_interface"], r["neighbor_interface"]) for r in cdp}
    assert ("ho-core-01", "GigabitEthernet0/0", "Vlan910") in seen
    assert ("ho-fw-01", "GigabitEthernet0/2", "GigabitEthernet0/0") in seen  # management VLAN
    assert all(r["mgmt_address"] and r["platform"].startswith("cisco ") for r in cdp)


def test_three_routers_on_a_segment_elect_dr_and_bdr(example_fleet: Fleet) -> None:
    # dc-lgwan-fw: the core (10.2.10.1) and two firewalls (10.2.10.21, .22) run OSPF.
    rows = parse_show(
        "cisco_ios",
        "show ip ospf neighbor",
        _show(example_fleet, "dc-core-01", "show ip ospf neighbor"),
    )
    states = {r["ip_address"]: r["state"] for r in rows if r["interface"] == "Vlan120"}
    assert states == {"10.2.120.2": "FULL/BDR", "10.2.120.3": "FULL/DR"}


def test_neighbours_follow_the_running_config(example_fleet: Fleet) -> None:
    def ospf_peers(host: str) -> set[str]:
        rows = parse_show(
            "cisco_ios",
            "show ip ospf neighbor",
            _show(example_fleet, host, "show ip ospf neighbor"),
        )
        return {r["ip_address"] for r in rows}

    assert ospf_peers("ho-wan-rt-01") == {"10.1.91.1"}
    # Another area on the core's side: no adjacency, the cable (CDP) is still there.
    _configure(
        example_fleet,
        "ho-core-01",
        "router ospf 1",
        "no network 10.1.0.0 0.0.255.255 area 0",
        "network 10.1.0.0 0.0.255.255 area 1",
    )
    assert ospf_peers("ho-wan-rt-01") == set()
    assert "Device ID: ho-core-01" in _show(
        example_fleet, "ho-wan-rt-01", "show cdp neighbors detail"
    )
    _configure(
        example_fleet,
        "ho-core-01",
        "router ospf 1",
        "no network 10.1.0.0 0.0.255.255 area 1",
        "network 10.1.0.0 0.0.255.255 area 0",
    )
    assert ospf_peers("ho-wan-rt-01") == {"10.1.91.1"}
    # The core shuts its side: both CDP on that port and OSPF go.
    _configure(example_fleet, "ho-core-01", "interface Vlan910", "shutdown")
    assert ospf_peers("ho-wan-rt-01") == set()
    cdp = parse_output(
        platform="cisco_ios",
        command="show cdp neighbors detail",
        data=_show(example_fleet, "ho-wan-rt-01", "show cdp neighbors detail"),
    )
    assert not [r for r in cdp if r["local_interface"] == "GigabitEthernet0/0"]
    _configure(example_fleet, "ho-core-01", "interface Vlan910", "no shutdown")
    # A fault: the WAN router stops hearing the core.
    example_fleet.device("ho-wan-rt-01").faults.drop_neighbours = ("ho-core-01",)
    assert ospf_peers("ho-wan-rt-01") == set()
    assert "ho-core-01" not in _show(example_fleet, "ho-wan-rt-01", "show cdp neighbors detail")


def test_replacement_takes_over_its_predecessors_links(example_fleet: Fleet) -> None:
    inv = load_inventory(ROOT / "inventory")
    new = inv.devices_by_hostname["ho-wan-rt-11"]
    intended = translate_device(
        inv, new, render_device(inv, inv.devices_by_hostname["ho-wan-rt-01"])
    )
    nec = example_fleet.device("ho-wan-rt-11")
    # Staged (every port shut): the old router still holds the link.
    assert _show(example_fleet, "ho-wan-rt-11", "show ip ospf neighbor") == ""
    nec.running = ConfigTree.parse(PLATFORMS["nec_ix"].rules, intended.config)
    rows = parse_show(
        "nec_ix",
        "show ip ospf neighbor",
        _show(example_fleet, "ho-wan-rt-11", "show ip ospf neighbor"),
    )
    assert [(r["neighbor_id"], r["ip_address"], r["interface"]) for r in rows] == [
        ("10.1.10.1", "10.1.91.1", "GigaEthernet1.0")
    ]
    # Same address on the same segment: the old router's cable has moved.
    assert _show(example_fleet, "ho-wan-rt-01", "show ip ospf neighbor") == ""
    core = parse_show(
        "cisco_ios",
        "show ip ospf neighbor",
        _show(example_fleet, "ho-core-01", "show ip ospf neighbor"),
    )
    assert {(r["neighbor_id"], r["interface"]) for r in core} >= {("10.1.10.31", "Vlan910")}
    assert "Device ID: ho-wan-rt-01" not in _show(
        example_fleet, "ho-core-01", "show cdp neighbors detail"
    )


def test_yamaha_ospf_neighbours_parse_with_the_project_template(example_fleet: Fleet) -> None:
    # The two Ise routers share their LGWAN segment; OSPF is switched on on both.
    _configure(
        example_fleet,
        "ise-rt-01",
        "ospf use on",
        "ospf router id 10.16.10.1",
        "ospf area backbone",
        "ip lan1 ospf area backbone",
    )
    assert (
        _show(example_fleet, "ise-radio-01", "show ip ospf neighbor") == ""
    )  # not on its side yet
    _configure(
        example_fleet,
        "ise-radio-01",
        "ospf use on",
        "ospf router id 10.16.10.2",
        "ospf area backbone",
        "ip lan1 ospf area backbone",
    )
    text = _show(example_fleet, "ise-rt-01", "show ip ospf neighbor")
    rows = parse_show("yamaha", "show ip ospf neighbor", text)
    assert [(r["neighbor_id"], r["state"], r["ip_address"], r["interface"]) for r in rows] == [
        ("10.16.10.2", "FULL/DR", "10.16.100.2", "LAN1")
    ]
    assert neighbours_of("yamaha", "show ip ospf neighbor", rows) == {
        ("ospf", "lan1", "10.16.100.2")
    }


def test_own_ospf_template_rejects_what_it_does_not_know() -> None:
    with pytest.raises(NetmigError):
        parse_show(
            "nec_ix",
            "show ip ospf neighbor",
            "Neighbor ID     Pri   State           Dead Time   Address         Interface\n"
            "something else entirely\n",
        )
