"""The playbooks on the real inventory's data, offline: syntax, and the path from the
inventory's vendors (secret references) to the bastion role's validated input. Nothing is
contacted: the plays here run only controller-side actions."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ictinfra.lab import ansible

ROOT = Path(__file__).resolve().parents[2]
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0u7vB6hJ3b2m9sH1b8cQm4x0yF0m8lC2fG1a7T2n9Q si-alpha"

DATA_PATH_PLAY = """
- name: Vendors from the inventory to the bastion role's input
  hosts: role_bastion
  gather_facts: false
  tasks:
    - name: Map the vendors
      ansible.builtin.set_fact:
        mapped: "{{ ictinfra_vendors | ictinfra_maintenance_vendors(hostvars) }}"
    - name: Validate against the role's argument spec
      ansible.builtin.validate_argument_spec:
        argument_spec: "{{ spec_data.argument_specs.main.options }}"
        provided_arguments:
          remote_maintenance_vendors: "{{ mapped }}"
      vars:
        spec: ROOT/roles/remote_maintenance/meta/argument_specs.yml
        spec_data: "{{ lookup('ansible.builtin.file', spec) | from_yaml }}"
    - name: Show
      ansible.builtin.debug:
        var: mapped
"""


@pytest.fixture
def plugin_inventory(minimal_inventory: Path) -> Path:
    shutil.copy(ROOT / "inventory" / "ictinfra.yml", minimal_inventory / "ictinfra.yml")
    return minimal_inventory


def _playbook(
    play: Path, inventory: Path, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ansible.tool("ansible-playbook"), "-i", str(inventory), str(play), *args],
        cwd=ROOT,
        env=ansible.environment(
            {
                "ANSIBLE_FILTER_PLUGINS": str(ROOT / "playbooks" / "filter_plugins"),
                "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
                **env,
            }
        ),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_site_playbook_syntax_on_the_inventory(plugin_inventory: Path) -> None:
    result = subprocess.run(
        [
            ansible.tool("ansible-playbook"),
            "-i",
            str(plugin_inventory),
            str(ROOT / "playbooks" / "site.yml"),
            "--syntax-check",
        ],
        cwd=ROOT,
        env=ansible.environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _mapped(result: subprocess.CompletedProcess[str]) -> Any:
    data = json.loads(result.stdout)
    task = data["plays"][0]["tasks"][-1]
    return task["hosts"]["bastion-01"]["mapped"]


def test_vendors_reach_the_role_resolved_and_valid(plugin_inventory: Path, tmp_path: Path) -> None:
    secrets = tmp_path / "secrets" / "vendors" / "si-alpha"
    secrets.mkdir(parents=True)
    (secrets / "ssh").write_text(KEY + "\n", encoding="utf-8")
    play = tmp_path / "play.yml"
    play.write_text(DATA_PATH_PLAY.replace("ROOT", str(ROOT)), encoding="utf-8")
    result = _playbook(play, plugin_inventory, {"ICTINFRA_SECRETS_DIR": str(tmp_path / "secrets")})
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert _mapped(result) == [
        {
            "id": "si-alpha",
            "name": "Alpha SI Co., Ltd.",
            "ssh_public_keys": [KEY],
            "allowed_targets": [
                {"name": "tax-ap01", "address": "10.2.10.11"},
                {"name": "tax-ap02", "address": "10.2.10.12"},
            ],
        }
    ]


def test_an_unresolvable_vendor_key_stops_the_play(plugin_inventory: Path, tmp_path: Path) -> None:
    play = tmp_path / "play.yml"
    play.write_text(DATA_PATH_PLAY.replace("ROOT", str(ROOT)), encoding="utf-8")
    result = _playbook(play, plugin_inventory, {"ICTINFRA_SECRETS_DIR": str(tmp_path / "empty")})
    assert result.returncode != 0
    assert (
        "no file vendors/si-alpha/ssh under ICTINFRA_SECRETS_DIR" in result.stdout + result.stderr
    )
    assert KEY not in result.stdout


MAIL_POLICY_PLAY = """
- name: The inventory's mail policy as the mail_gateway role's input
  hosts: all
  gather_facts: false
  run_once: true
  tasks:
    - name: Validate against the role's argument spec
      ansible.builtin.validate_argument_spec:
        argument_spec: "{{ spec_data.argument_specs.main.options }}"
        provided_arguments:
          mail_gateway_policy: "{{ ictinfra_mail_policy }}"
          mail_gateway_quarantine_key: not-a-real-key
      vars:
        spec: ROOT/roles/mail_gateway/meta/argument_specs.yml
        spec_data: "{{ lookup('ansible.builtin.file', spec) | from_yaml }}"
"""


@pytest.mark.parametrize("broken", [False, True])
def test_mail_policy_reaches_the_mail_gateway_role_valid(
    plugin_inventory: Path, tmp_path: Path, broken: bool
) -> None:
    if broken:  # a policy the role cannot take must stop the play, not be half-applied
        play_text = MAIL_POLICY_PLAY.replace(
            '"{{ ictinfra_mail_policy }}"',
            "\"{{ ictinfra_mail_policy | dict2items | rejectattr('key', 'eq', 'approvers')"
            ' | items2dict }}"',
        )
    else:
        play_text = MAIL_POLICY_PLAY
    play = tmp_path / "play.yml"
    play.write_text(play_text.replace("ROOT", str(ROOT)), encoding="utf-8")
    result = _playbook(play, plugin_inventory, {})
    output = result.stdout[-4000:] + result.stderr[-2000:]
    assert (result.returncode != 0) is broken, output
    if broken:
        assert "approvers" in output
