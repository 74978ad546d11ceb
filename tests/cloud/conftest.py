"""Fixtures of the cloud tests: inventories and stack settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from ictinfra.cloud.config import StackSettings, settings_from_mapping
from ictinfra.inventory import Inventory, load_inventory

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(scope="session")
def example() -> Inventory:
    return load_inventory(ROOT / "inventory")


@pytest.fixture(scope="session")
def minimal() -> Inventory:
    return load_inventory(FIXTURES / "minimal")


def settings(backend: str, **extra: object) -> StackSettings:
    values: dict[str, object] = {
        "backend": backend,
        "environment": "test",
        "inventory": "../../inventory",
        "passwordEnv": "ICTINFRA_TEST_PASSWORD",
        "vcpuOvercommit": 4,
        "vsphere": {
            "server": "vcenter.test.example",
            "user": "svc@vsphere.local",
            "datacenter": "DC1",
            "computeCluster": "cl-test",
            "switch": "dvs-test",
        },
        "proxmox": {"endpoint": "https://pve.test.example:8006/", "username": "svc@pve"},
        **extra,
    }
    return settings_from_mapping(values, "test")
