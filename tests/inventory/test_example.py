"""The embedded example inventory honours the seed's facts (ict-plan-2017)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from ictinfra.inventory import Inventory, load_inventory
from ictinfra.inventory.model import Batch, Lifecycle, Platform, SiteKind, ZoneKind

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def example() -> Inventory:
    return load_inventory(ROOT / "inventory")


def test_54_systems_on_the_consolidated_platform(example: Inventory) -> None:
    batches = Counter(s.consolidation.batch for s in example.systems)
    assert batches[Batch.EXISTING] == 40
    assert batches[Batch.NEXT] == 14
    existing_servers = sum(
        len(s.servers) for s in example.systems if s.consolidation.batch is Batch.EXISTING
    )
    assert existing_servers == 91
    assert batches[Batch.NONE] >= 1, "some systems stay outside the platform"


def test_sites_zones_and_components(example: Inventory) -> None:
    kinds = Counter(s.kind for s in example.sites)
    assert kinds[SiteKind.HEAD_OFFICE] == 1
    assert kinds[SiteKind.DATA_CENTRE] >= 1
    assert kinds[SiteKind.REGIONAL_OFFICE] >= 5
    assert {ZoneKind.MYNUMBER, ZoneKind.LGWAN, ZoneKind.INTERNET} <= {z.kind for z in example.zones}
    components = {str(s.component) for s in example.systems if s.component}
    for needed in ("virtual_browser", "web_proxy", "file_transfer", "mail_gateway", "bastion"):
        assert needed in components


def test_h32_cutover_devices(example: Inventory) -> None:
    current, new = example.current_devices(), example.replacements()
    assert len(example.devices) >= 40
    assert len({d.platform for d in current}) >= 2
    assert len({d.platform for d in new}) >= 2
    japanese = {Platform.YAMAHA_RTX, Platform.NEC_IX}
    assert japanese & {d.platform for d in current}
    assert japanese & {d.platform for d in new}
    replaced = {d.replaces for d in new}
    assert replaced == {d.hostname for d in current}, "every end-of-support device is replaced"
    assert all(d.lifecycle is Lifecycle.CURRENT and d.end_of_support for d in current)
    assert len(example.waves()) >= 3


def test_no_flow_between_my_number_and_internet(example: Inventory) -> None:
    kind = {z.id: z.kind for z in example.zones}
    for flow in example.flows:
        pair = {kind[flow.source_zone], kind[flow.destination_zone]}
        assert pair != {ZoneKind.MYNUMBER, ZoneKind.INTERNET}, flow.id
