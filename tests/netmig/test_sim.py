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

from ictinfra.inventory import Inventory
from ictinfra.netmig.checks import parse_show
from ictinfra.netmig.errors import NetmigError
from ictinfra.netmig.sim.configtree import ConfigTree
from ictinfra.netmig.sim.platforms import PLATFORMS
from ictinfra.netmig.sim.server import Fleet
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
