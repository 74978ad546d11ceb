"""Device configurations rendered from the inventory: golden files and behaviour."""

from __future__ import annotations

import os
from pathlib import Path

import jinja2
import pytest

from ictinfra.inventory import load_inventory
from ictinfra.render.devices import render_device, render_devices
from ictinfra.render.environment import environment

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("ICTINFRA_UPDATE_GOLDEN") == "1"


def test_rendered_configs_match_golden_files() -> None:
    """Golden files change only with ICTINFRA_UPDATE_GOLDEN=1, reviewed in the diff."""
    rendered = render_devices(load_inventory(FIXTURES / "minimal"))
    assert sorted(rendered) == [
        "configs/ho-core-01.cfg",
        "configs/ho-core-11.cfg",
        "configs/iga-rt-01.cfg",
        "configs/iga-rt-11.cfg",
    ]
    for path, text in rendered.items():
        golden = GOLDEN / Path(path).name
        if UPDATE:
            golden.parent.mkdir(exist_ok=True)
            golden.write_text(text, encoding="utf-8")
        assert text == golden.read_text(encoding="utf-8"), f"{path} differs from {golden}"


@pytest.mark.parametrize("hostname", ["ho-core-01", "ho-core-11", "iga-rt-01", "iga-rt-11"])
def test_every_interface_address_and_route_is_rendered(hostname: str) -> None:
    inv = load_inventory(FIXTURES / "minimal")
    dev = inv.devices_by_hostname[hostname]
    text = render_device(inv, dev)
    assert dev.hostname in text
    for iface in dev.interfaces:
        assert iface.name in text
        if iface.address is not None:
            assert str(iface.address.ip) in text
    for route in dev.static_routes:
        assert str(route.next_hop) in text
    assert text.isascii(), "device configurations must stay ASCII"


def test_platform_syntax_of_addresses() -> None:
    inv = load_inventory(FIXTURES / "minimal")
    ios = render_device(inv, inv.devices_by_hostname["ho-core-11"])
    rtx = render_device(inv, inv.devices_by_hostname["iga-rt-01"])
    ix = render_device(inv, inv.devices_by_hostname["iga-rt-11"])
    assert " ip address 10.1.110.1 255.255.255.0" in ios
    assert "ip lan1 address 10.17.110.1/24" in rtx
    assert "ip route default gateway 10.255.17.1" in rtx
    assert "  ip address 10.17.110.1/24" in ix
    assert "ip route default 10.255.17.1" in ix


def test_templates_fail_on_undefined_variables() -> None:
    with pytest.raises(jinja2.UndefinedError):
        environment().from_string("hostname {{ host_name }}").render(hostname="x")


def test_vlan_names_come_from_each_inventory_own_index(minimal_inventory: Path) -> None:
    """The per-site VLAN index is kept per inventory object and dropped with it."""
    from ictinfra.render import devices  # noqa: PLC0415 - the private cache is inspected

    first = load_inventory(FIXTURES / "minimal")
    segments = minimal_inventory / "network" / "segments.yml"
    text = segments.read_text(encoding="utf-8")
    assert "id: iga-lgwan" in text
    segments.write_text(text.replace("iga-lgwan", "iga-lgwan-b"), encoding="utf-8")
    for path in minimal_inventory.rglob("*.yml"):
        if path != segments:
            content = path.read_text(encoding="utf-8")
            path.write_text(content.replace("iga-lgwan", "iga-lgwan-b"), encoding="utf-8")
    second = load_inventory(minimal_inventory)
    for inv in (first, second, first):
        expected = {
            site: {s.vlan: s for s in inv.segments if s.site == site}
            for site in {s.site for s in inv.segments}
        }
        assert devices.site_vlans(inv) == expected
    a = render_device(first, first.devices_by_hostname["iga-rt-01"])
    b = render_device(second, second.devices_by_hostname["iga-rt-01"])
    assert a != b
    assert a == render_device(first, first.devices_by_hostname["iga-rt-01"])
    key = id(second)
    assert key in devices._SITE_VLANS
    del second
    assert key not in devices._SITE_VLANS
