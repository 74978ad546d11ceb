"""Filters the playbooks use to turn the inventory's vendors into the bastion role's input.

Secret references (``env:NAME`` or ``vault:path``) are resolved here, on the controller,
and never written anywhere: ``env:`` reads the environment, ``vault:`` reads the file
``$ICTINFRA_SECRETS_DIR/<path>`` (where the secrets agent mounts them). A reference that
cannot be resolved fails the play: a vendor is never configured with a guessed key.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ansible.errors import AnsibleFilterError


def resolve_secret(ref: object) -> str:
    """The value behind a secret reference (stripped); fails closed."""
    text = str(ref)
    kind, _, name = text.partition(":")
    if kind == "env" and name:
        value = os.environ.get(name, "").strip()
        if not value:
            raise AnsibleFilterError(f"secret {text}: the environment variable {name} is not set")
        return value
    if kind == "vault" and name:
        base = os.environ.get("ICTINFRA_SECRETS_DIR")
        if not base:
            raise AnsibleFilterError(f"secret {text}: ICTINFRA_SECRETS_DIR is not set")
        path = Path(base) / name
        if ".." in Path(name).parts or not path.is_file():
            raise AnsibleFilterError(f"secret {text}: no file {name} under ICTINFRA_SECRETS_DIR")
        return path.read_text(encoding="utf-8").strip()
    raise AnsibleFilterError(f"secret reference {text!r} is neither env:NAME nor vault:path")


def _addresses(hostvars: Mapping[str, Any], host: str) -> list[str]:
    if host not in hostvars:
        raise AnsibleFilterError(f"allowed host {host} is not in the inventory")
    hv = hostvars[host]
    lab = hv.get("ictinfra_lab_addresses")
    if lab:
        return [str(a) for a in lab.values()]
    return [str(hv.get("ictinfra_address") or hv.get("ansible_host") or host)]


def maintenance_vendors(
    vendors: Sequence[Mapping[str, Any]], hostvars: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """``ictinfra_vendors`` → ``remote_maintenance_vendors`` (keys resolved, targets addressed)."""
    return [
        {
            "id": vendor["id"],
            "name": vendor["name"],
            "ssh_public_keys": [
                line.strip()
                for line in resolve_secret(vendor["ssh_public_key"]).splitlines()
                if line.strip()
            ],
            "allowed_targets": [
                {"name": host, "address": _addresses(hostvars, host)[-1]}
                for host in vendor.get("allowed_hosts", [])
            ],
        }
        for vendor in vendors
    ]


def maintenance_target_keys(
    vendors: Sequence[Mapping[str, Any]], host: str, bastion_keys: Mapping[str, str]
) -> list[dict[str, str]]:
    """The bastion's keys of the vendors allowed on ``host``; fails if the bastion lacks one."""
    out: list[dict[str, str]] = []
    for vendor in vendors:
        if host in vendor.get("allowed_hosts", []):
            if vendor["id"] not in bastion_keys:
                raise AnsibleFilterError(f"the bastion has no key for vendor {vendor['id']} yet")
            out.append({"vendor": vendor["id"], "key": bastion_keys[vendor["id"]]})
    return out


def host_addresses(hostvars: Mapping[str, Any], host: str) -> list[str]:
    """Every address a host may connect from (all lab networks, or its one address)."""
    return _addresses(hostvars, host)


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "ictinfra_maintenance_vendors": maintenance_vendors,
            "ictinfra_maintenance_target_keys": maintenance_target_keys,
            "ictinfra_host_addresses": host_addresses,
        }
