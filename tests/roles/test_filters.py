"""The playbooks' filters: secret references resolved or refused, vendors mapped to targets."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from ansible.errors import AnsibleFilterError

PLUGIN = (
    Path(__file__).resolve().parents[2] / "playbooks" / "filter_plugins" / "ictinfra_maintenance.py"
)
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0u7vB6hJ3b2m9sH1b8cQm4x0yF0m8lC2fG1a7T2n9Q vendor"


@pytest.fixture(scope="module")
def plugin() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ictinfra_maintenance", PLUGIN)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_env_reference(plugin: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VENDOR_KEY", f"  {KEY}\n")
    assert plugin.resolve_secret("env:VENDOR_KEY") == KEY


def test_vault_reference(
    plugin: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "vendors" / "a").mkdir(parents=True)
    (tmp_path / "vendors" / "a" / "ssh").write_text(KEY + "\n", encoding="utf-8")
    monkeypatch.setenv("ICTINFRA_SECRETS_DIR", str(tmp_path))
    assert plugin.resolve_secret("vault:vendors/a/ssh") == KEY


@pytest.mark.parametrize(
    ("ref", "env", "message"),
    [
        ("env:UNSET_VENDOR_KEY", {}, "not set"),
        ("env:EMPTY_KEY", {"EMPTY_KEY": "  "}, "not set"),
        ("vault:vendors/a/ssh", {}, "ICTINFRA_SECRETS_DIR is not set"),
        ("vault:vendors/missing", {"ICTINFRA_SECRETS_DIR": "."}, "no file"),
        ("vault:../etc/passwd", {"ICTINFRA_SECRETS_DIR": "."}, "no file"),
        ("file:/etc/passwd", {}, "neither env:NAME nor vault:path"),
        ("ssh-ed25519 AAAA", {}, "neither"),
    ],
)
def test_unresolvable_references_fail_closed(
    plugin: ModuleType, monkeypatch: pytest.MonkeyPatch, ref: str, env: dict[str, str], message: str
) -> None:
    monkeypatch.delenv("UNSET_VENDOR_KEY", raising=False)
    monkeypatch.delenv("ICTINFRA_SECRETS_DIR", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(AnsibleFilterError, match=message):
        plugin.resolve_secret(ref)


def test_vendors_map_to_targets_by_address(
    plugin: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("K", KEY + "\n" + KEY.replace("vendor", "second"))
    hostvars: dict[str, Any] = {
        "app-01": {"ansible_host": "10.2.10.11"},
        "lab-01": {"ictinfra_lab_addresses": {"mgmt": "10.9.1.2", "servers": "10.9.2.2"}},
    }
    vendors = [
        {"id": "a", "name": "A", "ssh_public_key": "env:K", "allowed_hosts": ["app-01", "lab-01"]}
    ]
    out = plugin.maintenance_vendors(vendors, hostvars)
    assert out == [
        {
            "id": "a",
            "name": "A",
            "ssh_public_keys": [KEY, KEY.replace("vendor", "second")],
            "allowed_targets": [
                {"name": "app-01", "address": "10.2.10.11"},
                {"name": "lab-01", "address": "10.9.2.2"},
            ],
        }
    ]
    assert vendors[0]["allowed_hosts"] == ["app-01", "lab-01"]  # input untouched


def test_unknown_allowed_host_is_refused(
    plugin: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("K", KEY)
    vendors = [{"id": "a", "name": "A", "ssh_public_key": "env:K", "allowed_hosts": ["ghost"]}]
    with pytest.raises(AnsibleFilterError, match="ghost is not in the inventory"):
        plugin.maintenance_vendors(vendors, {})


def test_target_keys_only_for_allowed_vendors(plugin: ModuleType) -> None:
    vendors = [
        {"id": "a", "allowed_hosts": ["app-01"]},
        {"id": "b", "allowed_hosts": ["app-02"]},
    ]
    keys = {"a": "ssh-ed25519 AAAA-a", "b": "ssh-ed25519 AAAA-b"}
    assert plugin.maintenance_target_keys(vendors, "app-01", keys) == [
        {"vendor": "a", "key": "ssh-ed25519 AAAA-a"}
    ]
    assert plugin.maintenance_target_keys(vendors, "app-03", keys) == []
    with pytest.raises(AnsibleFilterError, match="no key for vendor b"):
        plugin.maintenance_target_keys(vendors, "app-02", {"a": "x"})
