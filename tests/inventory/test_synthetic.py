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
