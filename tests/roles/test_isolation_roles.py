"""The isolation services' playbook on inventory data, offline: syntax, and the path from the
inventory (components, flows, maintenance subnets) to the web_proxy and virtual_browser
roles' validated input. Nothing is contacted: the mapping play runs on the controller only.
The roles themselves are proven on containers by their Molecule scenarios."""

from __future__ import annotations

import importlib.util
import ipaddress
import json
import shutil
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from ictinfra.inventory import load_inventory
from ictinfra.inventory.model import ZoneKind
from ictinfra.lab import ansible

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = ROOT / "playbooks" / "isolation_services.yml"
EXAMPLE = ROOT / "inventory"


def _run(inventory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ansible.tool("ansible-playbook"), "-i", str(inventory), str(PLAYBOOK), *args],
        cwd=ROOT,
        env=ansible.environment({"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json"}),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _inputs(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The input each host gets, from the mapping play's last task."""
    data = json.loads(result.stdout)
    play = next(p for p in data["plays"] if p["play"]["name"].startswith("Map the inventory"))
    return {host: r["msg"] for host, r in play["tasks"][-1]["hosts"].items()}


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "inventory"
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def test_playbook_syntax_and_site_import() -> None:
    result = subprocess.run(
        [ansible.tool("ansible-playbook"), "-i", str(EXAMPLE), str(PLAYBOOK), "--syntax-check"],
        cwd=ROOT,
        env=ansible.environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    site = (ROOT / "playbooks" / "site.yml").read_text(encoding="utf-8")
    assert "ansible.builtin.import_playbook: isolation_services.yml" in site


def test_example_inventory_maps_to_valid_role_input() -> None:
    result = _run(EXAMPLE, "--tags", "ictinfra_mapping")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    inputs = _inputs(result)

    # Expected values computed here from the model, independently of the playbook's filters.
    inv = load_inventory(EXAMPLE)
    servers = {
        str(system.component): [str(s.address) for s in system.servers]
        for system in inv.systems
        if system.component is not None
    }
    lgwan_zones = {z.id for z in inv.zones if z.kind is ZoneKind.LGWAN}
    lgwan = sorted(
        str(n)
        for n in ipaddress.collapse_addresses(
            s.subnet for s in inv.segments if s.zone in lgwan_zones
        )
    )
    mgmt_zones = {z.id for z in inv.zones if z.kind is ZoneKind.MANAGEMENT}
    mgmt = sorted(str(s.subnet) for s in inv.segments if s.zone in mgmt_zones)

    proxies = servers["web_proxy"]
    browsers = servers["virtual_browser"]
    assert len(proxies) == 2
    assert len(browsers) == 14
    assert sorted(inputs) == sorted(
        s.name
        for system in inv.systems
        if str(system.component) in {"web_proxy", "virtual_browser"}
        for s in system.servers
    )
    for name, got in inputs.items():
        address = next(str(s.address) for sy in inv.systems for s in sy.servers if s.name == name)
        if address in proxies:
            assert got == {
                "web_proxy_allowed_clients": browsers,
                "web_proxy_ssh_allowed_subnets": mgmt,
            }
        else:
            assert got["virtual_browser_rdp_allowed_subnets"] == lgwan
            assert got["virtual_browser_ssh_allowed_subnets"] == mgmt
            assert got["virtual_browser_proxy_addresses"] == proxies
            assert got["virtual_browser_proxy_host"] == proxies[0]
            assert got["virtual_browser_dns_servers"] == [
                str(a) for a in inv.organisation.dns_servers
            ]


def test_a_flow_the_policy_refuses_opens_nothing(example_copy: Path, edit: Any) -> None:
    """A My Number → virtual browser flow breaks the model: the hosts must not admit it."""
    flows = example_copy / "flows.yml"
    edit(
        flows,
        "flows:\n",
        "flows:\n"
        "  - id: mynumber-to-vb\n"
        "    source_zone: mynumber\n"
        "    destination_zone: internet\n"
        "    destination_system: SYS-901\n"
        "    services: [{protocol: tcp, port: 3389}]\n"
        "    via: screen_transfer\n"
        "    reason: test - never allowed\n",
    )
    result = _run(example_copy, "--tags", "ictinfra_mapping")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    inv = load_inventory(example_copy)
    mynumber = [
        s.subnet
        for s in inv.segments
        if s.zone in {z.id for z in inv.zones if z.kind is ZoneKind.MYNUMBER}
    ]
    assert mynumber
    got = _inputs(result)["vb-rdsh01"]["virtual_browser_rdp_allowed_subnets"]
    opened = [ipaddress.ip_network(n) for n in got]
    assert not any(m.overlaps(o) for m in mynumber for o in opened)


def test_no_screen_transfer_flow_stops_the_play(example_copy: Path, edit: Any) -> None:
    flows = example_copy / "flows.yml"
    # The screen-transfer flow now ends at the file transfer system: none reaches a browser.
    edit(flows, "destination_system: SYS-901 ", "destination_system: SYS-903 ")
    result = _run(example_copy, "--tags", "ictinfra_mapping")
    assert result.returncode != 0
    assert "no permitted flow reaches a virtual_browser system" in result.stdout


def test_virtual_browsers_without_a_proxy_stop_the_play(minimal_inventory: Path) -> None:
    """The minimal inventory has a virtual browser and no web proxy."""
    shutil.copy(EXAMPLE / "ictinfra.yml", minimal_inventory / "ictinfra.yml")
    result = _run(minimal_inventory, "--tags", "ictinfra_mapping")
    assert result.returncode != 0
    assert "the inventory has no web proxy" in result.stdout


def _filters() -> ModuleType:
    path = ROOT / "playbooks" / "filter_plugins" / "ictinfra_isolation.py"
    spec = importlib.util.spec_from_file_location("ictinfra_isolation_filters", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_group_addresses_prefer_lab_networks_and_refuse_unknown_hosts() -> None:
    from ansible.errors import AnsibleFilterError  # noqa: PLC0415

    filters = _filters()
    hostvars = {
        "a": {"ansible_host": "10.0.0.1"},
        "b": {"ansible_host": "10.0.0.2", "ictinfra_lab_addresses": {"inet": "172.30.0.5"}},
        "c": {},
    }
    assert filters.group_addresses(["a", "b", "a"], hostvars) == ["10.0.0.1", "172.30.0.5"]
    with pytest.raises(AnsibleFilterError, match="not in the inventory"):
        filters.group_addresses(["zz"], hostvars)
    with pytest.raises(AnsibleFilterError, match="no address"):
        filters.group_addresses(["c"], hostvars)
