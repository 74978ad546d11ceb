"""A simulator fleet of the minimal inventory, with credentials from the environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from netmiko import BaseConnection, ConnectHandler
from pydantic import SecretStr

from ictinfra.inventory import Inventory, load_inventory
from ictinfra.inventory.model import Device
from ictinfra.netmig.credentials import Credentials
from ictinfra.netmig.endpoints import Endpoint
from ictinfra.netmig.sim.server import Fleet, inventory_fleet

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
USER = "netops"
PASSWORD = "Sim-Pa55-not-real"  # the lab's own fake secret; tests check it never reaches a log


@pytest.fixture
def inventory() -> Inventory:
    return load_inventory(FIXTURES / "minimal")


@pytest.fixture
def creds_env(monkeypatch: pytest.MonkeyPatch) -> str:
    """The minimal inventory's credentials point at a vault; tests use an env ref instead."""
    monkeypatch.setenv("ICTINFRA_LAB_PASSWORD", PASSWORD)
    monkeypatch.setenv("ICTINFRA_LAB_PASSWORD_USER", USER)
    return "ICTINFRA_LAB_PASSWORD"


@pytest.fixture
def fleet(inventory: Inventory) -> Iterator[Fleet]:
    with inventory_fleet(inventory, USER, PASSWORD) as running:
        yield running


def connect(fleet: Fleet, hostname: str, **extra: object) -> BaseConnection:
    ep = fleet.endpoints()[hostname]
    kwargs: dict[str, object] = {
        "device_type": ep["device_type"],
        "host": ep["host"],
        "port": ep["port"],
        "username": USER,
        "password": PASSWORD,
        "fast_cli": True,
    }
    if ep["device_type"] != "nec_ix":
        kwargs["secret"] = PASSWORD
    kwargs.update(extra)
    conn = ConnectHandler(**kwargs)
    if ep["device_type"].startswith("cisco"):
        conn.enable()
    return conn


def fleet_endpoints(fleet: Fleet) -> dict[str, Endpoint]:
    return {h: Endpoint(hostname=h, **ep) for h, ep in fleet.endpoints().items()}


def lab_credentials(inv: Inventory, dev: Device) -> Credentials:  # noqa: ARG001 - the hook's shape
    return Credentials(username=USER, password=SecretStr(PASSWORD))
