"""Ansible reads the same source of truth: the plugin agrees with the model."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ictinfra.inventory import load_inventory
from ictinfra.inventory.ansible import build_ansible_inventory

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def ansible_inventory(
    source: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(source), *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture
def plugin_inventory(minimal_inventory: Path) -> Path:
    shutil.copy(ROOT / "inventory" / "ictinfra.yml", minimal_inventory / "ictinfra.yml")
    return minimal_inventory


def groups_of(listing: dict[str, object]) -> dict[str, set[str]]:
    return {
        name: set(entry.get("hosts", []))  # type: ignore[union-attr]
        for name, entry in listing.items()
        if name != "_meta"
    }


def test_list_agrees_with_the_model(plugin_inventory: Path) -> None:
    done = ansible_inventory(plugin_inventory, "--list")
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stderr
    listing = json.loads(done.stdout)
    model = load_inventory(plugin_inventory)
    view = build_ansible_inventory(model)
    expected = view.to_list_data()
    common = view.groups["all"].vars
    assert listing["_meta"]["hostvars"] == {
        host: {**common, **hostvars} for host, hostvars in view.hostvars.items()
    }
    expected_groups = {k: v for k, v in groups_of(expected).items() if v}
    assert {k: v for k, v in groups_of(listing).items() if v} == expected_groups
    servers = {srv.name for s in model.systems for srv in s.servers}
    devices = {d.hostname for d in model.devices}
    assert set(listing["_meta"]["hostvars"]) == servers | devices
    assert listing["zone_mynumber"]["hosts"] == ["tax-ap01", "tax-ap02"]
    assert set(listing["site_iga"]["hosts"]) == {"iga-rt-01", "iga-rt-11"}
    assert listing["role_bastion"]["hosts"] == ["bastion-01"]
    assert listing["_meta"]["hostvars"]["tax-ap01"]["ansible_host"] == "10.2.10.11"
    mail = listing["_meta"]["hostvars"]["tax-ap01"]["ictinfra_mail_policy"]
    assert mail["approvers"] == list(model.mail_policy.approvers)
    assert mail["quarantine_key"] == model.mail_policy.quarantine_key.model_dump(exclude_none=True)


def test_graph_groups_by_zone_site_and_role(plugin_inventory: Path) -> None:
    done = ansible_inventory(plugin_inventory, "--graph")
    assert done.returncode == 0, done.stderr
    for group in (
        "@zones:",
        "@zone_lgwan:",
        "@sites:",
        "@site_dc:",
        "@roles:",
        "@role_wan_router:",
    ):
        assert group in done.stdout


def test_broken_inventory_fails_with_file_and_line(plugin_inventory: Path) -> None:
    f = plugin_inventory / "systems.yml"
    f.write_text(f.read_text(encoding="utf-8").replace("vcpu: 16", "vcpu: lots"), encoding="utf-8")
    done = ansible_inventory(plugin_inventory, "--list")
    assert done.returncode != 0
    assert "systems.yml:" in done.stderr
    assert "'lots'" in done.stderr


def test_rendered_static_inventory_agrees_with_the_plugin(
    plugin_inventory: Path, tmp_path: Path
) -> None:
    data = build_ansible_inventory(load_inventory(plugin_inventory)).to_yaml_data()
    hosts = tmp_path / "hosts.yml"
    hosts.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    # The repository's ansible.cfg reads only the plugin; a static file needs the yaml plugin.
    plain = {"ANSIBLE_INVENTORY_ENABLED": "yaml", "ANSIBLE_INVENTORY_IGNORE_PATTERNS": ""}
    static = json.loads(ansible_inventory(hosts, "--list", env=plain).stdout)
    dynamic = json.loads(ansible_inventory(plugin_inventory, "--list").stdout)
    assert static["_meta"]["hostvars"] == dynamic["_meta"]["hostvars"]
    assert groups_of(static) == groups_of(dynamic)
