"""Synthetic inventories (for benchmarks) are valid and grow linearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from ictinfra.inventory import load_inventory
from ictinfra.inventory.synthetic import write_synthetic


def test_synthetic_inventory_is_valid_and_scales(tmp_path: Path) -> None:
    one = load_inventory(write_synthetic(tmp_path / "one", 1))
    three = load_inventory(write_synthetic(tmp_path / "three", 3))
    assert len(three.devices) == 3 * len(one.devices)
    assert len(three.systems) == 3 * len(one.systems)
    assert len(three.segments) == 3 * len(one.segments)
    assert len(three.replacements()) == len(three.current_devices())


def test_scale_out_of_range(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="scale"):
        write_synthetic(tmp_path, 0)


def test_synthetic_zones_summarise_and_its_flows_are_permitted(tmp_path: Path) -> None:
    """Zone-first addresses: a zone of 30 units is a handful of prefixes, not 330 subnets;
    every flow is one the alpha model permits (none is left closed by the plan)."""
    from ictinfra.isolation.policy import ALPHA, check_flows, zone_networks  # noqa: PLC0415

    inv = load_inventory(write_synthetic(tmp_path, 30))
    segments = {z: sum(s.zone == z for s in inv.segments) for z in ("lgwan", "mgmt")}
    assert segments == {"lgwan": 330, "mgmt": 330}
    nets = zone_networks(inv)
    assert all(1 <= len(v) <= 9 for v in nets.values()), nets
    assert len(inv.flows) == 30 * 12 + 2
    assert check_flows(inv, ALPHA) == []
